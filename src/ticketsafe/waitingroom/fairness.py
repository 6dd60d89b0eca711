"""The verifiable draw: commitment, pseudonyms and the shuffle anyone can recompute.

Before on-sale the room publishes `commitment = SHA-256(seed)`. At on-sale every pre-queue
entrant, known publicly only by a pseudonym (an HMAC of event and account under a server
key, so the list reveals no account ids), is ordered by `SHA-256(seed ‖ pseudonym)`.
After the draw the seed is revealed; with the published entries anyone can check that
the seed matches the commitment and that the order is exactly the sorted hash order.

A sort by a hash of an unpredictable seed is a uniformly random permutation (up to hash
collisions, ~2^-128): no entrant can do better by arriving earlier or by refreshing,
because neither the arrival time nor the number of attempts enters the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

PSEUDONYM_HEX = 32


def new_seed() -> bytes:
    return secrets.token_bytes(32)


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def pseudonym(key: bytes, event_id: str, user_id: str) -> str:
    mac = hmac.new(key, f"{event_id}\x1f{user_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:PSEUDONYM_HEX]


def draw_key(seed: bytes, entry: str) -> bytes:
    return hashlib.sha256(seed + entry.encode()).digest()


def draw_order(seed: bytes, entries: Iterable[str]) -> list[str]:
    """The pre-queue order: entries sorted by SHA-256(seed ‖ entry)."""
    return sorted(entries, key=lambda e: draw_key(seed, e))


@dataclass(frozen=True)
class DrawCheck:
    ok: bool
    problems: tuple[str, ...]
    entrants: int


def verify_draw(
    commitment_hex: str, seed_hex: str | None, entries: list[str], order: list[str]
) -> DrawCheck:
    """Check a published draw: seed ↔ commitment, same entrants, exact recomputed order."""
    problems: list[str] = []
    if seed_hex is None:
        return DrawCheck(False, ("the seed is not revealed yet (the draw happens at on-sale)",), 0)
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return DrawCheck(False, ("the seed is not hexadecimal",), 0)
    if commitment(seed) != commitment_hex:
        problems.append("SHA-256(seed) does not match the published commitment")
    if len(set(entries)) != len(entries):
        problems.append("the entry list contains duplicates")
    if sorted(entries) != sorted(order):
        problems.append("the order does not contain exactly the published entries")
    expected = draw_order(seed, entries)
    if expected != order:
        first = next(
            (i for i, (a, b) in enumerate(zip(expected, order, strict=False)) if a != b), 0
        )
        problems.append(
            f"the order differs from the recomputed one (first at position {first + 1})"
        )
    return DrawCheck(not problems, tuple(problems), len(entries))
