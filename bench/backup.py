"""Backup and restore throughput, and peak memory, against the embedded stores.

    uv run python -m bench.backup [--tickets 1000000] [--chunk-mib 4] [--no-sync]

Fills a fresh database with `--tickets` sold units (`inventory_units`, one document per
ticket as the inventory writes them) and one order per two tickets, then in a child
process each: `create_backup` to a local directory and `restore_backup` into an empty
database. Reports MB/s of the data object and of the database's BSON, documents/s, and
each child's peak RSS (ru_maxrss), which must not grow with the database. Prints JSON.

`--no-sync` runs the embedded server without `--sync-on-commit`: the figures are then the
backup's and the restore's own, not the embedded server's fsync per commit (a 1-million-ticket
fill is 1.5 million documents, over an hour with an fsync per batch on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.ops.backup.keys import BackupKey
from ticketsafe.ops.backup.service import create_backup, restore_backup
from ticketsafe.ops.backup.targets import LocalTarget

KEY = BackupKey("bench", bytes(range(32)))
BATCH = 5_000


async def fill(mongo_url: str, tickets: int) -> int:
    client = create_mongo_client(mongo_url)
    db = client["bench_backup"]
    now = datetime.now(UTC)
    written = 0
    for start in range(0, tickets, BATCH):
        units = [
            {"_id": f"evt_bench|S{i}", "event_id": "evt_bench", "unit": f"S{i}",
             "order_id": f"ord_{i // 2}", "buyer_id": f"usr_{i // 2}", "sold_at": now}
            for i in range(start, min(tickets, start + BATCH))
        ]  # fmt: skip
        await db["inventory_units"].insert_many(units, ordered=False)
        orders = [
            {"_id": f"ord_{j}", "event_id": "evt_bench", "status": "paid", "total_cents": 30_000,
             "currency": "BRL", "lines": [{"seat_id": f"S{2 * j}", "unit_cents": 15_000},
                                          {"seat_id": f"S{2 * j + 1}", "unit_cents": 15_000}],
             "created_at": now, "version": 3}
            for j in range(start // 2, min(tickets, start + BATCH) // 2)
        ]  # fmt: skip
        if orders:
            await db["orders"].insert_many(orders, ordered=False)
        written += len(units) + len(orders)
    await db["inventory_units"].create_index([("event_id", 1), ("order_id", 1)])
    stats = await db.command("dbStats")
    await client.close()
    return int(stats.get("dataSize", 0)) or written


def _child(kind: str, urls: tuple[str, str], root: str, chunk: int, out: Any) -> None:
    mongo_url, redis_url = urls

    async def run() -> dict[str, Any]:
        client = create_mongo_client(mongo_url)
        redis = create_redis_client(redis_url)
        target = LocalTarget(Path(root))
        started = time.perf_counter()
        if kind == "backup":
            manifest = await create_backup(
                client, client["bench_backup"], target, KEY, chunk_bytes=chunk
            )
            result: dict[str, Any] = {
                "documents": manifest.documents,
                "data_bytes": manifest.data_bytes,
            }
        else:
            backup_id = target.backup_ids()[0]
            report = await restore_backup(client["bench_restored"], redis, target, KEY, backup_id)
            result = {"documents": report.documents, "data_bytes": report.bytes}
        result["seconds"] = time.perf_counter() - started
        await client.close()
        await redis.aclose()
        return result

    result = asyncio.run(run())
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


def measure(kind: str, mongo_url: str, redis_url: str, root: Path, chunk: int) -> dict[str, Any]:
    queue: multiprocessing.Queue[dict[str, Any]] = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_child, args=(kind, (mongo_url, redis_url), str(root), chunk, queue)
    )
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--chunk-mib", type=float, default=4)
    parser.add_argument("--no-sync", action="store_true", help="embedded server without fsync")
    args = parser.parse_args()
    chunk = int(args.chunk_mib * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        stores = EmbeddedStores(Path(tmp) / "stores", durable=not args.no_sync)
        stores.start()
        try:
            assert stores.mongo_url
            assert stores.redis_url
            t0 = time.perf_counter()
            db_bytes = asyncio.run(fill(stores.mongo_url, args.tickets))
            fill_s = time.perf_counter() - t0
            results: dict[str, Any] = {
                "tickets": args.tickets, "database_bytes": db_bytes,
                "fill_s": round(fill_s, 1), "chunk_mib": args.chunk_mib,
                "sync_on_commit": not args.no_sync,
            }  # fmt: skip
            for kind in ("backup", "restore"):
                r = measure(kind, stores.mongo_url, stores.redis_url, Path(tmp) / "backups", chunk)
                r["documents_per_s"] = round(r["documents"] / r["seconds"])
                r["data_mb_per_s"] = round(r["data_bytes"] / r["seconds"] / 1e6, 2)
                r["database_mb_per_s"] = round(db_bytes / r["seconds"] / 1e6, 2)
                results[kind] = r
        finally:
            stores.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
