"""Single-use stream tickets: browsers cannot set an Authorization header on an
EventSource or a WebSocket, so a logged-in client asks for a ticket (30 s, one use) and
puts it in the URL instead of its access token (URLs end up in logs)."""

from __future__ import annotations

import secrets

import orjson

from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.errors import Unauthenticated
from ticketsafe.infra.redisdb import RedisClient

TICKET_TTL_S = 30


def _key(ticket: str) -> str:
    return f"ts:live:ticket:{ticket}"


async def issue_ticket(redis: RedisClient, principal: Principal) -> str:
    ticket = secrets.token_urlsafe(24)
    claims = {
        "user_id": principal.user_id,
        "roles": sorted(r.value for r in principal.roles),
        "session_id": principal.session_id,
    }
    await redis.set(_key(ticket), orjson.dumps(claims), ex=TICKET_TTL_S)
    return ticket


async def redeem_ticket(redis: RedisClient, ticket: str) -> Principal:
    """The ticket's principal (not yet checked against the session denylist); 401 when
    unknown, expired or used."""
    if not 16 <= len(ticket) <= 64:
        raise Unauthenticated("invalid stream ticket", code="invalid_stream_ticket")
    raw = await redis.getdel(_key(ticket))
    if raw is None:
        raise Unauthenticated(
            "stream ticket unknown, expired or used", code="invalid_stream_ticket"
        )
    claims = orjson.loads(raw)
    return Principal(
        claims["user_id"], frozenset(Role(r) for r in claims["roles"]), (), claims["session_id"]
    )
