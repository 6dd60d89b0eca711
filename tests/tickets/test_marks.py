"""The group-committed "used" marks: one winner per ticket, whatever the batching."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ticketsafe.infra.resources import Resources
from ticketsafe.tickets import repository as repo


async def test_concurrent_marks_admit_each_ticket_exactly_once(resources: Resources) -> None:
    db = resources.db
    await db["tickets"].insert_many(
        [{"_id": f"t{i}", "version": 1, "status": "valid", "used_at": None} for i in range(20)]
        + [{"_id": "old", "version": 2, "status": "valid", "used_at": None},
           {"_id": "gone", "version": 1, "status": "revoked", "used_at": None}]
    )  # fmt: skip
    now = datetime.now(UTC)
    tries = [(f"t{i}", 1, f"g{k}") for i in range(20) for k in range(5)]  # 5 gates each
    won = await asyncio.gather(*[
        repo.mark_used(db, t, v, gate=g, device=g, at=now) for t, v, g in tries
    ])  # fmt: skip
    winners = [t for (t, _, _), ok in zip(tries, won, strict=True) if ok]
    assert sorted(winners) == sorted(f"t{i}" for i in range(20))
    for ticket_id in ("t0", "t7"):
        doc = await db["tickets"].find_one({"_id": ticket_id})
        assert doc is not None
        gate = next(g for (t, _, g), ok in zip(tries, won, strict=True) if ok and t == ticket_id)
        assert doc["used_gate"] == gate  # the winner's own mark is the one stored
    assert not await repo.mark_used(db, "old", 1, gate="g", device="d", at=now)  # superseded
    assert not await repo.mark_used(db, "gone", 1, gate="g", device="d", at=now)  # revoked
    assert not await repo.mark_used(db, "t0", 1, gate="g", device="d", at=now)  # used
