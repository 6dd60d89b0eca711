"""What the per-request session check costs: `SessionDenylist.check` (one `ZMSCORE`)
against a plain `GET` of one key, both through the auto-pipelining client, at the
concurrency of a crowd (every request of an event-loop turn shares one pipeline), against
embedded Valkey. Also the rebuild after Redis lost the denylist (one MongoDB query).

    PYTHONPATH=. .tools/bin/uv run --frozen python bench/session_check.py --checks 20000

Prints JSON: client CPU µs per call and calls/s for each, and the rebuild time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.revocation import SessionDenylist
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client


async def _measure(
    name: str, call: Callable[[int], Awaitable[Any]], total: int, concurrency: int
) -> dict[str, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, total, concurrency):
        await asyncio.gather(*(call(i) for i in range(start, min(total, start + concurrency))))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "what": name,
        "calls": total,
        "cpu_us_per_call": round(cpu / total * 1e6, 1),
        "calls_per_s": round(total / wall),
    }


async def _run(args: argparse.Namespace, stores: EmbeddedStores) -> list[dict[str, Any]]:
    assert stores.mongo_url
    assert stores.redis_url
    mongo = create_mongo_client(stores.mongo_url, app_name="bench-session-check")
    redis = create_redis_client(stores.redis_url)
    db = mongo["bench_session_check"]
    try:
        repo = IdentityRepository(db)
        denylist = SessionDenylist(repo, redis, token_ttl_s=900)
        now = datetime.now(UTC)
        for n in range(args.revoked):  # revocations within the window, as after a busy hour
            await repo.insert_session(f"ses_revoked_{n}", f"usr_{n}", now)
            await repo.revoke_session(f"ses_revoked_{n}", now)
        await redis.flushdb()
        started = time.perf_counter()
        await denylist.check("ses_live_0")  # finds the denylist gone: rebuilds it
        rebuild_ms = round((time.perf_counter() - started) * 1000, 1)
        await redis.set("bench:key", b"x")
        out = [
            await _measure(
                "GET one key (baseline)", lambda i: redis.get("bench:key"), args.checks,
                args.concurrency,
            ),
            await _measure(
                "session check", lambda i: denylist.check(f"ses_live_{i}"), args.checks,
                args.concurrency,
            ),
        ]  # fmt: skip
        out.append({"what": "rebuild after FLUSHDB", "revoked": args.revoked, "ms": rebuild_ms})
        return out
    finally:
        await mongo.drop_database("bench_session_check")
        await redis.flushdb()
        await redis.aclose()
        await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--revoked", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores = EmbeddedStores(Path(tmp), durable=False)
        stores.start()
        try:
            print(json.dumps(asyncio.run(_run(args, stores)), indent=2))
        finally:
            stores.stop()


if __name__ == "__main__":
    main()
