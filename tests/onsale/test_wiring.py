"""The composition between catalog, inventory and waiting room, through the real API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.members import add_member
from tests.orders.conftest import ORG, Sale, bearer, event, venue
from tests.waitingroom.conftest import auth, http_join
from ticketsafe.catalog.events.tasks import advance_sales_clock
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.service import InventoryService
from ticketsafe.onsale.service import supply_probe
from ticketsafe.services import Services
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys


async def _draft(
    app: FastAPI, client: httpx.AsyncClient, **extra: object
) -> tuple[str, dict[str, str]]:
    await add_member(app.state.resources, ORG, "usr_org")
    organizer = bearer(app, Principal("usr_org", frozenset({Role.ORGANIZER})))
    r = await client.post(f"/organizations/{ORG}/venues", json=venue(), headers=organizer)
    r = await client.post(
        f"/organizations/{ORG}/events", json=event(r.json()["id"], **extra), headers=organizer
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), organizer


async def test_publishing_provisions_inventory_and_the_sales_clock_keeps_it(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    event_id, organizer = await _draft(app, client)
    assert (await client.get(f"/events/{event_id}/availability")).status_code == 404  # draft
    r = await client.post(
        f"/events/{event_id}/status", json={"status": "published"}, headers=organizer
    )
    assert r.status_code == 200
    availability = await client.get(f"/events/{event_id}/availability")
    assert availability.status_code == 200
    body = availability.json()
    assert len(body["seats"]) == 10
    assert body["ga"]["pista"]["available"] == 20
    ctx = JobContext(
        resources.db, resources.redis, resources.queue, resources.settings, resources.http
    )
    listeners = Services.build(resources).status_listeners  # as the worker's
    assert await advance_sales_clock(ctx, listeners=listeners) == 1
    r = await client.get(f"/events/{event_id}", headers=organizer)
    assert r.json()["status"] == "on_sale"
    assert (await client.get(f"/events/{event_id}/availability")).json() == body


async def test_holds_need_admission_while_the_queue_is_active(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    on_sale = datetime.now(UTC) + timedelta(minutes=10)
    event_id, organizer = await _draft(
        app, client,
        sales={"on_sale_at": on_sale.isoformat(),
               "off_sale_at": (on_sale + timedelta(days=5)).isoformat()},
        waiting_room={"enabled": True, "pre_queue_minutes": 30, "admission_rate_per_minute": 60},
    )  # fmt: skip
    for status in ("published", "on_sale"):
        r = await client.post(
            f"/events/{event_id}/status", json={"status": status}, headers=organizer
        )
        assert r.status_code == 200, r.text
    buyer = bearer(app, Principal("usr_1"))
    hold = {"kind": "ga", "area_id": "pista", "quantity": 1}
    refused = await client.post(f"/events/{event_id}/holds", json=hold, headers=buyer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "admission_required"
    forged = await client.post(
        f"/events/{event_id}/holds", json=hold, headers={**buyer, "x-admission-token": "x.y"}
    )
    assert forged.status_code == 403
    challenge = await client.post(f"/waitingroom/events/{event_id}/challenge", headers=buyer)
    assert challenge.status_code == 200, challenge.text


async def test_the_waiting_room_pauses_while_everything_is_held_and_says_sold_out(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    """The admission tick asks the real inventory what is left (`supply_probe`)."""
    event_id, organizer = await _draft(
        app, client, waiting_room={"enabled": True, "pow_difficulty": 0}
    )
    for status in ("published", "on_sale"):
        r = await client.post(
            f"/events/{event_id}/status", json={"status": status}, headers=organizer
        )
        assert r.status_code == 200, r.text
    admission = f"/waitingroom/events/{event_id}/admission"
    r = await client.patch(admission, json={"mode": "auto", "target_active": 3}, headers=organizer)
    assert r.status_code == 200, r.text
    for user in ("usr_1", "usr_2", "usr_3", "usr_4"):
        assert (await http_join(client, app, event_id, user)).status_code == 200
    inventory = Services.build(resources).inventory
    admissions = Admissions(resources.db, resources.redis, supply_probe(resources.db, inventory))
    await admissions.tick()

    async def place(user: str) -> dict[str, Any]:
        r = await client.get(f"/waitingroom/events/{event_id}/status", headers=auth(app, user))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def hold(user: str, body: dict[str, Any]) -> dict[str, Any]:
        token = (await place(user))["admission_token"]
        r = await client.post(
            f"/events/{event_id}/holds", json=body,
            headers={**auth(app, user), "x-admission-token": token},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        return dict(r.json())

    seats = sorted((await client.get(f"/events/{event_id}/availability")).json()["seats"])
    holds = {
        "usr_1": await hold("usr_1", {"kind": "ga", "area_id": "pista", "quantity": 10}),
        "usr_2": await hold("usr_2", {"kind": "ga", "area_id": "pista", "quantity": 10}),
        "usr_3": await hold("usr_3", {"kind": "seats", "seat_ids": seats}),
    }
    # Room for seven more shoppers, but every unit is held: usr_4 stays in line.
    r = await client.patch(admission, json={"target_active": 10}, headers=organizer)
    assert r.status_code == 200, r.text
    await admissions.tick()
    waiting = await place("usr_4")
    assert (waiting["state"], waiting["supply"]) == ("queued", "all_held")
    r = await client.get(f"/waitingroom/events/{event_id}/stats", headers=organizer)
    assert r.json()["supply"] == "all_held"

    # usr_1 gives the hold back: the line moves.
    r = await client.delete(
        f"/events/{event_id}/holds/{holds['usr_1']['hold_id']}", headers=auth(app, "usr_1")
    )
    assert r.status_code == 204, r.text
    await admissions.tick()
    admitted = await place("usr_4")
    assert (admitted["state"], admitted["supply"]) == ("admitted", "available")

    # Everything sold, nothing held: sold out.
    holds["usr_4"] = await hold("usr_4", {"kind": "ga", "area_id": "pista", "quantity": 10})
    inventory = InventoryService(resources.db, resources.redis)
    for n, user in enumerate(("usr_2", "usr_3", "usr_4")):
        await inventory.commit_sale(holds[user]["hold_id"], f"ord_{n}", user)
    await admissions.tick()
    assert (await place("usr_4"))["supply"] == "sold_out"


async def test_a_checkout_records_its_latency_for_adaptive_admission(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    """The signal adaptive admission follows: every checkout of a queued event leaves its
    latency in the event's waiting-room keys, and the organizer's stats show it."""
    event_id, organizer = await _draft(
        app, client, waiting_room={"enabled": True, "pow_difficulty": 0}
    )
    for status in ("published", "on_sale"):
        r = await client.post(
            f"/events/{event_id}/status", json={"status": status}, headers=organizer
        )
        assert r.status_code == 200, r.text
    admission = f"/waitingroom/events/{event_id}/admission"
    r = await client.patch(admission, json={"mode": "adaptive"}, headers=organizer)
    assert r.status_code == 200, r.text
    assert (await http_join(client, app, event_id, "usr_1")).status_code == 200
    probe = supply_probe(resources.db, Services.build(resources).inventory)
    await Admissions(resources.db, resources.redis, probe).tick()
    buyer = auth(app, "usr_1")
    r = await client.get(f"/waitingroom/events/{event_id}/status", headers=buyer)
    token = r.json()["admission_token"]
    sale = Sale(event_id, organizer, app, client)
    hold = await sale.hold({**buyer, "x-admission-token": token},
                           {"kind": "ga", "area_id": "pista", "quantity": 1})  # fmt: skip
    r = await sale.checkout(buyer, hold, method="bank_transfer")
    assert r.status_code == 201, r.text
    assert await resources.redis.llen(QueueKeys(event_id).latency) == 1
    stats = (await client.get(f"/waitingroom/events/{event_id}/stats", headers=organizer)).json()
    assert stats["mode"] == "adaptive"
    assert stats["checkout_latency_ms"] > 0
