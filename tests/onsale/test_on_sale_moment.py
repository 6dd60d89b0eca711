"""The on-sale moment (invariant 8): inventory exists before anyone is admitted, an
admitted buyer holds at once, a sale started by hand opens the queue at once, and the
sales window moves (with the pre-queue told) until the sale starts.

No test here runs the catalog's sales clock unless it says so: nothing a buyer does at
the on-sale moment may wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from tests.members import add_member
from tests.orders.conftest import ORG, bearer, event, venue
from tests.waitingroom.conftest import auth, http_join, wait_until
from ticketsafe.catalog.events import service as event_service
from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.resources import Resources
from ticketsafe.onsale.service import configure_waiting_room, supply_probe
from ticketsafe.services import Services
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.live import status_stream
from ticketsafe.waitingroom.service import WaitingRoom

GA = {"kind": "ga", "area_id": "pista", "quantity": 1}


def _window(on_sale: datetime) -> dict[str, str]:
    return {
        "on_sale_at": on_sale.isoformat(),
        "off_sale_at": (on_sale + timedelta(days=5)).isoformat(),
    }


async def _event(
    app: FastAPI, client: httpx.AsyncClient, on_sale: datetime, *, queue: bool, publish: bool
) -> tuple[str, dict[str, str]]:
    await add_member(app.state.resources, ORG, "usr_org")
    organizer = bearer(app, Principal("usr_org", frozenset({Role.ORGANIZER})))
    r = await client.post(f"/organizations/{ORG}/venues", json=venue(), headers=organizer)
    extra: dict[str, Any] = {"sales": _window(on_sale)}
    if queue:
        extra["waiting_room"] = {
            "enabled": True, "pre_queue_minutes": 30, "pow_difficulty": 0,
            "admission_rate_per_minute": 60_000,
        }  # fmt: skip
    r = await client.post(
        f"/organizations/{ORG}/events", json=event(r.json()["id"], **extra), headers=organizer
    )
    assert r.status_code == 201, r.text
    event_id = str(r.json()["id"])
    if publish:
        await _status(client, organizer, event_id, "published")
    return event_id, organizer


async def _status(
    client: httpx.AsyncClient, organizer: dict[str, str], event_id: str, status: str
) -> dict[str, Any]:
    r = await client.post(f"/events/{event_id}/status", json={"status": status}, headers=organizer)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _admissions(resources: Resources) -> Admissions:
    """The worker's admission tick with the real inventory probe (as `ticketsafe.tasks`)."""
    inventory = Services.build(resources).inventory
    return Admissions(resources.db, resources.redis, supply_probe(resources.db, inventory))


async def _place(app: FastAPI, client: httpx.AsyncClient, event_id: str, user: str) -> Any:
    r = await client.get(f"/waitingroom/events/{event_id}/status", headers=auth(app, user))
    assert r.status_code == 200, r.text
    return r.json()


async def _hold(
    app: FastAPI, client: httpx.AsyncClient, event_id: str, user: str, token: str | None = None
) -> httpx.Response:
    headers = auth(app, user)
    if token is not None:
        headers["x-admission-token"] = token
    return await client.post(f"/events/{event_id}/holds", json=GA, headers=headers)


