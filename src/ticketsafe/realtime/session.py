"""One live connection: the channels it may read, merged into one stream of messages,
with heartbeats and a maximum lifetime (SSE and WebSocket share this)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.realtime.channels import Channel, ChannelKind, SubscriptionRefused
from ticketsafe.realtime.feeds import SeatFeeds
from ticketsafe.realtime.hub import Hub
from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.realtime.publish import user_stream
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
    heartbeat_s: float = HEARTBEAT_S
    max_lifetime_s: float = MAX_LIFETIME_S


async def authorize(ctx: LiveContext, principal: Principal, channels: list[Channel]) -> None:
    for channel in channels:
        if channel.kind is ChannelKind.SALES and not await ctx.can_manage(
            principal, str(channel.event_id)
        ):
            raise SubscriptionRefused(f"{channel.name}: only the event's organizers")


async def live_messages(
    ctx: LiveContext,
    principal: Principal,
    channels: list[Channel],
    *,
    resume_from: str | None = None,
) -> AsyncIterator[LiveMessage]:
    """Authorised channels' messages until the lifetime ends (then a `reconnect`)."""
    await authorize(ctx, principal, channels)
    out: asyncio.Queue[LiveMessage] = asyncio.Queue(maxsize=256)
    producers = [
        asyncio.create_task(_produce(ctx, principal, channel, out, resume_from))
        for channel in channels
    ]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.max_lifetime_s
    try:
        while (left := deadline - loop.time()) > 0:
            try:
                yield await asyncio.wait_for(out.get(), min(ctx.heartbeat_s, left))
            except TimeoutError:
                if deadline - loop.time() > 0:
                    yield LiveMessage("*", "heartbeat", {})
        yield LiveMessage("*", "reconnect", {"after_ms": 1000})
    finally:
        for task in producers:
            task.cancel()
        for task in producers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _produce(
    ctx: LiveContext,
    principal: Principal,
    channel: Channel,
    out: asyncio.Queue[LiveMessage],
    resume_from: str | None,
) -> None:
    if channel.kind is ChannelKind.ME:
        await _user(ctx, principal, out, resume_from)
    elif channel.kind is ChannelKind.QUEUE:
        await _queue(ctx, principal, str(channel.event_id), out)
    else:
        await _seats(ctx, str(channel.event_id), out, sales=channel.kind is ChannelKind.SALES)


async def _seats(
    ctx: LiveContext, event_id: str, out: asyncio.Queue[LiveMessage], *, sales: bool
) -> None:
    subscriber = await ctx.feeds.watch(event_id, sales=sales)
    try:
        while True:
            message = await subscriber.queue.get()
            await out.put(message)
            if subscriber.lagging:  # it fell behind: one fresh snapshot, not the backlog
                subscriber.lagging = False
                await out.put(ctx.feeds.snapshot(event_id, sales=sales))
    finally:
        await ctx.feeds.leave(event_id, subscriber)


async def _user(
    ctx: LiveContext, principal: Principal, out: asyncio.Queue[LiveMessage], resume_from: str | None
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
                await out.put(LiveMessage("me", "resync", {"reason": "missed too much"}))
        while True:
            entries: Any = await ctx.redis.xrange(key, min=f"({last}", count=USER_BATCH) or []
            for entry_id, fields in entries:
                last = _text(entry_id)
                data = orjson.loads(fields[b"data"])
                await out.put(LiveMessage("me", _text(fields[b"type"]), data, last))
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


async def _queue(
    ctx: LiveContext, principal: Principal, event_id: str, out: asyncio.Queue[LiveMessage]
) -> None:
    last = b""
    async with ctx.hub.listen(QueueKeys(event_id).channel) as wake:
        while True:
            status = await ctx.room.status(event_id, principal)
            data = status.model_dump(mode="json")
            encoded = orjson.dumps(data)
            if encoded != last:
                last = encoded
                await out.put(LiveMessage(f"queue:{event_id}", "status", data))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.5, min(status.poll_after_s, 30.0)))
