"""The worker role: consume the job queue, and run periodic tasks under leases.

Several workers may run at once: the consumer group hands each job to one of them, a
crashed worker's jobs are reclaimed after the visibility timeout, and periodic tasks
(sweeps, admission ticks) run only where the task's lease is held.

A worker waits out store outages by itself (`Worker.run`); `supervise` restarts one
whose loop failed in a way nobody foresaw (back-off with jitter), so a worker never ends
its process: in `serve` the API and the embedded stores share that process, and Redis
answering `NOGROUP` after a FLUSHALL once took all of them down with the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ticketsafe.infra.job_metrics import JOB_DURATION, JOB_WAIT, JOBS_PROCESSED
from ticketsafe.infra.jobs import Job, JobContext, JobQueue, JobRegistry
from ticketsafe.infra.leases import Lease
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.problem_handlers import STORE_ERRORS
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.tracing import job_span
from ticketsafe.roles.worker_health import WorkerHealth

log = logging.getLogger("ticketsafe.worker")


@dataclass
class Worker:
    resources: Resources
    registry: JobRegistry
    periodic: list[PeriodicTask] = field(default_factory=list)
    concurrency: int = 8
    block_ms: int = 1_000
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    # What the probes read (`roles.worker_health`); shared by the workers `supervise` starts.
    health: WorkerHealth = field(default_factory=WorkerHealth)

    def __post_init__(self) -> None:
        r = self.resources
        self.context = JobContext(r.db, r.redis, r.queue, r.settings, r.http)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._running: set[asyncio.Task[None]] = set()

    @property
    def queue(self) -> JobQueue:
        return self.resources.queue

    async def run(self, stop: asyncio.Event) -> None:
        if not await self._join_queue(stop):
            return
        loops = [asyncio.create_task(self._periodic(t, stop)) for t in self.periodic]
        log.info("worker started", extra={"consumer": self.consumer})
        last_reclaim = 0.0
        outage_s = 0.0
        try:
            while not stop.is_set():
                try:
                    last_reclaim = await self._poll(last_reclaim)
                    outage_s = 0.0
                    self.health.turned(reached_redis=True)
                except STORE_ERRORS as exc:  # Redis restarting or failing over: wait, retry
                    self.health.turned(reached_redis=False)
                    outage_s = await _back_off(outage_s, stop, "job queue unavailable", exc)
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, *self._running, return_exceptions=True)
            await self.registry.close()
            log.info("worker stopped", extra={"consumer": self.consumer})

    async def _join_queue(self, stop: asyncio.Event) -> bool:
        """Join the consumer group, waiting for Redis as long as it takes: a worker
        (re)started while Redis restarts used to exit, and with it the admission ticks and
        every job until someone restarted it (a medium fault run stalled 500 s so).
        False if told to stop first."""
        outage_s = 0.0
        while not stop.is_set():
            try:
                await self.queue.ensure_group()
                self.health.turned(reached_redis=True)
                return True
            except STORE_ERRORS as exc:
                self.health.turned(reached_redis=False)
                outage_s = await _back_off(outage_s, stop, "job queue unavailable at start", exc)
        return False

    async def _poll(self, last_reclaim: float) -> float:
        """One turn: due jobs promoted, stuck ones reclaimed now and then, new ones read."""
        await self.queue.promote_due()
        if time.monotonic() - last_reclaim > self.queue.visibility_timeout_ms / 4000:
            last_reclaim = time.monotonic()
            for job in await self.queue.reclaim(self.consumer):
                await self._dispatch(job)
        free = self._free_slots()
        if free == 0:
            # Every slot busy: wait until a job ends (at most a block interval) instead of
            # asking Redis again every few milliseconds.
            await asyncio.wait(
                set(self._running),
                timeout=self.block_ms / 1000,
                return_when=asyncio.FIRST_COMPLETED,
            )
            return last_reclaim
        for job in await self.queue.read(self.consumer, free, self.block_ms):
            await self._dispatch(job)
        return last_reclaim

    def _free_slots(self) -> int:
        return self.concurrency - len(self._running)

    async def _dispatch(self, job: Job) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._execute(job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _execute(self, job: Job) -> None:
        queued_at = job.queued_at
        if queued_at is not None:
            JOB_WAIT.labels(job.name).observe(max(0.0, time.time() - queued_at))
        started = time.perf_counter()
        try:
            with job_span(job.name, job.attempt):
                await self._run(job)
        except STORE_ERRORS as exc:
            # The queue could not record the outcome (Redis restarting): the job stays
            # pending and is delivered again after its visibility timeout — at least
            # once, as always — instead of failing this task unseen.
            log.warning(
                "job outcome not recorded (%s); it will run again", type(exc).__name__,
                extra={"job": job.name, "attempt": job.attempt},
            )  # fmt: skip
        finally:
            JOB_DURATION.labels(job.name).observe(time.perf_counter() - started)
            self._slots.release()

    async def _run(self, job: Job) -> None:
        handler = self.registry.handlers.get(job.name)
        if handler is None:
            await self.queue.fail(job, f"no handler for job {job.name!r}")
            JOBS_PROCESSED.labels(job.name, "unknown").inc()
            return
        try:
            await handler(self.context, **job.args)
        except Exception as exc:
            log.warning("job failed", extra={"job": job.name, "attempt": job.attempt})
            await self.queue.fail(job, f"{type(exc).__name__}: {exc}")
            JOBS_PROCESSED.labels(job.name, "failed").inc()
            return
        await self.queue.ack(job)
        JOBS_PROCESSED.labels(job.name, "ok").inc()

    async def _periodic(self, task: PeriodicTask, stop: asyncio.Event) -> None:
        lease = Lease(self.resources.redis, f"periodic:{task.name}", int(task.interval_s * 3000))
        while not stop.is_set():
            try:
                if await lease.held():
                    await task.run(self.context)
            except Exception:
                log.exception("periodic task failed", extra={"task": task.name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), task.interval_s)
        await lease.release()


SUPERVISOR_FIRST_WAIT_S = 0.5
SUPERVISOR_MAX_WAIT_S = 30.0
HEALTHY_RUN_S = 60.0  # a worker that ran this long before failing starts the back-off over


async def supervise(
    build: Callable[[], Worker],
    stop: asyncio.Event,
    *,
    first_wait_s: float = SUPERVISOR_FIRST_WAIT_S,
    max_wait_s: float = SUPERVISOR_MAX_WAIT_S,
) -> int:
    """Run a worker made by `build` until `stop`. If its loop raises, log it, wait
    (doubling from `first_wait_s` up to `max_wait_s`, with full jitter so restarted
    workers do not retry in step) and run a new one: the error never leaves this
    function. Returns how many times a worker was restarted."""
    restarts = 0
    wait_s = first_wait_s
    while not stop.is_set():
        started = time.monotonic()
        try:
            await build().run(stop)
        except Exception:
            log.exception("worker loop failed; restarting it", extra={"restarts": restarts})
        else:
            continue  # `run` returns only once told to stop
        if time.monotonic() - started > HEALTHY_RUN_S:
            wait_s = first_wait_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), random.uniform(wait_s / 2, wait_s))  # noqa: S311
        wait_s = min(max_wait_s, wait_s * 2)
        restarts += 1
    return restarts


async def _back_off(outage_s: float, stop: asyncio.Event, what: str, exc: Exception) -> float:
    """One wait of a store outage (0.25 s, doubling up to 5 s), cut short by `stop`;
    returns the wait it took, for the next one."""
    outage_s = min(5.0, outage_s * 2 or 0.25)
    log.warning("%s (%s); retrying", what, type(exc).__name__)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), outage_s)
    return outage_s
