"""Identity benchmark: register, login, refresh and /me through the real app (ASGI, no
network) against embedded SecantusDB (durable, as `serve` runs it) and Valkey.

    uv run python bench/identity_auth.py --users 200 --concurrency 16

Prints JSON: per operation the count, throughput and latency percentiles. Each simulated
user has its own loopback client address, so per-IP rate limits do not interfere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ticketsafe.app import create_app
from ticketsafe.infra.crypto.keyring import add_key_to_file, load_keyring
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault

PASSWORD = "benchmark password 1"  # noqa: S105 - the benchmark's throw-away accounts


def _summary(name: str, latencies: list[float], wall: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "op": name,
        "count": len(ordered),
        "per_s": round(len(ordered) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


async def _phase(
    name: str, users: int, concurrency: int, op: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    slots = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with slots:
            started = time.perf_counter()
            await op(i)
            latencies.append(time.perf_counter() - started)

    wall = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(users)))
    return _summary(name, latencies, time.perf_counter() - wall)


async def run(users: int, concurrency: int, data_dir: Path, settings: Settings) -> list[Any]:
    app = create_app(settings)
    results: list[Any] = []
    async with app.router.lifespan_context(app):
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(
                    app=app, client=(f"127.0.{i // 250}.{i % 250 + 1}", 40000)
                ),
                base_url="http://bench",
            )
            for i in range(users)
        ]
        tokens: dict[int, dict[str, str]] = {}

        async def register(i: int) -> None:
            r = await clients[i].post(
                "/auth/register",
                json={"email": f"user{i}@bench.test", "password": PASSWORD,
                      "name": f"Bench User {i}", "cpf": "529.982.247-25"},
            )  # fmt: skip
            assert r.status_code == 201, r.text

        async def login(i: int) -> None:
            r = await clients[i].post(
                "/auth/login", json={"email": f"user{i}@bench.test", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            tokens[i] = r.json()

        async def refresh(i: int) -> None:
            r = await clients[i].post(
                "/auth/refresh", json={"refresh_token": tokens[i]["refresh_token"]}
            )
            assert r.status_code == 200, r.text
            tokens[i] = r.json()

        async def me(i: int) -> None:
            r = await clients[i].get(
                "/me", headers={"Authorization": f"Bearer {tokens[i]['access_token']}"}
            )
            assert r.status_code == 200, r.text

        for name, op in (("register", register), ("login", login),
                         ("refresh", refresh), ("me", me)):  # fmt: skip
            results.append(await _phase(name, users, concurrency, op))
        for c in clients:
            await c.aclose()

        resources: Resources = app.state.resources
        add_key_to_file(data_dir / "keys" / "pii-keyring.json")
        vault = PiiVault(resources.db, load_keyring(settings))
        started = time.perf_counter()
        moved = await vault.rewrap_all()  # every data key moves to the new master key
        wall = time.perf_counter() - started
        results.append({"op": "rotate-keys rewrap", "count": moved,
                        "ms": round(wall * 1000, 1), "per_s": round(moved / wall, 1)})  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        stores = EmbeddedStores(data_dir / "stores", durable=True)
        stores.start()
        try:
            assert stores.mongo_url is not None
            assert stores.redis_url is not None
            settings = Settings(
                mongo_url=SecretStr(stores.mongo_url),
                redis_url=SecretStr(stores.redis_url),
                auth_secret=SecretStr("b" * 40),
                data_dir=data_dir,
                tls_enabled=False,
            )
            results = asyncio.run(run(args.users, args.concurrency, data_dir, settings))
        finally:
            stores.stop()
    print(json.dumps({"users": args.users, "concurrency": args.concurrency,
                      "results": results}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
