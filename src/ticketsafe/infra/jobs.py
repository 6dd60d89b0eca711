"""Background jobs on Redis Streams with a consumer group.

Why Streams rather than arq/saq/taskiq: a consumer group is exactly the "work spread
across worker instances" the design asks for; an entry a crashed worker never acked stays
pending and is re-delivered after a visibility timeout (XPENDING IDLE + XCLAIM), with a
delivery count that lets poison jobs go to a dead-letter stream instead of looping. It
needs no extra dependency and all keys share the `{jobs}` hash tag (legal on Cluster).

Jobs carry ids, not state: a handler reloads what it needs and must be idempotent, since
at-least-once delivery means it may run twice. Requests buffer jobs (`JobBuffer`) and send
them only after their own writes succeeded.

Two lanes: a job sent `urgent` (a buyer is waiting on it: a payment's webhook, "payment
changed" that marks the order paid) goes to its own stream, and workers take urgent
jobs before the others (three reads in four; the fourth serves the other lane first, so
a long run of urgent work cannot starve receipts and organizer webhooks). In a big sale
the queue backs up with receipts and organizer webhooks; without the lane a PIX payment
waited behind them (~30 s at full scale).

Redis may lose everything (FLUSHALL, a failover to an empty replica, eviction): the
streams and their consumer group go with it, and the next XREADGROUP or XPENDING answers
`NOGROUP`. Every group command re-creates the group then and asks once more
(`_with_group`), so the worker carries on with the jobs sent since; a worker that
stopped there used to take the whole `serve` process down. What the lost jobs were for
is re-driven from MongoDB (outboxes, sweeps, reconciliation), not from Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import orjson
from redis.exceptions import ResponseError

from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings

log = logging.getLogger("ticketsafe.jobs")
T = TypeVar("T")

STREAM = "ts:{jobs}:stream"
URGENT_STREAM = "ts:{jobs}:urgent"
STREAMS = (URGENT_STREAM, STREAM)  # in the order workers take jobs ...
NORMAL_TURN = 4  # ... except every 4th read, so urgent work cannot starve the rest
DELAYED = "ts:{jobs}:delayed"
DEAD = "ts:{jobs}:dead"
GROUP = "workers"
_LOOKED = "ts:{jobs}:looked"  # `lost_since_last_look` marks, one per watcher
_MAX_BACKOFF_S = 300.0

# Move due delayed jobs into their lane's stream atomically, so two promoters never
# double-send.
_PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, payload in ipairs(due) do
  local ok, job = pcall(cjson.decode, payload)
  local stream = KEYS[2]
  if ok and type(job) == 'table' and job['urgent'] == true then stream = KEYS[3] end
  redis.call('XADD', stream, '*', 'job', payload)
  redis.call('ZREM', KEYS[1], payload)
end
return #due
"""


@dataclass(frozen=True)
class Job:
    name: str
    args: dict[str, Any]
    attempt: int = 1
    id: str = ""  # stream entry id once delivered
    urgent: bool = False  # its lane: taken before every job that is not

    @property
    def stream(self) -> str:
        return URGENT_STREAM if self.urgent else STREAM

    def encode(self) -> bytes:
        raw: dict[str, Any] = {"name": self.name, "args": self.args, "attempt": self.attempt}
        if self.urgent:
            raw["urgent"] = True
        return orjson.dumps(raw)

    @classmethod
    def decode(cls, entry_id: str, payload: bytes) -> Job:
        raw = orjson.loads(payload)
        return cls(
            raw["name"],
            raw["args"],
            int(raw.get("attempt", 1)),
            entry_id,
            bool(raw.get("urgent", False)),
        )

    @property
    def queued_at(self) -> float | None:
        """When it entered its lane (the stream id's milliseconds), once delivered."""
        millis, _, _ = self.id.partition("-")
        return int(millis) / 1000 if millis.isdigit() else None

    def retry(self) -> Job:
        return Job(self.name, self.args, self.attempt + 1, urgent=self.urgent)


@dataclass(frozen=True)
class JobContext:
    """What a handler may use. Built once per worker process."""

    db: Database
    redis: RedisClient
    queue: JobQueue
    settings: Settings
    http: httpx.AsyncClient


Handler = Callable[..., Awaitable[None]]


