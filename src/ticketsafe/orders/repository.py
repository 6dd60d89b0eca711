"""MongoDB access for orders (collections `orders`, `ticket_type_counters`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from ticketsafe.infra.migrations import Migration, drop_index_if_present
from ticketsafe.infra.mongo_group import group_get, group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.pagination import Page, keyset_page
from ticketsafe.orders.models import NO_SALE, Order, OrderStatus

ORDERS = "orders"
COUNTERS = "ticket_type_counters"


def _model(doc: dict[str, Any]) -> Order:
    return Order(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def order_id_for(hold_id: str) -> str:
    """A hold's one possible order id, so the primary key itself keeps one order per
    hold. A hash: as unguessable as the hold id's 80 random bits, and it tells nothing
    about the hold. (It was a unique index on `hold_id`; on the embedded MongoDB-wire
    server every secondary index costs each write of the collection ~0.7 ms of its one
    core, whether or not the write touches the indexed field: bench/RESULTS.md.)"""
    digest = hashlib.sha256(hold_id.encode()).digest()[:12]
    return "ord_" + base64.urlsafe_b64encode(digest).decode()


def checkout_payment_id(order_id: str) -> str:
    """The id of the payment a checkout starts for its order: derived from the order's
    id (itself a hash of the hold), so the payment is found from the order even when
    the checkout stopped before recording it on the order."""
    return "pay_" + order_id.removeprefix("ord_")


def payment_id_of(order: Order) -> str:
    """The order's payment: as recorded, else the one its checkout started."""
    return order.payment_id or checkout_payment_id(order.id)


async def insert(db: Database, order: Order) -> bool:
    """False when the hold already has an order: its id is `order_id_for(hold_id)`."""
    if order.id != order_id_for(order.hold_id):
        raise ValueError(f"order {order.id} is not the order id of hold {order.hold_id}")
    doc = order.model_dump(exclude={"id"})
    doc["_id"] = order.id
    try:
        await group_insert(db, ORDERS).insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def get(db: Database, order_id: str) -> Order | None:
    doc = await group_get(db, ORDERS).get(order_id)
    return _model(doc) if doc else None


async def by_hold(db: Database, hold_id: str) -> Order | None:
    order = await get(db, order_id_for(hold_id))
    return order if order is not None and order.hold_id == hold_id else None


