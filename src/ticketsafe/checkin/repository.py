"""MongoDB access for check-in (collection `checkin_duplicates`: tickets admitted more
than once, found when offline devices sync)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database

DUPLICATES = "checkin_duplicates"


async def record_duplicate(db: Database, doc: dict[str, Any]) -> None:
    """Idempotent: the same device syncing the same scan again finds its record."""
    await db[DUPLICATES].update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)


async def duplicates_of_event(db: Database, event_id: str, limit: int) -> list[dict[str, Any]]:
    cursor = db[DUPLICATES].find({"event_id": event_id}).sort("_id", ASCENDING).limit(limit)
    return [doc async for doc in cursor]


async def _indexes(db: Database) -> None:
    await db[DUPLICATES].create_index([("event_id", ASCENDING), ("_id", ASCENDING)], name="event")


MIGRATIONS = [Migration(700, "check-in duplicates index", _indexes)]
