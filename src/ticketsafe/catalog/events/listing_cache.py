"""Redis cache of what the public reads: the event listing/search pages and single events.

Every key carries a *generation* number: any change to a publicly visible event bumps it
(one INCR, after the MongoDB write), so every cached page and event answer becomes
unreachable at once and simply expires (TTL). The generation (not a DEL of the entry) is
what closes the race where a reader builds from the old document while a writer commits:
the reader stores its stale answer under the old generation, which nobody reads again.
Redis only accelerates: if it is empty or flushed, answers are rebuilt from MongoDB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from ticketsafe.infra.hash_tags import event_prefix
from ticketsafe.infra.redisdb import RedisClient

GENERATION_KEY = "ts:catalog:listing:gen"
LISTING_TTL_S = 120
EVENT_TTL_S = 300


async def generation(redis: RedisClient) -> int:
    return int(await redis.get(GENERATION_KEY) or 0)


async def event_key(redis: RedisClient, event_id: str) -> str:
    return f"{event_prefix(event_id)}:catalog:public:{await generation(redis)}"


async def seat_map_key(redis: RedisClient, event_id: str) -> str:
    return f"{event_prefix(event_id)}:catalog:seatmap:{await generation(redis)}"


async def listing_key(redis: RedisClient, query_fingerprint: str) -> str:
    digest = hashlib.sha256(query_fingerprint.encode()).hexdigest()[:32]
    return f"ts:catalog:listing:{await generation(redis)}:{digest}"


async def cached(
    redis: RedisClient, key: str, ttl_s: int, build: Callable[[], Awaitable[bytes]]
) -> bytes:
    """The cached bytes under `key`, or `build()`'s, stored for `ttl_s` seconds."""
    hit = await redis.get(key)
    if isinstance(hit, bytes):
        return hit
    value = await build()
    await redis.set(key, value, ex=ttl_s)
    return value


async def invalidate_event(redis: RedisClient, event_id: str) -> None:
    """After any change to an event the public may see (or just stopped seeing)."""
    await redis.incr(GENERATION_KEY)
