"""The "used" marks of scans, group-committed.

Each mark is still its own guarded update (valid, this version, not used yet), so the
once-only rule is the same; what changes is how they reach the server. Marks submitted
while one flush is under way go out together as one `bulk_write` of guarded
`UpdateOne`s (`TurnBatch` coalescing, one flush at a time per process), and one read
of the marked tickets' `used_scan` tells each scan whether its own update won. On the
embedded MongoDB-wire server every write is a durable commit: a gate rush of scans
paid one commit each. Two scans of one ticket in the same flush: the first is sent,
the other has lost already (the ticket cannot admit twice) and is refused as used.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from pymongo import UpdateOne

from ticketsafe.infra.mongodb import Database, per_database
from ticketsafe.infra.turn_batch import TurnBatch, fail_waiting
from ticketsafe.tickets.models import TicketStatus

_MAX_BATCH = 500


@dataclass
class _Mark:
    ticket_id: str
    version: int
    gate: str
    device: str
    at: datetime
    done: asyncio.Future[bool]
    scan_id: str = field(default_factory=lambda: secrets.token_hex(8))


class UsedMarks:
    def __init__(self, db: Database, collection: str) -> None:
        self._db = db
        self._collection = collection
        self._batch: TurnBatch[_Mark] = TurnBatch(
            self._flush, max_weight=_MAX_BATCH, max_in_flight=1
        )

    async def mark(
        self, ticket_id: str, version: int, *, gate: str, device: str, at: datetime
    ) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._batch.submit(_Mark(ticket_id, version, gate, device, at, done))
        return await done

    async def _flush(self, group: list[_Mark]) -> None:
        first: dict[str, _Mark] = {}
        for m in group:
            if m.ticket_id in first:
                _settle(m, won=False)
            else:
                first[m.ticket_id] = m
        collection = self._db[self._collection]
        try:
            await collection.bulk_write(
                [
                    UpdateOne(
                        {"_id": m.ticket_id, "version": m.version,
                         "status": TicketStatus.VALID.value, "used_at": None},
                        {"$set": {"used_at": m.at, "used_gate": m.gate,
                                  "used_device": m.device, "used_scan": m.scan_id}},
                    )
                    for m in first.values()
                ],
                ordered=False,
            )  # fmt: skip
            cursor = collection.find({"_id": {"$in": list(first)}}, {"used_scan": 1})
            won = {doc["_id"]: doc.get("used_scan") async for doc in cursor}
        except Exception as exc:
            fail_waiting((m.done for m in first.values()), exc)
            return
        for m in first.values():
            _settle(m, won=won.get(m.ticket_id) == m.scan_id)


def _settle(mark: _Mark, *, won: bool) -> None:
    if not mark.done.done():  # else the caller was cancelled
        mark.done.set_result(won)


def used_marks(db: Database, collection: str) -> UsedMarks:
    return per_database(db, f"used_marks:{collection}", lambda: UsedMarks(db, collection))
