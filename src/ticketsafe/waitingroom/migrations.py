"""Waiting-room migrations (versions 400–499)."""

from __future__ import annotations

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database
from ticketsafe.waitingroom.repository import COLLECTION


async def _queues_by_org(db: Database) -> None:
    await db[COLLECTION].create_index([("org_id", 1)], name="org_id")


MIGRATIONS = [Migration(400, "waitingroom_queues_by_org", _queues_by_org)]
