"""The Redis side of the inventory: one Lua script (`scripts/inventory.lua`), one call
per operation, on the per-event keys `ts:{evt_<id>}:…` (one hash slot: Cluster-legal).

This module only speaks Redis: it turns script replies into typed outcomes and knows
nothing of MongoDB. `service.py` decides what an outcome means.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from redis.exceptions import NoScriptError

from ticketsafe.infra.redisdb import RedisClient

_SCRIPT = resources.files("ticketsafe.inventory").joinpath("scripts/inventory.lua").read_text()

EVENTS_KEY = "ts:inventory:events"  # every provisioned event id (for the sweeper)


def event_tag(event_id: str) -> str:
    return "{" + (event_id if event_id.startswith("evt_") else f"evt_{event_id}") + "}"


@dataclass(frozen=True)
class EventKeys:
    event_id: str

    @property
    def prefix(self) -> str:
        return f"ts:{event_tag(self.event_id)}"

    @property
    def channel(self) -> str:
        """Pub/sub channel of availability deltas (`{"v":…, "seats":…, "ga":…}`)."""
        return f"{self.prefix}:changes"

    def all(self) -> list[str]:
        names = ("meta", "seats", "gau", "gafree", "holds", "exp", "buyers", "rows")
        return [f"{self.prefix}:{n}" for n in names] + [self.channel]


@dataclass(frozen=True)
class Reply:
    """A script reply: a status word and its values."""

    status: str
    values: list[Any]

    def text(self, i: int) -> str:
        v = self.values[i]
        return v.decode() if isinstance(v, bytes) else str(v)

    def texts(self, start: int = 0) -> list[str]:
        return [self.text(i) for i in range(start, len(self.values))]


_Call = tuple[list[str], list[str | int], "asyncio.Future[Any]"]


class Engine:
    """Calls into the Lua engine. `now_ms=0` lets Redis's own clock decide (all API
    instances then agree on expiry); tests pass a clock of their own.

    Calls made in the same event-loop turn are sent together as one pipeline (no MULTI:
    each script is atomic on its own, and order is kept). Under a crowd this turns
    hundreds of round trips into a few, which is where a Python API spends its time."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._script = redis.register_script(_SCRIPT)
        self._pending: list[_Call] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._scheduled = False

    async def call(self, event_id: str, op: str, now_ms: int, *args: str | int) -> Reply:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((EventKeys(event_id).all(), [op, now_ms, *args], future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush_soon)
        raw: Any = await future
        first = raw[0]
        return Reply(first.decode() if isinstance(first, bytes) else str(first), list(raw[1:]))

    def _flush_soon(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, batch: list[_Call]) -> None:
        try:
            if len(batch) == 1:
                keys, args, future = batch[0]
                results: list[Any] = [await self._script(keys=keys, args=args)]
            else:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for keys, args, _ in batch:
                        pipe.evalsha(self._script.sha, len(keys), *keys, *args)
                    results = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the connection failed: every caller gets the error
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (keys, args, future), first_try in zip(batch, results, strict=True):
            result = first_try
            if isinstance(result, NoScriptError):  # Redis restarted: load and run again
                try:
                    result = await self._script(keys=keys, args=args)
                except Exception as exc:
                    result = exc
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def load(self, event_id: str, spec: dict[str, Any], now_ms: int) -> int:
        reply = await self.call(event_id, "load", now_ms, orjson.dumps(spec).decode())
        await self.redis.sadd(EVENTS_KEY, event_id)
        return int(reply.values[0])

    async def events(self) -> list[str]:
        members: Any = await self.redis.smembers(EVENTS_KEY)
        return sorted(m.decode() for m in members)
