"""What a secondary index costs each write on the embedded MongoDB-wire server.

    PYTHONPATH=. uv run --frozen python bench/mongo_indexes.py [--ops 600] [--indexes 0,1,2,4]

Starts SecantusDB exactly as the embedded default does (`--sync-on-commit`, a free
loopback port) and, per index count, fills a fresh collection shaped like `orders`
(3 x `--ops` documents of ~700 bytes) with that many secondary indexes, then measures
the server's CPU (utime + stime of its process, /proc/<pid>/stat) per operation, one at a
time from one client:
- `update_guarded`: `{_id, version}` filter, `$set` of a field no index covers, `$inc`;
- `update_by_id`: the same update with an `_id`-only filter;
- `insert_20`: inserts in batches of 20, per document;
- `find_by_id`: `find_one` by `_id`.
The indexes are orders' real ones, in order: unique `hold_id`, `event_id`+`created_at`,
`buyer_id`+`created_at`, `status`+`payment_deadline`. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bench.group_insert import cpu_seconds, embedded_mongo
from ticketsafe.infra.mongodb import Database, create_mongo_client

ORDERS_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("hold_id", 1)], {"unique": True}),
    ([("event_id", 1), ("created_at", -1)], {}),
    ([("buyer_id", 1), ("created_at", -1)], {}),
    ([("status", 1), ("payment_deadline", 1)], {}),
]


def _doc(prefix: str, i: int) -> dict[str, Any]:
    return {
        "_id": f"{prefix}{i}", "version": 0, "status": "pending_payment",
        "hold_id": f"hld_{prefix}{i}", "event_id": "evt_1", "buyer_id": f"usr_{i}",
        "created_at": i, "payment_deadline": i, "lines": "x" * 500,
    }  # fmt: skip


async def _server_ms_per_op(pid: int, ops: int, run: Callable[[int], Awaitable[None]]) -> float:
    before = cpu_seconds(pid)
    for i in range(ops):
        await run(i)
    return round((cpu_seconds(pid) - before) * 1000 / ops, 2)


async def one_count(db: Database, pid: int, indexes: int, ops: int) -> dict[str, Any]:
    coll = db[f"orders_{indexes}"]
    for keys, options in ORDERS_INDEXES[:indexes]:
        await coll.create_index(keys, **options)
    await coll.insert_many([_doc("o", i) for i in range(3 * ops)])
    touch = {"$set": {"note": "x"}, "$inc": {"version": 1}}

    async def guarded(i: int) -> None:
        await coll.update_one({"_id": f"o{i}", "version": 0}, touch)

    async def by_id(i: int) -> None:
        await coll.update_one({"_id": f"o{ops + i}"}, touch)

    async def find(i: int) -> None:
        await coll.find_one({"_id": f"o{2 * ops + i}"})

    async def insert(i: int) -> None:
        await coll.insert_many([_doc("n", i * 20 + k) for k in range(20)])

    return {
        "secondary_indexes": indexes,
        "server_cpu_ms": {
            "update_guarded": await _server_ms_per_op(pid, ops, guarded),
            "update_by_id": await _server_ms_per_op(pid, ops, by_id),
            "insert_20": round(await _server_ms_per_op(pid, ops // 20, insert) / 20, 3),
            "find_by_id": await _server_ms_per_op(pid, ops, find),
        },
    }


async def bench(url: str, pid: int, counts: list[int], ops: int) -> list[dict[str, Any]]:
    client = create_mongo_client(url)
    try:
        return [await one_count(client["bench"], pid, n, ops) for n in counts]
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=600)
    parser.add_argument("--indexes", default="0,1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.indexes.split(",")]
    if any(not 0 <= n <= len(ORDERS_INDEXES) for n in counts):
        parser.error(f"--indexes: each between 0 and {len(ORDERS_INDEXES)}")
    with embedded_mongo() as (url, pid):
        results = asyncio.run(bench(url, pid, counts, args.ops))
    print(json.dumps({"ops": args.ops, "results": results}, indent=2))


if __name__ == "__main__":
    main()
