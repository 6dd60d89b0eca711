"""Re-driving outbox records whose job was lost: each stale pending record once, in
creation order, reading only the records created since the last pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketsafe.infra.redrive import MARKS, Outbox, create_created_index, redrive
from ticketsafe.infra.resources import Resources

BOX = Outbox("test_outbox", {"status": "pending"}, "test.job", "record_id")


async def _records(
    resources: Resources, now: datetime, rows: list[tuple[float, str]], prefix: str = "rec"
) -> list[str]:
    """Insert records created `minutes` before `now` with a status; their ids, in order."""
    await create_created_index(resources.db, BOX.collection)
    docs = [
        {"_id": f"{prefix}_{i}", "created_at": now - timedelta(minutes=m), "status": s}
        for i, (m, s) in enumerate(rows)
    ]
    await resources.db[BOX.collection].insert_many(docs)
    return [str(d["_id"]) for d in docs]


async def _queued(resources: Resources) -> list[str]:
    jobs = await resources.queue.read("test", 100, 0)
    assert {job.name for job in jobs} <= {BOX.job}
    return [str(job.args["record_id"]) for job in jobs]


async def test_only_stale_pending_records_get_their_job_again(resources: Resources) -> None:
    await resources.queue.ensure_group()
    now = datetime.now(UTC)
    ids = await _records(
        resources, now,
        [(50, "pending"), (45, "sent"), (40, "pending"), (10, "pending"), (1, "pending")],
    )  # fmt: skip
    assert await redrive(resources.db, resources.queue, BOX, now) == 2
    assert await _queued(resources) == [ids[0], ids[2]]
    # Looked at once: the next pass has nothing new before the stale line ...
    assert await redrive(resources.db, resources.queue, BOX, now + timedelta(seconds=30)) == 0
    # ... and a later one takes the records that have become stale since, and only them.
    assert await redrive(resources.db, resources.queue, BOX, now + timedelta(minutes=25)) == 1
    assert await _queued(resources) == [ids[3]]
    mark = await resources.db[MARKS].find_one({"_id": BOX.collection})
    assert mark is not None
    assert mark["after_id"] == ""


async def test_the_first_pass_looks_back_a_bounded_time(resources: Resources) -> None:
    await resources.queue.ensure_group()
    now = datetime.now(UTC)
    ids = await _records(resources, now, [(60 * 24, "pending"), (95, "pending"), (80, "pending")])
    assert await redrive(resources.db, resources.queue, BOX, now) == 1  # 30-90 min old
    assert await _queued(resources) == [ids[2]]


async def test_a_full_batch_goes_on_where_it_stopped(resources: Resources) -> None:
    """Batches of two over five records, three of them written in the same millisecond:
    every one is taken, none twice."""
    await resources.queue.ensure_group()
    box = Outbox(BOX.collection, BOX.pending, BOX.job, BOX.arg, batch=2)
    now = datetime.now(UTC).replace(microsecond=0)
    ids = await _records(
        resources, now, [(59, "pending"), (58, "pending"), (58, "pending"), (58, "pending"),
                         (57, "pending")],
    )  # fmt: skip
    taken = [await redrive(resources.db, resources.queue, box, now) for _ in range(4)]
    assert taken == [2, 2, 1, 0]
    assert await _queued(resources) == ids
