"""The record that an erasure's hooks are owed (collection `erasures`, an outbox).

`POST /me/erase` writes `{_id: person_id, status: "pending", created_at}` with the
erasure and defers `identity.person_erased`; the job runs every domain's hook, then marks
the record `done`. The job leaves after the answer, so a killed api or a Redis losing its
last second would leave the orders and the mail of an erased person untouched for good:
the re-drive (`ticketsafe.infra.redrive`) gives a record still pending 30 minutes later
its job again. The job is also deferred a second time, `RERUN_S` later: a checkout in
flight when the person erased their account may write its order after the first run
(with a blind index the hooks drop), and no request lasts that long."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redrive import Outbox, create_created_index

ERASURES = "erasures"
PERSON_ERASED_JOB = "identity.person_erased"
RERUN_S = 300.0

ERASURE_OUTBOX = Outbox(ERASURES, {"status": "pending"}, PERSON_ERASED_JOB, "person_id")


async def record(db: Database, person_id: str, now: datetime) -> None:
    await db[ERASURES].update_one(
        {"_id": person_id},
        {"$set": {"status": "pending", "created_at": now}},
        upsert=True,
    )


async def mark_done(db: Database, person_id: str) -> None:
    await db[ERASURES].update_one(
        {"_id": person_id}, {"$set": {"status": "done", "done_at": datetime.now(UTC)}}
    )


async def create_erasures_collection(db: Database) -> None:
    await create_created_index(db, ERASURES)