async def update_guarded(
    db: Database, order: Order, fields: dict[str, Any], entry: dict[str, Any] | None = None
) -> Order | None:
    """Write only if the order is still the version we read (no lost updates), with the
    audit `entry` of the change appended to its history in the same write. Returns the
    order as now stored (top-level `fields` applied, version bumped, `updated_at` at
    MongoDB's millisecond precision), without reading it back; None if it had changed."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    update: dict[str, Any] = {"$set": {**fields, "updated_at": now}, "$inc": {"version": 1}}
    if entry is not None:
        update["$push"] = {"history": entry}
    result = await db[ORDERS].update_one({"_id": order.id, "version": order.version}, update)
    if result.modified_count != 1:
        return None
    stored = {**order.model_dump(), **fields, "updated_at": now, "version": order.version + 1}
    if entry is not None:
        stored["history"] = [*order.history, entry]
    return Order.model_validate(stored)


async def overdue(db: Database, now: datetime, limit: int) -> list[Order]:
    cursor = (
        db[ORDERS]
        .find({"status": OrderStatus.PENDING_PAYMENT.value, "payment_deadline": {"$lt": now}})
        .limit(limit)
    )
    return [_model(d) async for d in cursor]


async def without_payment(
    db: Database, created_after: datetime, created_before: datetime, limit: int
) -> list[Order]:
    """Pending orders created in (`created_after`, `created_before`) that record no
    payment (a pending order records it only with its next change of state), oldest
    first: those a checkout stopped before its last write, among those waiting for
    their money."""
    query = {
        "status": OrderStatus.PENDING_PAYMENT.value,
        "payment_id": None,
        "created_at": {"$gt": created_after, "$lt": created_before},
    }
    cursor = db[ORDERS].find(query).sort("created_at", ASCENDING).limit(limit)
    return [_model(d) async for d in cursor]


async def without_live_sale(
    db: Database, changed_before: datetime, batch: int
) -> AsyncIterator[list[Order]]:
    """The orders that hold no live sale (cancelled, expired, refunded) and were last
    changed before `changed_before`, `batch` at a time, from one query (one pass over
    the collection, not one per page)."""
    query = {
        "status": {"$in": sorted(s.value for s in NO_SALE)},
        "updated_at": {"$lt": changed_before},
    }
    chunk: list[Order] = []
    async for doc in db[ORDERS].find(query, batch_size=batch):
        chunk.append(_model(doc))
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def search(
    db: Database,
    *,
    cursor: str | None,
    limit: int,
    event_id: str | None = None,
    org_id: str | None = None,
    buyer_id: str | None = None,
    status: OrderStatus | None = None,
    order_id: str | None = None,
    buyer_email_index: str | None = None,
) -> Page[Order]:
    """One page of the matching orders, newest first (`infra.pagination`)."""
    query: dict[str, Any] = {}
    if order_id is not None:
        query["_id"] = order_id
    if buyer_email_index is not None:
        query["buyer_email_index"] = buyer_email_index
    for key, value in (("event_id", event_id), ("org_id", org_id), ("buyer_id", buyer_id)):
        if value is not None:
            query[key] = value
    if status is not None:
        query["status"] = status.value
    return await keyset_page(db[ORDERS], query, cursor=cursor, limit=limit, model=_model)


async def forget_buyer(db: Database, buyer_id: str) -> int:
    """Drop what identified the buyer: the e-mail's blind index and the sealed buyer and
    holder details (unreadable already: their data key is shredded). Neither `version`
    nor `updated_at` moves: no guarded write of the order's state is refused for it, and
    none writes these fields back (a refund rewrites `lines` from the order it read, with
    sealed holders nobody can open any more; a second run drops them again)."""
    result = await db[ORDERS].update_many(
        {"buyer_id": buyer_id},
        {"$unset": {"buyer_email_index": "", "buyer_sealed": "", "lines.$[].holder_sealed": ""}},
    )
    return result.modified_count


async def event_orders_after(
    db: Database, event_id: str, after_id: str | None, limit: int
) -> list[Order]:
    """One page of an event's orders in id order (a stable cursor: unlike creation time,
    no two orders share an id, so paging never skips or repeats one)."""
    query: dict[str, Any] = {"event_id": event_id}
    if after_id is not None:
        query["_id"] = {"$gt": after_id}
    cursor = db[ORDERS].find(query).sort("_id", ASCENDING).limit(limit)
    return [_model(d) async for d in cursor]


async def take_quota(db: Database, event_id: str, ticket_type_id: str, n: int, quota: int) -> bool:
    """Guarded counter: count `n` more of a limited ticket type (e.g. meia-entrada) only if
    that keeps the total within `quota`; concurrent buyers can never overshoot it."""
    key = f"{event_id}:{ticket_type_id}"
    await db[COUNTERS].update_one({"_id": key}, {"$setOnInsert": {"sold": 0}}, upsert=True)
    result = await db[COUNTERS].update_one(
        {"_id": key, "sold": {"$lte": quota - n}}, {"$inc": {"sold": n}}
    )
    return result.modified_count == 1


async def return_quota(db: Database, event_id: str, ticket_type_id: str, n: int) -> None:
    await db[COUNTERS].update_one(
        {"_id": f"{event_id}:{ticket_type_id}", "sold": {"$gte": n}}, {"$inc": {"sold": -n}}
    )


async def _indexes(db: Database) -> None:
    orders = db[ORDERS]
    await orders.create_index([("hold_id", ASCENDING)], name="one_order_per_hold", unique=True)
    await orders.create_index(
        [("event_id", ASCENDING), ("created_at", DESCENDING)], name="event_created"
    )
    await orders.create_index(
        [("buyer_id", ASCENDING), ("created_at", DESCENDING)], name="buyer_created"
    )
    await orders.create_index(
        [("status", ASCENDING), ("payment_deadline", ASCENDING)], name="status_deadline"
    )


async def _email_index(db: Database) -> None:
    await db[ORDERS].create_index(
        [("org_id", ASCENDING), ("buyer_email_index", ASCENDING)], name="org_buyer_email"
    )


async def _drop_payment_index(db: Database) -> None:
    """Orders are found from a payment by its `order_id` (primary key); every index
    costs each order write on the embedded server, so the unused one goes."""
    await drop_index_if_present(db, ORDERS, "payment")


async def _drop_hold_index(db: Database) -> None:
    """One order per hold is kept by the order's id (`order_id_for`). Orders made before
    keep their random ids: a checkout retried across the upgrade for such a hold is
    answered as an expired hold (the buyer has the order and its receipt already)."""
    await drop_index_if_present(db, ORDERS, "one_order_per_hold")


async def _changed_index(db: Database) -> None:
    """Organizer webhooks' reconciliation walks an organization's recently changed
    orders (`read_models.changed_orders`). One more index on `orders`: its cost on each
    order write is the price of not losing a webhook with a lost announcement."""
    await db[ORDERS].create_index(
        [("org_id", ASCENDING), ("updated_at", ASCENDING)], name="org_updated"
    )


MIGRATIONS = [
    Migration(500, "orders indexes", _indexes),
    Migration(501, "orders searchable by buyer e-mail (blind index)", _email_index),
    Migration(502, "orders: no index on payment_id", _drop_payment_index),
    Migration(503, "orders: one per hold kept by the order id, no hold_id index", _drop_hold_index),
    Migration(504, "orders by organization and last change (webhooks' reconcile)", _changed_index),
]


BULK_REFUNDS = "bulk_refunds"


async def refundable_of_event(db: Database, event_id: str, limit: int) -> list[Order]:
    cursor = (
        db[ORDERS]
        .find(
            {
                "event_id": event_id,
                "status": {"$in": [OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value]},
            }
        )
        .limit(limit)
    )
    return [_model(d) async for d in cursor]


async def unpaid_of_event(db: Database, event_id: str, limit: int) -> list[Order]:
    cursor = (
        db[ORDERS]
        .find({"event_id": event_id, "status": OrderStatus.PENDING_PAYMENT.value})
        .limit(limit)
    )
    return [_model(d) async for d in cursor]


async def bulk_refund_progress(
    db: Database, event_id: str, *, total: int | None = None, inc_done: int = 0,
    inc_failed: int = 0, finished: bool = False,
) -> dict[str, Any] | None:  # fmt: skip
    update: dict[str, Any] = {"$inc": {"done": inc_done, "failed": inc_failed}}
    sets: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if total is not None:
        sets["total"] = total
    if finished:
        sets["finished"] = True
    update["$set"] = sets
    await db[BULK_REFUNDS].update_one({"_id": event_id}, update, upsert=True)
    return await db[BULK_REFUNDS].find_one({"_id": event_id})


async def bulk_refund_of(db: Database, event_id: str) -> dict[str, Any] | None:
    doc = await db[BULK_REFUNDS].find_one({"_id": event_id}, {"_id": 0})
    return dict(doc) if doc is not None else None
