"""MongoDB access for webhook subscriptions and deliveries."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database
from ticketsafe.webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"


async def insert_subscription(db: Database, sub: Subscription, secret: str) -> None:
    doc = sub.model_dump(exclude={"id"})
    doc.update({"_id": sub.id, "secret": secret})
    await db[SUBSCRIPTIONS].insert_one(doc)


def _sub(doc: dict[str, Any]) -> Subscription:
    return Subscription(
        id=doc["_id"], **{k: v for k, v in doc.items() if k in Subscription.model_fields}
    )


async def subscriptions_of(db: Database, org_id: str) -> list[Subscription]:
    cursor = db[SUBSCRIPTIONS].find({"org_id": org_id}).sort("created_at", ASCENDING)
    return [_sub(d) async for d in cursor]


async def subscribed_to(db: Database, org_id: str, event_type: str) -> list[Subscription]:
    cursor = db[SUBSCRIPTIONS].find({"org_id": org_id, "events": event_type, "active": True})
    return [_sub(d) async for d in cursor]


async def secret_of(db: Database, subscription_id: str) -> tuple[Subscription, str] | None:
    doc = await db[SUBSCRIPTIONS].find_one({"_id": subscription_id})
    return (_sub(doc), str(doc["secret"])) if doc else None


async def delete_subscription(db: Database, org_id: str, subscription_id: str) -> bool:
    result = await db[SUBSCRIPTIONS].delete_one({"_id": subscription_id, "org_id": org_id})
    return result.deleted_count == 1


async def insert_deliveries(db: Database, deliveries: list[Delivery]) -> None:
    if deliveries:
        docs = [{"_id": d.id, **d.model_dump(exclude={"id"})} for d in deliveries]
        await db[DELIVERIES].insert_many(docs, ordered=False)


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


async def deliveries_of(
    db: Database, org_id: str, subscription_id: str, limit: int
) -> list[Delivery]:
    cursor = (
        db[DELIVERIES]
        .find({"org_id": org_id, "subscription_id": subscription_id})
        .sort("created_at", DESCENDING)
        .limit(limit)
    )
    return [_delivery(d) async for d in cursor]


async def _indexes(db: Database) -> None:
    await db[SUBSCRIPTIONS].create_index(
        [("org_id", ASCENDING), ("events", ASCENDING)], name="org_events"
    )
    await db[DELIVERIES].create_index(
        [("org_id", ASCENDING), ("subscription_id", ASCENDING), ("created_at", DESCENDING)],
        name="org_subscription_created",
    )


MIGRATIONS = [Migration(590, "webhook subscriptions and deliveries", _indexes)]
