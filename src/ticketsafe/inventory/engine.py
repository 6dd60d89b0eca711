"""The Redis side of the inventory: one Lua script (`scripts/inventory.lua`), one call
per operation, on the per-event keys `ts:{evt_<id>}:…` (one hash slot: Cluster-legal).

This module only speaks Redis: it turns script replies into typed outcomes and knows
nothing of MongoDB. `service.py` decides what an outcome means.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson

from ticketsafe.infra.hash_tags import event_prefix
from ticketsafe.infra.redisdb import RedisClient

_SCRIPT = resources.files("ticketsafe.inventory").joinpath("scripts/inventory.lua").read_text()

EVENTS_KEY = "ts:inventory:events"  # every provisioned event id (for the sweeper)


@dataclass(frozen=True)
class EventKeys:
    event_id: str

    @property
    def prefix(self) -> str:
        return event_prefix(self.event_id)

    @property
    def channel(self) -> str:
        """Pub/sub channel of availability deltas (`{"v":…, "seats":…, "ga":…}`)."""
        return f"{self.prefix}:changes"

    def idempotency_record(self, record_id: str) -> str:
        """Where a hold's Idempotency-Key keeps its first answer (see `HoldOnce`)."""
        return f"{self.prefix}:idem:{record_id}"

    def all(self) -> list[str]:
        names = ("meta", "seats", "gau", "gafree", "holds", "exp", "buyers", "rows", "segs")
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


class Engine:
    """Calls into the Lua engine. `now_ms=0` lets Redis's own clock decide (all API
    instances then agree on expiry); tests pass a clock of their own.

    Calls made in the same event-loop turn travel together in one pipeline: the client
    auto-pipelines (`ticketsafe.infra.redisdb`), and a Redis that lost its scripts gets
    them loaded again by the script object."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._script = redis.register_script(_SCRIPT)
        self._keys: dict[str, list[bytes]] = {}

    def _event_keys(self, event_id: str) -> list[bytes]:
        """The event's keys, built and encoded once per process: every call passes all
        ten, and building and encoding them was half of packing a call (11 µs of
        client CPU per call, 6 µs with them kept: bench/RESULTS.md)."""
        keys = self._keys.get(event_id)
        if keys is None:
            if len(self._keys) > 10_000:
                self._keys.clear()
            keys = self._keys[event_id] = [k.encode() for k in EventKeys(event_id).all()]
        return keys

    async def call(
        self, event_id: str, op: str, now_ms: int, *args: str | int, extra_key: str | None = None
    ) -> Reply:
        keys: list[bytes | str] = [*self._event_keys(event_id)]
        if extra_key is not None:  # e.g. a hold's idempotency record (same hash tag)
            keys.append(extra_key)
        raw: Any = await self._script(keys=keys, args=[op, now_ms, *args])
        first = raw[0]
        return Reply(first.decode() if isinstance(first, bytes) else str(first), list(raw[1:]))

    async def load(self, event_id: str, spec: dict[str, Any], now_ms: int) -> int:
        reply = await self.call(event_id, "load", now_ms, orjson.dumps(spec).decode())
        await self.redis.sadd(EVENTS_KEY, event_id)
        return int(reply.values[0])

    async def events(self) -> list[str]:
        members: Any = await self.redis.smembers(EVENTS_KEY)
        return sorted(m.decode() for m in members)
