"""Re-drive outbox records whose job was lost.

An outbox record (a queued mail, a pending organizer webhook) is written with the
request and its job is sent to Redis only after the answer (`JobBuffer`): an API process
killed in between, or a Redis that loses its last second of writes (AOF `everysec`),
leaves the record waiting for a job that will never come. Nothing else reads those
records, so nothing would notice.

A periodic task walks each outbox once, in creation order, `stale_after` behind the
present: a record still pending by then (its job and the job's retries have all run by
then) gets its job again. Each pass reads only the records created since the previous
one, through an index on `created_at` (a range over the primary key was a full scan on
the embedded server); where the walk stands is kept in `redrive_marks`. The index's
price on that server, measured (6,000 outbox-shaped records in batches of 30, its CPU
from /proc): ~0.1-0.15 ms per record written, and the update that marks it sent
rewrites the entry too (that server rewrites every index entry on any update):
0.02-0.27 ms more, within the noise of two rounds. Each record is looked at once: one
whose job was lost twice stays pending (logged when it was re-driven).

The handlers are idempotent (a record no longer pending is skipped), so a job that was
only late, not lost, costs one no-op run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from ticketsafe.infra.jobs import JobContext, JobQueue
from ticketsafe.infra.mongodb import Database

log = logging.getLogger("ticketsafe.redrive")

MARKS = "redrive_marks"
REDRIVE_INTERVAL_S = 60.0  # how often each outbox is walked (under the worker's lease)
CREATED_INDEX = "created"


@dataclass(frozen=True)
class Outbox:
    """Where records wait for a job: `collection`, whose records carry `created_at` and
    are still waiting while they match `pending`; `job` is sent with `{arg: record id}`."""

    collection: str
    pending: Mapping[str, Any]
    job: str
    arg: str
    stale_after: timedelta = timedelta(minutes=30)
    first_look_back: timedelta = timedelta(hours=1)  # how far back the very first pass looks
    batch: int = 1000


async def create_created_index(db: Database, collection: str) -> None:
    """The index each pass over `collection` reads through (a migration of its domain)."""
    await db[collection].create_index([("created_at", ASCENDING)], name=CREATED_INDEX)


async def redrive(db: Database, queue: JobQueue, outbox: Outbox, now: datetime) -> int:
    """One pass over `outbox`: re-send the job of every record created since the last
    pass and at least `stale_after` ago that is still pending. Returns how many."""
    upto = now - outbox.stale_after
    upto = upto.replace(microsecond=upto.microsecond // 1000 * 1000)  # as MongoDB keeps it
    mark = await db[MARKS].find_one({"_id": outbox.collection})
    since: datetime = mark["since"] if mark else upto - outbox.first_look_back
    after_id = str(mark.get("after_id") or "") if mark else ""
    if since >= upto:
        return 0
    # Where the last full batch stopped, the rest of that instant comes first (ids break
    # ties in the walk's order), then what was created after it.
    slices: list[dict[str, Any]] = [{"created_at": {"$gte": since, "$lt": upto}}]
    if after_id:
        slices = [
            {"created_at": since, "_id": {"$gt": after_id}},
            {"created_at": {"$gt": since, "$lt": upto}},
        ]
    found: list[tuple[datetime, str]] = []
    for where in slices:
        cursor = (
            db[outbox.collection]
            .find({**where, **outbox.pending}, {"created_at": 1})
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
            .limit(outbox.batch + 1 - len(found))
        )
        found += [(doc["created_at"], str(doc["_id"])) async for doc in cursor]
        if len(found) > outbox.batch:
            break
    taken = found[: outbox.batch]
    for _, record_id in taken:
        await queue.enqueue(outbox.job, {outbox.arg: record_id})
    if taken:
        log.warning(
            "outbox records re-driven (their job was lost)",
            extra={"collection": outbox.collection, "count": len(taken), "first": taken[0][1]},
        )
    # A full batch may have left some behind: the next pass goes on after the last one.
    position = (
        {"since": taken[-1][0], "after_id": taken[-1][1]}
        if len(found) > outbox.batch
        else {"since": upto, "after_id": ""}
    )
    await db[MARKS].update_one({"_id": outbox.collection}, {"$set": position}, upsert=True)
    return len(taken)


def periodic_pass(outbox: Outbox) -> Callable[[JobContext], Awaitable[None]]:
    """The worker's periodic task over `outbox` (run every `REDRIVE_INTERVAL_S`)."""

    async def run(ctx: JobContext) -> None:
        await redrive(ctx.db, ctx.queue, outbox, datetime.now(UTC))

    return run
