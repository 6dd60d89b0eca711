from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from bson import ObjectId
from pymongo.errors import WriteError

from ticketsafe.infra import audit
from ticketsafe.infra.migrations import MIGRATIONS_COLLECTION, Migration, check_order, migrate
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.resources import Resources
from ticketsafe.schema import MIGRATIONS


async def test_applies_all_then_nothing(resources: Resources) -> None:
    first = await migrate(resources.db, MIGRATIONS)
    assert first == [m.version for m in MIGRATIONS]
    records = await resources.db[MIGRATIONS_COLLECTION].find().to_list()
    assert sorted(r["_id"] for r in records) == first
    assert await migrate(resources.db, MIGRATIONS) == []
    assert await resources.db[MIGRATIONS_COLLECTION].count_documents({}) == len(first)


async def test_audit_indexes_and_validator(resources: Resources) -> None:
    await migrate(resources.db, MIGRATIONS)
    names = {i["name"] async for i in await resources.db[audit.AUDIT_COLLECTION].list_indexes()}
    assert names == {"_id_", "subject_at"}
    with pytest.raises(WriteError):
        await resources.db[audit.AUDIT_COLLECTION].insert_one({"actor": "x"})
    await audit.record(resources.db, actor="user:1", action="event.publish", subject="evt_1")
    assert await resources.db[audit.AUDIT_COLLECTION].count_documents({"subject": "evt_1"}) == 1
    # Time ranges go by `_id` (no `at` index): the ObjectId is made as the entry is written.
    entry = await resources.db[audit.AUDIT_COLLECTION].find_one({"subject": "evt_1"})
    assert entry is not None
    assert abs((entry["_id"].generation_time - entry["at"]).total_seconds()) < 2
    since = ObjectId.from_datetime(entry["at"] - timedelta(seconds=2))
    assert await resources.db[audit.AUDIT_COLLECTION].count_documents({"_id": {"$gte": since}}) == 1


async def test_write_path_indexes_nothing_reads_are_dropped(resources: Resources) -> None:
    """Indexes no query reads cost every write on the embedded server: orders' unique
    `hold_id` (one order per hold is kept by the order id now), payments' `order_id`,
    the mail outbox's `owner` and `status`, sold units' `hold_id` (read with their
    order). A database migrated before has them."""
    dropping = (121, 301, 503, 582)
    await migrate(resources.db, [m for m in MIGRATIONS if m.version not in dropping])

    async def names(collection: str) -> set[str]:
        return set(await resources.db[collection].index_information())

    assert "one_order_per_hold" in await names("orders")
    assert "order" in await names("payments")
    assert {"owner", "status"} <= await names("mail_outbox")
    assert "hold" in await names("inventory_units")
    assert await migrate(resources.db, MIGRATIONS) == list(dropping)
    assert "one_order_per_hold" not in await names("orders")
    assert "order" not in await names("payments")
    assert await names("mail_outbox") == {"_id_", "created"}  # read by the re-drive
    assert await names("inventory_units") == {"_id_", "event", "order"}
    assert {"event_created", "buyer_created", "status_deadline"} <= await names("orders")
    assert "provider_ref" in await names("payments")


async def test_instances_starting_together_all_migrate(resources: Resources) -> None:
    """API processes start at once and each runs the migrations: the index drops race
    (one found its index gone and failed its start-up: a bench ran on one api process)."""
    runs = await asyncio.gather(*(migrate(resources.db, MIGRATIONS) for _ in range(3)))
    assert sorted({v for run in runs for v in run}) == [m.version for m in MIGRATIONS]
    assert "at" not in await resources.db[audit.AUDIT_COLLECTION].index_information()


async def test_only_new_migrations_run(resources: Resources) -> None:
    calls: list[int] = []

    def step(version: int) -> Migration:
        async def apply(db: Database) -> None:
            calls.append(version)
            await db["things"].create_index("k", unique=True)

        return Migration(version, f"step {version}", apply)

    await migrate(resources.db, [step(1), step(2)])
    await migrate(resources.db, [step(1), step(2), step(3)])
    assert calls == [1, 2, 3]


def test_versions_must_be_unique_and_ascending() -> None:
    async def noop(db: Database) -> None:
        return None

    with pytest.raises(ValueError, match="unique and ascending"):
        check_order([Migration(2, "b", noop), Migration(1, "a", noop)])
    with pytest.raises(ValueError, match="unique and ascending"):
        check_order([Migration(1, "a", noop), Migration(1, "b", noop)])
