"""The audit log: who changed what, when and why. Append-only; every domain writes to it
through `record`, never to the collection directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from ticketsafe.infra.migrations import Migration, drop_index_if_present, ensure_collection
from ticketsafe.infra.mongo_group import group_insert
from ticketsafe.infra.mongodb import Database

AUDIT_COLLECTION = "audit_log"

_VALIDATOR = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["at", "actor", "action", "subject"],
        "properties": {
            "at": {"bsonType": "date"},
            "actor": {"bsonType": "string", "minLength": 1},
            "action": {"bsonType": "string", "minLength": 1},
            "subject": {"bsonType": "string", "minLength": 1},
            "reason": {"bsonType": ["string", "null"]},
            "data": {"bsonType": "object"},
        },
    }
}


async def record(
    db: Database,
    *,
    actor: str,
    action: str,
    subject: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    session: AsyncClientSession | None = None,
) -> None:
    """Append one entry; pass the caller's session so it commits with the change it audits."""
    entry = {
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "subject": subject,
        "reason": reason,
        "data": data or {},
    }
    if session is None:  # group-committed with other requests' entries
        await group_insert(db, AUDIT_COLLECTION).insert_one(entry)
    else:
        await db[AUDIT_COLLECTION].insert_one(entry, session=session)


async def _create_audit_log(db: Database) -> None:
    await ensure_collection(db, AUDIT_COLLECTION, _VALIDATOR)
    await db[AUDIT_COLLECTION].create_index(
        [("subject", ASCENDING), ("at", DESCENDING)], name="subject_at"
    )
    await db[AUDIT_COLLECTION].create_index([("at", DESCENDING)], name="at")


async def _drop_time_index(db: Database) -> None:
    """Entries in time order are the `_id`s' order (ObjectIds, made as they are written:
    `ObjectId.from_datetime` bounds a time range), so the `at` index only cost each entry
    written ~0.2 ms of the embedded server's one core (bench/mongo_indexes.py)."""
    await drop_index_if_present(db, AUDIT_COLLECTION, "at")


MIGRATIONS = [
    Migration(1, "audit_log collection and indexes", _create_audit_log),
    Migration(2, "audit_log: time order by _id, no `at` index", _drop_time_index),
]
