"""Several API and worker instances share one queue: no one admitted twice, no one skipped."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.models import GaArea, InventoryLayout
from ticketsafe.inventory.service import InventoryService
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import ORGANIZER, MakeConfig, join_direct, zmembers, zscores


@pytest.fixture
async def instances(settings: Settings, resources: Resources) -> AsyncIterator[list[Resources]]:
    """Four independent sets of clients (connection pools), as four processes would have."""
    opened = [Resources.open(settings) for _ in range(4)]
    try:
        yield opened
    finally:
        for res in opened:
            await res.close()


async def _check_exactly_once_in_order(
    resources: Resources, event_id: str, places: dict[str, int]
) -> None:
    k = QueueKeys(event_id)
    at = await zscores(resources.redis, k.admitted)
    assert set(at) == set(places)  # no one skipped (left behind) or invented
    counter = int(await resources.redis.hget(k.stats, "admitted") or 0)
    assert counter == len(places)  # a second admission of anyone would count twice
    groups = sorted(set(places.values()))
    first = {g: min(at[u] for u in places if places[u] == g) for g in groups}
    last = {g: max(at[u] for u in places if places[u] == g) for g in groups}
    for a, b in itertools.pairwise(groups):
        assert last[a] <= first[b]  # nobody overtaken: admission time follows the place


async def test_concurrent_ticks_from_independent_clients_admit_each_person_once(
    instances: list[Resources], make_config: MakeConfig
) -> None:
    rooms = [WaitingRoom.from_resources(r) for r in instances]
    config = make_config(rate_per_minute=30_000)  # 500/s: admissions span several ticks
    await rooms[0].configure_queue(config)
    ev = config.event_id
    users = [f"usr_{i}" for i in range(1_500)]
    places: dict[str, int] = {}
    for start in range(0, len(users), 300):
        wave = users[start : start + 300]
        joined = await asyncio.gather(
            *(join_direct(rooms[i % 4], ev, u) for i, u in enumerate(wave)),
            *(join_direct(random.choice(rooms), ev, u) for u in random.sample(wave, 50)),
        )  # every wave also repeats 50 joins through another instance: same place
        places.update({u: s.position or 0 for u, s in zip(wave, joined, strict=False)})
    assert sorted(places.values()) == list(range(1, 1_501))
    workers = [Admissions(r.db, r.redis) for r in instances]
    deadline = time.monotonic() + 30
    while (await rooms[0].stats(ev, ORGANIZER)).queue_length and time.monotonic() < deadline:
        # No lease here on purpose: four ticks at once must still be safe.
        await asyncio.gather(*(w.tick(max_batch=97) for w in workers))
        await asyncio.sleep(0.02)
    await _check_exactly_once_in_order(instances[0], ev, places)


def _start_workers(env: dict[str, str], ports: list[int]) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "ticketsafe", "worker"]
    return [
        subprocess.Popen(command, env={**env, "TICKETSAFE_WORKER_HEALTH_PORT": str(port)})
        for port in ports
    ]


async def _until_ready(workers: list[subprocess.Popen[bytes]], ports: list[int]) -> None:
    """Until every worker answers /readyz 200 (in its consumer group, Redis reached). A
    worker process takes seconds to start, ~30 s on a loaded 2-core machine: waited for
    here, so the joins below race with running workers and the admission deadline
    measures admissions, not start-up."""
    async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(180):
        for proc, port in zip(workers, ports, strict=True):
            while True:
                assert proc.poll() is None, f"worker on :{port} exited with {proc.returncode}"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_worker_processes_and_api_clients_share_one_queue(
    settings: Settings, instances: list[Resources], make_config: MakeConfig
) -> None:
    rooms = [WaitingRoom.from_resources(r) for r in instances]
    config = make_config(rate_per_minute=60_000)
    await rooms[0].configure_queue(config)
    ev = config.event_id
    # The workers' admission tick admits nobody before the event's inventory exists.
    await InventoryService(instances[0].db, instances[0].redis).provision_event(
        InventoryLayout(event_id=ev, areas=[GaArea(area_id="pista", capacity=5_000)])
    )
    assert settings.mongo_url
    assert settings.redis_url
    assert settings.auth_secret
    env = {
        **os.environ,
        "TICKETSAFE_MONGO_URL": settings.mongo_url.get_secret_value(),
        "TICKETSAFE_REDIS_URL": settings.redis_url.get_secret_value(),
        "TICKETSAFE_AUTH_SECRET": settings.auth_secret.get_secret_value(),
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_LOG_LEVEL": "WARNING",
    }
    ports = [free_port() for _ in range(3)]
    workers = _start_workers(env, ports)
    try:
        await _until_ready(workers, ports)
        users = [f"usr_{i}" for i in range(2_000)]
        places: dict[str, int] = {}
        for start in range(0, len(users), 250):  # joins race with the workers' admissions
            wave = users[start : start + 250]
            joined = await asyncio.gather(
                *(join_direct(rooms[i % 4], ev, u) for i, u in enumerate(wave))
            )
            assert all(s.position or s.state.value == "admitted" for s in joined)
            places.update(dict.fromkeys(wave, start))  # waves are sequential: FIFO by wave
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            s = await rooms[0].stats(ev, ORGANIZER)
            if s.queue_length == 0 and s.admitted == len(users):
                break
            await asyncio.sleep(0.25)
        k = QueueKeys(ev)
        everyone = set(await zmembers(instances[0].redis, k.admitted))
        assert everyone == set(users)
        assert int(await instances[0].redis.hget(k.stats, "admitted") or 0) == len(users)
        await _check_exactly_once_in_order(instances[0], ev, places)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(timeout=20)
