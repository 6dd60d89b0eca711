"""AES-256-GCM with a random 96-bit nonce. A sealed blob is `nonce || ciphertext+tag`.

Associated data binds a ciphertext to its place (owner id, field name): a value copied
into another person's document or another field fails authentication instead of
decrypting. Random nonces are safe far beyond our volumes (2^32 messages per key)."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """Wrong key, tampered ciphertext or mismatched associated data."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < _NONCE_BYTES + 16:
        raise DecryptionFailed("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionFailed("authentication failed") from None
