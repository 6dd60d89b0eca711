"""The offline gate: a bundle downloaded while online, codes judged without a network,
and a log of admissions to sync later.

A bundle (JSON) holds the event's public key, its code policy, the revoked tickets, the
tickets already used when it was made, and — sealed for one device only — each valid
ticket's version and rotation secret. Sealing: the device made an X25519 key pair
(`ticketsafe gate keygen`) and sent its public half; the server draws an ephemeral pair,
derives an AES-256-GCM key with HKDF-SHA256 from the shared secret, and seals the
secrets with the event and device as associated data. A copied bundle is useless
without the device's private key, and a bundle cannot be replayed on another event.

Without a network a device knows only its own admissions: a ticket admitted at two
offline gates is admitted twice, and the server's sync (`checkin.sync`) reports it.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ticketsafe.checkin.verifier import TicketState, Verdict, judge, read_code
from ticketsafe.tickets import codes

FORMAT = 1


class BundleUnreadable(ValueError):
    """Not a bundle of this format, or not sealed for this device's key."""


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(shared: bytes, event_id: str, device_id: str) -> bytes:
    info = f"ticketsafe-gate-bundle:{event_id}:{device_id}".encode()
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(shared)


def seal_for_device(
    device_public_key: bytes, event_id: str, device_id: str, plaintext: bytes
) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(device_public_key))
    nonce = os.urandom(12)
    aad = f"{event_id}:{device_id}".encode()
    sealed = AESGCM(_key(shared, event_id, device_id)).encrypt(nonce, plaintext, aad)
    return {
        "ephemeral_public_key": b64(ephemeral.public_key().public_bytes_raw()),
        "nonce": b64(nonce),
        "ciphertext": b64(sealed),
    }


def open_for_device(
    device_key: X25519PrivateKey, event_id: str, device_id: str, sealed: dict[str, str]
) -> bytes:
    try:
        peer = X25519PublicKey.from_public_bytes(unb64(sealed["ephemeral_public_key"]))
        shared = device_key.exchange(peer)
        aad = f"{event_id}:{device_id}".encode()
        return AESGCM(_key(shared, event_id, device_id)).decrypt(
            unb64(sealed["nonce"]), unb64(sealed["ciphertext"]), aad
        )
    except Exception as exc:  # a wrong key, a tampered or truncated bundle
        raise BundleUnreadable("the bundle is not sealed for this device's key") from exc


@dataclass
class OfflineGate:
    """One device's view of an event, from its bundle, plus its own admissions."""

    event_id: str
    device_id: str
    timezone: str
    public_key: bytes
    static_codes: bool
    window_steps: int
    tickets: dict[str, TicketState]
    admitted: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, bundle: dict[str, Any], device_key: X25519PrivateKey) -> OfflineGate:
        try:
            if bundle["format"] != FORMAT:
                raise BundleUnreadable(f"bundle format {bundle['format']} is not {FORMAT}")
            event_id, device_id = str(bundle["event_id"]), str(bundle["device_id"])
            secrets = orjson.loads(
                open_for_device(device_key, event_id, device_id, bundle["tickets_sealed"])
            )
            revoked = set(bundle["revoked"])
            tickets: dict[str, TicketState] = {}
            for ticket_id, (version, secret, used_at, used_gate) in secrets.items():
                tickets[ticket_id] = TicketState(
                    version=int(version), revoked=ticket_id in revoked, secret=unb64(secret),
                    used_at=datetime.fromisoformat(used_at) if used_at else None,
                    used_gate=used_gate,
                )  # fmt: skip
            for ticket_id in revoked - tickets.keys():  # no secret: it admits no more
                tickets[ticket_id] = TicketState(version=0, revoked=True, secret=b"")
            return cls(
                event_id, device_id, str(bundle["timezone"]), unb64(bundle["public_key"]),
                bool(bundle["static_codes"]), int(bundle["window_steps"]), tickets,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, BundleUnreadable):
                raise
            raise BundleUnreadable(f"malformed bundle: {exc!r}") from exc

    def replay(self, log: list[dict[str, Any]]) -> None:
        """Admissions this device made before (its log), so they stay used."""
        for entry in log:
            self._mark(entry)

    def verify(self, code: str, gate: str, at: datetime | None = None) -> Verdict:
        """Judge `code` as the server would; an admission is logged (sync it later)."""
        at = at or datetime.now(UTC)
        verdict = read_code(code, self.event_id, self.public_key)
        if verdict.scanned is None or not verdict.admitted:
            return verdict
        scanned = verdict.scanned
        verdict = judge(
            scanned, self.tickets.get(scanned.claims.ticket_id),
            static_accepted=self.static_codes, at=at, window_steps=self.window_steps,
            timezone=self.timezone,
        )  # fmt: skip
        if verdict.admitted:
            entry = {
                "ticket_id": scanned.claims.ticket_id, "version": scanned.claims.version,
                "gate": gate, "at": at.isoformat(), "kind": scanned.kind,
                "code": code.partition(codes.LIVE_SEPARATOR)[0].strip(),  # proof for sync
            }  # fmt: skip
            self._mark(entry)
            self.admitted.append(entry)
        return verdict

    def _mark(self, entry: dict[str, Any]) -> None:
        state = self.tickets.get(entry["ticket_id"])
        if state is not None and state.used_at is None:
            self.tickets[entry["ticket_id"]] = TicketState(
                state.version, state.revoked, state.secret,
                datetime.fromisoformat(entry["at"]), entry["gate"],
            )  # fmt: skip
