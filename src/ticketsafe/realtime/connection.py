"""One live connection's outbox, and the process's registry of open connections.

A broadcast reaches 10,000 connections of one process, so what is done per connection
is kept to a minimum. A connection is an `Outbox`: a bounded deque of already-encoded
messages (a message is serialised once, for every connection that gets it) and a waiter
for the connection's writer — the request's own task, which writes what is queued and
waits again. While it waits, an offer writes the message itself (the server's `send`
completes at once unless the client is behind), so a broadcast wakes no task per
connection; a write that would wait is left to the writer. There is no task, queue or
timer per channel or per connection beyond that and a watcher of the client's
disconnect: seat-map and sales feeds `offer` straight into the outboxes of their
watchers, heartbeats and lifetimes are kept by one sweep over the registry
(`Connections`), not by a timer per connection.

Back-pressure, per outbox (`Limits`): an offer never waits. When frames pile up (the
writer cannot write: the client does not read) a seat-map channel's backlog is replaced
by one fresh snapshot; a connection whose writer has made no progress for `max_lag_s`
while frames wait, or whose backlog passes `max_bytes`, is hopelessly behind and is cut
off — its writer stops, its memory is freed, and the client reconnects to a fresh
snapshot (and resumes `me` with Last-Event-ID). Nobody else waits for it.

`connection_changed` is the one place that hears of every connection opened, closed or
cut, for metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.realtime.metrics import record_connection

FANOUT_BATCH = 256  # connections served per event-loop turn, so requests interleave


class Ended(StrEnum):
    """Why a connection's writer stopped."""

    GONE = "gone"  # the client disconnected
    LIFETIME = "lifetime"  # its maximum lifetime is over: it is told to reconnect
    CUT = "cut"  # hopelessly behind: cut off


def connection_changed(transport: str, change: str) -> None:
    """Called on every `open`, and on every end with its reason (`gone`, `lifetime`,
    `cut`); `transport` is `sse` or `ws`. The hook for connection gauges and counters."""
    record_connection(transport, change)


@dataclass(frozen=True)
class Limits:
    snapshot_after: int = 16  # queued frames past which a seat channel's backlog is a snapshot
    max_bytes: int = 1 << 20  # queued bytes past which the connection is cut
    max_lag_s: float = 10.0  # frames waiting this long with no write done: cut


HEARTBEAT = LiveMessage("*", "heartbeat", {})
RECONNECT = LiveMessage("*", "reconnect", {"after_ms": 1000})


Write = Callable[[LiveMessage], Coroutine[Any, Any, None]]


@types.coroutine
def _finish(write: Coroutine[Any, Any, None], pending: Any) -> Generator[Any, None, None]:
    """The rest of a write that suspended at `pending` when it was driven from an offer:
    awaited by the connection's writer (closed with it if the writer is cancelled)."""
    try:
        yield pending
    except BaseException:
        write.close()
        raise
    yield from write


