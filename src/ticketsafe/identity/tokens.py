"""Short-lived access tokens: JWT (HS256, RFC 7519) carrying who is calling (user, roles,
session). Verified without any store lookup, so every API instance checks them at memory
speed; whether the session still stands and which organizations the caller belongs to
are read live (`identity.access`), never taken from the token: a token carries no
organization list.

Every API request verifies one, so verification is written out here rather than through
a general JWT library: one HMAC from a pre-keyed state, one constant-time comparison and
one JSON parse (~10 µs instead of ~90 µs with PyJWT's per-call key preparation and
option handling). Only the one shape we issue is accepted: header `alg` must be HS256
(`none` and every other algorithm are refused), signature first, then `iss`, `aud`,
`exp` (required, no leeway), `iat` and `sub` (required).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any

import orjson

from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.errors import Unauthenticated

_ISSUER = "ticketsafe"
_AUDIENCE = "ticketsafe-api"
_HEADER = base64.urlsafe_b64encode(orjson.dumps({"alg": "HS256", "typ": "JWT"})).rstrip(b"=")


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(segment: bytes) -> bytes:
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def _invalid() -> Unauthenticated:
    return Unauthenticated("invalid access token", code="invalid_token")


class AccessTokenCodec:
    def __init__(self, secret: str, ttl_s: int = 900) -> None:
        if len(secret) < 32:
            raise ValueError("access-token secret must be at least 32 characters")
        self._mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        self.ttl_s = ttl_s

    def _sign(self, signing_input: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(signing_input)
        return mac.digest()

    def issue(self, principal: Principal, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": _ISSUER,
            "aud": _AUDIENCE,
            "sub": principal.user_id,
            "iat": issued,
            "exp": issued + self.ttl_s,
            "roles": sorted(principal.roles),
            "sid": principal.session_id,
        }
        signing_input = _HEADER + b"." + _b64encode(orjson.dumps(claims))
        return (signing_input + b"." + _b64encode(self._sign(signing_input))).decode("ascii")

    def verify(self, token: str) -> Principal:
        claims = self._verified_claims(token)
        exp, iat, sub = claims.get("exp"), claims.get("iat"), claims.get("sub")
        if not isinstance(exp, int) or not isinstance(iat, int) or not isinstance(sub, str):
            raise _invalid()
        if claims.get("iss") != _ISSUER or claims.get("aud") != _AUDIENCE:
            raise _invalid()
        if exp <= time.time():
            raise Unauthenticated("access token expired", code="token_expired")
        try:
            # Organizer is a matter of live membership (`identity.access`), not a claim.
            roles = frozenset(Role(r) for r in claims.get("roles", [])) - {Role.ORGANIZER}
        except (ValueError, TypeError):
            raise _invalid() from None
        session_id = claims.get("sid")
        return Principal(
            user_id=sub,
            roles=roles,
            session_id=session_id if isinstance(session_id, str) else None,
        )

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise _invalid() from None
        signing_input, dot, signature = raw.rpartition(b".")
        header, dot2, payload = signing_input.partition(b".")
        if not dot or not dot2 or b"." in payload:
            raise _invalid()
        try:
            given = _b64decode(signature)
            if not hmac.compare_digest(given, self._sign(signing_input)):
                raise _invalid()
            if orjson.loads(_b64decode(header)).get("alg") != "HS256":
                raise _invalid()
            claims = orjson.loads(_b64decode(payload))
        except (binascii.Error, ValueError, AttributeError):
            raise _invalid() from None
        if not isinstance(claims, dict):
            raise _invalid()
        return claims
