"""Rate limits in Redis (GCRA: a smooth token bucket in one key per subject).

`limit(key, rate, period_s, burst)` allows `rate` requests per `period_s` on average with
bursts up to `burst`, atomically in one Lua call, and raises `RateLimited` (429 with
Retry-After) when exceeded. One round trip, one key, no clock on the client: the script
reads Redis's own TIME, so every API instance agrees.
"""

from __future__ import annotations

import json
import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketsafe.infra.errors import RateLimited
from ticketsafe.infra.redisdb import RedisClient

# KEYS[1] = bucket; ARGV = emission interval (µs), burst tolerance (µs)
# Returns {allowed (1/0), retry_after_us}
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return {0, allow_at - now}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0}
"""


class Rate(BaseModel):
    """`count` requests per `period_s`, with up to `burst` at once. In settings, also
    written `COUNT/PERIOD_S[/BURST]` (`600/60/200`: 600 a minute, 200 at once)."""

    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=1)
    period_s: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            return json.loads(text)
        parts = text.split("/")
        if len(parts) not in (2, 3):
            raise ValueError("a rate is COUNT/PERIOD_S or COUNT/PERIOD_S/BURST, e.g. 600/60/200")
        return dict(zip(("count", "period_s", "burst"), parts, strict=False))

    @property
    def interval_us(self) -> int:
        return int(self.period_s * 1_000_000 / self.count)


class RateLimiter:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA)

    async def check(self, key: str, rate: Rate) -> float:
        """0.0 when allowed (and counted); else the seconds to wait (nothing counted)."""
        tolerance = rate.interval_us * max(0, rate.burst - 1)
        allowed, retry_us = await self._script(
            keys=[f"ts:rl:{key}"], args=[rate.interval_us, tolerance]
        )
        return 0.0 if int(allowed) else int(retry_us) / 1_000_000

    async def hit(self, key: str, rate: Rate, *, what: str = "requests") -> None:
        """Count one request for `key`, or raise RateLimited with Retry-After."""
        wait = await self.check(key, rate)
        if wait > 0:
            raise RateLimited(
                f"too many {what}; try again in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
            )

    async def forget(self, *keys: str) -> None:
        """Drop the counters of `keys` (an erased person's, keyed by their blind index)."""
        if keys:
            await self._redis.delete(*(f"ts:rl:{key}" for key in keys))
