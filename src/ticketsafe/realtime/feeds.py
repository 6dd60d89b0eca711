"""Seat-map and sales feeds: read once, published once, fanned out by every instance.

Per event with someone watching, one API instance (whichever holds the event's short
lease) reads the inventory's availability at most every `interval_s`, diffs it with what
it published last and publishes only the changes, with a sequence number, on the event's
pub/sub channel; every few seconds it publishes the whole state instead, so a follower
that missed a delta converges. Every instance keeps the event's current state from those
messages and hands it to its own connections: deltas as they come (at most one frame per
interval, however many holds), and a snapshot to a new or lagging connection. Changes
from any source (holds, releases, expiries, a sweep, a rebuild after a Redis flush) show,
and no hold or checkout waits for a publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from ticketsafe.infra.leases import Lease
from ticketsafe.infra.live_hub import read_pubsub
from ticketsafe.infra.live_publish import seats_channel, seats_sequence
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.realtime.connection import Outbox, offer_all
from ticketsafe.realtime.messages import LiveMessage

log = logging.getLogger("ticketsafe.realtime")

Snapshot = tuple[dict[str, str], dict[str, int]]  # seat → status, GA area → available
ReadAvailability = Callable[[str], Awaitable[Snapshot]]
# (event, mark) → (check-in stats if they moved since `mark`, else None; the new mark)
ReadCheckins = Callable[[str, object], Awaitable[tuple[dict[str, Any] | None, object]]]

FULL_EVERY = 10  # publish the whole state every tenth frame
CHECKIN_EVERY = 4  # re-read check-in stats at most every fourth frame, when they moved
CROWDED = 2_000  # watchers of one event in one process past which frames are spaced out


@dataclass(eq=False)
class _EventFeed:
    event_id: str
    seats: dict[str, str] = field(default_factory=dict)
    ga: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    loaded: bool = False
    watchers: set[Outbox] = field(default_factory=set)
    sales_watchers: set[Outbox] = field(default_factory=set)
    leader: asyncio.Task[None] | None = None
    cached: dict[bool, LiveMessage] = field(default_factory=dict)  # snapshots at `seq`
    checkins: LiveMessage | None = None  # the last check-in stats (sales channel)


def counts(seats: dict[str, str], ga: dict[str, int]) -> dict[str, int]:
    tally = {"available": 0, "held": 0, "sold": 0}
    for status in seats.values():
        if status in tally:
            tally[status] += 1
    tally["ga_available"] = sum(ga.values())
    return tally


class SeatFeeds:
    def __init__(
        self, redis: RedisClient, read: ReadAvailability, read_checkins: ReadCheckins | None = None,
        *, interval_s: float = 0.5,
    ) -> None:  # fmt: skip
        self.redis = redis
        self.read = read
        self.read_checkins = read_checkins
        self.interval_s = interval_s
        self.feeds: dict[str, _EventFeed] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # -- connections ------------------------------------------------------------------

    async def watch(self, event_id: str, outbox: Outbox, *, sales: bool = False) -> None:
        """Deliver the event's feed to `outbox`, starting with a snapshot."""
        async with self._lock:
            feed = self.feeds.get(event_id)
            if feed is None:
                feed = self.feeds[event_id] = _EventFeed(event_id)
                await self._subscribe(event_id)
                feed.leader = asyncio.create_task(self._lead(feed))
            (feed.sales_watchers if sales else feed.watchers).add(outbox)
        if not feed.loaded:
            seats, ga = await self.read(event_id)
            if not feed.loaded:
                feed.seats, feed.ga, feed.loaded = seats, ga, True
        outbox.offer(self.snapshot(event_id, sales=sales))
        if sales and feed.checkins is not None:
            outbox.offer(feed.checkins)

    def snapshot(self, event_id: str, *, sales: bool = False) -> LiveMessage:
        """The event's whole state as one message, built once per sequence number."""
        feed = self.feeds[event_id]
        cached = feed.cached.get(sales)
        if cached is None or cached.id != str(feed.seq):
            cached = feed.cached[sales] = self._snapshot(feed, sales=sales)
        return cached

    @staticmethod
    def _snapshot(feed: _EventFeed, *, sales: bool) -> LiveMessage:
        event_id = feed.event_id
        if sales:
            return LiveMessage(
                f"event:{event_id}:sales", "snapshot", counts(feed.seats, feed.ga), str(feed.seq)
            )
        return LiveMessage(
            f"event:{event_id}", "snapshot", {"seats": dict(feed.seats), "ga": dict(feed.ga)},
            str(feed.seq),
        )  # fmt: skip

    async def leave(self, event_id: str, outbox: Outbox) -> None:
        async with self._lock:
            feed = self.feeds.get(event_id)
            if feed is None:
                return
            feed.watchers.discard(outbox)
            feed.sales_watchers.discard(outbox)
            if feed.watchers or feed.sales_watchers:
                return
            del self.feeds[event_id]
            if feed.leader is not None:
                feed.leader.cancel()
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(seats_channel(event_id))

    async def close(self) -> None:
        for event_id in list(self.feeds):
            feed = self.feeds.pop(event_id)
            if feed.leader is not None:
                feed.leader.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()

    # -- followers: every instance --------------------------------------------------------

    async def _subscribe(self, event_id: str) -> None:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub()
        await self._pubsub.subscribe(seats_channel(event_id))
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(self._pubsub))

    async def _read(self, pubsub: Any) -> None:
        await read_pubsub(pubsub, self._apply)

    async def _apply(self, channel: str, data: bytes) -> None:
        frame = orjson.loads(data)
        feed = self.feeds.get(frame["event_id"])
        if feed is None:
            return
        if frame["full"]:
            feed.seats, feed.ga = frame["seats"], frame["ga"]
        else:
            feed.seats.update(frame["seats"])
            feed.ga.update(frame["ga"])
        feed.seq, feed.loaded = frame["seq"], True
        kind = "snapshot" if frame["full"] else "delta"
        if frame["full"] or frame["seats"] or frame["ga"]:
            message = LiveMessage(
                f"event:{feed.event_id}", kind, {"seats": frame["seats"], "ga": frame["ga"]},
                str(feed.seq),
            )  # fmt: skip
            snapshot = partial(self.snapshot, feed.event_id)
            await offer_all(feed.watchers, message, snapshot)
        if feed.sales_watchers:
            await offer_all(feed.sales_watchers, self.snapshot(feed.event_id, sales=True))
        checkins = frame.get("checkin")
        if checkins is not None and (feed.checkins is None or feed.checkins.data != checkins):
            feed.checkins = LiveMessage(
                f"event:{feed.event_id}:sales", "checkin", checkins, str(feed.seq)
            )
            await offer_all(feed.sales_watchers, feed.checkins)

    # -- the leader: one instance per event --------------------------------------------------

    async def _lead(self, feed: _EventFeed) -> None:
        lease = Lease(self.redis, f"live-seats:{feed.event_id}", int(self.interval_s * 4000))
        seats: dict[str, str] = {}
        ga: dict[str, int] = {}
        checkins: dict[str, Any] | None = None
        mark: object = None
        frames = 0
        while True:
            await asyncio.sleep(self.spacing(feed))
            try:
                if not await lease.held():
                    frames = 0  # another instance leads; lead again from a full frame
                    continue
                now_seats, now_ga = await self.read(feed.event_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.debug("seat feed read failed", exc_info=True)
                continue
            fresh = None
            if self.read_checkins is not None and frames % CHECKIN_EVERY == 0:
                fresh, mark = await self._checkins(feed.event_id, mark)
            full = frames % FULL_EVERY == 0
            changed_seats = {k: v for k, v in now_seats.items() if seats.get(k) != v}
            changed_ga = {k: v for k, v in now_ga.items() if ga.get(k) != v}
            seats, ga = now_seats, now_ga
            frames += 1
            moved = fresh is not None and fresh != checkins
            checkins = fresh if fresh is not None else checkins
            if not (full or changed_seats or changed_ga or moved):
                continue
            frame = {
                "event_id": feed.event_id, "seq": int(await self.redis.incr(
                    seats_sequence(feed.event_id))), "full": full,
                "seats": now_seats if full else changed_seats, "ga": now_ga if full else changed_ga,
            }  # fmt: skip
            if checkins is not None and (full or moved):
                frame["checkin"] = checkins
            with contextlib.suppress(Exception):
                await self.redis.publish(seats_channel(feed.event_id), orjson.dumps(frame))

    def spacing(self, feed: _EventFeed) -> float:
        """The time between two frames: `interval_s`, twice that past `CROWDED` watchers
        in this process (a frame costs a write per connection: at 10,000, the frames of a
        busy event kept the event loop from serving requests)."""
        watchers = len(feed.watchers) + len(feed.sales_watchers)
        return self.interval_s * 2 if watchers > CROWDED else self.interval_s

    async def _checkins(self, event_id: str, mark: object) -> tuple[Any, object]:
        """The check-in domain's stats when they moved; a failure only skips them,
        never the seat frame."""
        assert self.read_checkins is not None
        try:
            return await self.read_checkins(event_id, mark)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("check-in stats read failed", exc_info=True)
            return None, mark
