"""Publishing events to organizers' endpoints, and delivering them (worker)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from ticketsafe.infra.errors import NotFound
from ticketsafe.infra.jobs import JobBuffer, JobContext
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.pagination import Page
from ticketsafe.infra.redrive import Outbox
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, sign
from ticketsafe.webhooks import repository as repo
from ticketsafe.webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionCreate,
    SubscriptionCreated,
)
from ticketsafe.webhooks.targets import PrivateTarget, check_resolved, check_url

DELIVER_JOB = "webhooks.deliver"

# A delivery still pending half an hour after it was published lost its job (its retries
# are over by then; see `ticketsafe.infra.redrive`): it gets one again.
DELIVERIES_OUTBOX = Outbox(
    repo.DELIVERIES, {"status": DeliveryStatus.PENDING.value}, DELIVER_JOB, "delivery_id"
)


class DeliveryFailed(RuntimeError):
    """Raised in the worker so the job queue retries with back-off."""


async def subscribe(
    db: Database, org_id: str, body: SubscriptionCreate, *, allow_private: bool
) -> SubscriptionCreated:
    url = str(body.url)
    check_url(url, allow_private=allow_private)
    sub = Subscription(
        id=f"whk_{secrets.token_urlsafe(10)}",
        org_id=org_id,
        url=url,
        events=sorted(set(body.events)),
        description=body.description,
        created_at=datetime.now(UTC),
    )
    secret = f"whsec_{secrets.token_urlsafe(24)}"
    await repo.insert_subscription(db, sub, secret)
    return SubscriptionCreated(**sub.model_dump(), secret=secret)


async def unsubscribe(db: Database, org_id: str, subscription_id: str) -> None:
    if not await repo.delete_subscription(db, org_id, subscription_id):
        raise NotFound("no such webhook subscription", code="webhook_not_found")


async def deliveries(
    db: Database, org_id: str, subscription_id: str, cursor: str | None, limit: int
) -> Page[Delivery]:
    """The delivery log of one of the organization's subscriptions; 404 for another
    organization's subscription id (nested ids must belong to the path's parent)."""
    if await repo.subscription_of(db, org_id, subscription_id) is None:
        raise NotFound("no such webhook subscription", code="webhook_not_found")
    return await repo.deliveries_of(db, org_id, subscription_id, limit, cursor)


async def publish(
    db: Database,
    jobs: JobBuffer,
    org_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    created: datetime | None = None,
    requeue: bool = True,
) -> int:
    """Queue one delivery per subscription of `org_id` to `event_type`; returns how many
    delivery jobs it queued. An `event_id` given by the caller makes publishing
    idempotent: its deliveries' ids derive from it, and publishing it again stores
    nothing new (a retried job). Deliveries already stored get their job again unless
    `requeue` is False (a reconciliation: their job was queued; the re-drive covers it)."""
    now = created or datetime.now(UTC)
    event_id = event_id or f"evt_{secrets.token_urlsafe(12)}"
    deliveries = [
        Delivery(
            id=_delivery_id(event_id, sub.id),
            subscription_id=sub.id,
            org_id=org_id,
            event_type=event_type,
            payload={
                "id": event_id,
                "type": event_type,
                "created": int(now.timestamp()),
                "data": data,
            },
            status=DeliveryStatus.PENDING,
            created_at=now,
        )
        for sub in await repo.subscribed_to(db, org_id, event_type)
    ]
    stored = await repo.insert_deliveries(db, deliveries)
    queued = [d for d in deliveries if requeue or d.id in stored]
    for delivery in queued:
        jobs.defer(DELIVER_JOB, {"delivery_id": delivery.id})
    return len(queued)


def _delivery_id(event_id: str, subscription_id: str) -> str:
    return f"dlv_{hashlib.sha256(f'{event_id}:{subscription_id}'.encode()).hexdigest()[:20]}"


async def deliver(ctx: JobContext, delivery_id: str) -> None:
    """POST the delivery, signed with the subscription's secret; log every attempt."""
    delivery = await repo.get_delivery(ctx.db, delivery_id)
    if delivery is None or delivery.status is not DeliveryStatus.PENDING:
        return  # already delivered (at-least-once queue) or given up
    found = await repo.secret_of(ctx.db, delivery.subscription_id)
    if found is None:
        return  # unsubscribed meanwhile
    sub, secret = found
    body = orjson.dumps(delivery.payload)
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        await check_resolved(sub.url, allow_private=ctx.settings.webhooks_allow_private_targets)
        response = await ctx.http.post(
            sub.url,
            content=body,
            headers={
                "content-type": "application/json",
                SIGNATURE_HEADER: sign(secret, body),
                "user-agent": "TicketSafe-Webhooks/1",
            },
        )
        status_code = response.status_code
        if status_code >= 300:
            error = f"answered {status_code}"
    except (httpx.HTTPError, OSError, PrivateTarget) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    ok = error is None
    tries = len(delivery.attempts) + 1
    # The queue gives up after its max deliveries: the log must say "failed" by then.
    final = ok or tries >= ctx.queue.max_deliveries
    status = DeliveryStatus.DELIVERED if ok else DeliveryStatus.FAILED if final else delivery.status
    elapsed = int((time.perf_counter() - started) * 1000)
    record = Attempt(
        at=datetime.now(UTC), status_code=status_code, error=error, duration_ms=elapsed
    )
    await repo.record_attempt(ctx.db, delivery_id, record, status)
    if not final:
        raise DeliveryFailed(error or "not delivered")
