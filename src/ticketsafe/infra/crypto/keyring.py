"""The master key ring: key id → 256-bit key. Its current key wraps new data keys; older
keys stay to unwrap what they wrapped until `rotate-keys` re-wraps it.

Sources, in order: `TICKETSAFE_PII_KEYS` (`id:base64url,...`; current =
`TICKETSAFE_PII_CURRENT_KEY_ID`, else the last) with `TICKETSAFE_PII_BLIND_INDEX_KEY`;
else the key file `TICKETSAFE_PII_KEYRING_FILE` (default `data_dir/keys/pii-keyring.json`,
created 0600 on first use). Several API instances must share one source.

Rotation without downtime. Key file: `rotate-keys --new-key`; every process re-reads the
file when it changes (checked before wrapping and on an unknown key id). Environment:
(1) add the key to TICKETSAFE_PII_KEYS with TICKETSAFE_PII_CURRENT_KEY_ID still naming the
old one, roll out; (2) point TICKETSAFE_PII_CURRENT_KEY_ID at the new key, roll out;
(3) `rotate-keys`. Every instance can then read both keys at every step.

Destruction (`ticketsafe.infra.crypto.epochs`): a key removed from the file is forgotten
by every process at its next wrap or unwrap, so a destroyed epoch leaves no copy in
memory either.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ticketsafe.infra.crypto import aead
from ticketsafe.infra.crypto.blind_index import BlindIndex
from ticketsafe.infra.settings import Settings

log = logging.getLogger("ticketsafe.crypto")


class UnknownKey(Exception):
    """A ciphertext names a master key this ring does not hold."""


@dataclass(frozen=True)
class Wrapped:
    key_id: str
    blob: bytes


class KeyRing:
    def __init__(
        self,
        keys: dict[str, bytes],
        current: str,
        blind_index_key: bytes,
        *,
        source: Path | None = None,
    ) -> None:
        if current not in keys:
            raise ValueError("the current key id is not in the ring")
        for kid, key in keys.items():
            if len(key) != aead.KEY_BYTES:
                raise ValueError(f"key {kid!r} is not 256 bits")
        self._keys = dict(keys)
        self.current_id = current
        self.blind_index = BlindIndex(blind_index_key)
        self._source = source
        self._source_seen = _file_version(source) if source is not None else None

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def wrap(self, data_key: bytes, aad: bytes) -> Wrapped:
        self._reload_if_changed()
        return Wrapped(self.current_id, aead.seal(self._keys[self.current_id], data_key, aad))

    def unwrap(self, wrapped: Wrapped, aad: bytes) -> bytes:
        self._reload_if_changed()  # a destroyed key is forgotten here too
        return aead.open_sealed(self._key(wrapped.key_id), wrapped.blob, aad)

    def refresh(self) -> None:
        """Re-read the key file now (before deciding what the current key is)."""
        self._reload_if_changed(force=True)

    def _reload_if_changed(self, *, force: bool = False) -> None:
        if self._source is None:
            return
        # The inode too: a file replaced twice within the clock's tick keeps its mtime.
        seen = _file_version(self._source)
        if force or seen != self._source_seen:
            fresh = read_keyring_file(self._source)
            self._keys = dict(fresh._keys)  # replaced, not merged: destroyed keys go
            self.current_id = fresh.current_id
            self._source_seen = seen

    def _key(self, key_id: str) -> bytes:
        if key_id not in self._keys:
            self._reload_if_changed(force=True)
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKey(key_id) from None


def _file_version(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


def keyring_file_of(settings: Settings) -> Path | None:
    """The key file the ring comes from; None when keys come from the environment."""
    if settings.pii_keys is not None:
        return None
    return settings.pii_keyring_file or settings.keys_dir / "pii-keyring.json"


def load_keyring(settings: Settings) -> KeyRing:
    if settings.pii_keys is not None:
        if settings.pii_blind_index_key is None:
            raise ValueError("TICKETSAFE_PII_BLIND_INDEX_KEY is required with TICKETSAFE_PII_KEYS")
        keys = _parse_keys(settings.pii_keys.get_secret_value())
        return KeyRing(
            keys,
            settings.pii_current_key_id or list(keys)[-1],
            _b64decode(settings.pii_blind_index_key.get_secret_value()),
        )
    path = settings.pii_keyring_file or settings.keys_dir / "pii-keyring.json"
    if not path.exists():
        create_keyring_file(path)
        if not settings.embedded:
            log.warning("generated a PII key ring file; share one key source between instances")
    return read_keyring_file(path)


def create_keyring_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    body = {
        "current": "k1",
        "keys": {"k1": _b64encode(aead.new_key())},
        "blind_index_key": _b64encode(secrets.token_bytes(32)),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh, indent=2)


def read_keyring_file(path: Path) -> KeyRing:
    body = json.loads(path.read_text())
    keys = {kid: _b64decode(value) for kid, value in body["keys"].items()}
    return KeyRing(keys, body["current"], _b64decode(body["blind_index_key"]), source=path)


def add_key_to_file(path: Path) -> str:
    """Append a fresh key and make it current; returns its id. Old keys stay readable."""
    body = json.loads(path.read_text())
    kid = f"k{len(body['keys']) + 1}"
    while kid in body["keys"] or kid in body.get("destroyed", {}):  # ids never reused
        kid = f"k{secrets.token_hex(3)}"
    body["keys"][kid] = _b64encode(aead.new_key())
    body["current"] = kid
    # Atomic and durable: readers see the old file or the new one, never a part, and a
    # crash right after cannot lose a key that data may already be wrapped under.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return kid


def _parse_keys(spec: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, sep, value = part.partition(":")
        if not sep or not kid:
            raise ValueError("TICKETSAFE_PII_KEYS entries are `id:base64url`")
        keys[kid] = _b64decode(value)
    if not keys:
        raise ValueError("TICKETSAFE_PII_KEYS holds no key")
    return keys


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