async def test_a_scheduled_on_sale_admits_buyers_who_hold_at_once(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    on_sale = datetime.now(UTC) + timedelta(seconds=2)
    event_id, organizer = await _event(app, client, on_sale, queue=True, publish=True)
    assert (await http_join(client, app, event_id, "usr_1")).json()["state"] == "pre_queue"
    admissions = _admissions(resources)
    await admissions.tick()  # before on-sale: no draw, nobody in
    assert (await _place(app, client, event_id, "usr_1"))["state"] == "pre_queue"
    await wait_until(on_sale)
    for _ in range(20):  # the tick's draw waits for Redis's clock to reach on-sale
        await admissions.tick()
        place = await _place(app, client, event_id, "usr_1")
        if place["state"] == "admitted":
            break
        await asyncio.sleep(0.05)
    assert place["state"] == "admitted", place
    r = await _hold(app, client, event_id, "usr_1", place["admission_token"])
    assert r.status_code == 201, r.text  # the first attempt, right after admission
    # Both instants by Redis's clock: the admission, and the hold (its expiry less its
    # duration). The sales clock never ran: the stored status is still `published`.
    admitted_ms = datetime.fromisoformat(place["admitted_at"]).timestamp() * 1000
    held_ms = r.json()["expires_at_ms"] - 600_000
    assert 0 <= held_ms - admitted_ms < 100, held_ms - admitted_ms
    r = await client.get(f"/events/{event_id}", headers=organizer)
    assert r.json()["status"] == "published"


async def test_without_a_waiting_room_holds_open_at_on_sale_at_not_before(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    on_sale = datetime.now(UTC) + timedelta(seconds=1.5)
    event_id, _ = await _event(app, client, on_sale, queue=False, publish=True)
    early = await _hold(app, client, event_id, "usr_1")
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "sales_not_open"
    assert datetime.fromisoformat(early.json()["opens_at"]) == on_sale.replace(
        microsecond=on_sale.microsecond // 1000 * 1000
    )
    await wait_until(on_sale)
    on_time = await _hold(app, client, event_id, "usr_1")
    assert on_time.status_code == 201, on_time.text


async def test_the_admission_tick_provisions_a_missing_inventory_before_admitting(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    """An event published without its listeners (as before provisioning at publish, or
    when that attempt failed): the tick provisions it first, then admits."""
    on_sale = datetime.now(UTC) - timedelta(seconds=1)
    event_id, _ = await _event(app, client, on_sale, queue=True, publish=False)
    await event_service.change_status(
        resources.db, resources.redis, event_id, EventStatus.PUBLISHED, actor="test"
    )
    room = WaitingRoom.from_resources(resources)
    assert await configure_waiting_room(resources.db, room, event_id)
    assert (await http_join(client, app, event_id, "usr_1")).status_code == 200
    assert (await client.get(f"/events/{event_id}/availability")).status_code == 404
    await _admissions(resources).tick()
    place = await _place(app, client, event_id, "usr_1")
    assert place["state"] == "admitted"
    r = await _hold(app, client, event_id, "usr_1", place["admission_token"])
    assert r.status_code == 201, r.text


async def test_the_admission_tick_provisions_no_cancelled_event(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    on_sale = datetime.now(UTC) - timedelta(seconds=1)
    event_id, _ = await _event(app, client, on_sale, queue=True, publish=False)
    for status in (EventStatus.PUBLISHED, EventStatus.CANCELLED):  # without the listeners
        await event_service.change_status(
            resources.db, resources.redis, event_id, status, actor="test"
        )
    room = WaitingRoom.from_resources(resources)
    assert await configure_waiting_room(resources.db, room, event_id)
    assert (await http_join(client, app, event_id, "usr_1")).status_code == 200
    await _admissions(resources).tick()
    assert (await _place(app, client, event_id, "usr_1"))["state"] == "queued"
    assert (await client.get(f"/events/{event_id}/availability")).status_code == 404


async def test_admission_waits_while_the_inventory_is_not_open(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    """The queue's on-sale came but the inventory is closed until later (a window moved
    meanwhile): drawn, nobody admitted — an admitted buyer could not hold."""
    on_sale = datetime.now(UTC) + timedelta(minutes=10)
    event_id, _ = await _event(app, client, on_sale, queue=True, publish=True)
    room = WaitingRoom.from_resources(resources)
    stored = await room.repo.get(event_id)
    assert stored is not None
    early = stored.config.model_copy(update={"on_sale_at": datetime.now(UTC)})
    await room.configure_queue(early)  # the queue alone thinks the sale has started
    assert (await http_join(client, app, event_id, "usr_1")).status_code == 200
    await _admissions(resources).tick()
    place = await _place(app, client, event_id, "usr_1")
    assert place["state"] == "queued"


async def test_starting_the_sale_by_hand_opens_the_queue_at_once(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    on_sale = datetime.now(UTC) + timedelta(minutes=10)
    event_id, organizer = await _event(app, client, on_sale, queue=True, publish=True)
    for user in ("usr_1", "usr_2", "usr_3"):
        assert (await http_join(client, app, event_id, user)).json()["state"] == "pre_queue"
    before = datetime.now(UTC)
    started = await _status(client, organizer, event_id, "on_sale")
    starts = datetime.fromisoformat(started["sales"]["on_sale_at"])
    assert before <= starts <= datetime.now(UTC)  # the sale starts now, for everyone
    drawn = (await client.get(f"/waitingroom/events/{event_id}/draw")).json()
    assert len(drawn["order"]) == 3  # drawn at once, in the organizer's request
    places = [await _place(app, client, event_id, u) for u in ("usr_1", "usr_2", "usr_3")]
    assert sorted(p["position"] for p in places) == [1, 2, 3]
    await _admissions(resources).tick()
    place = await _place(app, client, event_id, "usr_1")
    assert place["state"] == "admitted"
    r = await _hold(app, client, event_id, "usr_1", place["admission_token"])
    assert r.status_code == 201, r.text
    audit = await resources.db["audit_log"].find_one(
        {"subject": event_id, "action": "event.on_sale"}
    )
    assert audit is not None
    assert audit["data"]["on_sale_at"]["was"] is not None


async def _pushed(stream: AsyncIterator[str]) -> dict[str, Any]:
    """The next status event of an SSE stream."""
    async with asyncio.timeout(10):
        async for chunk in stream:
            if chunk.startswith("event: status"):
                data = chunk.split("data: ", 1)[1]
                return dict(orjson.loads(data))
    raise AssertionError("the stream ended")


async def test_the_sales_window_moves_until_the_sale_starts_and_the_pre_queue_is_told(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    on_sale = datetime.now(UTC) + timedelta(minutes=10)
    event_id, organizer = await _event(app, client, on_sale, queue=True, publish=True)
    assert (await http_join(client, app, event_id, "usr_1")).status_code == 200
    room = WaitingRoom.from_resources(resources)
    stream: AsyncGenerator[str] = status_stream(
        room, Hub(resources.redis), event_id, Principal("usr_1"), max_s=30
    )
    try:
        first = await _pushed(stream)
        assert datetime.fromisoformat(first["on_sale_at"]) == on_sale.replace(
            microsecond=on_sale.microsecond // 1000 * 1000
        )
        later = (on_sale + timedelta(minutes=20)).replace(microsecond=0)
        r = await client.patch(
            f"/events/{event_id}", json={"sales": _window(later)}, headers=organizer
        )
        assert r.status_code == 200, r.text
        pushed = await _pushed(stream)  # woken by the change, not by its own pace
        assert datetime.fromisoformat(pushed["on_sale_at"]) == later
        assert pushed["state"] == "pre_queue"
    finally:
        await stream.aclose()
    place = await _place(app, client, event_id, "usr_1")
    assert datetime.fromisoformat(place["on_sale_at"]) == later

    past = await client.patch(
        f"/events/{event_id}",
        json={"sales": _window(datetime.now(UTC) - timedelta(minutes=1))},
        headers=organizer,
    )
    assert past.status_code == 422, past.text
    assert past.json()["errors"][0]["code"] == "on_sale_in_past"
    other = await client.patch(f"/events/{event_id}", json={"name": "x"}, headers=organizer)
    assert other.status_code == 409  # only the sales window, besides texts and images


async def test_moving_the_sales_window_moves_when_holds_open(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    event_id, organizer = await _event(
        app, client, datetime.now(UTC) + timedelta(minutes=10), queue=False, publish=True
    )
    sooner = datetime.now(UTC) + timedelta(seconds=1.5)
    r = await client.patch(
        f"/events/{event_id}", json={"sales": _window(sooner)}, headers=organizer
    )
    assert r.status_code == 200, r.text
    early = await _hold(app, client, event_id, "usr_1")
    assert early.json()["code"] == "sales_not_open"
    await wait_until(sooner)
    on_time = await _hold(app, client, event_id, "usr_1")
    assert on_time.status_code == 201, on_time.text  # not ten minutes later


async def test_the_sales_window_is_fixed_once_the_sale_started(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    on_sale = datetime.now(UTC) - timedelta(minutes=1)  # started, not yet flipped by the clock
    event_id, organizer = await _event(app, client, on_sale, queue=False, publish=True)
    later = _window(datetime.now(UTC) + timedelta(hours=1))
    r = await client.patch(f"/events/{event_id}", json={"sales": later}, headers=organizer)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "event_not_editable"
    await _status(client, organizer, event_id, "on_sale")
    r = await client.patch(f"/events/{event_id}", json={"sales": later}, headers=organizer)
    assert r.status_code == 409, r.text
