"""Streaming a database into sealed chunks and back, one bounded chunk at a time.

Documents are read as raw BSON (never decoded) in `_id` order and appended to a chunk
until it reaches `chunk_bytes`; the chunk is compressed with zstd, sealed, hashed and
handed on. Memory stays at about one chunk and one cursor batch whatever the database's
size. A BSON document starts with its own length, so a chunk needs no framing.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, cast

import zstandard
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from ticketsafe.infra.crypto.aead import open_sealed, seal
from ticketsafe.infra.mongodb import Database

RAW = CodecOptions(document_class=RawBSONDocument)
ZSTD_LEVEL = 3
READ_BATCH = 1_000


class ChunkCorrupt(Exception):
    """A chunk's bytes do not match its hash, fail to decrypt, or do not parse."""


@dataclass(frozen=True)
class SealedChunk:
    collection: str
    index: int
    blob: bytes
    sha256: str
    documents: int


def chunk_aad(backup_id: str, collection: str, index: int) -> bytes:
    return f"{backup_id}|{collection}|{index}".encode()


def seal_chunk(
    key: bytes, backup_id: str, collection: str, index: int, *, raw: bytes, documents: int
) -> SealedChunk:
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw)
    blob = seal(key, compressed, chunk_aad(backup_id, collection, index))
    return SealedChunk(collection, index, blob, hashlib.sha256(blob).hexdigest(), documents)


def open_chunk(
    key: bytes, backup_id: str, collection: str, index: int, *, blob: bytes, sha256: str
) -> list[bytes]:
    """The chunk's documents as raw BSON, after checking its hash and tag."""
    from ticketsafe.infra.crypto.aead import DecryptionFailed  # noqa: PLC0415

    if hashlib.sha256(blob).hexdigest() != sha256:
        raise ChunkCorrupt(f"{collection} chunk {index}: hash mismatch")
    try:
        compressed = open_sealed(key, blob, chunk_aad(backup_id, collection, index))
        raw = zstandard.ZstdDecompressor().decompress(compressed)
    except (DecryptionFailed, zstandard.ZstdError) as exc:
        raise ChunkCorrupt(f"{collection} chunk {index}: {exc}") from exc
    return list(split_documents(raw, f"{collection} chunk {index}"))


def split_documents(raw: bytes, where: str) -> Iterator[bytes]:
    at = 0
    while at < len(raw):
        if at + 5 > len(raw):
            raise ChunkCorrupt(f"{where}: truncated document")
        length = int.from_bytes(raw[at : at + 4], "little")
        if length < 5 or at + length > len(raw):
            raise ChunkCorrupt(f"{where}: bad document length")
        yield raw[at : at + length]
        at += length


async def collection_names(db: Database) -> list[str]:
    return sorted(n for n in await db.list_collection_names() if not n.startswith("system."))


async def index_specs(db: Database, name: str) -> list[dict[str, Any]]:
    """Every index but `_id_`, as extended JSON-safe dicts (`key` as [field, direction])."""
    specs = []
    async for index in await db[name].list_indexes():
        info = dict(index)
        if info.get("name") == "_id_":
            continue
        info.pop("v", None)
        info.pop("ns", None)
        info["key"] = [[field, direction] for field, direction in info["key"].items()]
        specs.append(json_util.loads(json_util.dumps(info)))
    return specs


async def raw_chunks(
    db: Database,
    name: str,
    chunk_bytes: int,
    session: AsyncClientSession | None,
) -> AsyncIterator[tuple[bytes, int]]:
    """(concatenated raw documents, count) of at most about `chunk_bytes` each."""
    buffer = bytearray()
    count = 0
    cursor = db.get_collection(name, codec_options=RAW).find(
        {}, sort=[("_id", 1)], batch_size=READ_BATCH, session=session
    )
    async for doc in cursor:
        buffer += cast(RawBSONDocument, doc).raw
        count += 1
        if len(buffer) >= chunk_bytes:
            yield bytes(buffer), count
            buffer.clear()
            count = 0
    if count:
        yield bytes(buffer), count


def index_models(specs: list[dict[str, Any]]) -> list[Any]:
    from pymongo import IndexModel  # noqa: PLC0415

    models = []
    for spec in specs:
        options = {k: v for k, v in spec.items() if k != "key"}
        models.append(
            IndexModel([(field, direction) for field, direction in spec["key"]], **options)
        )
    return models
