"""The sales clock opens sales at on_sale_at and ends events after ends_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.catalog.conftest import Headers, create_event, create_venue, move
from ticketsafe.catalog.events.tasks import ACTOR, advance_sales_clock
from ticketsafe.infra.audit import AUDIT_COLLECTION
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.resources import Resources

ON_SALE_AT = datetime(2030, 1, 11, 20, tzinfo=UTC)  # conftest.event_payload(days=30)
ENDS_AT = datetime(2030, 1, 31, 23, tzinfo=UTC)


def _ctx(resources: Resources) -> JobContext:
    return JobContext(
        resources.db, resources.redis, resources.queue, resources.settings, resources.http
    )


async def _status(client: httpx.AsyncClient, event_id: str) -> str:
    return str((await client.get(f"/events/{event_id}")).json()["status"])


async def test_opens_sales_when_due(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    assert await advance_sales_clock(_ctx(resources), ON_SALE_AT - timedelta(seconds=1)) == 0
    assert await _status(client, event_id) == "published"
    assert await advance_sales_clock(_ctx(resources), ON_SALE_AT) == 1
    assert await _status(client, event_id) == "on_sale"
    entry = await resources.db[AUDIT_COLLECTION].find_one(
        {"subject": event_id, "action": "event.on_sale"}
    )
    assert entry is not None
    assert entry["actor"] == ACTOR


async def test_drafts_never_open(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    assert await advance_sales_clock(_ctx(resources), ENDS_AT + timedelta(days=1)) == 0
    assert (await client.get(f"/events/{event_id}", headers=org_a)).json()["status"] == "draft"


async def test_ends_sold_out_event_after_its_end(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published", "on_sale", "sold_out")
    assert await advance_sales_clock(_ctx(resources), ENDS_AT - timedelta(minutes=1)) == 0
    assert await advance_sales_clock(_ctx(resources), ENDS_AT) == 1
    assert await _status(client, event_id) == "ended"
