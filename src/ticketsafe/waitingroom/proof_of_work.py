"""Hashcash-style proof of work for joining a queue: friction for bots, no CAPTCHA.

The server issues a signed challenge bound to event and account, with an expiry and a
difficulty. The client finds a `solution` (any string, typically a counter) such that
SHA-256(challenge ":" solution) starts with `bits` zero bits: about 2^bits hashes, ~1 s
in a browser at the default 18 bits. Checking costs one HMAC and one SHA-256. Each
challenge is single-use: the join script records its nonce (see `scripts/join.lua`).
The client's side (the solver, a join helper) is `pow_client`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from ticketsafe.waitingroom.errors import ChallengeInvalid
from ticketsafe.waitingroom.pow_client import MAX_SOLUTION_LEN, solve

# `solve` is the client's (pow_client), still importable from here by older callers.
__all__ = ["MAX_SOLUTION_LEN", "Challenge", "ProofOfWork", "leading_zero_bits", "solve", "solves"]


@dataclass(frozen=True)
class Challenge:
    event_id: str
    user_id: str
    nonce: str
    expires_ms: int
    bits: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


class ProofOfWork:
    def __init__(self, key: bytes, ttl_s: int = 120) -> None:
        self._key = key
        self.ttl_s = ttl_s

    def issue(self, event_id: str, user_id: str, bits: int, *, now: float | None = None) -> str:
        expires_ms = int(((now if now is not None else time.time()) + self.ttl_s) * 1000)
        payload = f"{event_id}|{user_id}|{secrets.token_hex(12)}|{expires_ms}|{bits}".encode()
        sig = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return f"{_b64(payload)}.{_b64(sig)}"

    def verify(self, challenge: str, solution: str, event_id: str, user_id: str) -> Challenge:
        """The decoded challenge if signed, unexpired, bound to this caller and solved."""
        try:
            payload_b64, sig_b64 = challenge.split(".")
            payload = _unb64(payload_b64)
            sig = _unb64(sig_b64)
            ev, user, nonce, expires, bits = payload.decode().split("|")
            parsed = Challenge(ev, user, nonce, int(expires), int(bits))
        except (ValueError, UnicodeDecodeError):
            raise ChallengeInvalid("malformed challenge") from None
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(sig, expected):
            raise ChallengeInvalid("challenge signature is invalid")
        if parsed.event_id != event_id or parsed.user_id != user_id:
            raise ChallengeInvalid("challenge was issued for another event or account")
        if parsed.expires_ms < time.time() * 1000:
            raise ChallengeInvalid("challenge expired; request a new one", code="challenge_expired")
        if len(solution) > MAX_SOLUTION_LEN or not solves(challenge, solution, parsed.bits):
            raise ChallengeInvalid("proof of work does not meet the difficulty")
        return parsed


def solves(challenge: str, solution: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    return leading_zero_bits(digest) >= bits
