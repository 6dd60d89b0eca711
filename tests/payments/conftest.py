from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry


@pytest.fixture
def ctx(resources: Resources, settings: Settings) -> ProviderContext:
    return ProviderContext(resources.db, resources.redis, JobBuffer(), settings, resources.http)


@pytest.fixture
async def worker_resources(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[Resources]:
    """A worker's clients, next to the running app (the PSP reaches the app itself)."""
    res = Resources.open(settings)
    yield res
    await res.close()


async def drain(ctx: ProviderContext, worker_resources: Resources) -> None:
    """Send the jobs the calls buffered, then let one worker run them all."""
    await ctx.jobs.flush(worker_resources.queue)
    worker = Worker(worker_resources, build_registry(Services.build(worker_resources)), block_ms=20)
    await worker.queue.ensure_group()
    for _ in range(10):
        jobs = await worker.queue.read(worker.consumer, 50, 20)
        if not jobs:
            return
        for job in jobs:
            handler = worker.registry.handlers.get(job.name)
            if handler is not None:  # jobs for other domains (orders) are not ours to run
                await handler(worker.context, **job.args)
            await worker.queue.ack(job)
