from __future__ import annotations

import asyncio

from ticketsafe.infra.leases import Lease
from ticketsafe.infra.resources import Resources


async def test_only_one_holder(resources: Resources) -> None:
    a = Lease(resources.redis, "sweep", ttl_ms=5_000)
    b = Lease(resources.redis, "sweep", ttl_ms=5_000)
    results = await asyncio.gather(a.acquire(), b.acquire())
    assert sorted(results) == [False, True]


async def test_non_holder_cannot_renew_or_release(resources: Resources) -> None:
    a = Lease(resources.redis, "tick", ttl_ms=5_000)
    b = Lease(resources.redis, "tick", ttl_ms=5_000)
    assert await a.acquire()
    assert not await b.renew()
    assert not await b.release()
    assert await a.held()
    assert await a.release()
    assert await b.held()


async def test_expired_lease_can_be_taken_and_old_holder_loses_it(resources: Resources) -> None:
    a = Lease(resources.redis, "short", ttl_ms=50)
    b = Lease(resources.redis, "short", ttl_ms=5_000)
    assert await a.acquire()
    await asyncio.sleep(0.12)
    assert await b.acquire()
    assert not await a.renew()
    assert not await a.release()
    assert await resources.redis.get(b.key) == b.token.encode()
