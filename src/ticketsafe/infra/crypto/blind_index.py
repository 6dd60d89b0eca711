"""Keyed blind indexes: look a value up by equality without storing it.

HMAC-SHA256 under a key of its own (never a key-ring key), over the normalised value, so
the database holds a stable token per e-mail that reveals nothing without the key."""

from __future__ import annotations

import hashlib
import hmac


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("blind-index key must be at least 256 bits")
        self._key = key

    def token(self, purpose: str, normalised: str) -> str:
        message = purpose.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def email(self, address: str) -> str:
        return self.token("email", normalise_email(address))


def normalise_email(address: str) -> str:
    """Case-insensitive match on the whole address (no provider-specific folding)."""
    return address.strip().lower()