class Outbox:
    __slots__ = ("_bytes", "_failed", "_frames", "_since", "_stalled", "_waiter", "_write",
                 "_writing", "deadline", "ended", "last_write", "limits", "task",
                 "transport")  # fmt: skip

    def __init__(self, transport: str, limits: Limits, lifetime_s: float) -> None:
        self.transport = transport
        self.limits = limits
        self._frames: deque[LiveMessage] = deque()
        self._bytes = 0
        self._since = 0.0  # since when frames wait without the writer making progress
        self._waiter: asyncio.Future[None] | None = None
        self._writing = False
        self._write: Write | None = None
        self._stalled: Awaitable[None] | None = None  # a write the writer finishes
        self._failed: BaseException | None = None  # a write done from an offer raised this
        self.task = asyncio.current_task()
        self.last_write = time.monotonic()
        self.deadline = self.last_write + lifetime_s
        self.ended: Ended | None = None

    @property
    def queued(self) -> int:
        return len(self._frames)

    def offer(
        self, message: LiveMessage, snapshot: Callable[[], LiveMessage] | None = None
    ) -> None:
        """Queue `message` without waiting. `snapshot` (seat channels) gives the channel's
        whole state, which replaces its queued frames once the backlog is long."""
        if self.ended is not None:
            return
        if self._frames:
            if time.monotonic() - self._since > self.limits.max_lag_s:
                self.end(Ended.CUT)
                return
            if snapshot is not None and len(self._frames) >= self.limits.snapshot_after:
                channel = message.channel
                self._frames = deque(m for m in self._frames if m.channel != channel)
                self._bytes = sum(m.size for m in self._frames)
                message = snapshot()
        elif self._idle():
            self._write_now(message)
            return
        else:
            self._since = time.monotonic()
        self._frames.append(message)
        self._bytes += message.size
        if self._bytes > self.limits.max_bytes:
            self.end(Ended.CUT)
            return
        self._wake()

    def end(self, why: Ended) -> None:
        if self.ended is not None:
            return
        self.ended = why
        self._frames.clear()
        self._wake()
        if why is Ended.CUT and self._writing and self.task is not None:
            self.task.cancel()  # its write is stuck on a client that does not read

    def _idle(self) -> bool:
        """The writer waits for frames: nothing queued, no write in progress."""
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _write_now(self, message: LiveMessage) -> None:
        """Write `message` from the offer itself: no wake-up of the writer task. A write
        to a transport that takes it (the usual case) completes without suspending; one
        that would wait (the client reads slowly) is handed to the writer to finish."""
        assert self._write is not None
        write = self._write(message)
        try:
            pending = write.send(None)
        except StopIteration:
            self.last_write = time.monotonic()
            return
        except Exception as exc:  # the writer raises it, as if it had written
            self._failed = exc
        else:
            self._stalled = _finish(write, pending)
            self._writing = True
            self._since = time.monotonic()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def pump(self, write: Write) -> Ended:
        """Write queued messages as they come until the connection ends; say why. While
        this waits, offers write to the connection directly (`_write_now`)."""
        loop = asyncio.get_running_loop()
        self._write = write
        try:
            while self.ended is None:
                if self._failed is not None:
                    raise self._failed
                if self._stalled is not None:
                    await self._finish_stalled()
                    continue
                if not self._frames:
                    self._waiter = loop.create_future()
                    await self._waiter
                    self._waiter = None
                    continue
                message = self._frames.popleft()
                self._bytes -= message.size
                if self._frames:
                    self._since = time.monotonic()
                self._writing = True
                await write(message)
                self._writing = False
                self.last_write = time.monotonic()
            if self._stalled is not None and self.ended is not Ended.CUT:
                await self._finish_stalled()  # before a last frame (`reconnect`)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.ended is not Ended.CUT or task is None or task.uncancel() > 0:
                raise
        return self.ended

    async def _finish_stalled(self) -> None:
        stalled, self._stalled = self._stalled, None
        assert stalled is not None
        await stalled
        self._writing = False
        self.last_write = time.monotonic()


class Connections:
    """A process's open connections: heartbeats and lifetimes by one sweep for all."""

    def __init__(self, heartbeat_s: float, lifetime_s: float, limits: Limits) -> None:
        self.heartbeat_s = heartbeat_s
        self.lifetime_s = lifetime_s
        self.limits = limits
        self.open: set[Outbox] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def add(self, transport: str) -> Outbox:
        outbox = Outbox(transport, self.limits, self.lifetime_s)
        self.open.add(outbox)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep())
        connection_changed(transport, "open")
        return outbox

    def remove(self, outbox: Outbox) -> None:
        self.open.discard(outbox)
        connection_changed(outbox.transport, str(outbox.ended or Ended.GONE))
        if not self.open and self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep(self) -> None:
        period = min(self.heartbeat_s, self.lifetime_s) / 3
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for n, outbox in enumerate(list(self.open), 1):
                if now >= outbox.deadline:
                    outbox.end(Ended.LIFETIME)
                elif now - outbox.last_write >= self.heartbeat_s and not outbox.queued:
                    outbox.offer(HEARTBEAT)
                if n % FANOUT_BATCH == 0:
                    await asyncio.sleep(0)


async def offer_all(
    outboxes: set[Outbox], message: LiveMessage,
    snapshot: Callable[[], LiveMessage] | None = None,
) -> None:  # fmt: skip
    """A broadcast: one pass over the connections, yielding to the loop every batch so
    requests (holds) keep their pace while 10,000 writers wake."""
    for n, outbox in enumerate(list(outboxes), 1):
        outbox.offer(message, snapshot)
        if n % FANOUT_BATCH == 0:
            await asyncio.sleep(0)
