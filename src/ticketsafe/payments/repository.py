"""MongoDB access for payments (collection `payments`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING

from ticketsafe.infra.migrations import Migration, drop_index_if_present
from ticketsafe.infra.mongo_group import group_get, group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.payments.models import Payment, PaymentStatus

PAYMENTS = "payments"


def _to_model(doc: dict[str, Any]) -> Payment:
    return Payment(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


async def insert(db: Database, payment: Payment) -> None:
    doc = payment.model_dump(exclude={"id"}, mode="python")
    doc["_id"] = payment.id
    await group_insert(db, PAYMENTS).insert_one(doc)


async def get(db: Database, payment_id: str) -> Payment | None:
    doc = await group_get(db, PAYMENTS).get(payment_id)
    return _to_model(doc) if doc else None


async def get_many(db: Database, payment_ids: list[str]) -> list[Payment]:
    """The payments of these ids that exist, in one read."""
    return [_to_model(d) async for d in db[PAYMENTS].find({"_id": {"$in": payment_ids}})]


async def get_by_provider_ref(db: Database, provider_ref: str) -> Payment | None:
    doc = await db[PAYMENTS].find_one({"provider_ref": provider_ref})
    return _to_model(doc) if doc else None


async def update_guarded(
    db: Database,
    payment: Payment,
    *,
    status: PaymentStatus,
    fields: dict[str, Any] | None = None,
    inc: dict[str, int] | None = None,
) -> Payment | None:
    """Write only if nobody changed the payment since we read it (version guard).
    Returns the payment as now stored (derived, not read back); None if it had changed."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # MongoDB keeps ms
    update: dict[str, Any] = {
        "$set": {"status": status.value, "updated_at": now, **(fields or {})},
        "$inc": {"version": 1, **(inc or {})},
    }
    result = await db[PAYMENTS].update_one({"_id": payment.id, "version": payment.version}, update)
    if result.modified_count != 1:
        return None
    stored = {**payment.model_dump(), **(fields or {}), "status": status, "updated_at": now}
    for name, amount in {"version": 1, **(inc or {})}.items():
        stored[name] = getattr(payment, name) + amount
    return Payment.model_validate(stored)


async def _indexes(db: Database) -> None:
    await db[PAYMENTS].create_index([("order_id", ASCENDING)], name="order")
    await db[PAYMENTS].create_index(
        [("provider_ref", ASCENDING)],
        name="provider_ref",
        unique=True,
        partialFilterExpression={"provider_ref": {"$type": "string"}},
    )


async def _drop_moved_collections(db: Database) -> None:
    """The sandbox PSP's ledger (now in its own service) and the webhook replay guard
    (Redis) left MongoDB."""
    for name in (
        "sandbox_psp_tokens", "sandbox_psp_charges", "sandbox_psp_events",
        "payment_webhook_events",
    ):  # fmt: skip
        await db.drop_collection(name)


async def _drop_order_index(db: Database) -> None:
    """A payment is found from its order by the order's `payment_id` (primary key);
    nothing reads payments by `order_id`, and every index costs each payment write."""
    await drop_index_if_present(db, PAYMENTS, "order")


async def _processor_apart_from_method(db: Database) -> None:
    """A payment records who processes it apart from how it is paid: the one-word
    methods of before (`card_sandbox`, `bank_transfer`, …) become both."""
    split = {
        "card_sandbox": ("sandbox", "card"), "pix": ("sandbox", "pix"),
        "bank_transfer": ("manual", "transfer"), "free": ("manual", "free"),
    }  # fmt: skip
    for old, (processor, method) in split.items():
        await db[PAYMENTS].update_many(
            {"method": old, "processor": {"$exists": False}},
            {"$set": {"processor": processor, "method": method}},
        )


MIGRATIONS = [
    Migration(580, "payments indexes", _indexes),
    Migration(581, "sandbox PSP ledger moved to Redis", _drop_moved_collections),
    Migration(582, "payments: no index on order_id", _drop_order_index),
    Migration(583, "payments: processor apart from method", _processor_apart_from_method),
]
