"""One live connection: the channels it may read, merged into one outbox, written by
the connection's own task until it ends (SSE and WebSocket share this)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import Receive

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.live_publish import user_stream
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.realtime.channels import Channel, ChannelKind, SubscriptionRefused
from ticketsafe.realtime.connection import (
    RECONNECT,
    Connections,
    Ended,
    Limits,
    Outbox,
    Write,
)
from ticketsafe.realtime.feeds import SeatFeeds
from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.service import WaitingRoom

HEARTBEAT_S = 15.0
MAX_LIFETIME_S = 30 * 60
QUEUE_POLL_S = 10.0
USER_BATCH = 100

CanManage = Callable[[Principal, str], Awaitable[bool]]


@dataclass
class LiveContext:
    redis: RedisClient
    hub: Hub
    feeds: SeatFeeds
    room: WaitingRoom
    can_manage: CanManage
    connections: Connections = field(
        default_factory=lambda: Connections(HEARTBEAT_S, MAX_LIFETIME_S, Limits())
    )

    async def close(self) -> None:
        await self.feeds.close()
        await self.connections.close()


async def authorize(ctx: LiveContext, principal: Principal, channels: list[Channel]) -> None:
    for channel in channels:
        if channel.kind is ChannelKind.SALES and not await ctx.can_manage(
            principal, str(channel.event_id)
        ):
            raise SubscriptionRefused(f"{channel.name}: only the event's organizers")


class Session:
    """A connection whose channels are set up: `run` writes their messages until it ends
    and then releases them; `close` releases them without running (an answer that failed
    after the set-up)."""

    __slots__ = ("ctx", "outbox", "producers", "watched")

    def __init__(self, ctx: LiveContext, outbox: Outbox) -> None:
        self.ctx, self.outbox = ctx, outbox
        self.producers: list[asyncio.Task[None]] = []
        self.watched: list[str] = []

    async def run(self, write: Write, receive: Receive) -> Ended:
        """Write with `write` until the client leaves (`receive` says so), its lifetime
        ends (then a `reconnect` message) or it is cut off as hopelessly behind."""
        outbox = self.outbox
        watcher = asyncio.ensure_future(_disconnect(receive))
        watcher.add_done_callback(lambda _: outbox.end(Ended.GONE))
        try:
            ended = await outbox.pump(write)
            if ended is Ended.LIFETIME:
                await write(RECONNECT)
            return ended
        finally:
            watcher.cancel()
            await self.close()

    async def close(self) -> None:
        for task in self.producers:
            task.cancel()
        for task in self.producers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for event_id in self.watched:
            await self.ctx.feeds.leave(event_id, self.outbox)
        if self.outbox in self.ctx.connections.open:
            self.ctx.connections.remove(self.outbox)


async def open_session(
    ctx: LiveContext, principal: Principal, channels: list[Channel], *, transport: str,
    resume_from: str | None = None,
) -> Session:  # fmt: skip
    """Set up the authorised channels of a new connection: seat-map and sales channels
    are fed by the process's feeds straight into the connection's outbox; `me` and
    `queue:` have one reader task each. Raises (a problem answer) if a channel cannot be
    served — an event with no inventory — before anything is sent, so an SSE response
    is never a stream broken after its head."""
    await authorize(ctx, principal, channels)
    session = Session(ctx, ctx.connections.add(transport))
    outbox = session.outbox
    try:
        for channel in channels:
            event_id = str(channel.event_id)
            if channel.kind is ChannelKind.ME:
                task = _user(ctx, principal, outbox, resume_from)
                session.producers.append(asyncio.create_task(task))
            elif channel.kind is ChannelKind.QUEUE:
                task = _queue(ctx, principal, event_id, outbox)
                session.producers.append(asyncio.create_task(task))
            else:
                session.watched.append(event_id)
                await ctx.feeds.watch(event_id, outbox, sales=channel.kind is ChannelKind.SALES)
    except BaseException:
        await session.close()
        raise
    return session


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] not in ("http.disconnect", "websocket.disconnect"):
        pass


async def _user(
    ctx: LiveContext, principal: Principal, out: Outbox, resume_from: str | None
) -> None:
    """The user's stream from `resume_from` (exclusive), else from now; woken by the
    publisher's pub/sub ping, read with XRANGE (no blocked connection per client)."""
    key = user_stream(principal.user_id)
    last = resume_from or "$"
    async with ctx.hub.listen(key) as wake:
        if last == "$":
            newest: Any = await ctx.redis.xrevrange(key, count=1)
            last = _text(newest[0][0]) if newest else "0-0"
        else:
            oldest: Any = await ctx.redis.xrange(key, count=1)
            if oldest and _older(last, _text(oldest[0][0])):
                out.offer(LiveMessage("me", "resync", {"reason": "missed too much"}))
        while True:
            entries: Any = await ctx.redis.xrange(key, min=f"({last}", count=USER_BATCH) or []
            for entry_id, fields in entries:
                last = _text(entry_id)
                data = orjson.loads(fields[b"data"])
                out.offer(LiveMessage("me", _text(fields[b"type"]), data, last))
            if len(entries) < USER_BATCH:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), QUEUE_POLL_S)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _older(a: str, b: str) -> bool:
    def parts(x: str) -> tuple[int, int]:
        ms, _, seq = x.partition("-")
        return int(ms or 0), int(seq or 0)

    return parts(a) < parts(b)


async def _queue(ctx: LiveContext, principal: Principal, event_id: str, out: Outbox) -> None:
    last = b""
    async with ctx.hub.listen(QueueKeys(event_id).channel) as wake:
        while True:
            status = await ctx.room.status(event_id, principal)
            data = status.model_dump(mode="json")
            encoded = orjson.dumps(data)
            if encoded != last:
                last = encoded
                out.offer(LiveMessage(f"queue:{event_id}", "status", data))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.5, min(status.poll_after_s, 30.0)))
