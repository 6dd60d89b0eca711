"""MongoDB, the system of record for what is SOLD (holds live in Redis only).

`inventory_units` has one document per sold unit, `_id = "<event>|<unit>"` (a GA unit is
`ga:<area>:<n>`, n < capacity). The `_id` uniqueness *is* the oversell guard: a second
sale of the same seat or GA unit is refused by the server, whatever Redis believed, and a
GA area can never sell more than `capacity` units because only that many ids exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database
from ticketsafe.inventory.models import InventoryLayout

EVENTS = "inventory_events"
UNITS = "inventory_units"
_DUPLICATE_KEY = 11000


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


@dataclass
class _Pending:
    docs: list[dict[str, Any]]
    future: asyncio.Future[set[int]]  # indexes (into docs) refused as duplicates


@dataclass
class GroupInsert:
    """Group commit: sale inserts started in the same event-loop turn go to MongoDB as one
    unordered `insert_many`. Safe because every document stands alone (its `_id` is the
    guard) and each caller still learns exactly which of *its* units were refused; the
    all-or-nothing of a hold is kept by the caller's compensating delete, as without
    batching. One write instead of dozens is what lets the embedded server keep up."""

    db: Database
    max_docs: int = 1000
    _pending: list[_Pending] = field(default_factory=list)
    _scheduled: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def insert(self, docs: list[dict[str, Any]]) -> set[int]:
        loop = asyncio.get_running_loop()
        pending = _Pending(docs, loop.create_future())
        self._pending.append(pending)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush_soon)
        return await pending.future

    def _flush_soon(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        while batch:
            group: list[_Pending] = []
            size = 0
            while batch and (not group or size + len(batch[0].docs) <= self.max_docs):
                size += len(batch[0].docs)
                group.append(batch.pop(0))
            task = asyncio.get_running_loop().create_task(self._write(group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, group: list[_Pending]) -> None:
        docs = [d for p in group for d in p.docs]
        refused: dict[int, int] = {}  # global index -> error code
        try:
            await self.db[UNITS].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            refused = {e["index"]: e.get("code", 0) for e in exc.details.get("writeErrors", [])}
        except Exception as exc:  # connection lost: outcome unknown for everyone
            for p in group:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        offset = 0
        for p in group:
            mine = {
                i - offset: code
                for i, code in refused.items()
                if offset <= i < offset + len(p.docs)
            }
            offset += len(p.docs)
            if p.future.done():
                continue
            if any(code != _DUPLICATE_KEY for code in mine.values()):
                p.future.set_exception(RuntimeError(f"sale insert refused: {mine}"))
            else:
                p.future.set_result(set(mine))


class InventoryRepository:
    def __init__(self, db: Database, group: GroupInsert | None = None) -> None:
        self.db = db
        self.group = group or GroupInsert(db)

    async def save_layout(self, layout: InventoryLayout) -> None:
        await self.db[EVENTS].update_one(
            {"_id": layout.event_id},
            {"$set": {"layout": layout.model_dump(mode="json"), "updated_at": datetime.now(UTC)}},
            upsert=True,
        )

    async def load_layout(self, event_id: str) -> InventoryLayout | None:
        doc = await self.db[EVENTS].find_one({"_id": event_id})
        return InventoryLayout.model_validate(doc["layout"]) if doc else None

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

    async def units_of_hold(self, hold_id: str) -> list[SoldUnit]:
        return [_sold(d) async for d in self.db[UNITS].find({"hold_id": hold_id})]

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


MIGRATIONS = [Migration(300, "inventory: sold units indexes", _create_collections)]
