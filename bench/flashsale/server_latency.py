"""The server's own latency per step, from the API processes' Prometheus histograms.

The load generators time each request from their side: that includes their own event
loop's lag and the wait for a core on a machine they share with the server. The API
records every request's time from the moment its middleware sees it until the app is
done with it (`ticketsafe_http_request_duration_seconds`, per route template), without
either. That end is the answer's send, except for requests with an `Idempotency-Key`
kept by the idempotency middleware (checkout): their time also covers storing the
answer in Redis, after it was sent.
After the sale the bench scrapes `/metrics` from every API process of every pool (the
processes of a pool share one port with SO_REUSEPORT: a fresh connection per scrape until
each process, known by its `ticketsafe_process_info` pid, has answered; holds may have a
pool of their own, `server.Deployment.hold_lane`) and sums the histograms.

A histogram only knows its buckets: a quantile is reported as the bucket bound it falls
under (`p99_le_ms`: "99 % took at most this"), and `within_100ms` is exact because 0.1 s
is a bucket bound. A process restarted mid-run (fault mode) counts since its restart.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bench.flashsale import http

LATENCY_METRIC = "ticketsafe_http_request_duration_seconds"

# The bench's steps and the API routes (method, template) that serve them.
STEP_ROUTES: dict[str, tuple[str, str]] = {
    "hold": ("POST", "/events/{event_id}/holds"),
    "checkout": ("POST", "/orders"),
    "queue_status": ("GET", "/waitingroom/events/{event_id}/status"),
    "join": ("POST", "/waitingroom/events/{event_id}/join"),
    "challenge": ("POST", "/waitingroom/events/{event_id}/challenge"),
}

Buckets = dict[float, float]  # upper bound (s) -> cumulative count


def parse(text: str) -> tuple[str | None, dict[tuple[str, str], Buckets]]:
    """(the answering process's pid, latency buckets per (method, route)) of one scrape."""
    pid = None
    out: dict[tuple[str, str], Buckets] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "ticketsafe_process_info":  # an Info is exposed as a gauge
            pid = next((s.labels.get("pid") for s in family.samples), None)
        if family.name != LATENCY_METRIC:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                key = (sample.labels["method"], sample.labels["route"])
                out.setdefault(key, {})[float(sample.labels["le"])] = sample.value
    return pid, out


def merge(scrapes: list[dict[tuple[str, str], Buckets]]) -> dict[tuple[str, str], Buckets]:
    total: dict[tuple[str, str], Buckets] = {}
    for scrape in scrapes:
        for key, buckets in scrape.items():
            into = total.setdefault(key, {})
            for bound, count in buckets.items():
                into[bound] = into.get(bound, 0.0) + count
    return total


def summarize(buckets: Buckets) -> dict[str, Any]:
    """Count, the bucket bound under which 50/95/99 % fall (None: above the last finite
    bound), and the share answered within 100 ms."""
    bounds = sorted(buckets)
    count = buckets.get(math.inf, 0.0)

    def under(share: float) -> float | None:
        for bound in bounds:
            if buckets[bound] >= share * count:
                return None if math.isinf(bound) else round(bound * 1000, 1)
        return None

    within = buckets.get(0.1)
    return {
        "count": int(count),
        "p50_le_ms": under(0.50),
        "p95_le_ms": under(0.95),
        "p99_le_ms": under(0.99),
        "within_100ms": round(within / count, 4) if count and within is not None else None,
    }


async def scrape(
    pools: Sequence[tuple[http.Endpoint, int | None]], *, attempts: int = 60
) -> dict[str, Any]:
    """Every API process's histograms, summed, per bench step (see module docstring).
    `pools`: each endpoint with how many processes answer on it (None, unknown: all
    `attempts` are made, each on a new connection, and every process seen counts)."""
    seen: dict[str, dict[tuple[str, str], Buckets]] = {}
    for pool, (endpoint, processes) in enumerate(pools):
        mine: set[str] = set()
        for _ in range(attempts if processes is not None else min(attempts, 16)):
            async with endpoint.client(max_connections=1) as client:  # a new connection
                response = await client.request("GET", "/metrics")
            pid, histograms = parse(response.text)
            key = pid or f"?{pool}"  # without a pid: counted once per pool
            mine.add(key)
            seen.setdefault(key, histograms)
            if processes is not None and len(mine) >= processes:
                break
            await asyncio.sleep(0.05)
    total = merge(list(seen.values()))
    steps = {step: summarize(total[route]) for step, route in STEP_ROUTES.items() if route in total}
    return {"processes_scraped": len(seen), "steps": steps}
