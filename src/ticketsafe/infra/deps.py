"""FastAPI dependencies for the shared clients, as `Annotated` aliases."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.jobs import JobBuffer, JobQueue
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.problem_handlers import STORE_ERRORS
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_db(request: Request) -> Database:
    resources: Resources = request.app.state.resources
    return resources.db


async def get_redis(request: Request) -> RedisClient:
    resources: Resources = request.app.state.resources
    return resources.redis


async def get_settings(request: Request) -> Settings:
    resources: Resources = request.app.state.resources
    return resources.settings


log = logging.getLogger("ticketsafe.jobs")


async def get_queue(request: Request) -> JobQueue:
    resources: Resources = request.app.state.resources
    return resources.queue


async def get_job_buffer(
    queue: Annotated[JobQueue, Depends(get_queue)],
) -> AsyncIterator[JobBuffer]:
    """Jobs deferred by the endpoint are sent only if it returned without raising.
    They are sent after the answer: if Redis is down by then they are lost, which is
    logged by name (raising could only reach the server's log as a 500 that never was).
    What they were for is reconciled where it matters: a buyer's order follows its
    payment when read, and the deadline sweep settles or releases pending orders."""
    buffer = JobBuffer()
    yield buffer
    names = [job.name for job, _ in buffer.jobs]
    try:
        await buffer.flush(queue)
    except STORE_ERRORS as exc:
        log.warning("jobs not queued (%s): %s", type(exc).__name__, ", ".join(names))


ResourcesDep = Annotated[Resources, Depends(get_resources)]
DbDep = Annotated[Database, Depends(get_db)]
RedisDep = Annotated[RedisClient, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[JobBuffer, Depends(get_job_buffer)]
