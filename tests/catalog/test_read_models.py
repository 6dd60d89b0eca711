"""The read models other domains use: sales view, seats with stable ids, layout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.catalog.conftest import Headers, create_event, create_venue, move, small_venue
from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.catalog.events.schemas import Event, TicketKind
from ticketsafe.catalog.read_models import (
    event_layout,
    forget_sales_view,
    get_event_card,
    get_sales_view,
    iter_event_seats,
)
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.resources import Resources


async def test_sales_view_carries_the_sales_settings(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(
        client,
        org_a,
        venue_id,
        per_buyer_limit=4,
        hold_duration_s=300,
        requires_cpf=True,
        waiting_room={"enabled": True, "pre_queue_minutes": 30, "admission_rate_per_minute": 500},
    )
    view = await get_sales_view(resources.db, event_id)
    assert (view.event_id, view.org_id, view.venue_id) == (event_id, "org_a", venue_id)
    assert view.status is EventStatus.DRAFT
    assert (view.currency, view.timezone) == ("BRL", "America/Sao_Paulo")
    assert (view.hold_duration_s, view.per_buyer_limit, view.requires_cpf) == (300, 4, True)
    assert view.waiting_room.admission_rate_per_minute == 500
    assert [p.id for p in view.price_levels] == ["p1", "p2", "p3"]
    half = view.ticket_type("meia")
    assert half is not None
    assert half.kind is TicketKind.HALF
    assert half.quota == 40
    assert half.price_for(10001) == 5001
    assert view.sales.on_sale_at == datetime(2030, 1, 11, 20, tzinfo=UTC)
    assert not view.is_selling(datetime(2030, 1, 20, tzinfo=UTC))  # a draft never sells


async def test_a_recent_sales_view_is_reused_within_its_age_only(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id, per_buyer_limit=4)
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit == 4
    # Changed behind this process's back (as another instance would): not seen yet...
    await resources.db["events"].update_one({"_id": event_id}, {"$set": {"per_buyer_limit": 6}})
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit == 4
    # ...but a plain read, or one allowing no age, reads the event again.
    assert (await get_sales_view(resources.db, event_id)).per_buyer_limit == 6
    await resources.db["events"].update_one({"_id": event_id}, {"$set": {"per_buyer_limit": 8}})
    assert (await get_sales_view(resources.db, event_id, max_age_s=0.0)).per_buyer_limit == 8


async def test_a_recent_event_card_is_reused_within_its_age_only(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    name = (await get_event_card(resources.db, event_id, max_age_s=60)).name
    await resources.db["events"].update_one({"_id": event_id}, {"$set": {"name": "Renamed"}})
    assert (await get_event_card(resources.db, event_id, max_age_s=60)).name == name
    assert (await get_event_card(resources.db, event_id)).name == "Renamed"


async def test_a_status_change_through_this_process_is_seen_at_once(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit != 3
    r = await client.patch(f"/events/{event_id}", json={"per_buyer_limit": 3}, headers=org_a)
    assert r.status_code == 200, r.text
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit == 3
    await move(client, org_a, event_id, "published")
    view = await get_sales_view(resources.db, event_id, max_age_s=60)
    assert view.status is EventStatus.PUBLISHED


async def test_callers_during_a_reread_share_one_read(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A gate rush asks for the view hundreds of times while it is read again: one read."""
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id, per_buyer_limit=4)
    reads: list[str] = []
    find_event = event_repository.find_event

    async def counted(db: Database, wanted: str) -> Event | None:
        reads.append(wanted)
        return await find_event(db, wanted)

    monkeypatch.setattr(event_repository, "find_event", counted)
    forget_sales_view(event_id)
    views = await asyncio.gather(
        *[get_sales_view(resources.db, event_id, max_age_s=60) for _ in range(50)]
    )
    assert reads == [event_id]
    assert {v.per_buyer_limit for v in views} == {4}
    # A change noted while a read is under way: later callers read again, and the read
    # that may predate the change is not kept.
    forget_sales_view(event_id)
    early = asyncio.ensure_future(get_sales_view(resources.db, event_id, max_age_s=60))
    await asyncio.sleep(0)
    await resources.db["events"].update_one({"_id": event_id}, {"$set": {"per_buyer_limit": 9}})
    forget_sales_view(event_id)
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit == 9
    await early
    assert (await get_sales_view(resources.db, event_id, max_age_s=60)).per_buyer_limit == 9
    assert reads == [event_id] * 3


async def test_seats_have_stable_ids_in_row_order(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    seats = [s async for s in iter_event_seats(resources.db, event_id)]
    assert len(seats) == 14
    first = seats[0]
    assert first.seat_id == "A:r-1:s-1"
    assert (first.section_id, first.row_label, first.seat_label, first.order) == ("A", "1", "1", 0)
    assert [s.order for s in seats[:4]] == [0, 1, 2, 3]
    vip = [s for s in seats if s.section_id == "VIP"]
    assert [(s.seat_id, s.price_level_id, s.accessibility) for s in vip] == [
        ("VIP:r-1:s-1", "p2", ("wheelchair",)),
        ("VIP:r-1:s-2", "p2", ()),
    ]
    assert len({s.seat_id for s in seats}) == 14


async def test_seat_ids_survive_reimport(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    before = [s.seat_id async for s in iter_event_seats(resources.db, event_id)]
    r = await client.put(
        f"/venues/{venue_id}/layout", json={"sections": small_venue()["sections"]}, headers=org_a
    )
    assert r.status_code == 200
    after = [s.seat_id async for s in iter_event_seats(resources.db, event_id)]
    assert after == before


async def test_layout_has_blocked_seats_and_ga_areas(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    body = small_venue()
    body["sections"][0]["rows"][0]["seats"][3]["blocked"] = True
    venue_id = await create_venue(client, org_a, body)
    event_id = await create_event(client, org_a, venue_id)
    layout = await event_layout(resources.db, event_id)
    assert layout.venue_id == venue_id
    assert [(a.area_id, a.capacity, a.price_level_id) for a in layout.ga_areas] == [
        ("pista", 100, "p3")
    ]
    blocked = [s.seat_id for s in layout.seats if s.blocked]
    assert blocked == ["A:r-1:s-4"]
    assert len(layout.sellable_seat_ids) == 13


async def test_unknown_event_raises_not_found(resources: Resources) -> None:
    with pytest.raises(EventNotFound):
        await get_sales_view(resources.db, "evt_missing")


async def test_sells_only_inside_the_window(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    r = await client.post(f"/events/{event_id}/status", json={"status": "published"}, headers=org_a)
    assert r.status_code == 200
    r = await client.post(f"/events/{event_id}/status", json={"status": "on_sale"}, headers=org_a)
    assert r.status_code == 200
    view = await get_sales_view(resources.db, event_id)
    on_sale_at, off_sale_at = view.sales.on_sale_at, view.sales.off_sale_at
    assert on_sale_at is not None
    assert off_sale_at is not None
    assert view.is_selling(on_sale_at)
    assert not view.is_selling(on_sale_at - timedelta(seconds=1))
    assert not view.is_selling(off_sale_at)
