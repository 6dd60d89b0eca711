"""Group commit for inserts (and batched reads by `_id`, `GroupGet` at the end):
documents inserted into one collection go to MongoDB as one unordered `insert_many` per
write, and a collection has one write under way at a time
(`MAX_IN_FLIGHT`): what arrives meanwhile, over however many event-loop turns, goes out
together as soon as it completes (`turn_batch.TurnBatch` coalescing). An insert into an
idle collection is sent at once.

Each caller still learns exactly which of *its* documents were refused as duplicates
(the unique indexes stay the guards: one order per hold, one sold unit per seat), and
any other failure reaches every caller of that batch, as a lost connection would. Safe
because each document stands alone; an all-or-nothing that spans documents is kept by
the caller, exactly as without batching. A few large writes instead of one per request
is what lets a single-core MongoDB-wire server keep up with a flash crowd: on the
embedded server each write is a durable commit and ~500 µs of server CPU, while each
further document in it costs ~50-140 µs. One loop turn alone rarely gathers more than a
few inserts: a flash-sale run batching per turn only sent 243 insert commands for 255
documents.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from ticketsafe.infra.mongodb import Database, per_database
from ticketsafe.infra.turn_batch import TurnBatch, fail_waiting

DUPLICATE_KEY = 11000


@dataclass
class _Pending:
    docs: list[dict[str, Any]]
    future: asyncio.Future[set[int]]


# Writes under way at once per collection. One, measured (bench/group_insert.py, see
# bench/RESULTS.md): on the embedded server concurrent writes only contend for its one
# process. 256 coroutines inserting: 5,300-5,800 docs/s with 1 or 2 in flight (1 used
# the least server CPU), 4,600-5,500 with 4, 1,300-1,400 without a limit; 32 of them:
# 3,200 docs/s and p99 <= 7 ms with 1, 2,600-2,800 and 12-14 ms with 2; light load: all
# equal. The price: a write that hangs holds up its collection's later inserts too.
MAX_IN_FLIGHT = 1


class GroupInsert:
    def __init__(
        self,
        db: Database,
        collection: str,
        *,
        max_docs: int = 1000,
        max_in_flight: int | None = MAX_IN_FLIGHT,
    ) -> None:
        self.db = db
        self.collection = collection
        self._batch: TurnBatch[_Pending] = TurnBatch(
            self._flush,
            max_weight=max_docs,
            weight=lambda p: len(p.docs),
            max_in_flight=max_in_flight,
        )

    async def insert(self, docs: list[dict[str, Any]]) -> set[int]:
        """Insert `docs`; returns the indexes (into `docs`) refused as duplicate keys."""
        pending = _Pending(docs, asyncio.get_running_loop().create_future())
        self._batch.submit(pending)
        return await pending.future

    async def insert_one(self, doc: dict[str, Any]) -> None:
        """Like `insert_one`: raises `DuplicateKeyError` when a unique index refuses it."""
        if await self.insert([doc]):
            raise DuplicateKeyError(f"duplicate key in {self.collection}")

    async def _flush(self, group: list[_Pending]) -> None:
        # `_write` is looked up at each flush, so it can be observed (tests count writes).
        try:
            await self._write(group)
        except Exception as exc:  # a bug, not a store error: still answer every caller
            fail_waiting((p.future for p in group), exc)

    async def _write(self, group: list[_Pending]) -> None:
        docs = [d for p in group for d in p.docs]
        refused: dict[int, int] = {}  # index in the batch -> error code
        try:
            if len(docs) == 1:
                try:
                    await self.db[self.collection].insert_one(docs[0])
                except DuplicateKeyError:
                    refused = {0: DUPLICATE_KEY}
            else:
                try:
                    await self.db[self.collection].insert_many(docs, ordered=False)
                except BulkWriteError as exc:
                    errors = exc.details.get("writeErrors", [])
                    refused = {e["index"]: e.get("code", 0) for e in errors}
        except Exception as exc:  # connection lost: the outcome is unknown for everyone
            fail_waiting((p.future for p in group), exc)
            return
        offset = 0
        for p in group:
            mine = {
                i - offset: code
                for i, code in refused.items()
                if offset <= i < offset + len(p.docs)
            }
            offset += len(p.docs)
            if p.future.done():  # the caller was cancelled
                continue
            if any(code != DUPLICATE_KEY for code in mine.values()):
                p.future.set_exception(
                    RuntimeError(f"insert into {self.collection} refused: {mine}")
                )
            else:
                p.future.set_result(set(mine))


def group_insert(db: Database, collection: str) -> GroupInsert:
    """The process's one group inserter for this database object's `collection`."""
    return per_database(db, f"group_insert:{collection}", lambda: GroupInsert(db, collection))


# -- reads by primary key ------------------------------------------------------------------


@dataclass
class _Lookup:
    key: Any
    future: asyncio.Future[dict[str, Any] | None]


class GroupGet:
    """Reads by `_id` gathered the same way: the keys asked for while a read is under way
    go out together as one `find({"_id": {"$in": [...]}})`, one read in flight per
    collection (an idle collection is read at once). Each caller gets its own document
    (a copy when several asked for the same one) or None. A read is sent after every
    write its caller awaited, so it sees them, as a lone `find_one` would; any failure
    of the batched read reaches each of its callers. With `fields`, only those fields
    (and `_id`) are read: a hot path that checks a status need not carry the document."""

    def __init__(
        self,
        db: Database,
        collection: str,
        *,
        fields: tuple[str, ...] | None = None,
        max_keys: int = 500,
        max_in_flight: int | None = MAX_IN_FLIGHT,
    ) -> None:
        self.db = db
        self.collection = collection
        self.projection = dict.fromkeys(fields, 1) if fields is not None else None
        self._batch: TurnBatch[_Lookup] = TurnBatch(
            self._flush, max_weight=max_keys, max_in_flight=max_in_flight
        )

    async def get(self, key: Any) -> dict[str, Any] | None:
        lookup = _Lookup(key, asyncio.get_running_loop().create_future())
        self._batch.submit(lookup)
        return await lookup.future

    async def _flush(self, group: list[_Lookup]) -> None:
        try:
            docs = await self._read(group)
        except Exception as exc:  # connection lost, or a bug: still answer every caller
            fail_waiting((lookup.future for lookup in group), exc)
            return
        handed: set[Any] = set()
        for lookup in group:
            if lookup.future.done():  # the caller was cancelled
                continue
            doc = docs.get(lookup.key)
            if doc is not None and lookup.key in handed:
                doc = dict(doc)
            handed.add(lookup.key)
            lookup.future.set_result(doc)

    async def _read(self, group: list[_Lookup]) -> dict[Any, dict[str, Any]]:
        keys = list(dict.fromkeys(lookup.key for lookup in group))
        collection = self.db[self.collection]
        if len(keys) == 1:
            doc = await collection.find_one({"_id": keys[0]}, self.projection)
            return {} if doc is None else {doc["_id"]: doc}
        found = collection.find({"_id": {"$in": keys}}, self.projection)
        return {doc["_id"]: doc async for doc in found}


def group_get(db: Database, collection: str, fields: tuple[str, ...] | None = None) -> GroupGet:
    """The process's one batched reader by `_id` for this database object's `collection`
    (of only `fields`, when given)."""
    name = f"group_get:{collection}" + (":" + ",".join(fields) if fields is not None else "")
    return per_database(db, name, lambda: GroupGet(db, collection, fields=fields))
