"""Create, list, verify, restore and prune backups.

Consistency: on a replica set (or sharded cluster) every collection is read in one
snapshot session (`readConcern: snapshot`, one cluster time for the whole backup). The
embedded server does not offer snapshot sessions, so there each collection is read in
`_id` order while the system may keep selling ("per-collection"); what keeps such a copy
safe is the invariants: a sold unit is one document with the unit as its `_id`, so no
restore can hold a seat sold twice, and an order whose units were written after its
collection was read comes back as a paid order whose money the reconciliation keeps or
refunds. The manifest says which mode was used.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson.raw_bson import RawBSONDocument
from pymongo.errors import ConfigurationError, OperationFailure

from ticketsafe.infra import audit
from ticketsafe.infra.crypto.aead import DecryptionFailed, new_key
from ticketsafe.infra.migrations import applied_versions
from ticketsafe.infra.mongodb import Database, MongoClient
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.ops.backup.keys import BackupKey, BackupKeyError
from ticketsafe.ops.backup.manifest import (
    Chunk,
    CollectionDump,
    Manifest,
    ManifestInvalid,
    parse_manifest,
)
from ticketsafe.ops.backup.snapshot import (
    RAW,
    collection_names,
    index_models,
    index_specs,
    open_chunk,
    raw_chunks,
    seal_chunk,
)
from ticketsafe.ops.backup.targets import Target

Progress = Callable[[str, int], None]  # (collection, documents done in it)
INSERT_BATCH = 1_000


class DatabaseNotEmpty(Exception):
    """Restore refuses to write into a database that holds data (use force)."""


def _nothing(_collection: str, _done: int) -> None:
    return None


def new_backup_id(now: datetime) -> str:
    return f"bkp_{now:%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"


def backup_time(backup_id: str) -> datetime | None:
    try:
        return datetime.strptime(backup_id.split("_")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


async def _snapshot_session(client: MongoClient, db: Database) -> tuple[object | None, str]:
    """A snapshot session where the server offers one, else None (per-collection reads)."""
    session = client.start_session(snapshot=True)
    try:
        await db.get_collection("ts_backup_probe").find_one({}, session=session)
    except (OperationFailure, ConfigurationError):
        await session.end_session()
        return None, "per-collection"
    return session, "snapshot"


async def create_backup(
    client: MongoClient,
    db: Database,
    target: Target,
    key: BackupKey,
    *,
    chunk_bytes: int = 4 * 1024 * 1024,
    actor: str = "system:backup",
    progress: Progress = _nothing,
) -> Manifest:
    now = datetime.now(UTC)
    backup_id = new_backup_id(now)
    data_key = new_key()
    versions = await applied_versions(db)
    session, consistency = await _snapshot_session(client, db)
    manifest = Manifest(
        backup_id=backup_id,
        created_at=now,
        database=db.name,
        schema_version=max(versions, default=0),
        key_id=key.key_id,
        wrapped_data_key=key.wrap(data_key, backup_id),
        consistency=consistency,
    )
    upload = await asyncio.to_thread(target.upload, backup_id)
    whole = hashlib.sha256()
    offset = 0
    try:
        for name in await collection_names(db):
            dump = CollectionDump(name, indexes=await index_specs(db, name))
            async for raw, count in raw_chunks(db, name, chunk_bytes, session):  # type: ignore[arg-type]
                sealed = await asyncio.to_thread(
                    seal_chunk,
                    data_key,
                    backup_id,
                    name,
                    len(dump.chunks),
                    raw=raw,
                    documents=count,
                )
                await asyncio.to_thread(upload.write, sealed.blob)
                whole.update(sealed.blob)
                dump.chunks.append(Chunk(offset, len(sealed.blob), sealed.sha256, count))
                offset += len(sealed.blob)
                dump.documents += count
                progress(name, dump.documents)
            manifest.collections.append(dump)
        manifest.data_bytes = offset
        manifest.data_sha256 = whole.hexdigest()
        await asyncio.to_thread(upload.complete)
    except BaseException:
        await asyncio.to_thread(upload.abort)
        raise
    finally:
        if session is not None:
            await session.end_session()  # type: ignore[attr-defined]
    signed = manifest.to_json(key.sign(manifest.payload()))
    await asyncio.to_thread(target.put_manifest, backup_id, signed)
    await audit.record(
        db, actor=actor, action="backup.created", subject=backup_id,
        data={"documents": manifest.documents, "bytes": offset, "target": target.description,
              "consistency": consistency},
    )  # fmt: skip
    return manifest


async def read_manifest(target: Target, key: BackupKey, backup_id: str) -> tuple[Manifest, bytes]:
    """The manifest, its signature checked, and the backup's data key."""
    raw = await asyncio.to_thread(target.get_manifest, backup_id)
    manifest, signature = parse_manifest(raw)
    if manifest.backup_id != backup_id:
        raise ManifestInvalid(f"manifest names {manifest.backup_id}, not {backup_id}")
    if manifest.key_id != key.key_id:
        raise BackupKeyError(f"backup {backup_id} was made with key {manifest.key_id!r}")
    if not key.verify(manifest.payload(), signature):
        raise ManifestInvalid(f"backup {backup_id}: the manifest's signature does not match")
    try:
        data_key = key.unwrap(manifest.wrapped_data_key, backup_id)
    except DecryptionFailed as exc:
        raise BackupKeyError(f"backup {backup_id}: the data key does not open") from exc
    return manifest, data_key


