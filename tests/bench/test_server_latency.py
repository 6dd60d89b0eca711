"""The server's own latency per step, read from the API processes' Prometheus histograms."""

from __future__ import annotations

import asyncio

import uvicorn
from bench.flashsale import http, server_latency
from prometheus_client import CollectorRegistry, Histogram, Info, generate_latest
from starlette.types import Receive, Scope, Send

from ticketsafe.infra.child_process import free_port
from ticketsafe.ops.metrics import HTTP_LATENCY
from ticketsafe.roles.http import _reuse_port_socket

HOLDS = ("POST", "/events/{event_id}/holds")


def exposition(pid: str, hold_seconds: list[float]) -> str:
    """What one API process's `/metrics` says after serving holds that took these times
    (the same metric, labels and buckets as `ticketsafe.ops.metrics`)."""
    registry = CollectorRegistry()
    Info("ticketsafe_process", "", registry=registry).info({"pid": pid})
    latency = Histogram(
        "ticketsafe_http_request_duration_seconds", "", ["method", "route"],
        buckets=HTTP_LATENCY._upper_bounds[:-1], registry=registry,
    )  # fmt: skip
    for seconds in hold_seconds:
        latency.labels(*HOLDS).observe(seconds)
    latency.labels("GET", "/healthz").observe(0.001)
    return generate_latest(registry).decode()


def test_quantiles_are_the_bucket_bounds_they_fall_under() -> None:
    pid, histograms = server_latency.parse(exposition("41", [0.03] * 99 + [0.3]))
    assert pid == "41"
    summary = server_latency.summarize(histograms[HOLDS])
    assert summary == {
        "count": 100, "p50_le_ms": 50.0, "p95_le_ms": 50.0, "p99_le_ms": 50.0,
        "within_100ms": 0.99,
    }  # fmt: skip
    _, histograms = server_latency.parse(exposition("41", [0.03] * 97 + [0.3, 0.3, 9.0]))
    summary = server_latency.summarize(histograms[HOLDS])
    assert (summary["p95_le_ms"], summary["p99_le_ms"]) == (50.0, 500.0)
    assert summary["within_100ms"] == 0.97
    _, histograms = server_latency.parse(exposition("41", [0.03] * 98 + [0.12] * 2))
    summary = server_latency.summarize(histograms[HOLDS])  # finer bounds around 100 ms
    assert (summary["p99_le_ms"], summary["within_100ms"]) == (150.0, 0.98)
    _, histograms = server_latency.parse(exposition("41", [9.0] * 2))
    assert server_latency.summarize(histograms[HOLDS])["p50_le_ms"] is None  # past 5 s


def _metrics_app(text: str):  # type: ignore[no-untyped-def]
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = text.encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def test_every_process_sharing_the_port_is_scraped_and_summed() -> None:
    """Two servers on one SO_REUSEPORT port, as `--api-processes 2` runs them: each keeps
    its own counts, and the report adds both."""
    port = free_port()
    servers = []
    for pid, holds in (("1", [0.03] * 10), ("2", [0.3] * 10)):
        config = uvicorn.Config(
            _metrics_app(exposition(pid, holds)), host="127.0.0.1", port=port,
            lifespan="off", log_config=None,
        )  # fmt: skip
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve([_reuse_port_socket(config)]))))
    try:
        while not all(server.started for server, _ in servers):
            await asyncio.sleep(0.02)
        report = await server_latency.scrape([(http.Endpoint("127.0.0.1", port), 2)])
    finally:
        for server, task in servers:
            server.should_exit = True
            await task
    assert report["processes_scraped"] == 2
    assert report["steps"]["hold"] == {
        "count": 20, "p50_le_ms": 50.0, "p95_le_ms": 500.0, "p99_le_ms": 500.0,
        "within_100ms": 0.5,
    }  # fmt: skip
    assert set(report["steps"]) == {"hold"}
