"""The group-committed "used" marks: one winner per ticket, whatever the batching, and
never for a ticket revoked, superseded or transferred while it was being scanned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ticketsafe.infra.resources import Resources
from ticketsafe.tickets import repository as repo


async def _tickets(resources: Resources) -> None:
    base = {"event_id": "evt_1", "org_id": "org_a", "order_id": "o", "line_id": "l",
            "holder_id": "usr_1", "place": "a:pista", "ticket_type_id": "full",
            "created_at": datetime.now(UTC), "transfers": 0}  # fmt: skip
    await resources.db["tickets"].insert_many(
        [{"_id": f"t{i}", **base, "version": 1, "status": "valid", "used_at": None}
         for i in range(20)]
        + [{"_id": "old", **base, "version": 2, "status": "valid", "used_at": None},
           {"_id": "gone", **base, "version": 1, "status": "revoked", "used_at": None}]
    )  # fmt: skip


async def test_concurrent_marks_admit_each_ticket_exactly_once(resources: Resources) -> None:
    db = resources.db
    await _tickets(resources)
    now = datetime.now(UTC)
    tries = [(f"t{i}", 1, f"g{k}") for i in range(20) for k in range(5)]  # 5 gates each
    won = await asyncio.gather(*[
        repo.mark_used(db, t, "evt_1", v, gate=g, device=g, at=now) for t, v, g in tries
    ])  # fmt: skip
    winners = [t for (t, _, _), ok in zip(tries, won, strict=True) if ok]
    assert sorted(winners) == sorted(f"t{i}" for i in range(20))
    for ticket_id in ("t0", "t7"):
        ticket = await repo.get(db, ticket_id)
        assert ticket is not None
        gate = next(g for (t, _, g), ok in zip(tries, won, strict=True) if ok and t == ticket_id)
        assert ticket.used_gate == gate  # the winner's own mark is the one stored
    assert sorted(g for g, _ in await repo.admissions_of_event(db, "evt_1")) == sorted(
        g for (_, _, g), ok in zip(tries, won, strict=True) if ok
    )
    assert not await repo.mark_used(db, "old", "evt_1", 1, gate="g", device="d", at=now)
    assert not await repo.mark_used(db, "gone", "evt_1", 1, gate="g", device="d", at=now)
    assert not await repo.mark_used(db, "t0", "evt_1", 1, gate="g", device="d", at=now)
    # A refused mark leaves no admission behind: the ticket stays as it was.
    for ticket_id in ("old", "gone"):
        ticket = await repo.get(db, ticket_id)
        assert ticket is not None
        assert ticket.used_at is None


async def test_an_admitted_ticket_is_not_transferred_after_all(resources: Resources) -> None:
    """A transfer that finds the ticket admitted (after its own write) steps back."""
    db = resources.db
    await _tickets(resources)
    ticket = await repo.get(db, "t3")
    assert ticket is not None
    assert await repo.mark_used(db, "t3", "evt_1", 1, gate="g", device="d", at=datetime.now(UTC))
    # As if the transfer had read the ticket before the scan: its guard still matches.
    assert not await repo.transfer(db, ticket, "usr_2")
    after = await repo.get(db, "t3")
    assert after is not None
    assert (after.holder_id, after.version, after.transfers) == ("usr_1", 1, 0)
    free = await repo.get(db, "t4")
    assert free is not None
    assert await repo.transfer(db, free, "usr_2")
    assert not await repo.mark_used(
        db, "t4", "evt_1", 1, gate="g", device="d", at=datetime.now(UTC)
    )
