"""Versioned schema migrations (indexes, validators), recorded in `schema_migrations`.

Each domain declares its own migrations next to its repository; `ticketsafe.schema`
assembles them in version order. A migration must be idempotent (create_index with the
same spec is a no-op), so several instances starting at once may race harmlessly: the
record is an upsert keyed by version, and the work itself converges.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.errors import CollectionInvalid, OperationFailure

from ticketsafe.infra.mongodb import Database, Document

log = logging.getLogger("ticketsafe.migrations")

MIGRATIONS_COLLECTION = "schema_migrations"

Apply = Callable[[Database], Awaitable[None]]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Apply


def check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be unique and ascending: {versions}")


async def applied_versions(db: Database) -> set[int]:
    return {int(doc["_id"]) async for doc in db[MIGRATIONS_COLLECTION].find({}, {"_id": 1})}


async def migrate(db: Database, migrations: Sequence[Migration]) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    check_order(migrations)
    done = await applied_versions(db)
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        log.info("applying migration %s %s", migration.version, migration.name)
        await migration.apply(db)
        await db[MIGRATIONS_COLLECTION].update_one(
            {"_id": migration.version},
            {"$setOnInsert": {"name": migration.name, "applied_at": datetime.now(UTC)}},
            upsert=True,
        )
        applied.append(migration.version)
    return applied


INDEX_NOT_FOUND = 27


async def drop_index_if_present(db: Database, collection: str, name: str) -> None:
    """Drop an index if it is there. Instances starting at once run the same migration
    together: whichever drops second finds it gone, which is what it wanted."""
    try:
        await db[collection].drop_index(name)
    except OperationFailure as exc:
        if exc.code != INDEX_NOT_FOUND:
            raise


async def ensure_collection(db: Database, name: str, validator: Document | None = None) -> None:
    """Create the collection (with a JSON-schema validator) or update its validator."""
    options: Document = {}
    if validator is not None:
        options = {"validator": validator, "validationLevel": "strict"}
    try:
        await db.create_collection(name, **options)
    except CollectionInvalid:
        if validator is not None:
            await db.command("collMod", name, **options)
