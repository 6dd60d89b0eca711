"""MongoDB, the system of record for what is SOLD (holds live in Redis only).

`inventory_units` has one document per sold unit, `_id = "<event>|<unit>"` (a GA unit is
`ga:<area>:<n>`, n < capacity). The `_id` uniqueness *is* the oversell guard: a second
sale of the same seat or GA unit is refused by the server, whatever Redis believed, and a
GA area can never sell more than `capacity` units because only that many ids exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING

from ticketsafe.infra.migrations import Migration, drop_index_if_present
from ticketsafe.infra.mongo_group import group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.inventory.models import InventoryLayout

EVENTS = "inventory_events"
UNITS = "inventory_units"


@dataclass(frozen=True)
class SoldUnit:
    event_id: str
    unit: str
    order_id: str
    hold_id: str
    buyer_id: str


@dataclass(frozen=True)
class InsertOutcome:
    """Units inserted now, and units already sold (to us, by an earlier try, or to others)."""

    inserted: list[str]
    existing: list[SoldUnit]


def _uid(event_id: str, unit: str) -> str:
    return f"{event_id}|{unit}"


def _sold(doc: dict[str, Any]) -> SoldUnit:
    return SoldUnit(doc["event_id"], doc["unit"], doc["order_id"], doc["hold_id"], doc["buyer_id"])


class InventoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.group = group_insert(db, UNITS)  # sale inserts are group-committed

    async def save_layout(self, layout: InventoryLayout) -> None:
        await self.db[EVENTS].update_one(
            {"_id": layout.event_id},
            {"$set": {"layout": layout.model_dump(mode="json"), "updated_at": datetime.now(UTC)}},
            upsert=True,
        )

    async def load_layout(self, event_id: str) -> InventoryLayout | None:
        doc = await self.db[EVENTS].find_one({"_id": event_id})
        return InventoryLayout.model_validate(doc["layout"]) if doc else None

    async def layouts(self) -> list[InventoryLayout]:
        return [InventoryLayout.model_validate(d["layout"]) async for d in self.db[EVENTS].find()]

    async def count_sold(self, event_id: str) -> int:
        return await self.db[UNITS].count_documents({"event_id": event_id})

    async def sold_units(self, event_id: str) -> list[SoldUnit]:
        cursor = self.db[UNITS].find({"event_id": event_id})
        return [_sold(doc) async for doc in cursor]

    async def insert_sold(
        self, event_id: str, units: Sequence[str], *, order_id: str, hold_id: str, buyer_id: str
    ) -> InsertOutcome:
        """All units of a hold in one unordered insert (group-committed with concurrent
        sales), so a refusal lists every seat already sold. Duplicates are read back to
        tell a retry of our own sale from a seat sold to someone else."""
        now = datetime.now(UTC)
        docs: list[dict[str, Any]] = [
            {
                "_id": _uid(event_id, u),
                "event_id": event_id,
                "unit": u,
                "order_id": order_id,
                "hold_id": hold_id,
                "buyer_id": buyer_id,
                "sold_at": now,
            }
            for u in units
        ]
        dup_indexes = await self.group.insert(docs)
        if not dup_indexes:
            return InsertOutcome(list(units), [])
        dup_ids = {docs[i]["_id"] for i in dup_indexes}
        existing = await self.units_by_id(
            event_id, [d["unit"] for d in docs if d["_id"] in dup_ids]
        )
        inserted = [d["unit"] for d in docs if d["_id"] not in dup_ids]
        return InsertOutcome(inserted, existing)

    async def units_by_id(self, event_id: str, units: Sequence[str]) -> list[SoldUnit]:
        ids = [_uid(event_id, u) for u in units]
        return [_sold(d) async for d in self.db[UNITS].find({"_id": {"$in": ids}})]

    async def units_of_hold(self, order_id: str, hold_id: str) -> list[SoldUnit]:
        """The units a hold's commit sold (found by the order the hold was committed to:
        the `order` index, so sold units need no index on `hold_id`)."""
        query = {"order_id": order_id, "hold_id": hold_id}
        return [_sold(d) async for d in self.db[UNITS].find(query)]

    async def delete_units_of_hold(self, event_id: str, units: Sequence[str], hold_id: str) -> int:
        """Undo our own partial sale; the hold_id guard never touches another's unit."""
        ids = [_uid(event_id, u) for u in units]
        result = await self.db[UNITS].delete_many({"_id": {"$in": ids}, "hold_id": hold_id})
        return result.deleted_count

    async def delete_units_of_order(
        self, event_id: str, units: Sequence[str], order_id: str
    ) -> list[SoldUnit]:
        """Refund: remove the order's sold units (only those really sold to that order)."""
        ids = [_uid(event_id, u) for u in units]
        found = [
            _sold(d) async for d in self.db[UNITS].find({"_id": {"$in": ids}, "order_id": order_id})
        ]
        if found:
            await self.db[UNITS].delete_many({"_id": {"$in": ids}, "order_id": order_id})
        return found

    async def units_by_order(self, order_id: str) -> list[SoldUnit]:
        return [_sold(d) async for d in self.db[UNITS].find({"order_id": order_id})]


async def _create_collections(db: Database) -> None:
    await db[UNITS].create_index([("event_id", ASCENDING)], name="event")
    await db[UNITS].create_index([("order_id", ASCENDING)], name="order")
    await db[UNITS].create_index([("hold_id", ASCENDING)], name="hold")


async def _drop_hold_index(db: Database) -> None:
    """A hold's sold units are read with the order they were committed to (`order`
    index); the `hold` index only cost each sold unit written ~0.2 ms of the embedded
    server's one core (bench/mongo_indexes.py)."""
    await drop_index_if_present(db, UNITS, "hold")


MIGRATIONS = [
    Migration(300, "inventory: sold units indexes", _create_collections),
    Migration(301, "inventory: sold units found by order, no hold_id index", _drop_hold_index),
]
