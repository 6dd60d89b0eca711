"""argon2id password hashes (OWASP parameters: 19 MiB, 2 passes, 1 lane).

Hashing is CPU-bound for tens of milliseconds, so it runs in a thread: the event loop
keeps serving while a login is verified."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)

# Verified against when the account does not exist, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
