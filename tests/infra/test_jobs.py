"""The job queue on a real Redis: delivery, retries, dead letters, crash recovery."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ticketsafe.infra.deps import JobsDep
from ticketsafe.infra.errors import Conflict
from ticketsafe.infra.jobs import (
    DEAD,
    DELAYED,
    STREAM,
    URGENT_STREAM,
    Job,
    JobBuffer,
    JobContext,
    JobQueue,
    JobRegistry,
)
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(5):
        while not await check():
            await asyncio.sleep(0.02)


def recorder(registry: JobRegistry, name: str) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []

    @registry.task(name)
    async def handler(ctx: JobContext, **args: object) -> None:
        seen.append(args)

    return seen


async def test_jobs_are_processed_once_and_removed(resources: Resources) -> None:
    registry = JobRegistry()
    seen = recorder(registry, "mail.send")
    worker = Worker(resources, registry, block_ms=50)
    async with running(worker):
        for i in range(20):
            await resources.queue.enqueue("mail.send", {"order_id": f"ord_{i}"})

        async def all_seen() -> bool:
            return len(seen) == 20

        await eventually(all_seen)
    assert sorted(str(a["order_id"]) for a in seen) == sorted(f"ord_{i}" for i in range(20))
    assert await resources.redis.xlen(STREAM) == 0


async def test_failing_job_retries_then_dead_letters(resources: Resources) -> None:
    queue = JobQueue(resources.redis, max_deliveries=3)
    await queue.ensure_group()
    attempts: list[int] = []
    registry = JobRegistry()

    @registry.task("flaky")
    async def flaky(ctx: JobContext, n: int) -> None:
        attempts.append(n)
        raise ValueError("provider down")

    await queue.enqueue("flaky", {"n": 1})
    # Drive the queue by hand so back-off delays need not be waited for in real time.
    for _ in range(3):
        await _promote_now(queue)
        for job in await queue.read("c1", 10, 100):
            try:
                await flaky(None, **job.args)
            except ValueError as exc:
                await queue.fail(job, str(exc))
    assert attempts == [1, 1, 1]
    dead = await queue.dead_letters()
    assert len(dead) == 1
    assert dead[0][0].name == "flaky"
    assert dead[0][0].attempt == 3
    assert "provider down" in dead[0][1]


async def _promote_now(queue: JobQueue) -> None:
    members: Any = await queue.redis.zrange(DELAYED, 0, -1)
    if members:
        await queue.redis.zadd(DELAYED, dict.fromkeys(members, 0))
    await queue.promote_due()


async def test_delayed_job_waits_until_due(resources: Resources) -> None:
    queue = resources.queue
    await queue.ensure_group()
    await queue.enqueue("later", {"x": 1}, delay_s=0.3)
    assert await queue.promote_due() == 0
    assert await queue.read("c1", 10, 10) == []
    await asyncio.sleep(0.35)
    assert await queue.promote_due() == 1
    jobs = await queue.read("c1", 10, 10)
    assert [(j.name, j.args) for j in jobs] == [("later", {"x": 1})]


async def test_jobs_of_a_dead_consumer_are_reclaimed(resources: Resources) -> None:
    queue = JobQueue(resources.redis, visibility_timeout_ms=1_000, max_deliveries=3)
    await queue.ensure_group()
    await queue.enqueue("ticket.issue", {"order_id": "ord_1"})
    crashed = await queue.read("crashed-worker", 10, 100)  # read, never acked
    assert len(crashed) == 1
    assert await queue.reclaim("rescuer") == []  # not idle long enough yet
    await asyncio.sleep(1.05)
    rescued = await queue.reclaim("rescuer")
    assert [(j.name, j.args) for j in rescued] == [("ticket.issue", {"order_id": "ord_1"})]
    await queue.ack(rescued[0])
    assert await resources.redis.xlen(STREAM) == 0


async def test_poison_job_is_dead_lettered_after_max_deliveries(resources: Resources) -> None:
    queue = JobQueue(resources.redis, visibility_timeout_ms=1_000, max_deliveries=2)
    await queue.ensure_group()
    await queue.enqueue("crashy", {})
    await queue.read("w1", 1, 100)  # delivery 1: consumer dies
    await asyncio.sleep(1.05)
    assert len(await queue.reclaim("w2")) == 1  # delivery 2: dies again
    await asyncio.sleep(1.05)
    assert await queue.reclaim("w3") == []
    assert [j.name for j, _ in await queue.dead_letters()] == ["crashy"]
    assert await resources.redis.xlen(DEAD) == 1


async def test_urgent_jobs_are_taken_before_the_rest(resources: Resources) -> None:
    queue = resources.queue
    await queue.ensure_group()
    for i in range(5):
        await queue.enqueue("mail.send", {"n": i})
    await queue.enqueue("payments.changed", {"n": 0}, urgent=True)
    await queue.enqueue("payments.changed", {"n": 1}, urgent=True)
    first = await queue.read("c1", 3, 10)
    assert [(j.name, j.args["n"]) for j in first] == [
        ("payments.changed", 0),
        ("payments.changed", 1),
        ("mail.send", 0),
    ]
    assert await queue.outstanding() == 7  # 3 being run, 4 waiting
    for job in first:
        await queue.ack(job)
    assert await resources.redis.xlen(URGENT_STREAM) == 0
    assert await queue.outstanding() == 4


async def test_urgent_work_does_not_starve_the_other_lane(resources: Resources) -> None:
    queue = resources.queue
    await queue.ensure_group()
    for i in range(8):
        await queue.enqueue("mail.send", {"n": i})
        await queue.enqueue("payments.changed", {"n": i}, urgent=True)
    taken = [job for _ in range(8) for job in await queue.read("c1", 1, 10)]
    # One job per read, as a busy worker reads: every 4th goes to the other lane.
    assert [j.urgent for j in taken] == [True, True, True, False] * 2
    assert [j.args["n"] for j in taken if not j.urgent] == [0, 1]  # in order


async def test_a_busy_worker_runs_an_urgent_job_ahead_of_the_backlog(
    resources: Resources,
) -> None:
    registry = JobRegistry()
    ran: list[str] = []
    gate = asyncio.Event()

    @registry.task("mail.send")
    async def send(ctx: JobContext, n: int) -> None:
        await gate.wait()
        ran.append(f"mail {n}")

    @registry.task("payments.changed")
    async def changed(ctx: JobContext, n: int) -> None:
        ran.append(f"payment {n}")

    worker = Worker(resources, registry, concurrency=1, block_ms=50)
    async with running(worker):
        for i in range(4):
            await resources.queue.enqueue("mail.send", {"n": i})

        async def first_taken() -> bool:
            return bool(worker._running)

        await eventually(first_taken)  # mail 0 occupies the only slot; 1-3 wait
        await resources.queue.enqueue("payments.changed", {"n": 9}, urgent=True)
        gate.set()

        async def all_ran() -> bool:
            return len(ran) == 5

        await eventually(all_ran)
    # Ahead of the backlog (or right after one more mail, when that read was the other
    # lane's turn).
    assert ran[0] == "mail 0", ran
    assert ran.index("payment 9") <= 2, ran


async def test_a_retried_urgent_job_stays_urgent(resources: Resources) -> None:
    queue = resources.queue
    await queue.ensure_group()
    await queue.enqueue("psp.deliver", {"event_id": "evt_1"}, urgent=True)
    (job,) = await queue.read("c1", 1, 10)
    await queue.fail(job, "webhook endpoint down")
    await _promote_now(queue)
    assert await resources.redis.xlen(STREAM) == 0
    (again,) = await queue.read("c1", 1, 10)
    assert (again.name, again.attempt, again.urgent) == ("psp.deliver", 2, True)


async def test_urgent_jobs_of_a_dead_consumer_are_reclaimed(resources: Resources) -> None:
    queue = JobQueue(resources.redis, visibility_timeout_ms=500, max_deliveries=3)
    await queue.ensure_group()
    await queue.enqueue("payments.changed", {"payment_id": "pay_1"}, urgent=True)
    await queue.enqueue("mail.send", {"mail_id": "m_1"})
    assert len(await queue.read("crashed-worker", 10, 100)) == 2
    await asyncio.sleep(0.55)
    rescued = await queue.reclaim("rescuer")
    assert sorted((j.name, j.urgent) for j in rescued) == [
        ("mail.send", False),
        ("payments.changed", True),
    ]
    for job in rescued:
        await queue.ack(job)
    assert await queue.outstanding() == 0


async def test_periodic_task_runs_on_one_worker_only(resources: Resources) -> None:
    runs: list[str] = []

    def make(name: str) -> PeriodicTask:
        async def tick(ctx: JobContext) -> None:
            runs.append(name)

        return PeriodicTask("sweep", 0.1, tick)

    w1 = Worker(resources, JobRegistry(), [make("w1")], block_ms=20, consumer="w1")
    w2 = Worker(resources, JobRegistry(), [make("w2")], block_ms=20, consumer="w2")
    async with running(w1), running(w2):
        await asyncio.sleep(1.0)
    assert len(runs) >= 5
    # One runner at a time: the other takes over only if the lease lapses (a loop stalled
    # past 3 intervals on a loaded machine), never turn about.
    switches = sum(1 for a, b in itertools.pairwise(runs) if a != b)
    assert switches <= 1, runs


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    @app.post("/_test/ok")
    async def ok(jobs: JobsDep) -> dict[str, bool]:
        jobs.defer("mail.send", {"order_id": "ord_ok"})
        return {"ok": True}

    @app.post("/_test/fails")
    async def fails(jobs: JobsDep) -> dict[str, bool]:
        jobs.defer("mail.send", {"order_id": "ord_fail"})
        raise Conflict("sold out", code="sold_out")

    return app


async def test_jobs_sent_only_when_request_succeeds(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.post("/_test/fails")).status_code == 409
    assert (await client.post("/_test/ok")).status_code == 200
    entries: Any = await resources.redis.xrange(STREAM)
    jobs = [Job.decode(eid.decode(), f[b"job"]) for eid, f in entries]
    assert [j.args for j in jobs] == [{"order_id": "ord_ok"}]


async def test_a_request_sends_the_same_job_once(resources: Resources) -> None:
    buffer = JobBuffer()
    buffer.defer("payments.changed", {"payment_id": "pay_1", "n": 1})
    buffer.defer("payments.changed", {"n": 1, "payment_id": "pay_1"})  # same, other order
    buffer.defer("payments.changed", {"payment_id": "pay_2", "n": 1})
    buffer.defer("payments.changed", {"payment_id": "pay_1", "n": 1}, delay_s=5)
    await buffer.flush(resources.queue)
    assert await resources.redis.xlen(STREAM) == 2  # the delayed one waits aside
    assert await resources.redis.zcard(DELAYED) == 1
    buffer.defer("payments.changed", {"payment_id": "pay_1", "n": 1})  # a new request's
    await buffer.flush(resources.queue)
    assert await resources.redis.xlen(STREAM) == 3


async def test_a_worker_outlives_a_flush_of_redis(resources: Resources) -> None:
    """FLUSHALL takes the streams and their consumer group: XREADGROUP then answers
    NOGROUP, which used to end the worker (and `serve` with it). It re-creates the group
    and runs the jobs sent after the flush, reclaims included."""
    registry = JobRegistry()
    seen = recorder(registry, "test.flush")
    queue = JobQueue(resources.redis, visibility_timeout_ms=200)
    worker = Worker(dataclasses.replace(resources, queue=queue), registry, block_ms=50)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await queue.enqueue("test.flush", {"n": 1})
        await eventually(lambda: _done(seen, 1))
        await resources.redis.flushall()
        await queue.enqueue("test.flush", {"n": 2}, urgent=True)  # XADD: stream, no group
        await queue.enqueue("test.flush", {"n": 3})
        await eventually(lambda: _done(seen, 3))
        await resources.redis.flushall()
        await asyncio.sleep(0.3)  # a reclaim pass (XPENDING) on the lost group
        await queue.enqueue("test.flush", {"n": 4})
        await eventually(lambda: _done(seen, 4))
        assert not task.done()
        assert sorted(int(str(a["n"])) for a in seen) == [1, 2, 3, 4]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert task.exception() is None


async def _done(seen: list[dict[str, object]], n: int) -> bool:
    return len(seen) >= n
