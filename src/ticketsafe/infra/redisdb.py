"""Redis (or Valkey) client construction: one server, or a Redis Cluster
(`TICKETSAFE_REDIS_CLUSTER=true`, the URL naming any one of its nodes). Keys of one event
share a hash tag (`ts:{evt_…}:…`, `infra.hash_tags`) so multi-key Lua scripts stay legal
on a cluster.

The client auto-pipelines: every command issued by any coroutine in the same event-loop
turn is sent in one pipeline (no MULTI: each command and each script is atomic on its
own, and order within the batch is kept), and each caller gets its own reply or error.
Under a flash crowd hundreds of requests want Redis at once; one pipeline of 256 costs
~19 µs of client CPU per command against ~110 µs for 256 separate round trips (measured
with redis-py on this machine), and that client CPU is most of a hold's cost. A single
command alone in its turn is sent at the next loop iteration, so a quiet server pays
nothing extra. Blocking commands and anything tied to one connection bypass the batch.

On a cluster the batch is redis-py's cluster pipeline: it splits the turn's commands by
the node owning each one's slot and sends one pipeline per node at once. Commands that
address nodes rather than keys (PING, SCRIPT LOAD, FLUSHALL, PUBLISH, ...) go on their
own. What a cluster does not allow, and what the code therefore never does (the tests in
`tests/infra/test_redis_cluster.py` run the stores on a real 3-node cluster):
- a command, script or MULTI/EXEC touching keys of two slots (`CROSSSLOT`): every
  multi-key call takes its keys from one hash tag — an event's, a user's, `{jobs}`;
- SELECT: a cluster has database 0 only (the URL's `/0`);
- KEYS/SCAN for one pattern see every primary only through the cluster client
  (`target_nodes=RedisCluster.PRIMARIES`): nothing on a request path scans.
Classic pub/sub is cluster-wide (a PUBLISH reaches subscribers on every node), so a
subscriber listens on the node owning its first channel's slot (redis-py's
`ClusterPubSub`) and hears every publish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster

from ticketsafe.infra.store_metrics import REDIS_ROUNDTRIP_SECONDS
from ticketsafe.infra.turn_batch import TurnBatch

RedisClient = Redis | RedisCluster

# Commands that block their connection or belong to it: never share a pipeline with them.
_UNBATCHED = frozenset(
    {
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX",
        "BZMPOP", "XREAD", "XREADGROUP", "WAIT", "WAITAOF", "SUBSCRIBE", "PSUBSCRIBE",
        "SSUBSCRIBE", "MONITOR", "WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD", "SELECT",
        "CLIENT", "HELLO", "AUTH", "QUIT", "RESET",
    }
)  # fmt: skip
_MAX_BATCH = 512

_Pending = tuple[tuple[Any, ...], dict[str, Any], "asyncio.Future[Any]"]


def _command_name(args: tuple[Any, ...]) -> str:
    name = args[0]
    return (name.decode() if isinstance(name, bytes) else str(name)).upper()


async def _submit(
    batch: TurnBatch[_Pending], args: tuple[Any, ...], options: dict[str, Any]
) -> Any:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    batch.submit((args, options, future))
    return await future


async def _run_batch(
    batch: list[_Pending],
    alone: Callable[..., Awaitable[Any]],
    pipelined: Callable[[list[_Pending]], Awaitable[list[Any]]],
    *,
    timed: bool = False,
) -> None:
    """Send one turn's commands (a plain call when alone) and settle every caller;
    `timed`: observe the round trip (`infra.store_metrics`)."""
    started = time.perf_counter()
    try:
        if len(batch) == 1:  # alone in its turn: a plain round trip
            args, options, _ = batch[0]
            results: list[Any] = [await alone(*args, **options)]
        else:
            results = await pipelined(batch)
    except Exception as exc:  # the connection failed: every caller gets the error
        results = [exc] * len(batch)
    if timed:
        kind = "single" if len(batch) == 1 else "pipeline"
        REDIS_ROUNDTRIP_SECONDS.labels(kind).observe(time.perf_counter() - started)
    for (_, _, future), result in zip(batch, results, strict=True):
        if future.done():  # the caller was cancelled meanwhile
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)


def _turn_batch(flush: Callable[[list[_Pending]], Awaitable[None]]) -> TurnBatch[_Pending]:
    async def flushing(batch: list[_Pending]) -> None:
        await flush(batch)

    return TurnBatch(flushing, max_weight=_MAX_BATCH)


async def _in_pipeline(client: Redis | RedisCluster, batch: list[_Pending]) -> list[Any]:
    """One turn's commands in one pipeline, without MULTI (a cluster's: one per node)."""
    async with client.pipeline(transaction=False) as pipe:
        for args, options, _ in batch:
            pipe.execute_command(*args, **options)
        results: list[Any] = await pipe.execute(raise_on_error=False)
        return results


class AutoPipelinedRedis(Redis):
    timed = False  # observe each batch's round trip (`infra.store_metrics`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `_flush` is looked up at each flush, so it can be observed (tests count batches).
        self._batch = _turn_batch(lambda batch: self._flush(batch))  # noqa: PLW0108

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if (
            _command_name(args) in _UNBATCHED
            or self.connection is not None
            or self.single_connection_client
        ):
            return await self._alone(*args, **options)
        return await _submit(self._batch, args, options)

    async def _alone(self, *args: Any, **options: Any) -> Any:
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    async def _flush(self, batch: list[_Pending]) -> None:
        await _run_batch(batch, self._alone, lambda b: _in_pipeline(self, b), timed=self.timed)


class AutoPipelinedRedisCluster(RedisCluster):
    """The same batching on a Redis Cluster (see the module docstring)."""

    timed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch = _turn_batch(lambda batch: self._flush(batch))  # noqa: PLW0108

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        name = _command_name(args)
        if (
            name in _UNBATCHED
            or name in self.command_flags  # addressed to nodes (PING, SCRIPT LOAD, ...)
            or "target_nodes" in options
            or name == "PUBLISH"  # no key: any node takes it
            or len(args) < 2
        ):
            return await self._alone(*args, **options)
        return await _submit(self._batch, args, options)

    async def _alone(self, *args: Any, **options: Any) -> Any:
        return await super().execute_command(*args, **options)

    async def _flush(self, batch: list[_Pending]) -> None:
        await _run_batch(batch, self._alone, lambda b: _in_pipeline(self, b), timed=self.timed)


def create_redis_client(
    url: str, *, cluster: bool = False, timeout_s: float = 5.0, timed: bool = False
) -> RedisClient:
    """A bounded pool that makes a burst *wait* for a free connection (up to `timeout_s`)
    instead of failing with MaxConnectionsError: a flash crowd queues, it does not 500.
    With `cluster`, `url` names any node of a Redis Cluster: the client learns the others
    and the slot map from it, and keeps a pool per node (redis-py's cluster pools do not
    wait: past 512 connections to one node a command fails, as a store error; one batch
    per turn and node keeps far below that)."""
    common: dict[str, Any] = {
        "decode_responses": False,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "health_check_interval": 30,
        "max_connections": 512,
    }
    client: RedisClient
    if cluster:
        client = AutoPipelinedRedisCluster.from_url(url, **common)
    else:
        pool = BlockingConnectionPool.from_url(url, timeout=timeout_s, **common)
        client = AutoPipelinedRedis.from_pool(pool)  # the client owns the pool: aclose() closes it
    if isinstance(client, AutoPipelinedRedis | AutoPipelinedRedisCluster):
        client.timed = timed  # observe the round trips' latency (`infra.store_metrics`)
    return client


async def ping_redis(client: RedisClient) -> None:
    await client.ping()