@dataclass
class JobRegistry:
    handlers: dict[str, Handler] = field(default_factory=dict)
    # What the handlers keep open between jobs (e.g. SMTP sessions), closed by `close`.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self.closers.append(closer)

    async def close(self) -> None:
        """When the worker stops: release what the handlers kept open."""
        for closer in self.closers:
            await closer()

    def task(self, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if name in self.handlers:
                raise ValueError(f"job {name!r} registered twice")
            self.handlers[name] = fn
            return fn

        return register


class JobQueue:
    def __init__(
        self, redis: RedisClient, *, visibility_timeout_ms: int = 60_000, max_deliveries: int = 5
    ) -> None:
        self.redis = redis
        self.visibility_timeout_ms = visibility_timeout_ms
        self.max_deliveries = max_deliveries
        self._promote = redis.register_script(_PROMOTE)
        self._reads = 0

    async def ensure_group(self) -> None:
        """Create both streams' group if missing. From id 0: after Redis lost the group,
        the jobs sent since (XADD re-creates a stream, not its group) are delivered."""
        for stream in STREAMS:
            try:
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _with_group(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, a command on the consumer group; if Redis lost the group (`NOGROUP`:
        flushed, failed over to an empty replica), re-create it and call once more."""
        try:
            return await call()
        except ResponseError as exc:
            if not str(exc).startswith("NOGROUP"):
                raise
        log.warning("job queue's consumer group lost (Redis flushed?); re-creating it")
        await self.ensure_group()
        return await call()

    async def enqueue(
        self, name: str, args: dict[str, Any], *, delay_s: float = 0.0, urgent: bool = False
    ) -> None:
        await self.push(Job(name, args, urgent=urgent), delay_s)

    async def push(self, job: Job, delay_s: float) -> None:
        if delay_s > 0:
            await self.redis.zadd(DELAYED, {job.encode(): time.time() + delay_s})
        else:
            await self.redis.xadd(job.stream, {"job": job.encode()})

    async def promote_due(self, limit: int = 500) -> int:
        keys = [DELAYED, STREAM, URGENT_STREAM]
        return int(await self._promote(keys=keys, args=[time.time(), limit]))

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Job]:
        """Up to `count` new jobs, urgent ones first — but every `NORMAL_TURN`th read
        the other lane goes first, so while both have jobs waiting at least a quarter
        of the reads serve mail and webhooks. Only when neither lane has a job does it
        wait (up to `block_ms`) for the first to arrive in either."""
        self._reads += 1
        order = STREAMS if self._reads % NORMAL_TURN else STREAMS[::-1]
        jobs: list[Job] = []
        for stream in order:
            if len(jobs) < count:
                jobs += await self._read(consumer, [stream], count - len(jobs), None)
        if not jobs and block_ms > 0:
            jobs = await self._read(consumer, STREAMS, 1, block_ms)
        return jobs

    async def _read(
        self, consumer: str, streams: Sequence[str], count: int, block_ms: int | None
    ) -> list[Job]:
        ids: dict[Any, Any] = dict.fromkeys(streams, ">")
        reply: Any = await self._with_group(
            lambda: self.redis.xreadgroup(GROUP, consumer, ids, count=count, block=block_ms)
        )
        return [job for _, entries in reply or [] for job in _jobs(entries)]

    async def reclaim(self, consumer: str, count: int = 50) -> list[Job]:
        """Take over jobs whose consumer died (pending past the visibility timeout)."""
        jobs: list[Job] = []
        for stream in STREAMS:
            jobs += await self._reclaim(stream, consumer, count)
        return jobs

    async def _reclaim(self, stream: str, consumer: str, count: int) -> list[Job]:
        pending: list[dict[str, Any]] = await self._with_group(
            lambda: self.redis.xpending_range(
                stream, GROUP, min="-", max="+", count=count, idle=self.visibility_timeout_ms
            )
        )
        if not pending:
            return []
        poison = [p["message_id"] for p in pending if p["times_delivered"] >= self.max_deliveries]
        retry = [p["message_id"] for p in pending if p["times_delivered"] < self.max_deliveries]
        for entry_id in poison:
            await self._dead_letter_entry(stream, entry_id, "exceeded max deliveries")
        if not retry:
            return []
        idle_ms = self.visibility_timeout_ms
        claimed: Any = await self._with_group(
            lambda: self.redis.xclaim(
                stream, GROUP, consumer, min_idle_time=idle_ms, message_ids=retry
            )
        )
        return _jobs(claimed)

    async def ack(self, job: Job) -> None:
        await self._ack(job.stream, job.id)

    async def _ack(self, stream: str, entry_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()

    async def fail(self, job: Job, error: str) -> None:
        """A handler raised: retry later with exponential back-off, or dead-letter."""
        if job.attempt >= self.max_deliveries:
            await self.redis.xadd(DEAD, {"job": job.encode(), "error": error[:2000]})
            log.error("job dead-lettered", extra={"job": job.name, "error": error[:500]})
        else:
            backoff = min(_MAX_BACKOFF_S, 2.0 ** (job.attempt - 1))
            await self.push(job.retry(), backoff)
        await self.ack(job)

    async def _dead_letter_entry(self, stream: str, entry_id: bytes | str, error: str) -> None:
        entries: Any = await self.redis.xrange(stream, min=entry_id, max=entry_id)
        for eid, fields in entries:
            await self.redis.xadd(DEAD, {"job": fields[b"job"], "error": error})
            log.error("job dead-lettered", extra={"entry": _s(eid), "error": error})
        await self._ack(stream, _s(entry_id))

    async def dead_letters(self, count: int = 100) -> list[tuple[Job, str]]:
        entries: Any = await self.redis.xrange(DEAD, count=count)
        return [(Job.decode(_s(eid), f[b"job"]), _s(f[b"error"])) for eid, f in entries]

    async def lost_since_last_look(self, watcher: str) -> bool:
        """True when Redis lost the queue's data (FLUSHALL, a restart without it, a
        failover to an empty replica) since `watcher` last asked — its mark in the
        `{jobs}` keyspace is gone with the jobs — and on its first look: every job
        queued before then may be gone, and what they were for must be re-driven from
        MongoDB now, not when a periodic walk gets there. One `SET NX` per look."""
        return bool(await self.redis.set(f"{_LOOKED}:{watcher}", b"1", nx=True))

    async def outstanding(self) -> int:
        """Jobs due and not yet acknowledged in both lanes, waiting or being run: an entry
        stays in its stream until `ack` deletes it (delayed retries count once due)."""
        return sum([int(await self.redis.xlen(stream)) for stream in STREAMS])

    async def backlog(self) -> Backlog:
        """Depth and oldest entry of each lane, delayed and dead jobs: for the metrics."""
        now = time.time()
        depth: dict[str, int] = {}
        oldest: dict[str, float] = {}
        for lane, stream in (("urgent", URGENT_STREAM), ("normal", STREAM)):
            depth[lane] = int(await self.redis.xlen(stream))
            first: Any = await self.redis.xrange(stream, count=1)
            queued = Job("", {}, id=_s(first[0][0])).queued_at if first else None
            oldest[lane] = max(0.0, now - queued) if queued is not None else 0.0
        delayed = int(await self.redis.zcard(DELAYED))
        dead = int(await self.redis.xlen(DEAD))
        return Backlog(depth, oldest, delayed, dead)


@dataclass(frozen=True)
class Backlog:
    depth: dict[str, int]  # lane -> jobs waiting or running
    oldest_age_s: dict[str, float]  # lane -> age of its oldest entry (0 when empty)
    delayed: int
    dead: int


@dataclass
class JobBuffer:
    """Jobs a request wants sent; flushed only after the request's writes succeeded.
    The same job with the same arguments is sent once per request (e.g. "payment X
    changed" after both its authorisation and its capture: the handler reads the payment
    as it stands, so one run covers both)."""

    jobs: list[tuple[Job, float]] = field(default_factory=list)
    _seen: set[tuple[str, bytes, float]] = field(default_factory=set)

    def defer(
        self, name: str, args: dict[str, Any], *, delay_s: float = 0.0, urgent: bool = False
    ) -> None:
        seen = (name, orjson.dumps(args, option=orjson.OPT_SORT_KEYS), delay_s)
        if seen not in self._seen:
            self._seen.add(seen)
            self.jobs.append((Job(name, args, urgent=urgent), delay_s))

    async def flush(self, queue: JobQueue) -> None:
        jobs, self.jobs = self.jobs, []
        self._seen.clear()
        for job, delay_s in jobs:
            await queue.push(job, delay_s)


def _jobs(entries: Any) -> list[Job]:
    """Decode stream entries; a claimed entry deleted meanwhile comes back without fields."""
    return [Job.decode(_s(eid), fields[b"job"]) for eid, fields in entries if fields]


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
