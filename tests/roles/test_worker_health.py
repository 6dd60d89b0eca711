"""The worker's probes (`roles.worker_health`): alive while its loop turns, ready once
it reaches Redis, and served by `ticketsafe worker` on TICKETSAFE_WORKER_HEALTH_PORT."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import httpx
import pytest

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.jobs import JobQueue, JobRegistry
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.roles.worker import Worker
from ticketsafe.roles.worker_health import WorkerHealth, health_server


async def _get(port: int, path: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        return await client.request(method, path)


async def _until_status(port: int, path: str, status: int, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while (await _get(port, path)).status_code != status:
            await asyncio.sleep(0.05)


async def test_ready_once_the_worker_joined_its_queue(resources: Resources) -> None:
    worker = Worker(resources, JobRegistry(), block_ms=50)
    stop = asyncio.Event()
    async with health_server(worker.health, "127.0.0.1", 0) as port:
        assert (await _get(port, "/healthz")).status_code == 200  # starting is alive
        assert (await _get(port, "/readyz")).status_code == 503  # not in the group yet
        running = asyncio.create_task(worker.run(stop))
        try:
            await _until_status(port, "/readyz", 200)
            body = (await _get(port, "/readyz")).json()
            assert body["joined"] is True
            assert body["reached_redis"] is True
            metrics = await _get(port, "/metrics")
            assert metrics.status_code == 200
            assert "ticketsafe_" in metrics.text
            assert (await _get(port, "/elsewhere")).status_code == 404
            assert (await _get(port, "/healthz", "POST")).status_code == 405
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)


async def test_cut_off_from_redis_it_is_alive_but_not_ready(resources: Resources) -> None:
    redis = create_redis_client(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5)
    cut_off = dataclasses.replace(resources, redis=redis, queue=JobQueue(redis))
    worker = Worker(cut_off, JobRegistry(), block_ms=50)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        async with health_server(worker.health, "127.0.0.1", 0) as port:
            await asyncio.sleep(1.0)  # a few failed attempts to join the group
            assert (await _get(port, "/healthz")).status_code == 200  # waiting it out
            ready = await _get(port, "/readyz")
            assert ready.status_code == 503
            assert ready.json()["reached_redis"] is False
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await redis.aclose()


async def test_a_loop_that_stopped_turning_fails_liveness() -> None:
    now = [1_000.0]
    health = WorkerHealth(stale_after_s=60.0, clock=lambda: now[0])
    health.turned(reached_redis=True)
    async with health_server(health, "127.0.0.1", 0) as port:
        assert (await _get(port, "/readyz")).status_code == 200
        now[0] += 59.0
        assert (await _get(port, "/healthz")).status_code == 200
        now[0] += 2.0  # a hung poll: no turn for over a minute
        assert (await _get(port, "/healthz")).status_code == 503
        assert (await _get(port, "/readyz")).status_code == 503
        health.turned(reached_redis=True)
        assert (await _get(port, "/healthz")).status_code == 200


@pytest.mark.slow
async def test_the_worker_command_serves_its_probes(settings: Settings, tmp_path: Path) -> None:
    assert settings.mongo_url
    assert settings.redis_url
    assert settings.auth_secret
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "TICKETSAFE_MONGO_URL": settings.mongo_url.get_secret_value(),
        "TICKETSAFE_REDIS_URL": settings.redis_url.get_secret_value(),
        "TICKETSAFE_AUTH_SECRET": settings.auth_secret.get_secret_value(),
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_DATA_DIR": str(tmp_path / "data"),
        "TICKETSAFE_WORKER_HEALTH_PORT": str(port),
        "TICKETSAFE_LOG_LEVEL": "WARNING",
    }
    child = ChildProcess("worker", [sys.executable, "-m", "ticketsafe", "worker"], tmp_path, env)
    child.start()
    try:
        await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port, 60.0)
        await _until_status(port, "/readyz", 200, timeout_s=30.0)
        assert (await _get(port, "/healthz")).status_code == 200
    finally:
        child.stop()
