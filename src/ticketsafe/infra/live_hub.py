"""A per-process hub: one Redis pub/sub connection, fanned out to local listeners.

A connection (an SSE stream) `listen`s to a channel and gets an `asyncio.Event` that is
set whenever a message arrives on it; it then re-reads its own state (messages carry no
per-user data, so a missed or coalesced wake-up loses nothing). Whatever instance
publishes, every API instance's hub wakes its own listeners. The reader task runs only
while someone listens, so an idle process holds no subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from ticketsafe.infra.redisdb import RedisClient

log = logging.getLogger("ticketsafe.realtime")


class Hub:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._listeners: dict[str, set[asyncio.Event]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def channels(self) -> int:
        return len(self._listeners)

    @asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[asyncio.Event]:
        wake = asyncio.Event()
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub()
            if channel not in self._listeners:
                await self._pubsub.subscribe(channel)
            self._listeners.setdefault(channel, set()).add(wake)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(self._pubsub))
        try:
            yield wake
        finally:
            await self._leave(channel, wake)

    async def _leave(self, channel: str, wake: asyncio.Event) -> None:
        async with self._lock:
            listeners = self._listeners.get(channel, set())
            listeners.discard(wake)
            if listeners:
                return
            self._listeners.pop(channel, None)
            pubsub, reader = self._pubsub, self._reader
            if self._listeners:
                with contextlib.suppress(Exception):
                    await pubsub.unsubscribe(channel)
                return
            self._pubsub, self._reader = None, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if pubsub is not None:
            await pubsub.aclose()

    async def _read(self, pubsub: Any) -> None:
        await read_pubsub(pubsub, self._wake)

    async def _wake(self, channel: str, data: bytes) -> None:
        for wake in self._listeners.get(channel, ()):
            wake.set()


async def read_pubsub(pubsub: Any, handle: Callable[[str, bytes], Awaitable[None]]) -> None:
    """A process's pub/sub reader: hands each message (channel, data) to `handle`, one
    at a time; a failed read is retried after a second (listeners poll meanwhile)."""
    while True:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("pub/sub read failed; live listeners fall back to polling")
            await asyncio.sleep(1.0)
            continue
        if message is None:
            continue
        channel = message["channel"]
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        await handle(name, message["data"])
