"""The backup master key: separate from the personal-data key ring, never in a backup.

Each backup gets a fresh 256-bit data key, wrapped (AES-256-GCM) by the master key and
stored, wrapped, in the manifest. The manifest is signed with HMAC-SHA256 under a key
derived from the master key (HKDF), so a forged or edited manifest is refused before any
chunk is trusted. Losing the master key loses every backup made under it; keep it apart
from the backups (a secret store), as `TICKETSAFE_BACKUP_KEY=id:base64url`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ticketsafe.infra.crypto.aead import KEY_BYTES, open_sealed, seal
from ticketsafe.infra.keyfiles import load_or_create_secret
from ticketsafe.infra.settings import Settings


class BackupKeyError(Exception):
    """The backup master key is malformed, or is not the key a backup was made with."""


@dataclass(frozen=True)
class BackupKey:
    key_id: str
    secret: bytes

    def wrap(self, data_key: bytes, backup_id: str) -> bytes:
        return seal(self.secret, data_key, f"backup-data-key|{backup_id}".encode())

    def unwrap(self, wrapped: bytes, backup_id: str) -> bytes:
        return open_sealed(self.secret, wrapped, f"backup-data-key|{backup_id}".encode())

    def _mac_key(self) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"ticketsafe-backup-manifest").derive(
            self.secret
        )

    def sign(self, payload: bytes) -> str:
        return hmac.new(self._mac_key(), payload, hashlib.sha256).hexdigest()

    def verify(self, payload: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_backup_key(spec: str) -> BackupKey:
    key_id, sep, encoded = spec.strip().partition(":")
    try:
        secret = _b64decode(encoded)
    except ValueError as exc:
        raise BackupKeyError("backup key: not base64url") from exc
    if not sep or not key_id or len(secret) != KEY_BYTES:
        raise BackupKeyError("backup key: expected 'id:base64url' of 32 bytes")
    return BackupKey(key_id, secret)


def load_backup_key(settings: Settings) -> BackupKey:
    """`TICKETSAFE_BACKUP_KEY`, else a key generated once under the data dir (0600)."""
    if settings.backup_key is not None:
        return parse_backup_key(settings.backup_key.get_secret_value())
    secret = load_or_create_secret(settings.keys_dir / "backup.key", KEY_BYTES)
    return BackupKey("local", _b64decode(secret))
