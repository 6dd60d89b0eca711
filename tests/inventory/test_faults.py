"""Faults in the middle of sales: Redis wiped or killed, a worker killed mid-sweep,
MongoDB's connection dropped during commits. After recovery: 0 oversold, 0 double sold,
every expired hold returned, and Redis agrees with MongoDB."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.inventory.conftest import Clock, seated_layout, sold_counts
from tests.inventory.tcp_proxy import CuttableProxy
from ticketsafe.infra.child_process import ChildProcess
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.errors import (
    HoldCommitting,
    HoldExpired,
    HoldLimitExceeded,
    InventoryBusy,
    NoAdjacentSeats,
    SeatsTaken,
    SoldOut,
)
from ticketsafe.inventory.models import UnitStatus
from ticketsafe.inventory.service import InventoryService

pytestmark = pytest.mark.slow

_RETRYABLE = (SeatsTaken, NoAdjacentSeats, InventoryBusy, HoldExpired, HoldCommitting)


class Crowd(dict[str, list[str]]):
    """Sales answered with success (order id -> seats), and how often a store failed."""

    busy = 0


async def crowd(
    svc: InventoryService, event_id: str, buyers: int, *, seed: int = 1, pause_s: float = 0.005
) -> Crowd:
    """Buyers hold the best seat and commit, retrying through transient failures."""
    rng = random.Random(seed)
    answered = Crowd()
    gate = asyncio.Semaphore(200)

    async def buyer(i: int) -> None:
        for attempt in range(60):
            try:
                async with gate:
                    hold = await svc.hold_best(event_id, f"usr_{i}", "A", 1)
                await asyncio.sleep(rng.random() * pause_s)  # paying... the window widens
                order = f"ord_{i}_{attempt}"
                for _ in range(30):  # the orders domain retries an unknown outcome
                    try:
                        async with gate:
                            sale = await svc.commit_sale(hold.hold_id, order, f"usr_{i}")
                    except InventoryBusy:
                        answered.busy += 1
                        await asyncio.sleep(0.1)
                        continue
                    answered[order] = sale.seats
                    return
            except (SoldOut, HoldLimitExceeded):
                return
            except _RETRYABLE as exc:
                answered.busy += isinstance(exc, InventoryBusy)
                await asyncio.sleep(0.01 + 0.002 * attempt)

    await asyncio.gather(*(buyer(i) for i in range(buyers)))
    return answered


async def assert_recovered(
    svc: InventoryService, resources_db: Resources | None, clock: Clock, event_id: str
) -> None:
    """Past every hold's TTL and commit grace, one sweep returns everything not sold."""
    db = svc.repo.db
    clock.advance(3600)
    await svc.sweep()
    counts: dict[str, int] = {}
    async for doc in db["inventory_units"].find({"event_id": event_id}):
        counts[doc["unit"]] = counts.get(doc["unit"], 0) + 1
    assert set(counts.values()) <= {1}, "double sold"
    avail = await svc.availability(event_id)
    assert UnitStatus.HELD not in set(avail.seats.values()), "a hold outlived TTL + sweep"
    sold_redis = {s for s, st in avail.seats.items() if st is UnitStatus.SOLD}
    assert sold_redis == set(counts), "Redis and MongoDB disagree on what is sold"


async def test_flushall_storm_mid_sale(inventory: InventoryService, clock: Clock) -> None:
    await inventory.provision_event(seated_layout(rows=10, per_row=10, limit=1))

    async def flusher() -> None:
        for _ in range(4):
            await asyncio.sleep(0.15)
            await inventory.engine.redis.flushall()

    answered, _ = await asyncio.gather(crowd(inventory, "evt_1", 300), flusher())
    await assert_recovered(inventory, None, clock, "evt_1")
    sold = await sold_counts_from(inventory, "evt_1")
    print(f"flushall: {len(answered)} answered, {len(sold)} sold")
    # every answered sale is in MongoDB, each seat once
    assert all(sold.get(s) == order for order, seats in answered.items() for s in seats)


async def sold_counts_from(svc: InventoryService, event_id: str) -> dict[str, str]:
    return {
        d["unit"]: d["order_id"]
        async for d in svc.repo.db["inventory_units"].find({"event_id": event_id})
    }


async def test_redis_killed_and_restarted_mid_sale(
    resources: Resources, own_redis: tuple[ChildProcess, str], clock: Clock
) -> None:
    child, url = own_redis
    redis = create_redis_client(url, timeout_s=1.0)
    svc = InventoryService(resources.db, redis, clock=clock)
    try:
        from ticketsafe.infra.migrations import migrate  # noqa: PLC0415
        from ticketsafe.schema import MIGRATIONS  # noqa: PLC0415

        await migrate(resources.db, MIGRATIONS)
        # No buyer limit here: a hold applied just before the kill may lose its reply, and
        # its buyer must be able to try again (the orphan hold simply expires).
        await svc.provision_event(seated_layout(rows=10, per_row=10, limit=0))

        async def killer() -> None:
            await asyncio.sleep(0.1)
            assert child.pid is not None
            os.killpg(child.pid, signal.SIGKILL)  # our own child only
            await asyncio.to_thread(child.stop)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(child.start)
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port)

        answered, _ = await asyncio.gather(crowd(svc, "evt_1", 300, pause_s=0.3), killer())
        # AOF (fsync every second) may have lost the last acknowledged Redis writes: the
        # sweep reconciles stuck commits and (once a minute) re-marks MongoDB's sales.
        await redis.delete("ts:{evt_1}:reconciled")
        await assert_recovered(svc, None, clock, "evt_1")
        sold = await sold_counts_from(svc, "evt_1")
        assert all(sold.get(s) == order for order, seats in answered.items() for s in seats)
        assert answered.busy > 0  # the outage was really hit
        assert answered  # and sales went on after it
        print(f"redis restart: {len(answered)} answered, {len(sold)} sold, {answered.busy} busy")
    finally:
        await redis.aclose()


