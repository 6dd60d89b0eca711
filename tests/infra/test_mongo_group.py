"""Group-committed inserts on the real MongoDB-wire server: one write per turn, inserts
that arrive while writes are in flight coalesced into the next one, and each caller
learns exactly what happened to its own documents."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from pymongo.errors import DuplicateKeyError

from tests.polling import eventually
from ticketsafe.infra.mongo_group import GroupGet, GroupInsert, group_get, group_insert
from ticketsafe.infra.resources import Resources

T = TypeVar("T")


async def test_same_turn_inserts_share_one_write(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserter = GroupInsert(resources.db, "grouped")
    writes: list[int] = []
    write = GroupInsert._write

    async def counting(self: GroupInsert, group: list[Any]) -> None:
        writes.append(sum(len(p.docs) for p in group))
        await write(self, group)

    monkeypatch.setattr(GroupInsert, "_write", counting)
    await asyncio.gather(*(inserter.insert([{"_id": i}, {"_id": 1000 + i}]) for i in range(300)))
    assert writes == [600]
    assert await resources.db["grouped"].count_documents({}) == 600


async def test_duplicates_reach_only_their_own_caller(resources: Resources) -> None:
    await resources.db["grouped"].insert_one({"_id": "taken"})
    inserter = group_insert(resources.db, "grouped")
    assert inserter is group_insert(resources.db, "grouped")  # one per collection
    mine, theirs, lone = await asyncio.gather(
        inserter.insert([{"_id": "a"}, {"_id": "taken"}, {"_id": "b"}]),
        inserter.insert([{"_id": "c"}]),
        inserter.insert_one({"_id": "taken"}),
        return_exceptions=True,
    )
    assert mine == {1}
    assert theirs == set()
    assert isinstance(lone, DuplicateKeyError)
    ids = {d["_id"] async for d in resources.db["grouped"].find({})}
    assert ids == {"taken", "a", "b", "c"}


async def test_other_refusals_fail_their_caller_loudly(resources: Resources) -> None:
    await resources.db.create_collection(
        "strict", validator={"$jsonSchema": {"required": ["must"]}}
    )
    inserter = group_insert(resources.db, "strict")
    good, bad = await asyncio.gather(
        inserter.insert([{"_id": 1, "must": True}]),
        inserter.insert([{"_id": 2}]),
        return_exceptions=True,
    )
    assert good == set()
    assert isinstance(bad, RuntimeError)
    assert await resources.db["strict"].count_documents({}) == 1


class GatedWrites:
    """Counts `GroupInsert._write` calls (documents per write) and holds the first one
    until released, so that later inserts arrive while it is in flight."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_first: bool = False) -> None:
        self.sizes: list[int] = []
        self.gate = asyncio.Event()
        write = GroupInsert._write

        async def gated(inserter: GroupInsert, group: list[Any]) -> None:
            self.sizes.append(sum(len(p.docs) for p in group))
            if len(self.sizes) == 1:
                await self.gate.wait()
                if fail_first:
                    raise RuntimeError("bug in a write")
            await write(inserter, group)

        monkeypatch.setattr(GroupInsert, "_write", gated)


async def _each_in_its_own_turn(calls: list[Awaitable[T]]) -> list[asyncio.Task[T]]:
    tasks = []
    for call in calls:
        tasks.append(asyncio.ensure_future(call))
        for _ in range(3):
            await asyncio.sleep(0)
    return tasks


async def test_inserts_arriving_while_a_write_is_in_flight_share_the_next_one(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = GatedWrites(monkeypatch)
    inserter = GroupInsert(resources.db, "grouped", max_in_flight=1)
    first = asyncio.ensure_future(inserter.insert_one({"_id": 0}))
    await eventually(lambda: writes.sizes == [1])
    later = await _each_in_its_own_turn([inserter.insert_one({"_id": i}) for i in range(1, 51)])
    assert writes.sizes == [1]  # fifty turns, all waiting for the write in flight
    writes.gate.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 10)
    assert writes.sizes == [1, 50]
    assert await resources.db["grouped"].count_documents({}) == 51


async def test_the_default_inserter_coalesces_and_an_idle_one_writes_at_once(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = GatedWrites(monkeypatch)
    inserter = group_insert(resources.db, "grouped")
    first = asyncio.ensure_future(inserter.insert_one({"_id": 0}))
    await eventually(lambda: writes.sizes == [1])
    later = await _each_in_its_own_turn([inserter.insert_one({"_id": i}) for i in range(1, 41)])
    writes.gate.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 10)
    assert sum(writes.sizes) == 41
    assert len(writes.sizes) < 10  # not one write per turn
    # Idle again: a lone insert is written within a few loop iterations, on its own.
    writes.sizes.clear()
    lone = asyncio.ensure_future(inserter.insert_one({"_id": "lone"}))
    for _ in range(3):
        await asyncio.sleep(0)
    assert writes.sizes == [1]
    await asyncio.wait_for(lone, 10)


