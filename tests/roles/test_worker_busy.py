"""A worker with every slot busy waits for a job to end instead of asking Redis again
every few milliseconds (it used to poll the queue each 10 ms while full)."""

from __future__ import annotations

import asyncio
import dataclasses

from ticketsafe.infra.jobs import JobContext, JobQueue, JobRegistry
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker


class CountingQueue(JobQueue):
    promotions = 0

    async def promote_due(self, limit: int = 500) -> int:
        CountingQueue.promotions += 1
        return await super().promote_due(limit)


async def test_a_full_worker_waits_for_a_free_slot(resources: Resources) -> None:
    queue = CountingQueue(resources.redis)
    own = dataclasses.replace(resources, queue=queue)
    release = asyncio.Event()
    done: list[int] = []
    registry = JobRegistry()

    @registry.task("test.slow")
    async def slow(ctx: JobContext, n: int) -> None:
        await release.wait()
        done.append(n)

    worker = Worker(own, registry, concurrency=1, block_ms=1_000)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await queue.enqueue("test.slow", {"n": 1})
        await queue.enqueue("test.slow", {"n": 2})
        async with asyncio.timeout(5):
            while worker._free_slots():
                await asyncio.sleep(0.01)
        before = CountingQueue.promotions
        await asyncio.sleep(0.5)  # the one slot stays busy meanwhile
        assert CountingQueue.promotions - before <= 1
        release.set()
        async with asyncio.timeout(5):
            while done != [1, 2]:
                await asyncio.sleep(0.01)
    finally:
        release.set()
        stop.set()
        await asyncio.wait_for(running, 10)
