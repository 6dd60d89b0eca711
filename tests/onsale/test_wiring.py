"""The composition between catalog, inventory and waiting room, through the real API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from tests.orders.conftest import ORG, bearer, event, venue
from ticketsafe.catalog.tasks import advance_sales_clock
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.resources import Resources
from ticketsafe.onsale.service import worker_listeners


async def _draft(
    app: FastAPI, client: httpx.AsyncClient, **extra: object
) -> tuple[str, dict[str, str]]:
    organizer = bearer(app, Principal("usr_org", frozenset({Role.ORGANIZER}), (ORG,)))
    r = await client.post(f"/organizations/{ORG}/venues", json=venue(), headers=organizer)
    r = await client.post(
        f"/organizations/{ORG}/events", json=event(r.json()["id"], **extra), headers=organizer
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), organizer


async def test_the_sales_clock_opening_sales_provisions_inventory(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    event_id, organizer = await _draft(app, client)
    r = await client.post(
        f"/events/{event_id}/status", json={"status": "published"}, headers=organizer
    )
    assert r.status_code == 200
    assert (await client.get(f"/events/{event_id}/availability")).status_code == 404
    ctx = JobContext(
        resources.db, resources.redis, resources.queue, resources.settings, resources.http
    )
    assert await advance_sales_clock(ctx, listeners=worker_listeners(ctx)) == 1
    availability = await client.get(f"/events/{event_id}/availability")
    assert availability.status_code == 200
    body = availability.json()
    assert len(body["seats"]) == 10
    assert body["ga"]["pista"]["available"] == 20


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