async def test_a_failing_write_answers_its_callers_and_strands_no_one(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = GatedWrites(monkeypatch, fail_first=True)
    inserter = GroupInsert(resources.db, "grouped", max_in_flight=1)
    first = asyncio.ensure_future(inserter.insert_one({"_id": 0}))
    await eventually(lambda: writes.sizes == [1])
    later = await _each_in_its_own_turn([inserter.insert_one({"_id": i}) for i in range(1, 6)])
    writes.gate.set()
    with pytest.raises(RuntimeError, match="bug in a write"):
        await asyncio.wait_for(first, 10)
    await asyncio.wait_for(asyncio.gather(*later), 10)
    assert writes.sizes == [1, 5]
    await asyncio.wait_for(inserter.insert_one({"_id": "after"}), 10)  # the slot came back
    ids = {d["_id"] async for d in resources.db["grouped"].find({})}
    assert ids == {1, 2, 3, 4, 5, "after"}


async def test_coalesced_callers_each_get_their_own_duplicates(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    await resources.db["grouped"].insert_one({"_id": "taken"})
    writes = GatedWrites(monkeypatch)
    inserter = GroupInsert(resources.db, "grouped", max_in_flight=1)
    first = asyncio.ensure_future(inserter.insert_one({"_id": "first"}))
    await eventually(lambda: writes.sizes == [1])
    tasks = await _each_in_its_own_turn(
        [
            inserter.insert([{"_id": "a"}, {"_id": "taken"}, {"_id": "b"}]),
            inserter.insert([{"_id": "c"}]),
            inserter.insert([{"_id": "d"}, {"_id": "d"}]),
            inserter.insert([{"_id": "first"}, {"_id": "e"}]),  # taken by the write in flight
            inserter.insert([{"_id": "c"}, {"_id": "f"}]),  # "c" from an earlier caller
        ]
    )
    lone = asyncio.ensure_future(inserter.insert_one({"_id": "taken"}))
    writes.gate.set()
    await asyncio.wait_for(first, 10)
    results = await asyncio.wait_for(asyncio.gather(*tasks, lone, return_exceptions=True), 10)
    assert writes.sizes == [1, 11]  # all six callers in one write
    assert results[:5] == [{1}, set(), {1}, {0}, {0}]
    assert isinstance(results[5], DuplicateKeyError)
    ids = {d["_id"] async for d in resources.db["grouped"].find({})}
    assert ids == {"taken", "first", "a", "b", "c", "d", "e", "f"}


# -- reads by _id ---------------------------------------------------------------------------


class GatedReads:
    """Counts `GroupGet._read` calls (keys per read) and holds the first one until
    released, so that later reads arrive while it is in flight."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_first: bool = False) -> None:
        self.sizes: list[int] = []
        self.gate = asyncio.Event()
        read = GroupGet._read

        async def gated(reader: GroupGet, group: list[Any]) -> dict[Any, dict[str, Any]]:
            self.sizes.append(len(group))
            if len(self.sizes) == 1:
                await self.gate.wait()
                if fail_first:
                    raise RuntimeError("connection lost")
            return await read(reader, group)

        monkeypatch.setattr(GroupGet, "_read", gated)


async def test_reads_arriving_while_one_is_in_flight_share_the_next_and_each_gets_its_own(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    await resources.db["grouped"].insert_many([{"_id": i, "n": i * i} for i in range(10)])
    reads = GatedReads(monkeypatch)
    reader = group_get(resources.db, "grouped")
    assert reader is group_get(resources.db, "grouped")  # one per collection
    first = asyncio.ensure_future(reader.get(0))
    await eventually(lambda: reads.sizes == [1])
    keys = [3, 7, "missing", 3, 9]
    later = await _each_in_its_own_turn([reader.get(k) for k in keys])
    assert reads.sizes == [1]  # five turns, all waiting for the read in flight
    reads.gate.set()
    assert await asyncio.wait_for(first, 10) == {"_id": 0, "n": 0}
    got = await asyncio.wait_for(asyncio.gather(*later), 10)
    assert reads.sizes == [1, 5]
    assert got == [{"_id": 3, "n": 9}, {"_id": 7, "n": 49}, None, {"_id": 3, "n": 9},
                   {"_id": 9, "n": 81}]  # fmt: skip
    assert got[0] is not got[3]  # the same document, a copy each: callers may change theirs
    # Idle again: a lone read is sent within a few loop iterations and sees the latest write.
    await resources.db["grouped"].update_one({"_id": 9}, {"$set": {"n": -1}})
    reads.sizes.clear()
    lone = asyncio.ensure_future(reader.get(9))
    for _ in range(3):
        await asyncio.sleep(0)
    assert reads.sizes == [1]
    assert await asyncio.wait_for(lone, 10) == {"_id": 9, "n": -1}


async def test_a_failing_read_reaches_its_callers_and_the_next_read_goes_out(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    await resources.db["grouped"].insert_many([{"_id": i} for i in range(3)])
    reads = GatedReads(monkeypatch, fail_first=True)
    reader = GroupGet(resources.db, "grouped")
    first, second = asyncio.ensure_future(reader.get(0)), asyncio.ensure_future(reader.get(1))
    await eventually(lambda: reads.sizes == [2])
    later = await _each_in_its_own_turn([reader.get(2)])
    reads.gate.set()
    results = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 10)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await asyncio.wait_for(later[0], 10) == {"_id": 2}
    assert reads.sizes == [2, 1]
