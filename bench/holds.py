"""Hold throughput through the real HTTP API, beside /healthz of the same server.

    PYTHONPATH=. uv run python bench/holds.py [--seconds 10] [--concurrency 256]
        [--api-processes 2] [--loaders 2]

Starts embedded SecantusDB + Valkey and `--api-processes` `ticketsafe api` processes
(uvicorn, plain HTTP on loopback, sharing one port with SO_REUSEPORT) as child
processes, provisions a GA event big enough that every hold succeeds, then drives
`GET /healthz` and `POST /events/{id}/holds` (a fresh buyer token and Idempotency-Key per
request) with the same closed-loop generator. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from bench.loadgen import RequestFactory, Result, healthz, post_json, run_processes
from bench.servers import bench_stack
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.models import GaArea, InventoryLayout
from ticketsafe.inventory.service import InventoryService

SECRET = "bench-secret-" + "b" * 40


async def provision(settings: Settings, capacity: int) -> None:
    res = Resources.open(settings)
    try:
        layout = InventoryLayout(
            event_id="evt_bench", areas=[GaArea(area_id="floor", capacity=capacity)],
            per_buyer_limit=0,
        )  # fmt: skip
        await InventoryService(res.db, res.redis).provision_event(layout)
    finally:
        await res.close()


def bench(
    port: int, seconds: float, concurrency: int, max_requests: int, loaders: int
) -> dict[str, object]:
    codec = AccessTokenCodec(SECRET, 3600)
    tokens = [codec.issue(Principal(f"usr_{c}")) for c in range(concurrency)]
    body = b'{"kind":"ga","area_id":"floor","quantity":1}'

    def hold(c: int, seq: int) -> bytes:
        return post_json("/events/evt_bench/holds", body, tokens[c], f"k{os.getpid()}-{c}-{seq}")

    def hold_no_key(c: int, seq: int) -> bytes:
        return post_json("/events/evt_bench/holds", body, tokens[c])

    def measure(name: str, factory: RequestFactory) -> Result:
        return run_processes(name, port, factory, concurrency=concurrency, duration_s=seconds,
                             max_requests=max_requests, processes=loaders)  # fmt: skip

    trivial = measure("GET /healthz", healthz)
    holds = measure("POST /events/{id}/holds (GA, Idempotency-Key)", hold)
    bare = measure("POST /events/{id}/holds (GA, no Idempotency-Key)", hold_no_key)
    return {
        "trivial": trivial.summary(),
        "hold": holds.summary(),
        "hold_no_key": bare.summary(),
        # Every request must be a fresh hold: a replay or a 409 would flatter the figure.
        "all_holds_created": set(holds.statuses) == {201} and set(bare.statuses) == {201},
        "hold_vs_trivial": round(holds.rps / trivial.rps, 3) if trivial.rps else None,
        "hold_no_key_vs_trivial": round(bare.rps / trivial.rps, 3) if trivial.rps else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--max-requests", type=int, default=150_000)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--loaders", type=int, default=2, help="load-generator processes")
    args = parser.parse_args()
    with bench_stack(SECRET) as stack:
        asyncio.run(provision(stack.settings(), 2 * args.max_requests + 10_000))
        port = free_port()
        stack.start_apis(port, args.api_processes)
        report = bench(port, args.seconds, args.concurrency, args.max_requests, args.loaders)
        report["api_processes"] = args.api_processes
        report["loaders"] = args.loaders
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