@dataclass
class VerifyReport:
    backup_id: str
    documents: int = 0
    bytes: int = 0
    collections: dict[str, int] = field(default_factory=dict)


async def verify_backup(
    target: Target, key: BackupKey, backup_id: str, *, progress: Progress = _nothing
) -> VerifyReport:
    """Download and check every chunk (hash, tag, BSON framing, counts) without restoring."""
    manifest, data_key = await read_manifest(target, key, backup_id)
    await asyncio.to_thread(target.ensure_readable, backup_id)
    report = VerifyReport(backup_id)
    whole = hashlib.sha256()
    for dump in manifest.collections:
        done = 0
        for index, chunk in enumerate(dump.chunks):
            blob = await asyncio.to_thread(target.read, backup_id, chunk.offset, chunk.length)
            whole.update(blob)
            docs = await asyncio.to_thread(
                open_chunk, data_key, backup_id, dump.name, index, blob=blob, sha256=chunk.sha256
            )
            if len(docs) != chunk.documents:
                raise ManifestInvalid(f"{dump.name} chunk {index}: document count differs")
            done += len(docs)
            report.bytes += len(blob)
            progress(dump.name, done)
        if done != dump.documents:
            raise ManifestInvalid(f"{dump.name}: {done} documents, manifest says {dump.documents}")
        report.collections[dump.name] = done
        report.documents += done
    if whole.hexdigest() != manifest.data_sha256:
        raise ManifestInvalid(f"backup {backup_id}: the data object differs from the manifest")
    return report


async def restore_backup(
    db: Database,
    redis: RedisClient,
    target: Target,
    key: BackupKey,
    backup_id: str,
    *,
    force: bool = False,
    actor: str = "system:backup",
    progress: Progress = _nothing,
) -> VerifyReport:
    """Restore into an empty database (force: drop what is there first), then drop the
    Redis state derived from the old data: inventory, queues and caches rebuild from
    MongoDB on first use (holds in flight are gone, i.e. their units are free)."""
    manifest, data_key = await read_manifest(target, key, backup_id)
    await asyncio.to_thread(target.ensure_readable, backup_id)
    existing = await collection_names(db)
    holding = [n for n in existing if await db[n].estimated_document_count()]
    if holding and not force:
        raise DatabaseNotEmpty(f"database {db.name} holds data ({', '.join(holding[:5])})")
    for name in existing:
        await db.drop_collection(name)
    report = VerifyReport(backup_id)
    for dump in manifest.collections:
        collection = db.get_collection(dump.name, codec_options=RAW)
        await db.create_collection(dump.name)
        done = 0
        for index, chunk in enumerate(dump.chunks):
            blob = await asyncio.to_thread(target.read, backup_id, chunk.offset, chunk.length)
            docs = await asyncio.to_thread(
                open_chunk, data_key, backup_id, dump.name, index, blob=blob, sha256=chunk.sha256
            )
            for start in range(0, len(docs), INSERT_BATCH):
                batch = [RawBSONDocument(d) for d in docs[start : start + INSERT_BATCH]]
                await collection.insert_many(batch, ordered=True)
            done += len(docs)
            report.bytes += len(blob)
            progress(dump.name, done)
        if dump.indexes:
            await collection.create_indexes(index_models(dump.indexes))
        report.collections[dump.name] = done
        report.documents += done
    await redis.flushdb()
    await audit.record(
        db, actor=actor, action="backup.restored", subject=backup_id,
        data={"documents": report.documents, "target": target.description, "forced": force},
    )  # fmt: skip
    return report


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep the newest backup of each of the last `hourly` hours and of the last `daily`
    days (UTC), and always the newest of all."""

    hourly: int = 24
    daily: int = 30

    def keep(self, backup_ids: list[str], now: datetime) -> set[str]:
        dated = sorted(
            ((t, b) for b in backup_ids if (t := backup_time(b)) is not None), reverse=True
        )
        kept: set[str] = {dated[0][1]} if dated else set()
        hours: set[datetime] = set()
        days: set[datetime] = set()
        for when, backup_id in dated:
            hour = when.replace(minute=0, second=0, microsecond=0)
            day = hour.replace(hour=0)
            if now - hour < timedelta(hours=self.hourly) and hour not in hours:
                hours.add(hour)
                kept.add(backup_id)
            if now - day < timedelta(days=self.daily) and day not in days:
                days.add(day)
                kept.add(backup_id)
        return kept


async def prune_backups(
    target: Target, policy: RetentionPolicy, *, now: datetime | None = None
) -> tuple[list[str], list[str]]:
    """(kept, deleted). Objects under Object Lock refuse deletion until they expire."""
    ids = await asyncio.to_thread(target.backup_ids)
    keep = policy.keep(ids, now or datetime.now(UTC))
    deleted = [b for b in ids if b not in keep]
    for backup_id in deleted:
        await asyncio.to_thread(target.delete, backup_id)
    return sorted(keep), deleted
