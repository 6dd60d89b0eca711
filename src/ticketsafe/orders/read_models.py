"""What other domains may read of orders (tickets: issuance and its reconciliation;
organizer webhooks: theirs).
Never the `orders` collection directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from pymongo import ASCENDING

from ticketsafe.infra.mongodb import Database
from ticketsafe.orders import repository as repo
from ticketsafe.orders.mails import money
from ticketsafe.orders.models import Order, OrderStatus

HOLDS_SALE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)  # orders whose lines admit


async def get_order(db: Database, order_id: str) -> Order | None:
    return await repo.get(db, order_id)


def total_text(order: Order) -> str:
    """The order's total as a buyer reads it (its receipt: the tickets' e-mail)."""
    return money(order.total_cents, order.currency)


async def paid_orders_by_deadline(
    db: Database, since: datetime, until: datetime, after_id: str, limit: int
) -> list[Order]:
    """Orders holding a sale whose payment deadline falls in [since, until), in deadline
    then id order (`after_id` resumes inside the instant `since`). Served by the orders'
    `status_deadline` index: a walk over it needs no new index on `orders` (each one
    costs every order write on the embedded server)."""
    statuses = {"$in": [s.value for s in HOLDS_SALE]}
    query = (
        {"status": statuses, "payment_deadline": since, "_id": {"$gt": after_id}}
        if after_id
        else {"status": statuses, "payment_deadline": {"$gte": since, "$lt": until}}
    )
    cursor = (
        db[repo.ORDERS]
        .find(query)
        .sort([("payment_deadline", ASCENDING), ("_id", ASCENDING)])
        .limit(limit)
    )
    return [repo._model(doc) async for doc in cursor]


async def changed_orders(
    db: Database, org_id: str, since: datetime, until: datetime, batch: int
) -> AsyncIterator[list[Order]]:
    """The organization's orders last changed in [since, until), `batch` at a time, from
    one query over the orders' `org_updated` index."""
    query = {"org_id": org_id, "updated_at": {"$gte": since, "$lt": until}}
    chunk: list[Order] = []
    async for doc in db[repo.ORDERS].find(query, batch_size=batch).sort("updated_at", ASCENDING):
        chunk.append(repo._model(doc))
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
