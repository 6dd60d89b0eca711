"""MongoDB client construction. Only PyMongo's native async API is used anywhere.

Writes default to majority write concern so that a real replica set acknowledges a sale
only once it survives a primary failover. Retryable writes stay whatever the URL says
(on by default for a real replica set; the embedded server is given `retryWrites=false`
because remembering every write cripples it).
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.write_concern import WriteConcern

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]

MAJORITY = WriteConcern(w="majority")


def create_mongo_client(
    url: str, *, app_name: str = "ticketsafe", timeout_ms: int = 5_000
) -> MongoClient:
    """Build (not connect: PyMongo connects lazily) the shared async client."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        tz_aware=True,
        w="majority",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        uuidRepresentation="standard",
    )


async def ping_mongo(client: MongoClient) -> None:
    await client.admin.command("ping")
