from __future__ import annotations

import asyncio

import pytest

from ticketsafe.infra.errors import RateLimited
from ticketsafe.infra.ratelimit import Rate, RateLimiter
from ticketsafe.infra.resources import Resources


async def test_burst_then_refused_with_retry_after(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis)
    rate = Rate(count=5, period_s=60, burst=5)
    for _ in range(5):
        await limiter.hit("login:ip:127.0.0.1", rate)
    with pytest.raises(RateLimited) as info:
        await limiter.hit("login:ip:127.0.0.1", rate)
    assert info.value.headers["Retry-After"] in {"11", "12"}  # one slot frees every 12 s
    await limiter.hit("login:ip:10.0.0.9", rate)  # other subjects are unaffected


async def test_concurrent_hits_never_exceed_burst(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis)
    rate = Rate(count=10, period_s=3600, burst=10)
    waits = await asyncio.gather(*(limiter.check("join:acct:1", rate) for _ in range(50)))
    assert sum(1 for w in waits if w == 0) == 10


async def test_capacity_returns_over_time(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis)
    rate = Rate(count=20, period_s=1, burst=1)  # one every 50 ms
    assert await limiter.check("k", rate) == 0
    assert await limiter.check("k", rate) > 0
    await asyncio.sleep(0.06)
    assert await limiter.check("k", rate) == 0
