"""Sale commits per second on the embedded MongoDB-wire server (durable: --sync-on-commit).

    uv run python -m bench.commits [--holds 1500] [--concurrency 64]

Holds are made first (Redis), then `commit_sale` runs for all of them with the given
concurrency: Redis commit_begin → one `insert_many` of the hold's units into MongoDB →
Redis commit_done. Reported per hold size (1 GA ticket, 2 and 4 adjacent seats) as
tickets/s and holds/s. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.inventory.models import GaArea, Hold, InventoryLayout, ReservedSeat
from ticketsafe.inventory.service import InventoryService
from ticketsafe.schema import MIGRATIONS


def layout(event_id: str, seats: int, ga: int) -> InventoryLayout:
    per_row = 40
    return InventoryLayout(
        event_id=event_id,
        seats=[
            ReservedSeat(seat_id=f"S{i}", section_id="A", row=str(i // per_row),
                         order=i % per_row, x=i % per_row, y=i // per_row)
            for i in range(seats)
        ],
        areas=[GaArea(area_id="floor", capacity=ga)] if ga else [],
        per_buyer_limit=0,
    )  # fmt: skip


async def one_size(
    svc: InventoryService, size: int, holds: int, concurrency: int
) -> dict[str, float]:
    event = f"evt_c{size}"
    if size == 1:
        await svc.provision_event(layout(event, 0, holds))
    else:
        await svc.provision_event(layout(event, holds * size, 0))
    gate = asyncio.Semaphore(concurrency)

    async def make(i: int) -> Hold:
        async with gate:
            if size == 1:
                return await svc.hold_ga(event, f"u{i}", "floor", 1)
            seats = [f"S{i * size + k}" for k in range(size)]
            return await svc.hold_seats(event, f"u{i}", seats)

    made = await asyncio.gather(*(make(i) for i in range(holds)))

    async def commit(hold: Hold) -> None:
        async with gate:
            await svc.commit_sale(hold.hold_id, f"ord_{hold.hold_id}", hold.buyer_id)

    started = time.perf_counter()
    await asyncio.gather(*(commit(h) for h in made))
    seconds = time.perf_counter() - started
    sold = await svc.repo.db["inventory_units"].count_documents({"event_id": event})
    assert sold == holds * size, (sold, holds * size)
    return {
        "tickets_per_hold": size,
        "holds": holds,
        "seconds": round(seconds, 2),
        "holds_per_s": round(holds / seconds, 1),
        "tickets_per_s": round(holds * size / seconds, 1),
    }


async def bench(stores: EmbeddedStores, holds: int, concurrency: int) -> list[dict[str, float]]:
    assert stores.mongo_url
    assert stores.redis_url
    mongo = create_mongo_client(stores.mongo_url)
    redis = create_redis_client(stores.redis_url)
    try:
        db = mongo["bench"]
        await migrate(db, MIGRATIONS)
        svc = InventoryService(db, redis)
        return [await one_size(svc, size, holds, concurrency) for size in (1, 2, 4)]
    finally:
        await redis.aclose()
        await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holds", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores = EmbeddedStores(Path(tmp), durable=True)
        stores.start()
        try:
            print(json.dumps(asyncio.run(bench(stores, args.holds, args.concurrency)), indent=2))
        finally:
            stores.stop()


if __name__ == "__main__":
    main()
