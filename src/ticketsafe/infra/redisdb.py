"""Redis (or Valkey) client construction. Keys of one event share a hash tag
(`ts:{evt_…}:…`) so multi-key Lua scripts stay legal on Redis Cluster."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

RedisClient = Redis


def create_redis_client(url: str, *, timeout_s: float = 5.0) -> RedisClient:
    """A bounded pool that makes a burst *wait* for a free connection (up to `timeout_s`)
    instead of failing with MaxConnectionsError: a flash crowd queues, it does not 500."""
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=False,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
        max_connections=512,
        timeout=timeout_s,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it too


async def ping_redis(client: RedisClient) -> None:
    await client.ping()