async def test_mongodb_connection_dropped_during_commits(
    resources: Resources, settings: Settings, clock: Clock
) -> None:
    assert settings.mongo_url is not None
    host_port = settings.mongo_url.get_secret_value().split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    proxy = CuttableProxy(host, int(port))
    await proxy.start()
    mongo = create_mongo_client(
        f"mongodb://127.0.0.1:{proxy.port}/?retryWrites=false&directConnection=true",
        timeout_ms=1000,
    )
    svc = InventoryService(mongo[settings.mongo_database], resources.redis, clock=clock)
    try:
        from ticketsafe.infra.migrations import migrate  # noqa: PLC0415
        from ticketsafe.schema import MIGRATIONS  # noqa: PLC0415

        await migrate(resources.db, MIGRATIONS)
        await svc.provision_event(seated_layout(rows=10, per_row=10, limit=1))

        async def chaos() -> None:
            await asyncio.sleep(0.05)
            for _ in range(40):  # drop every link, in flight or idle, every 10 ms
                proxy.cut()
                await asyncio.sleep(0.01)
            proxy.refusing = True  # then a real outage, longer than the client timeout
            proxy.cut()
            await asyncio.sleep(1.5)
            proxy.refusing = False

        answered, _ = await asyncio.gather(crowd(svc, "evt_1", 300, pause_s=0.8), chaos())
        await assert_recovered(svc, None, clock, "evt_1")
        sold = await sold_counts_from(svc, "evt_1")
        assert answered.busy > 0  # commits really lost their connection
        print(f"mongo drops: {len(answered)} answered, {len(sold)} sold, {answered.busy} busy")
        assert all(sold.get(s) == order for order, seats in answered.items() for s in seats)
    finally:
        await mongo.close()
        await proxy.stop()


_WORKER = """
import asyncio
from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.tasks import periodic_tasks
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services

async def main() -> None:
    resources = Resources.open(Settings())
    inventory = Services.build(resources).inventory
    worker = Worker(resources, JobRegistry(), periodic_tasks(inventory, 0.1), block_ms=50)
    await worker.run(asyncio.Event())

asyncio.run(main())
"""


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": settings.mongo_url.get_secret_value(),
        "TICKETSAFE_REDIS_URL": settings.redis_url.get_secret_value(),
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_AUTH_SECRET": SecretStr("w" * 40).get_secret_value(),
    }
    with log.open("ab") as fh:
        return subprocess.Popen([sys.executable, "-c", _WORKER], env=env, stdout=fh, stderr=fh)


async def test_worker_killed_mid_sweep(
    resources: Resources, settings: Settings, tmp_path: Path
) -> None:
    # Holds made an hour "ago": every one is already due by Redis's own clock, which the
    # worker's sweep uses.
    past = Clock()
    past.ms = int(time.time() * 1000) - 3_600_000
    svc = InventoryService(resources.db, resources.redis, clock=past)
    from ticketsafe.infra.migrations import migrate  # noqa: PLC0415
    from ticketsafe.schema import MIGRATIONS  # noqa: PLC0415

    await migrate(resources.db, MIGRATIONS)
    layout = seated_layout(rows=10, per_row=10, limit=0, areas={"floor": 3000})
    await svc.provision_event(layout)
    gate = asyncio.Semaphore(200)

    async def hold_ga(i: int) -> None:
        async with gate:
            await svc.hold_ga("evt_1", f"usr_{i}", "floor", 1)

    await asyncio.gather(*(hold_ga(i) for i in range(3000)))
    seat_holds = [await svc.hold_seats("evt_1", f"usr_s{i}", [f"A-1-{i}"]) for i in range(1, 11)]
    # Half the seat holds are mid-commit when everything dies: 3 made it into MongoDB.
    for n, hold in enumerate(seat_holds[:6]):
        await svc._call("evt_1", "commit_begin", hold.hold_id, hold.buyer_id, f"ord_{n}", 1000)
        if n < 3:
            await svc.repo.insert_sold(
                "evt_1", hold.seats, order_id=f"ord_{n}", hold_id=hold.hold_id,
                buyer_id=hold.buyer_id,
            )  # fmt: skip
    first = start_worker(settings, tmp_path / "w1.log")
    try:
        watcher = InventoryService(resources.db, resources.redis)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # kill as soon as the first sweep shows
            if (await watcher.availability("evt_1")).ga["floor"].available > 0:
                break
            await asyncio.sleep(0.002)
        first.send_signal(signal.SIGKILL)  # kill -9, our own child
        first.wait(10)
        mid = await InventoryService(resources.db, resources.redis).availability("evt_1")
        second = start_worker(settings, tmp_path / "w2.log")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                avail = await InventoryService(resources.db, resources.redis).availability("evt_1")
                if UnitStatus.HELD not in set(avail.seats.values()) and (
                    avail.ga["floor"].available == 3000
                ):
                    break
                await asyncio.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(5)
    assert avail.ga["floor"].available == 3000
    held = [s for s, st in avail.seats.items() if st is UnitStatus.HELD]
    assert held == []
    sold = {s for s, st in avail.seats.items() if st is UnitStatus.SOLD}
    assert sold == {"A-1-1", "A-1-2", "A-1-3"}
    assert await sold_counts(resources, "evt_1") == {"A-1-1": 1, "A-1-2": 1, "A-1-3": 1}
    print("worker kill: GA free mid-way", mid.ga["floor"].available)
