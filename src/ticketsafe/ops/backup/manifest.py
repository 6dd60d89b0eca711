"""What a backup holds: the signed manifest, one per backup, next to its data object.

The data object is the concatenation of encrypted chunks; a chunk is a zstd-compressed
run of length-prefixed BSON documents of one collection, sealed with AES-256-GCM under the
backup's data key with `backup_id|collection|index` as associated data (a chunk moved
within or between backups fails to open). The manifest lists, per collection, its
documents and indexes, and per chunk its offset, length and SHA-256.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

FORMAT = "ticketsafe-backup/1"


class ManifestInvalid(Exception):
    """The manifest is unreadable, altered, or signed with another key."""


@dataclass(frozen=True)
class Chunk:
    offset: int
    length: int
    sha256: str
    documents: int


@dataclass
class CollectionDump:
    name: str
    documents: int = 0
    indexes: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


@dataclass
class Manifest:
    backup_id: str
    created_at: datetime
    database: str
    schema_version: int
    key_id: str
    wrapped_data_key: bytes
    consistency: str
    collections: list[CollectionDump] = field(default_factory=list)
    data_bytes: int = 0
    data_sha256: str = ""

    def payload(self) -> bytes:
        """The signed bytes: every field, in a canonical order."""
        return orjson.dumps(self._as_dict(), option=orjson.OPT_SORT_KEYS)

    def _as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "backup_id": self.backup_id,
            "created_at": self.created_at.isoformat(),
            "database": self.database,
            "schema_version": self.schema_version,
            "key_id": self.key_id,
            "wrapped_data_key": base64.b64encode(self.wrapped_data_key).decode(),
            "consistency": self.consistency,
            "data_bytes": self.data_bytes,
            "data_sha256": self.data_sha256,
            "collections": [
                {
                    "name": c.name,
                    "documents": c.documents,
                    "indexes": c.indexes,
                    "chunks": [[k.offset, k.length, k.sha256, k.documents] for k in c.chunks],
                }
                for c in self.collections
            ],
        }

    def to_json(self, signature: str) -> bytes:
        return orjson.dumps(
            {"manifest": self._as_dict(), "signature": signature},
            option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2,
        )

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections)


def parse_manifest(raw: bytes) -> tuple[Manifest, str]:
    """The manifest and its signature (check it with the backup key before trusting)."""
    try:
        outer = orjson.loads(raw)
        body = outer["manifest"]
        if body["format"] != FORMAT:
            raise ManifestInvalid(f"unknown format {body['format']!r}")
        manifest = Manifest(
            backup_id=body["backup_id"],
            created_at=datetime.fromisoformat(body["created_at"]),
            database=body["database"],
            schema_version=int(body["schema_version"]),
            key_id=body["key_id"],
            wrapped_data_key=base64.b64decode(body["wrapped_data_key"]),
            consistency=body["consistency"],
            data_bytes=int(body["data_bytes"]),
            data_sha256=body["data_sha256"],
            collections=[
                CollectionDump(
                    name=c["name"],
                    documents=int(c["documents"]),
                    indexes=list(c["indexes"]),
                    chunks=[Chunk(int(o), int(n), str(h), int(d)) for o, n, h, d in c["chunks"]],
                )
                for c in body["collections"]
            ],
        )
        return manifest, str(outer["signature"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ManifestInvalid(f"manifest unreadable: {exc}") from exc
