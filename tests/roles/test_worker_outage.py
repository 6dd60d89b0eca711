"""The worker outlives a Redis restart: it waits, reconnects and runs the jobs queued
after the outage (it used to exit on the first connection error)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import signal
from typing import Any

import pytest

from ticketsafe.infra.child_process import ChildProcess
from ticketsafe.infra.jobs import STREAM, JobContext, JobQueue, JobRegistry
from ticketsafe.infra.redisdb import RedisClient, create_redis_client
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker, supervise


async def test_worker_survives_a_redis_restart(
    resources: Resources, own_redis: tuple[ChildProcess, str]
) -> None:
    child, url = own_redis
    redis, queue, worker, done = _recording_worker(resources, url)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await queue.enqueue("test.record", {"n": 1})
        await _until(lambda: done == [1])
        assert child.pid is not None
        os.killpg(child.pid, signal.SIGKILL)  # our own child only
        await asyncio.to_thread(child.stop)
        await asyncio.sleep(1.0)  # the worker polls a dead Redis meanwhile
        assert not running.done()
        await asyncio.to_thread(child.start)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port)
        await _until_ok(lambda: queue.enqueue("test.record", {"n": 2}))
        await _until(lambda: 2 in done, timeout_s=15)
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await redis.aclose()


async def test_worker_started_while_redis_is_down_waits_for_it(
    resources: Resources, own_redis: tuple[ChildProcess, str]
) -> None:
    """Started (or restarted after a crash) while Redis restarts, the worker waits for
    it and then runs jobs; it used to exit at once (`ensure_group` raised)."""
    child, url = own_redis
    assert child.pid is not None
    os.killpg(child.pid, signal.SIGKILL)  # our own child only
    await asyncio.to_thread(child.stop)
    redis, queue, worker, done = _recording_worker(resources, url)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(1.5)
        assert not running.done()
        await asyncio.to_thread(child.start)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port)
        await _until_ok(lambda: queue.enqueue("test.record", {"n": 1}))
        await _until(lambda: done == [1], timeout_s=15)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await redis.aclose()


def _recording_worker(
    resources: Resources, url: str
) -> tuple[RedisClient, JobQueue, Worker, list[int]]:
    """A worker on the Redis at `url` whose one job, `test.record`, notes its `n`."""
    redis = create_redis_client(url, timeout_s=1.0)
    queue = JobQueue(redis)
    own = dataclasses.replace(resources, redis=redis, queue=queue)
    done: list[int] = []
    registry = JobRegistry()

    @registry.task("test.record")
    async def record(ctx: JobContext, n: int) -> None:
        done.append(n)

    return redis, queue, Worker(own, registry, block_ms=50), done


async def _until(check: Any, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.02)


async def _until_ok(call: Any, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                await call()
                return
            except Exception:  # Redis still loading: try again
                await asyncio.sleep(0.1)


async def test_a_job_whose_ack_fails_runs_again_after_the_outage(
    resources: Resources, own_redis: tuple[ChildProcess, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Redis goes away while a job runs: its outcome cannot be recorded. The worker logs
    it (the job task used to die with an exception nobody retrieved) and, Redis back,
    the job is delivered again: at least once."""
    child, url = own_redis
    redis = create_redis_client(url, timeout_s=1.0)
    queue = JobQueue(redis, visibility_timeout_ms=1_000)
    own = dataclasses.replace(resources, redis=redis, queue=queue)
    runs: list[int] = []
    registry = JobRegistry()

    @registry.task("test.outage")
    async def outage(ctx: JobContext) -> None:
        runs.append(1)
        if len(runs) == 1:  # the first run takes its own Redis down before the ack
            assert child.pid is not None
            os.killpg(child.pid, signal.SIGKILL)  # our own child only
            await asyncio.to_thread(child.stop)

    worker = Worker(own, registry, block_ms=50)
    stop = asyncio.Event()
    await queue.enqueue("test.outage", {})
    await asyncio.sleep(1.5)  # on disk (appendfsync everysec) before Redis is killed
    running = asyncio.create_task(worker.run(stop))
    try:
        await _until(lambda: "job outcome not recorded" in caplog.text)
        # The job's task caught the failure (the log above) and ends: its set's discard
        # is a done callback, run a loop iteration after the log, so it is waited for.
        await _until(lambda: worker._running == set(), timeout_s=5)
        await asyncio.to_thread(child.start)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port)
        await _until(lambda: len(runs) == 2, timeout_s=20)
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await redis.aclose()


async def test_a_failing_worker_loop_is_restarted_with_back_off(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker whose loop raises what no outage handling foresaw (here: its stream is a
    string, WRONGTYPE) is started again after a back-off instead of ending the process;
    once the cause is gone, a restarted worker runs the jobs."""
    await resources.redis.set(STREAM, "not a stream")
    done: list[int] = []
    registry = JobRegistry()

    @registry.task("test.record")
    async def record(ctx: JobContext, n: int) -> None:
        done.append(n)

    builds: list[float] = []

    def build() -> Worker:
        builds.append(asyncio.get_running_loop().time())
        return Worker(resources, registry, block_ms=50)

    stop = asyncio.Event()
    running = asyncio.create_task(supervise(build, stop, first_wait_s=0.1, max_wait_s=0.4))
    try:
        await _until(lambda: len(builds) >= 4)
        assert "worker loop failed; restarting it" in caplog.text
        gaps = [b - a for a, b in itertools.pairwise(builds)]
        assert all(gap >= 0.04 for gap in gaps)  # waited (jitter: half to all of the step)
        assert not running.done()
        await resources.redis.delete(STREAM)
        await resources.queue.enqueue("test.record", {"n": 1})
        await _until(lambda: done == [1], timeout_s=10)
    finally:
        stop.set()
        restarts = await asyncio.wait_for(running, 10)
    assert restarts >= 3
