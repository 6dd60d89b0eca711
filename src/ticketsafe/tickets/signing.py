"""Each event's Ed25519 key pair, rotation key and code policy (`ticket_events`).

The pair is made on the event's first issuance; the private key is stored sealed under
the master key ring (AES-256-GCM, its place — the event id — as associated data), so a
copy of the database alone signs nothing. So is the event's rotation key: a ticket's
live-code secret is HMAC-SHA256(rotation key, "ticket id:version") cut to 20 bytes —
its own per ticket and per version (a transfer's new version has a new secret), yet a
gate needs no database read to check a live code, only the key it holds in memory.
Two workers issuing the first tickets of one event at once both try to insert: the
primary key keeps the first and the loser reads it back. Keys never change, so a
process keeps what it read; the policy (static fallback, transfer limit) is re-read
after `_POLICY_MAX_AGE_S`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ticketsafe.infra.crypto.keyring import KeyRing, Wrapped
from ticketsafe.infra.errors import NotFound
from ticketsafe.infra.mongodb import Database
from ticketsafe.tickets import repository as repo

_POLICY_MAX_AGE_S = 2.0
SECRET_BYTES = 20  # RFC 4226's recommended HMAC-SHA1 key length
DEFAULT_TRANSFER_LIMIT = 1


@dataclass(frozen=True)
class CodePolicy:
    org_id: str
    static_codes: bool = True  # the printable code admits (else only the live code)
    transfer_limit: int = DEFAULT_TRANSFER_LIMIT  # transfers per ticket


class EventKeysNotFound(NotFound):
    code = "event_keys_not_found"
    title = "No ticket has been issued for this event yet"


def _aad(event_id: str) -> bytes:
    return f"ticket-signing:{event_id}".encode()


def _rotation_aad(event_id: str) -> bytes:
    return f"ticket-rotation:{event_id}".encode()


class EventKeys:
    """One per process: the signing keys and code policies of events, cached."""

    def __init__(self, db: Database, keyring: KeyRing) -> None:
        self.db = db
        self.keyring = keyring
        self._public: dict[str, bytes] = {}
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._rotation: dict[str, bytes] = {}
        self._known: set[str] = set()  # events whose keys exist
        self._policies: dict[str, tuple[float, CodePolicy]] = {}
        self._policy_reads: dict[str, asyncio.Task[CodePolicy]] = {}

    async def ensure(self, event_id: str, org_id: str) -> None:
        if event_id in self._known:  # every issuance asks: one read per event and process
            return
        if await repo.event_doc(self.db, event_id) is not None:
            self._known.add(event_id)
            return
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes_raw()
        wrapped = self.keyring.wrap(raw, _aad(event_id))
        rotation = self.keyring.wrap(os.urandom(32), _rotation_aad(event_id))
        await repo.insert_event_doc(
            self.db,
            {
                "_id": event_id,
                "org_id": org_id,
                "public_key": private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
                "private_sealed": {"kid": wrapped.key_id, "blob": wrapped.blob},
                "rotation_sealed": {"kid": rotation.key_id, "blob": rotation.blob},
                "static_codes": True,
                "transfer_limit": DEFAULT_TRANSFER_LIMIT,
                "created_at": datetime.now(UTC),
            },
        )  # fmt: skip  (False: another worker made it first, and that one stands)
        self._known.add(event_id)

    async def public_key(self, event_id: str) -> bytes:
        key = self._public.get(event_id)
        if key is None:
            doc = await self._doc(event_id)
            key = self._public[event_id] = bytes(doc["public_key"])
        return key

    async def private_key(self, event_id: str) -> Ed25519PrivateKey:
        key = self._private.get(event_id)
        if key is None:
            doc = await self._doc(event_id)
            sealed = doc["private_sealed"]
            raw = self.keyring.unwrap(Wrapped(sealed["kid"], bytes(sealed["blob"])), _aad(event_id))
            key = self._private[event_id] = Ed25519PrivateKey.from_private_bytes(raw)
        return key

    async def ticket_secret(self, event_id: str, ticket_id: str, version: int) -> bytes:
        """The live-code secret of one version of one ticket (see module docstring)."""
        key = self._rotation.get(event_id)
        if key is None:
            sealed = (await self._doc(event_id))["rotation_sealed"]
            key = self.keyring.unwrap(
                Wrapped(sealed["kid"], bytes(sealed["blob"])), _rotation_aad(event_id)
            )
            self._rotation[event_id] = key
        message = f"{ticket_id}:{version}".encode()
        return hmac.new(key, message, hashlib.sha256).digest()[:SECRET_BYTES]

    async def policy(self, event_id: str) -> CodePolicy:
        """Re-read once `_POLICY_MAX_AGE_S` old, by one read however many scans ask
        meanwhile: in a gate rush every scan that arrived while the read was under way
        read it again (half the scans of a profiled run read `ticket_events`)."""
        cached = self._policies.get(event_id)
        if cached is not None and time.monotonic() - cached[0] < _POLICY_MAX_AGE_S:
            return cached[1]
        read = self._policy_reads.get(event_id)
        if read is None:
            read = self._policy_reads[event_id] = asyncio.create_task(self._read_policy(event_id))
            read.add_done_callback(partial(self._read_done, event_id))
        return await asyncio.shield(read)  # a caller that gives up leaves it to the others

    async def _read_policy(self, event_id: str) -> CodePolicy:
        doc = await self._doc(event_id)
        policy = CodePolicy(
            org_id=doc["org_id"],
            static_codes=bool(doc.get("static_codes", True)),
            transfer_limit=int(doc.get("transfer_limit", DEFAULT_TRANSFER_LIMIT)),
        )
        if self._policy_reads.get(event_id) is asyncio.current_task():  # else set meanwhile
            self._policies[event_id] = (time.monotonic(), policy)
        return policy

    def _read_done(self, event_id: str, read: asyncio.Task[CodePolicy]) -> None:
        if self._policy_reads.get(event_id) is read:
            del self._policy_reads[event_id]

    async def set_policy(self, event_id: str, *, static_codes: bool, transfer_limit: int) -> None:
        await self._doc(event_id)
        await repo.set_event_policy(
            self.db, event_id, {"static_codes": static_codes, "transfer_limit": transfer_limit}
        )
        self._policies.pop(event_id, None)
        self._policy_reads.pop(event_id, None)  # a read under way may predate the change

    async def _doc(self, event_id: str) -> dict[str, Any]:
        doc = await repo.event_doc(self.db, event_id)
        if doc is None:
            raise EventKeysNotFound(event_id=event_id)
        return doc
