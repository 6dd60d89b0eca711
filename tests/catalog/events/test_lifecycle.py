"""The event state machine: allowed edges only, typed 409s, audit, races."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from tests.catalog.conftest import Headers, create_event, create_venue, event_payload, move
from ticketsafe.catalog.errors import InvalidTransition
from ticketsafe.catalog.events import service as event_service
from ticketsafe.catalog.events.lifecycle import EventStatus, check_transition
from ticketsafe.infra.audit import AUDIT_COLLECTION
from ticketsafe.infra.resources import Resources

S = EventStatus
ALLOWED = {
    (S.DRAFT, S.PUBLISHED),
    (S.DRAFT, S.CANCELLED),
    (S.PUBLISHED, S.ON_SALE),
    (S.PUBLISHED, S.CANCELLED),
    (S.ON_SALE, S.SOLD_OUT),
    (S.ON_SALE, S.ENDED),
    (S.ON_SALE, S.CANCELLED),
    (S.SOLD_OUT, S.ON_SALE),
    (S.SOLD_OUT, S.ENDED),
    (S.SOLD_OUT, S.CANCELLED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_only_listed_edges_allowed(current: EventStatus, target: EventStatus) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


async def test_full_life_is_audited(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published", "on_sale", "sold_out", "on_sale", "ended")
    entries = (
        await resources.db[AUDIT_COLLECTION]
        .find({"subject": event_id, "action": {"$ne": "event.created"}})
        .sort("at", 1)
        .to_list()
    )
    assert [(e["data"]["from"], e["data"]["to"]) for e in entries] == [
        ("draft", "published"),
        ("published", "on_sale"),
        ("on_sale", "sold_out"),
        ("sold_out", "on_sale"),
        ("on_sale", "ended"),
    ]
    assert {e["actor"] for e in entries} == {"user:usr_a"}


async def test_invalid_transition_is_typed_409(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    r = await client.post(f"/events/{event_id}/status", json={"status": "on_sale"}, headers=org_a)
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "invalid_transition"
    assert problem["allowed"] == ["cancelled", "published"]


async def test_publish_needs_every_category_priced(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id)
    body["price_levels"] = body["price_levels"][:1]
    body["sales"] = {}
    r = await client.post("/organizations/org_a/events", json=body, headers=org_a)
    event_id = r.json()["id"]
    r = await client.post(f"/events/{event_id}/status", json={"status": "published"}, headers=org_a)
    assert r.status_code == 422
    codes = sorted(e["code"] for e in r.json()["errors"])
    assert codes == ["sales_window_missing", "unpriced_ga_area", "unpriced_seat_category"]


async def test_concurrent_publish_succeeds_once(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    results = await asyncio.gather(
        *(
            event_service.change_status(
                resources.db, resources.redis, event_id, S.PUBLISHED, actor="test"
            )
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if isinstance(r, BaseException))
    audited = await resources.db[AUDIT_COLLECTION].count_documents(
        {"subject": event_id, "action": "event.published"}
    )
    assert audited == 1


async def test_cancelled_event_cannot_change(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "cancelled")
    r = await client.patch(f"/events/{event_id}", json={"description": "x"}, headers=org_a)
    assert r.status_code == 409
    assert r.json()["code"] == "event_not_editable"
