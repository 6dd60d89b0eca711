"""`Idempotency-Key` for every mutating endpoint (POST/PUT/PATCH/DELETE).

The first request with a key runs; its answer (status, body, key headers) is kept for
24 h and replayed to any retry with the same key and the same payload. A retry while the
first is still running gets 409 `request_in_progress` (like pretix); the same key with a
different payload gets 422 `idempotency_key_reused`. Keys are scoped to the caller (user
id from the access token, else anonymous), so two users can never see each other's
answers. 5xx answers are not kept: the client may retry them.

A kept answer may hold secrets or personal data (tokens from a login, a buyer's details),
so it is stored encrypted (AES-256-GCM) under a key derived from the caller and the
Idempotency-Key itself; Redis only ever sees a hash of that key, so a dump of Redis
cannot read any answer — only a client that still has its key can replay it. The payload
fingerprint is an HMAC under the same key, for the same reason.

Records live in Redis for speed. If Redis loses them, a retry runs again, and the domain's
own guards in MongoDB (one order per hold, unique sold seats) still refuse to buy twice:
this layer spares work, it is not what prevents overselling. So while Redis is down or
restarting, a request with a key is answered 503 with Retry-After before it runs (like
any store outage, never a 500), and an answer that could not be kept after it was sent
is only logged: a retry runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketsafe.infra.asgi_body import read_body, replay
from ticketsafe.infra.crypto import aead
from ticketsafe.infra.errors import (
    BusinessRuleViolation,
    IdempotencyKeyReused,
    RequestInProgress,
    TicketSafeError,
)
from ticketsafe.infra.problem_handlers import STORE_ERRORS, problem_for, problem_response
from ticketsafe.infra.redisdb import RedisClient

log = logging.getLogger("ticketsafe.idempotency")

HEADER = b"idempotency-key"
VERIFIED_PRINCIPAL = "verified_principal"
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RUNNING_TTL_MS = 60_000
_DONE_TTL_MS = 24 * 3600 * 1000
_KEPT_HEADERS = frozenset({b"content-type", b"location", b"retry-after", b"etag"})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _MUTATING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = bytes(raw_key).decode("latin-1").strip()
        if not valid_key(key):
            await _send_error(
                scope, receive, send, BusinessRuleViolation(
                    "Idempotency-Key must be 1-255 printable characters",
                    code="invalid_idempotency_key",
                ),
            )  # fmt: skip
            return
        owner = _owner(scope, headers)
        if owner is None:  # a bad token: let the app answer 401 as usual
            await self.app(scope, receive, send)
            return
        body, _ = await read_body(receive)
        redis: RedisClient = scope["app"].state.resources.redis
        secret = f"{owner}\0{key}".encode()
        record_key = "ts:idem:" + record_id(owner, key)
        seal_key = _hkdf_sha256(secret, b"ticketsafe-idempotency")
        fingerprint = hmac.new(
            seal_key, scope["method"].encode() + b" " + scope["path"].encode() + b"\0" + body,
            hashlib.sha256,
        ).hexdigest()  # fmt: skip
        running = orjson.dumps({"state": "running", "fp": fingerprint})
        slot = _Slot(redis, record_key, fingerprint, seal_key)
        try:
            if not await redis.set(record_key, running, nx=True, px=_RUNNING_TTL_MS):
                await _answer_existing(scope, receive, send, slot)
                return
        except STORE_ERRORS as exc:  # nothing ran: the client retries after Retry-After
            await problem_for(exc)(scope, receive, send)
            return
        await self._run_and_keep(scope, replay(body), send, slot)

    async def _run_and_keep(self, scope: Scope, receive: Receive, send: Send, slot: _Slot) -> None:
        status = 500
        kept_headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                kept_headers.extend(
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", [])
                    if k.lower() in _KEPT_HEADERS
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await _forget(slot)
            raise
        if status >= 500:
            await _forget(slot)
            return
        answer = orjson.dumps(
            {"status": status, "headers": kept_headers, "body": b"".join(chunks).decode("latin-1")}
        )
        sealed = aead.seal(slot.seal_key, answer, slot.key.encode())
        done = {"state": "done", "fp": slot.fingerprint, "sealed": sealed.hex()}
        try:
            await slot.redis.set(slot.key, orjson.dumps(done), px=_DONE_TTL_MS)
        except STORE_ERRORS as exc:  # the answer is sent; a retry will run again
            log.warning("idempotent answer not kept: %s", type(exc).__name__)


async def _forget(slot: _Slot) -> None:
    """Drop the running record so that a retry runs; if Redis is down it expires."""
    with contextlib.suppress(*STORE_ERRORS):
        await slot.redis.delete(slot.key)


@dataclass(frozen=True)
class _Slot:
    """Where one (caller, key) pair's record lives, and the request it belongs to."""

    redis: RedisClient
    key: str
    fingerprint: str
    seal_key: bytes


async def _answer_existing(scope: Scope, receive: Receive, send: Send, slot: _Slot) -> None:
    raw = await slot.redis.get(slot.key)
    running = {"state": "running", "fp": slot.fingerprint}  # vanished meanwhile: treat as busy
    record: dict[str, Any] = orjson.loads(raw) if raw else running
    if record["fp"] != slot.fingerprint:
        await _send_error(scope, receive, send, IdempotencyKeyReused())
    elif record["state"] == "running":
        await _send_error(scope, receive, send, RequestInProgress())
    else:
        answer = orjson.loads(
            aead.open_sealed(slot.seal_key, bytes.fromhex(record["sealed"]), slot.key.encode())
        )
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer["headers"]]
        headers.append((b"idempotent-replayed", b"true"))
        body = answer["body"].encode("latin-1")
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": answer["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and key.isprintable()


def record_id(owner: str, key: str) -> str:
    """The name of one (caller, key) pair's record: a hash, so Redis never sees the key."""
    return hashlib.sha256(f"{owner}\0{key}".encode()).hexdigest()


def user_owner(user_id: str) -> str:
    return f"user:{user_id}"


_NO_SALT = bytes(32)


def _hkdf_sha256(secret: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256 without salt, 32 bytes (one expand block), written out:
    two HMACs, instead of building a KDF object per request on the hot path."""
    prk = hmac.new(_NO_SALT, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _owner(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization")
    if auth is None:
        return "anonymous"
    scheme, _, token = bytes(auth).decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        principal = scope["app"].state.services.token_codec.verify(token.strip())
    except TicketSafeError:
        return None
    # Verified once per request: the auth dependency reuses it instead of decoding again.
    scope.setdefault("state", {})[VERIFIED_PRINCIPAL] = (token.strip(), principal)
    return user_owner(principal.user_id)


async def _send_error(scope: Scope, receive: Receive, send: Send, error: TicketSafeError) -> None:
    response = problem_response(error.problem(), error.status, error.headers)
    await response(scope, receive, send)
