"""FastAPI dependencies for the shared clients, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.job_flush import send_after_answer
from ticketsafe.infra.jobs import JobBuffer, JobQueue
from ticketsafe.infra.mongodb import Database
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


async def get_queue(request: Request) -> JobQueue:
    resources: Resources = request.app.state.resources
    return resources.queue


async def get_job_buffer(
    queue: Annotated[JobQueue, Depends(get_queue)],
) -> AsyncIterator[JobBuffer]:
    """Jobs deferred by the endpoint, sent only if it returned without raising, after
    the answer (`infra.job_flush`: the rule, shared with the fast lane)."""
    buffer = JobBuffer()
    yield buffer
    await send_after_answer(buffer, queue)


ResourcesDep = Annotated[Resources, Depends(get_resources)]
DbDep = Annotated[Database, Depends(get_db)]
RedisDep = Annotated[RedisClient, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[JobBuffer, Depends(get_job_buffer)]
