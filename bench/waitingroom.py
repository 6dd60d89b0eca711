"""Waiting-room join benchmark: N people join one queue through the HTTP API right after
on-sale; report sustained joins/s, latency percentiles, consistency and Redis memory.

    PYTHONPATH=. uv run python bench/waitingroom.py \
        [--people 200000] [--api-workers 2] [--loaders 1]

Method: embedded Valkey + SecantusDB on loopback; `--api-workers` `ticketsafe api`
processes (uvicorn, httptools, uvloop, one port shared with SO_REUSEPORT) serving the
real app; `--loaders` load-generator
processes, each with `--connections` keep-alive HTTP/1.1 connections over raw asyncio
sockets (a request is a pre-built byte string; one in flight per connection). Access
tokens and proof-of-work challenges are minted before the clock starts (a browser fetches
its challenge before on-sale and solves it in about a second); the difficulty is 0 here
because server-side verification costs one HMAC + one SHA-256 at any difficulty. Everyone
joins after on-sale (the FIFO path; the pre-queue join is the same script). Bounded: at
most `--people` requests and `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.loadgen import read_response
from bench.servers import bench_stack
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.roles import event_loop
from ticketsafe.schema import MIGRATIONS
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.proof_of_work import ProofOfWork
from ticketsafe.waitingroom.schemas import QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom, derive_key

HOST = "127.0.0.1"


def build_requests(secret: str, event_id: str, users: range, port: int) -> list[bytes]:
    tokens = AccessTokenCodec(secret, ttl_s=3600)
    pow_ = ProofOfWork(derive_key(secret.encode(), "pow"), ttl_s=600)
    out = []
    for i in users:
        user = f"usr_{i:07d}"
        body = json.dumps({"challenge": pow_.issue(event_id, user, 0), "solution": "0"}).encode()
        out.append(
            (
                f"POST /waitingroom/events/{event_id}/join HTTP/1.1\r\n"
                f"Host: {HOST}:{port}\r\nAuthorization: Bearer {tokens.issue(Principal(user))}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
    return out


async def _connection(
    port: int, requests: list[bytes], latencies: list[float], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def loader(args: dict[str, Any], out: Any, ready: Any, go: Any) -> None:
    requests = build_requests(args["secret"], args["event_id"], args["users"], args["port"])
    ready.set()
    go.wait()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    n = args["connections"]
    slices = [requests[i::n] for i in range(n)]

    async def run() -> tuple[float, float]:
        start = time.time()
        await asyncio.wait_for(
            asyncio.gather(*(_connection(args["port"], s, latencies, statuses) for s in slices)),
            args["timeout"],
        )
        return start, time.time()

    start, end = event_loop.run(run())
    out.put({"start": start, "end": end, "latencies": latencies, "statuses": statuses})


async def prepare(settings: Settings, event_id: str) -> None:
    res = Resources.open(settings)
    try:
        await migrate(res.db, MIGRATIONS)
        room = WaitingRoom.from_resources(res)
        await room.configure_queue(
            QueueConfig(
                event_id=event_id,
                org_id="org_bench",
                on_sale_at=datetime.now(UTC) - timedelta(seconds=1),
                pow_difficulty=0,
                rate_per_minute=6_000,
                grace_period=timedelta(minutes=10),
            )
        )
        await res.redis.set("bench:mem0", "0")
    finally:
        await res.close()


async def inspect(
    settings: Settings, event_id: str, people: int, mem_before: int
) -> dict[str, Any]:
    res = Resources.open(settings)
    try:
        k = QueueKeys(event_id)
        r = res.redis
        queued = await r.zcard(k.queue)
        seq = int(await r.get(k.seq) or 0)
        joined = int(await r.hget(k.stats, "joined") or 0)
        seen = await r.zcard(k.seen)
        admitted = await r.zcard(k.admitted)
        scores: Any = await r.zrange(k.queue, 0, -1, withscores=True)
        distinct_scores = len({s for _, s in scores})
        info = await r.info("memory")
        per_person = {
            name: await r.memory_usage(key) or 0
            for name, key in (("queue", k.queue), ("heartbeat", k.seen))
        }
        used = int(info["used_memory"]) - mem_before
        return {
            "people": people,
            "queued": queued,
            "admitted_meanwhile": admitted,
            "seq": seq,
            "joined_counter": joined,
            "heartbeats": seen,
            "distinct_places": distinct_scores,
            "consistent": queued + admitted == people == seq == joined
            and distinct_scores == queued,
            "redis_used_memory_delta_bytes": used,
            "redis_bytes_per_person": round(used / max(1, people), 1),
            "key_bytes_per_person": {
                n: round(b / max(1, people), 1) for n, b in per_person.items()
            },
        }
    finally:
        await res.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--api-workers", type=int, default=2)
    ap.add_argument("--loaders", type=int, default=1)
    ap.add_argument("--connections", type=int, default=64, help="per loader")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--direct",
        action="store_true",
        help="call the join service in-process (no HTTP): the queue's own capacity",
    )
    a = ap.parse_args()

    secret = secrets.token_urlsafe(48)
    with bench_stack(secret, durable=False) as stack:
        port = free_port()
        event_id = f"bench{secrets.token_hex(4)}"
        settings = stack.settings(mongo_database="bench", tls_enabled=False)
        asyncio.run(prepare(settings, event_id))
        mem_before = asyncio.run(_used_memory(settings))
        if a.direct:
            report = asyncio.run(direct(settings, event_id, a.people, a.connections))
            report["state"] = asyncio.run(inspect(settings, event_id, a.people, mem_before))
            print(json.dumps(report, indent=2))
            return
        stack.start_apis(port, a.api_workers, {"TICKETSAFE_MONGO_DATABASE": "bench"})
        ctx = mp.get_context("spawn")
        out, go = ctx.Queue(), ctx.Event()
        per = a.people // a.loaders
        procs, readies = [], []
        for i in range(a.loaders):
            users = range(i * per, a.people if i == a.loaders - 1 else (i + 1) * per)
            ready = ctx.Event()
            args = {
                "secret": secret,
                "event_id": event_id,
                "users": users,
                "port": port,
                "connections": a.connections,
                "timeout": a.timeout,
            }
            p = ctx.Process(target=loader, args=(args, out, ready, go))
            p.start()
            procs.append(p)
            readies.append(ready)
        for ready in readies:
            ready.wait(timeout=300)
        go.set()
        results = [out.get(timeout=a.timeout + 60) for _ in procs]
        for p in procs:
            p.join(timeout=10)
        start = min(r["start"] for r in results)
        end = max(r["end"] for r in results)
        latencies = sorted(x for r in results for x in r["latencies"])
        statuses: dict[int, int] = {}
        for r in results:
            for code, n in r["statuses"].items():
                statuses[code] = statuses.get(code, 0) + n
        state = asyncio.run(inspect(settings, event_id, a.people, mem_before))
        q = statistics.quantiles(latencies, n=100)
        report = {
            "people": a.people,
            "api_workers": a.api_workers,
            "loaders": a.loaders,
            "connections": a.connections * a.loaders,
            "cpus": os.cpu_count(),
            "duration_s": round(end - start, 2),
            "joins_per_s": round(statuses.get(200, 0) / (end - start)),
            "statuses": statuses,
            "latency_ms": {
                "p50": round(q[49] * 1000, 1),
                "p95": round(q[94] * 1000, 1),
                "p99": round(q[98] * 1000, 1),
                "max": round(latencies[-1] * 1000, 1),
            },
            "state": state,
        }
        text = json.dumps(report, indent=2)
        print(text)
        if a.json:
            a.json.write_text(text)


async def direct(
    settings: Settings, event_id: str, people: int, concurrency: int
) -> dict[str, Any]:
    """The join service without HTTP: challenge check, pseudonym, one Lua call."""
    from ticketsafe.waitingroom.schemas import JoinIn  # noqa: PLC0415

    res = Resources.open(settings)
    try:
        room = WaitingRoom.from_resources(res)
        bodies = [
            (
                Principal(f"usr_{i:07d}"),
                JoinIn(challenge=room.pow.issue(event_id, f"usr_{i:07d}", 0), solution="0"),
            )
            for i in range(people)
        ]

        async def worker(part: list[tuple[Principal, Any]]) -> None:
            for principal, body in part:
                await room.join(event_id, principal, body)

        start = time.perf_counter()
        await asyncio.gather(*(worker(bodies[i::concurrency]) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
        return {
            "mode": "direct (no HTTP), one process",
            "people": people,
            "duration_s": round(elapsed, 2),
            "joins_per_s": round(people / elapsed),
        }
    finally:
        await res.close()


async def _used_memory(settings: Settings) -> int:
    res = Resources.open(settings)
    try:
        return int((await res.redis.info("memory"))["used_memory"])
    finally:
        await res.close()


if __name__ == "__main__":
    main()
