"""Readiness: every store we depend on answers within a short timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from ticketsafe.infra.mongodb import ping_mongo
from ticketsafe.infra.redisdb import ping_redis
from ticketsafe.infra.resources import Resources

_CHECK_TIMEOUT_S = 2.0


async def _check(probe: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(probe, _CHECK_TIMEOUT_S)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def readiness(resources: Resources) -> dict[str, str]:
    mongodb, redis = await asyncio.gather(
        _check(ping_mongo(resources.mongo)), _check(ping_redis(resources.redis))
    )
    return {"mongodb": mongodb, "redis": redis}
