"""Backups against the real stores and a real Ceph RGW: round trips, tampering, keys,
retention, archive classes, and a backup taken while a sale runs."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from bson.raw_bson import RawBSONDocument
from fastapi import FastAPI

from tests.ops.backup.conftest import Rgw, make_bucket
from tests.orders.conftest import Sale, open_sale
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.resources import Resources
from ticketsafe.ops.backup.keys import BackupKey, BackupKeyError
from ticketsafe.ops.backup.manifest import ManifestInvalid
from ticketsafe.ops.backup.service import (
    DatabaseNotEmpty,
    RetentionPolicy,
    create_backup,
    new_backup_id,
    prune_backups,
    restore_backup,
    verify_backup,
)
from ticketsafe.ops.backup.snapshot import RAW, ChunkCorrupt, collection_names
from ticketsafe.ops.backup.targets import (
    MANIFEST,
    ArchivedNotReady,
    LocalTarget,
    S3Target,
    Target,
)

KEY = BackupKey("k1", bytes(range(32)))
SMALL_CHUNKS = 512  # several chunks per collection even for a small database


async def checksums(db: Database) -> dict[str, tuple[int, str]]:
    """Per collection: documents and a hash of their raw BSON in `_id` order."""
    out = {}
    for name in await collection_names(db):
        digest = hashlib.sha256()
        count = 0
        async for doc in db.get_collection(name, codec_options=RAW).find({}, sort=[("_id", 1)]):
            digest.update(doc.raw if isinstance(doc, RawBSONDocument) else b"")
            count += 1
        out[name] = (count, digest.hexdigest())
    return out


async def sell(sale: Sale, buyer: str, seats: list[str]) -> None:
    hold = await sale.hold(sale.buyer(buyer), {"kind": "seats", "seat_ids": seats})
    r = await sale.checkout(sale.buyer(buyer), hold, method="bank_transfer")
    assert r.status_code == 201, r.text


async def wipe(resources: Resources) -> None:
    for name in await collection_names(resources.db):
        await resources.db.drop_collection(name)
    await resources.redis.flushdb()


async def round_trip(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, target: Target
) -> None:
    sale = await open_sale(app, client, resources)
    await sell(sale, "usr_ana", ["A:r-1:s-1", "A:r-1:s-2"])
    before = await checksums(resources.db)
    manifest = await create_backup(
        resources.mongo, resources.db, target, KEY, chunk_bytes=SMALL_CHUNKS
    )
    assert manifest.backup_id in target.backup_ids()
    assert max(len(c.chunks) for c in manifest.collections) > 1
    report = await verify_backup(target, KEY, manifest.backup_id)
    assert report.documents == manifest.documents
    await wipe(resources)
    await restore_backup(resources.db, resources.redis, target, KEY, manifest.backup_id)
    after = await checksums(resources.db)
    restored_audit, _ = after.pop("audit_log")  # the restore audits itself
    assert restored_audit == before.pop("audit_log")[0] + 1
    assert after == before
    # The sale continues on the restored system: sold seats stay sold, others sell.
    taken = await client.post(
        f"/events/{sale.event_id}/holds", json={"kind": "seats", "seat_ids": ["A:r-1:s-1"]},
        headers=sale.buyer("usr_bia"),
    )  # fmt: skip
    assert taken.status_code == 409, taken.text
    await sell(sale, "usr_bia", ["A:r-2:s-1"])


async def test_a_local_backup_restores_identical_collections_and_the_sale_goes_on(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, tmp_path: Path
) -> None:
    await round_trip(app, client, resources, LocalTarget(tmp_path / "backups"))


@pytest.mark.slow
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
async def test_a_backup_on_ceph_rgw_restores_identical_collections(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, rgw: Rgw, bucket_name: str,
    tls: bool,
) -> None:  # fmt: skip
    target = rgw.target(tls=tls, bucket=bucket_name)
    make_bucket(target)
    await round_trip(app, client, resources, target)


async def test_a_flipped_byte_anywhere_is_detected(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, tmp_path: Path
) -> None:
    sale = await open_sale(app, client, resources)
    await sell(sale, "usr_ana", ["A:r-1:s-1"])
    target = LocalTarget(tmp_path)
    manifest = await create_backup(
        resources.mongo, resources.db, target, KEY, chunk_bytes=SMALL_CHUNKS
    )
    data = tmp_path / manifest.backup_id / "data"
    original = data.read_bytes()
    for offset in (0, len(original) // 2, len(original) - 1):
        flipped = bytearray(original)
        flipped[offset] ^= 0x01
        data.write_bytes(bytes(flipped))
        with pytest.raises(ChunkCorrupt):
            await verify_backup(target, KEY, manifest.backup_id)
    data.write_bytes(original)
    await verify_backup(target, KEY, manifest.backup_id)

    manifest_file = tmp_path / manifest.backup_id / MANIFEST
    text = manifest_file.read_text()
    manifest_file.write_text(text.replace('"documents": 1', '"documents": 2', 1))
    with pytest.raises(ManifestInvalid):
        await verify_backup(target, KEY, manifest.backup_id)


async def test_a_wrong_key_is_refused(resources: Resources, tmp_path: Path) -> None:
    await resources.db["things"].insert_one({"_id": 1})
    target = LocalTarget(tmp_path)
    manifest = await create_backup(resources.mongo, resources.db, target, KEY)
    with pytest.raises(BackupKeyError):
        await verify_backup(target, BackupKey("k2", bytes(32)), manifest.backup_id)
    with pytest.raises(ManifestInvalid):  # same id, other secret: the signature fails
        await verify_backup(target, BackupKey("k1", bytes(32)), manifest.backup_id)


async def test_restore_refuses_a_database_that_holds_data_unless_forced(
    resources: Resources, tmp_path: Path
) -> None:
    await resources.db["things"].insert_many([{"_id": 1}, {"_id": 2}])
    target = LocalTarget(tmp_path)
    manifest = await create_backup(resources.mongo, resources.db, target, KEY)
    await resources.db["things"].insert_one({"_id": 3})
    with pytest.raises(DatabaseNotEmpty):
        await restore_backup(resources.db, resources.redis, target, KEY, manifest.backup_id)
    assert await resources.db["things"].count_documents({}) == 3
    await restore_backup(resources.db, resources.redis, target, KEY, manifest.backup_id, force=True)
    assert await resources.db["things"].count_documents({}) == 2


def test_the_retention_policy_keeps_one_per_hour_then_one_per_day() -> None:
    now = datetime(2026, 12, 10, 12, 30, tzinfo=UTC)
    taken = [now - timedelta(minutes=20 * i + 1) for i in range(3 * 24 * 6)]  # 6 days, 3/h
    ids = [new_backup_id(t) for t in taken]
    kept = RetentionPolicy(hourly=24, daily=5).keep(ids, now)

    def newest_in(start: datetime, length: timedelta) -> str:
        return ids[min(i for i, t in enumerate(taken) if start <= t < start + length)]

    this_hour = now.replace(minute=0)
    hourly = {newest_in(this_hour - timedelta(hours=h), timedelta(hours=1)) for h in range(24)}
    today = this_hour.replace(hour=0)
    # days 8, 7 and 6 December (10 and 9 are covered by the hourly ones already)
    daily = {newest_in(today - timedelta(days=d), timedelta(days=1)) for d in range(5)}
    assert kept == hourly | daily
    assert len(kept) == 24 + 3


async def test_prune_deletes_exactly_what_the_policy_does_not_keep(
    resources: Resources, tmp_path: Path
) -> None:
    target = LocalTarget(tmp_path)
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    for days in (0, 1, 1, 2, 40):
        backup_id = new_backup_id(now - timedelta(days=days, minutes=5))
        (tmp_path / backup_id).mkdir()
        (tmp_path / backup_id / MANIFEST).write_text("{}")
    policy = RetentionPolicy(hourly=0, daily=7)
    expected = policy.keep(target.backup_ids(), now)
    kept, deleted = await prune_backups(target, policy, now=now)
    assert set(kept) == expected == set(target.backup_ids())
    assert len(kept) == 3
    assert len(deleted) == 2


async def test_an_archived_backup_is_asked_back_and_read_once_restored(
    resources: Resources, moto_target: S3Target
) -> None:
    await resources.db["things"].insert_one({"_id": 1, "name": "x"})
    manifest = await create_backup(resources.mongo, resources.db, moto_target, KEY)
    with pytest.raises(ArchivedNotReady, match="come back"):
        await verify_backup(moto_target, KEY, manifest.backup_id)
    head = moto_target.call(
        "head_object", Bucket=moto_target.options.bucket, Key=f"b/{manifest.backup_id}/data"
    )
    assert head["StorageClass"] == "GLACIER"
    assert "Restore" in head  # the restore was asked; moto completes it at once
    report = await verify_backup(moto_target, KEY, manifest.backup_id)
    assert report.documents == 1


async def test_a_backup_taken_while_a_sale_runs_restores_without_a_seat_sold_twice(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, tmp_path: Path
) -> None:
    sale = await open_sale(app, client, resources)
    seats = [f"A:r-{r}:s-{s}" for r in (1, 2) for s in range(1, 6)]
    selling = asyncio.gather(*(sell(sale, f"usr_{i}", [seat]) for i, seat in enumerate(seats)))
    target = LocalTarget(tmp_path)
    manifest = await create_backup(
        resources.mongo, resources.db, target, KEY, chunk_bytes=SMALL_CHUNKS
    )
    await selling
    await wipe(resources)
    await restore_backup(resources.db, resources.redis, target, KEY, manifest.backup_id)
    units = [d async for d in resources.db["inventory_units"].find({"event_id": sale.event_id})]
    assert len({u["unit"] for u in units}) == len(units)  # one sale per unit
    for unit in units:
        r = await client.post(
            f"/events/{sale.event_id}/holds",
            json={"kind": "seats", "seat_ids": [unit["unit"]]}, headers=sale.buyer("usr_late"),
        )  # fmt: skip
        assert r.status_code == 409  # sold in the copy: still sold after the restore
