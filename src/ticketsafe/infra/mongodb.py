"""MongoDB client construction. Only PyMongo's native async API is used anywhere.

Writes default to majority write concern so that a real replica set acknowledges a sale
only once it survives a primary failover. Retryable writes stay whatever the URL says
(on by default for a real replica set; the embedded server is given `retryWrites=false`
because remembering every write cripples it).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.write_concern import WriteConcern

from ticketsafe.infra.store_metrics import MongoCommandTimer

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]

MAJORITY = WriteConcern(w="majority")
T = TypeVar("T")


def create_mongo_client(
    url: str, *, app_name: str = "ticketsafe", timeout_ms: int = 5_000, timed: bool = False
) -> MongoClient:
    """Build (not connect: PyMongo connects lazily) the shared async client. `timed`:
    observe every command's latency (`infra.store_metrics`)."""
    return AsyncMongoClient(
        url,
        event_listeners=[MongoCommandTimer()] if timed else [],
        appname=app_name,
        tz_aware=True,
        w="majority",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        uuidRepresentation="standard",
    )


async def ping_mongo(client: MongoClient) -> None:
    await client.admin.command("ping")


# Keyed by the Database *object*: pymongo compares databases by address and name, so two
# clients of the same server (say, one per event loop in tests) would otherwise share
# state bound to the wrong client.
_per_database: dict[int, tuple[weakref.ref[Database], dict[str, Any]]] = {}


def per_database(db: Database, name: str, factory: Callable[[], T]) -> T:
    """One `factory()` object per database object and name, for this process (shared
    helpers such as group inserters and read caches); dropped with the database."""
    key = id(db)
    entry = _per_database.get(key)
    if entry is None or entry[0]() is not db:
        entry = (weakref.ref(db, functools.partial(_forget, key, _per_database)), {})
        _per_database[key] = entry
    if name not in entry[1]:
        entry[1][name] = factory()
    found: T = entry[1][name]
    return found


def _forget(key: int, registry: dict[int, Any], _: object) -> None:
    registry.pop(key, None)
