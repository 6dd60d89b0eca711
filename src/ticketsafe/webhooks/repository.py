"""MongoDB access for webhook subscriptions and deliveries."""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database, per_database
from ticketsafe.infra.pagination import Page, keyset_page
from ticketsafe.infra.redrive import create_created_index
from ticketsafe.webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
MARKS = "webhook_marks"  # where the reconciliation's walk stands
_DUPLICATE_KEY = 11000


# Every order transition asks "who subscribed to this?" — on a flash sale that is two
# reads per order of a collection that almost never changes. Each process remembers an
# organization's active subscriptions for a few seconds; changes made through this
# process apply at once, changes made through another API instance within `_FRESH_S`.
_FRESH_S = 5.0


class _ActiveSubscriptions:
    def __init__(self) -> None:
        self.by_org: dict[str, tuple[float, list[Subscription]]] = {}


def _active(db: Database) -> _ActiveSubscriptions:
    return per_database(db, "webhooks:active_subscriptions", _ActiveSubscriptions)


async def insert_subscription(db: Database, sub: Subscription, secret: str) -> None:
    doc = sub.model_dump(exclude={"id"})
    doc.update({"_id": sub.id, "secret": secret})
    await db[SUBSCRIPTIONS].insert_one(doc)
    _active(db).by_org.pop(sub.org_id, None)


def _sub(doc: dict[str, Any]) -> Subscription:
    return Subscription(
        id=doc["_id"], **{k: v for k, v in doc.items() if k in Subscription.model_fields}
    )


async def subscriptions_of(db: Database, org_id: str) -> list[Subscription]:
    cursor = db[SUBSCRIPTIONS].find({"org_id": org_id}).sort("created_at", ASCENDING)
    return [_sub(d) async for d in cursor]


async def subscribed_to(db: Database, org_id: str, event_type: str) -> list[Subscription]:
    cache = _active(db)
    now = time.monotonic()
    known = cache.by_org.get(org_id)
    if known is None or now - known[0] >= _FRESH_S:
        cursor = db[SUBSCRIPTIONS].find({"org_id": org_id, "active": True})
        known = cache.by_org[org_id] = (now, [_sub(d) async for d in cursor])
    return [sub for sub in known[1] if event_type in sub.events]


async def secret_of(db: Database, subscription_id: str) -> tuple[Subscription, str] | None:
    doc = await db[SUBSCRIPTIONS].find_one({"_id": subscription_id})
    return (_sub(doc), str(doc["secret"])) if doc else None


async def delete_subscription(db: Database, org_id: str, subscription_id: str) -> bool:
    result = await db[SUBSCRIPTIONS].delete_one({"_id": subscription_id, "org_id": org_id})
    _active(db).by_org.pop(org_id, None)
    return result.deleted_count == 1


async def insert_deliveries(db: Database, deliveries: list[Delivery]) -> set[str]:
    """Deliveries already stored (the same event published again) are left as they are.
    Returns the ids of those stored now."""
    if not deliveries:
        return set()
    docs = [{"_id": d.id, **d.model_dump(exclude={"id"})} for d in deliveries]
    try:
        await db[DELIVERIES].insert_many(docs, ordered=False)
    except BulkWriteError as e:
        errors = e.details["writeErrors"]
        if any(err.get("code") != _DUPLICATE_KEY for err in errors):
            raise
        existing = {int(err["index"]) for err in errors}
        return {d.id for i, d in enumerate(deliveries) if i not in existing}
    return {d.id for d in deliveries}


async def subscribed_orgs(db: Database, event_types: list[str]) -> list[str]:
    """The organizations with an active subscription to any of `event_types`."""
    cursor = db[SUBSCRIPTIONS].find({"active": True, "events": {"$in": event_types}}, {"org_id": 1})
    return sorted({str(d["org_id"]) async for d in cursor})


async def mark(db: Database, name: str) -> dict[str, Any] | None:
    return await db[MARKS].find_one({"_id": name})


async def set_mark(db: Database, name: str, fields: dict[str, Any]) -> None:
    await db[MARKS].update_one({"_id": name}, {"$set": fields}, upsert=True)


def _delivery(doc: dict[str, Any]) -> Delivery:
    return Delivery(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


async def get_delivery(db: Database, delivery_id: str) -> Delivery | None:
    doc = await db[DELIVERIES].find_one({"_id": delivery_id})
    return _delivery(doc) if doc else None


async def record_attempt(
    db: Database, delivery_id: str, attempt: Attempt, status: DeliveryStatus
) -> None:
    await db[DELIVERIES].update_one(
        {"_id": delivery_id},
        {"$push": {"attempts": attempt.model_dump()}, "$set": {"status": status.value}},
    )


async def subscription_of(db: Database, org_id: str, subscription_id: str) -> Subscription | None:
    """The organization's subscription; None for an unknown one or another's."""
    doc = await db[SUBSCRIPTIONS].find_one({"_id": subscription_id, "org_id": org_id})
    return _sub(doc) if doc else None


async def deliveries_of(
    db: Database, org_id: str, subscription_id: str, limit: int, cursor: str | None = None
) -> Page[Delivery]:
    """One page of the subscription's delivery log, newest first (`infra.pagination`)."""
    query = {"org_id": org_id, "subscription_id": subscription_id}
    return await keyset_page(db[DELIVERIES], query, cursor=cursor, limit=limit, model=_delivery)


async def _indexes(db: Database) -> None:
    await db[SUBSCRIPTIONS].create_index(
        [("org_id", ASCENDING), ("events", ASCENDING)], name="org_events"
    )
    await db[DELIVERIES].create_index(
        [("org_id", ASCENDING), ("subscription_id", ASCENDING), ("created_at", DESCENDING)],
        name="org_subscription_created",
    )


async def _by_creation(db: Database) -> None:
    """What the re-drive of deliveries whose job was lost reads through."""
    await create_created_index(db, DELIVERIES)


MIGRATIONS = [
    Migration(590, "webhook subscriptions and deliveries", _indexes),
    Migration(591, "webhook deliveries by creation time (re-drive)", _by_creation),
]
