"""Group-committed inserts on the real MongoDB-wire server: one write per turn, and each
caller learns exactly what happened to its own documents."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from ticketsafe.infra.mongo_group import GroupInsert, group_insert
from ticketsafe.infra.resources import Resources


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
