"""`ticketsafe bench`: run an on-sale against a deployment it starts, and report."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ticketsafe.bench import invariants, report
from ticketsafe.bench.flow import PRESETS, OnSale, Preset
from ticketsafe.bench.measure import ProcessUsage, Recorder, percentile, usage_report
from ticketsafe.bench.server import Deployment
from ticketsafe.infra.jobs import GROUP, STREAM
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client

FAULTS = ("api", "worker", "redis", "mongodb")


async def trivial_baseline(client: httpx.AsyncClient, concurrency: int, seconds: float) -> float:
    """Requests/s of GET /healthz on the same deployment: the yardstick for ratios."""
    done = 0
    stop_at = time.monotonic() + seconds

    async def hammer() -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            await client.get("/healthz")
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(hammer() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


def kendall_tau(pairs: list[tuple[float, float]], sample: int = 1500) -> float | None:
    """Kendall τ-b between join order and admission order (sampled, O(n²) pairs)."""
    if len(pairs) < 3:
        return None
    chosen = random.Random(1).sample(pairs, min(sample, len(pairs)))  # noqa: S311
    concordant = discordant = ties_x = ties_y = 0
    for i, (x1, y1) in enumerate(chosen):
        for x2, y2 in chosen[i + 1 :]:
            dx, dy = x1 - x2, y1 - y2
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    n1, n2 = concordant + discordant + ties_x, concordant + discordant + ties_y
    if not n1 or not n2:
        return None
    return round(float((concordant - discordant) / (n1 * n2) ** 0.5), 4)


async def _faults(deployment: Deployment, stop: asyncio.Event, recorder: Recorder) -> None:
    """One of each fault, spread over the sale, each restarted after a second."""
    for name in FAULTS:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 6.0)
        if stop.is_set():
            return
        await asyncio.to_thread(deployment.kill_and_restart, name)
        recorder.count(f"fault_{name}")


async def _sample_processes(usages: list[ProcessUsage], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for usage in usages:
            usage.sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def _progress(sale: OnSale, started: float) -> None:
    c = sale.recorder.counters
    sys.stderr.write(
        f"\r{time.monotonic() - started:6.0f}s joined {c['joined']:>7} admitted "
        f"{c['admitted']:>7} paid {c['orders_paid']:>6} tickets {c['tickets_sold']:>7} "
        f"sold-out {c['sold_out_answers']:>6} errors {c['client_errors']:>4}"
    )
    sys.stderr.flush()


async def run(preset: Preset, *, faults: bool) -> tuple[dict[str, Any], Recorder]:
    data_dir = Path(tempfile.mkdtemp(prefix="ticketsafe-bench-"))
    deployment = Deployment(data_dir)
    deployment.start()
    limits = httpx.Limits(
        max_connections=preset.concurrency, max_keepalive_connections=preset.concurrency
    )
    try:
        async with httpx.AsyncClient(
            base_url=deployment.base_url, limits=limits, timeout=httpx.Timeout(30.0)
        ) as client:
            trivial = await trivial_baseline(client, preset.concurrency, 5.0)
            recorder = Recorder()
            sale = OnSale(client, recorder, preset, deployment.token,
                          slots=asyncio.Semaphore(preset.concurrency))  # fmt: skip
            await sale.set_up()
            usages = [ProcessUsage(n, p) for n, p in deployment.pids().items()]
            stop = asyncio.Event()
            helpers = [
                asyncio.create_task(_sample_processes(usages, stop)),
                asyncio.create_task(sale.sample_queue(stop)),
            ]
            if faults:
                helpers.append(asyncio.create_task(_faults(deployment, stop, recorder)))
            started = time.monotonic()
            runner = asyncio.create_task(sale.run())
            while not runner.done():
                _progress(sale, started)
                await asyncio.wait({runner}, timeout=1.0)
            _progress(sale, started)
            sys.stderr.write("\n")
            wall = time.monotonic() - started
            stop.set()
            await asyncio.gather(*helpers, return_exceptions=True)
        assert deployment.stores is not None
        assert deployment.stores.redis_url is not None
        await _drain_jobs(deployment.stores.redis_url)  # the last webhooks, applied
        assert deployment.stores.mongo_url is not None
        mongo = create_mongo_client(deployment.stores.mongo_url)
        try:
            checked = await invariants.check(
                mongo["ticketsafe"], sale.event_id, {"pista": preset.ga}
            )
        finally:
            await mongo.close()
        summary = _report(
            preset, sale, recorder, trivial=trivial, wall=wall, usages=usages,
            checked=checked, faults=faults,
        )  # fmt: skip
        return summary, recorder
    finally:
        deployment.stop()


async def _drain_jobs(redis_url: str, timeout_s: float = 60.0) -> None:
    """Wait until the worker has taken and acknowledged every queued job (due ones)."""
    redis = create_redis_client(redis_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            waiting = await redis.xlen(STREAM)
            pending: Any = await redis.xpending(STREAM, GROUP)
            if waiting == 0 and int(pending["pending"]) == 0:
                return
            await asyncio.sleep(0.5)
    finally:
        await redis.aclose()


def _report(
    preset: Preset, sale: OnSale, recorder: Recorder, *, trivial: float, wall: float,
    usages: list[ProcessUsage], checked: dict[str, Any], faults: bool,
) -> dict[str, Any]:  # fmt: skip
    # Join order vs the admission times buyers saw (blurred by their 0.2–2 s polling);
    # the engine-level proof of τ ≥ 0.99 is in tests/waitingroom.
    observed = [
        (o.joined_at, o.admitted_at)
        for o in sale.outcomes
        if o.joined_at and o.admitted_at and o.joined_at > sale.on_sale_at
    ]
    waits = [o.admitted_at - max(o.joined_at, sale.on_sale_at) for o in sale.outcomes
             if o.joined_at and o.admitted_at]  # fmt: skip
    results: dict[str, int] = {}
    for o in sale.outcomes:
        results[o.result] = results.get(o.result, 0) + 1
    c = recorder.counters
    return {
        "preset": preset.name + ("+faults" if faults else ""),
        "buyers": preset.buyers,
        "capacity": {"seats": preset.seats, "ga": preset.ga},
        "wall_s": round(wall, 1),
        "tickets_sold": c["tickets_sold"],
        "orders_paid": c["orders_paid"],
        "tickets_per_s": round(c["tickets_sold"] / wall, 1) if wall else 0,
        "orders_per_s": round(c["orders_paid"] / wall, 1) if wall else 0,
        "http_req_per_s": round(c["http_requests"] / wall, 1) if wall else 0,
        "trivial": {"endpoint": "GET /healthz", "req_per_s": round(trivial, 1)},
        "latency": recorder.summary(),
        "queue_wait_p50_s": round(percentile(waits, 50), 2),
        "queue_wait_p95_s": round(percentile(waits, 95), 2),
        "fairness_kendall_tau": kendall_tau(observed),
        "outcomes": results,
        "invariants": checked,
        "faults_injected": [k for k in c if k.startswith("fault_")],
        "refusals": {k: v for k, v in sorted(c.items()) if " " in k},
        "processes": usage_report(usages, wall),
    }


def main(preset_name: str, out_dir: Path, *, faults: bool, results_md: Path | None) -> int:
    preset = PRESETS[preset_name]
    result, recorder = asyncio.run(run(preset, faults=faults))
    stem = f"{result['preset'].replace('+', '-')}"
    report.write_json(out_dir / f"{stem}.json", result)
    drew = report.plot(out_dir / f"{stem}.png", recorder, result)
    if results_md is not None:
        report.append_results(results_md, result)
    inv = result["invariants"]
    print(
        f"{result['tickets_sold']} tickets in {result['wall_s']} s "
        f"({result['tickets_per_s']}/s); oversold {inv['oversold']}, double-sold "
        f"{inv['double_sold']}, lost orders {inv['lost_orders']}; report {out_dir}/{stem}.json"
        + ("" if drew else " (no PNG: matplotlib missing)")
    )
    return 0 if inv["oversold"] == inv["double_sold"] == inv["lost_orders"] == 0 else 1
