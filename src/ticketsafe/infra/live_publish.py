"""Publishing to live channels: fire and forget, never on a request's critical path.

A user's messages go to a bounded Redis Stream (`ts:live:user:<id>`, last 200 entries,
an hour), so a client that reconnects with Last-Event-ID gets what it missed; losing
Redis loses at most live frames, never state (clients re-read state on reconnect)."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ticketsafe.infra.background import run_soon
from ticketsafe.infra.hash_tags import event_prefix
from ticketsafe.infra.redisdb import RedisClient

log = logging.getLogger("ticketsafe.realtime")

USER_STREAM_MAXLEN = 200
USER_STREAM_TTL_S = 3_600


def user_stream(user_id: str) -> str:
    return f"ts:live:user:{user_id}"


def seats_channel(event_id: str) -> str:
    return f"{event_prefix(event_id)}:live:seats"


def seats_sequence(event_id: str) -> str:
    return f"{event_prefix(event_id)}:live:seq"


async def publish_to_user(
    redis: RedisClient, user_id: str, kind: str, data: dict[str, Any]
) -> None:
    """Append to the user's stream. Errors are logged, not raised: live frames are a
    courtesy, the state stays readable."""
    key = user_stream(user_id)
    try:
        await redis.xadd(
            key, {"type": kind, "data": orjson.dumps(data)}, maxlen=USER_STREAM_MAXLEN,
            approximate=True,
        )  # fmt: skip
        await redis.expire(key, USER_STREAM_TTL_S)
        await redis.publish(key, b"1")  # wakes the user's connections on every instance
    except Exception:
        log.debug("live publish to a user failed", exc_info=True)


def publish_soon(redis: RedisClient, user_id: str, kind: str, data: dict[str, Any]) -> None:
    """`publish_to_user` without waiting for it (a request's answer does not wait)."""
    run_soon(publish_to_user(redis, user_id, kind, data), "live publish to a user")
