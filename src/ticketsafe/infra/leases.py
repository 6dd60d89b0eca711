"""Leases in Redis: at most one holder at a time across all instances (sweeps, ticks).

A lease is a key holding a random token with a TTL. Renew and release compare the token
first (in Lua, atomically), so a holder that stalled past its TTL cannot extend or drop a
lease that another instance has since taken.
"""

from __future__ import annotations

import secrets

from ticketsafe.infra.redisdb import RedisClient

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, redis: RedisClient, name: str, ttl_ms: int) -> None:
        self._redis = redis
        self.key = f"ts:lease:{name}"
        self.ttl_ms = ttl_ms
        self.token = secrets.token_hex(16)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        return bool(await self._redis.set(self.key, self.token, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    async def release(self) -> bool:
        return bool(await self._release(keys=[self.key], args=[self.token]))

    async def held(self) -> bool:
        """Acquire if free, renew if ours: the one call a periodic loop needs."""
        return await self.renew() or await self.acquire()
