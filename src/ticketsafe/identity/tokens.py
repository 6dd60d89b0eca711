"""Short-lived access tokens: JWT (HS256) carrying the principal. Verified without any
store lookup, so every API instance checks them at memory speed; revocation happens at
refresh time (tokens live minutes)."""

from __future__ import annotations

import time

import jwt

from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.errors import Unauthenticated

_ISSUER = "ticketsafe"
_AUDIENCE = "ticketsafe-api"


class AccessTokenCodec:
    def __init__(self, secret: str, ttl_s: int = 900) -> None:
        if len(secret) < 32:
            raise ValueError("access-token secret must be at least 32 characters")
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, principal: Principal, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": _ISSUER,
            "aud": _AUDIENCE,
            "sub": principal.user_id,
            "iat": issued,
            "exp": issued + self.ttl_s,
            "roles": sorted(principal.roles),
            "orgs": list(principal.org_ids),
            "sid": principal.session_id,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=_AUDIENCE,
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token expired", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid access token", code="invalid_token") from None
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError:
            raise Unauthenticated("invalid access token", code="invalid_token") from None
        return Principal(
            user_id=str(claims["sub"]),
            roles=roles,
            org_ids=tuple(str(o) for o in claims.get("orgs", [])),
            session_id=claims.get("sid"),
        )
