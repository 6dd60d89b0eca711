"""The PII vault: envelope encryption with one data key per person.

    master key ring (settings / key file)  ──wraps──▶  data key of person P (data_keys)
    data key of P  ──AES-256-GCM, AAD = "pii|P|field"──▶  P's fields in any collection

Any domain stores a person's fields as `SealedField` documents from `seal_pii` and reads
them with `open_pii`. Deleting P's data key (`shred`) makes every such field unreadable
everywhere at once: crypto-shredding. `rewrap_all` moves data keys to the ring's current
master key (the `rotate-keys` command, and each master-key epoch's rotation in
`identity.key_epochs`, which then destroys the old key so copies of the data taken before
an erasure cannot open it either); readers keep working throughout, since a data key is
readable under whichever master key id it records.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ticketsafe.infra.crypto import aead
from ticketsafe.infra.crypto.keyring import KeyRing, UnknownKey, Wrapped
from ticketsafe.infra.errors import Gone
from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongo_group import group_get, group_insert
from ticketsafe.infra.mongodb import Database, Document

log = logging.getLogger("ticketsafe.identity")

DATA_KEYS = "data_keys"


class PersonErased(Gone):
    code = "person_erased"
    title = "This person's data was erased"


@dataclass(frozen=True)
class SealedField:
    """One encrypted value as stored: the data key id and `nonce || ciphertext`."""

    key_id: str
    blob: bytes

    def to_document(self) -> Document:
        return {"k": self.key_id, "c": Binary(self.blob)}

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> SealedField:
        return cls(str(doc["k"]), bytes(doc["c"]))


@dataclass(frozen=True)
class _DataKey:
    key_id: str
    key: bytes


def _field_aad(owner_id: str, name: str) -> bytes:
    return f"pii|{owner_id}|{name}".encode()


def _wrap_aad(owner_id: str, key_id: str) -> bytes:
    return f"dk|{owner_id}|{key_id}".encode()


_REMEMBER_S = 10.0


class PiiVault:
    """A vault lives for one request, job or command. It remembers a data key it
    unwrapped for at most `_REMEMBER_S` (a checkout seals the buyer and every ticket
    holder, then opens the buyer for the receipt and seals the receipt: one read, not
    four — also when a flash crowd stretches one checkout over several seconds), like a
    request that already holds plaintext it decrypted; shredding through it forgets at
    once, and no other vault ever sees a key this one unwrapped. So an erasure elsewhere
    reaches an in-flight vault within `_REMEMBER_S`, and every new request at once."""

    def __init__(self, db: Database, keyring: KeyRing) -> None:
        self._db = db
        self.keyring = keyring
        self._unwrapped: dict[str, tuple[float, _DataKey]] = {}

    @property
    def _keys(self) -> AsyncCollection[Document]:
        return self._db[DATA_KEYS]

    def email_index(self, address: str) -> str:
        return self.keyring.blind_index.email(address)

    async def seal(self, owner_id: str, fields: Mapping[str, str]) -> dict[str, SealedField]:
        """Encrypt each field under the owner's data key (created on first use)."""
        data_key = await self._data_key(owner_id, create=True)
        return {
            name: SealedField(
                data_key.key_id,
                aead.seal(data_key.key, value.encode(), _field_aad(owner_id, name)),
            )
            for name, value in fields.items()
        }

    async def open(self, owner_id: str, sealed: Mapping[str, SealedField]) -> dict[str, str]:
        """Decrypt; raises `PersonErased` when the owner's data key was shredded."""
        if not sealed:
            return {}
        data_key = await self._data_key(owner_id, create=False)
        out: dict[str, str] = {}
        for name, field in sealed.items():
            if field.key_id != data_key.key_id:
                raise PersonErased()  # sealed under a shredded, earlier data key
            plain = aead.open_sealed(data_key.key, field.blob, _field_aad(owner_id, name))
            out[name] = plain.decode()
        return out

    async def shred(self, owner_id: str) -> bool:
        """Destroy the owner's data key: everything sealed for them becomes noise. A
        tombstone (no key material) stays, so nothing can be sealed for them again."""
        self._unwrapped.pop(owner_id, None)
        result = await self._keys.replace_one(
            {"_id": owner_id},
            {"_id": owner_id, "shredded_at": datetime.now(UTC)},
            upsert=True,
        )
        return bool(result.modified_count)

    async def discard(self, owner_id: str) -> None:
        """Drop a data key that sealed nothing kept (e.g. a refused registration)."""
        self._unwrapped.pop(owner_id, None)
        await self._keys.delete_one({"_id": owner_id})

    async def rewrap_all(self, batch: int = 500) -> int:
        """Re-wrap every data key not under the current master key; returns how many.
        Written `batch` at a time in one unordered bulk write (3,000 data keys on the
        durable embedded store, on a shared 2-core machine under load: 34 s; one by one,
        56 s)."""
        self.keyring.refresh()  # the current key as the key file says now
        current = self.keyring.current_id
        older = [kid for kid in self.keyring.key_ids if kid != current]
        if not older:
            return 0
        moved = 0
        pending: list[UpdateOne] = []
        # Through the `kek` index (the epoch task asks every few minutes); a data key
        # under a master key the ring no longer holds cannot be re-wrapped anyway.
        cursor = self._keys.find({"kek": {"$in": older}}, batch_size=batch)
        async for doc in cursor:
            owner_id = str(doc["_id"])
            aad = _wrap_aad(owner_id, doc["key_id"])
            try:
                key = self.keyring.unwrap(Wrapped(doc["kek"], bytes(doc["wrapped"])), aad)
            except (UnknownKey, aead.DecryptionFailed):  # its master key is gone
                log.error("data key no master key opens", extra={"owner": owner_id})
                continue
            fresh = self.keyring.wrap(key, aad)
            # Guarded on the old wrapping: a concurrent shred or rewrap wins harmlessly.
            pending.append(
                UpdateOne(
                    {"_id": owner_id, "kek": doc["kek"], "key_id": doc["key_id"]},
                    {"$set": {"kek": fresh.key_id, "wrapped": Binary(fresh.blob)}},
                )
            )
            if len(pending) >= batch:
                moved += await self._write_rewraps(pending)
        return moved + await self._write_rewraps(pending)

    async def _write_rewraps(self, pending: list[UpdateOne]) -> int:
        if not pending:
            return 0
        result = await self._keys.bulk_write(list(pending), ordered=False)
        pending.clear()
        return result.modified_count

    async def count_under(self, master_key_id: str) -> int:
        """Live data keys still wrapped under this master key (0 before destroying it)."""
        return await self._keys.count_documents({"kek": master_key_id})

    async def count_by_master_key(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for doc in self._keys.find({"kek": {"$exists": True}}, {"kek": 1}):
            counts[doc["kek"]] = counts.get(doc["kek"], 0) + 1
        return counts

    async def _data_key(self, owner_id: str, *, create: bool) -> _DataKey:
        now = time.monotonic()
        known = self._unwrapped.get(owner_id)
        if known is not None and now - known[0] < _REMEMBER_S:
            return known[1]
        data_key = await self._load_data_key(owner_id, create=create)
        self._unwrapped[owner_id] = (now, data_key)
        return data_key

    async def _load_data_key(self, owner_id: str, *, create: bool) -> _DataKey:
        # Batched with the other reads of keys under way in this process: a checkout
        # reads its buyer's key, a worker each recipient's.
        doc = await group_get(self._db, DATA_KEYS).get(owner_id)
        if doc is None:
            if not create:
                raise PersonErased()
            doc = await self._create_data_key(owner_id)
        if "wrapped" not in doc:
            raise PersonErased()  # shredded: a tombstone
        aad = _wrap_aad(owner_id, doc["key_id"])
        key = self.keyring.unwrap(Wrapped(doc["kek"], bytes(doc["wrapped"])), aad)
        return _DataKey(doc["key_id"], key)

    async def _create_data_key(self, owner_id: str) -> Document:
        key_id = f"dk_{secrets.token_hex(8)}"
        wrapped = self.keyring.wrap(aead.new_key(), _wrap_aad(owner_id, key_id))
        doc: Document = {
            "_id": owner_id,
            "key_id": key_id,
            "kek": wrapped.key_id,
            "wrapped": Binary(wrapped.blob),
            "created_at": datetime.now(UTC),
        }
        try:
            await group_insert(self._db, DATA_KEYS).insert_one(doc)
        except DuplicateKeyError:  # created concurrently: use the winner's
            existing = await self._keys.find_one({"_id": owner_id})
            if existing is None or "wrapped" not in existing:
                raise PersonErased() from None
            return existing
        return doc


def sealed_to_document(sealed: Mapping[str, SealedField]) -> Document:
    return {name: field.to_document() for name, field in sealed.items()}


def sealed_from_document(doc: Mapping[str, Any] | None) -> dict[str, SealedField]:
    return {name: SealedField.from_document(v) for name, v in (doc or {}).items()}


async def create_data_keys_collection(db: Database) -> None:
    await db[DATA_KEYS].create_index([("kek", ASCENDING)], name="kek")


MIGRATIONS = [Migration(110, "identity: data_keys (PII vault)", create_data_keys_collection)]
