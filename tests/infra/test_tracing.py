"""Tracing by setting: spans reach a collector over real OTLP/HTTP, and none when off.

The collector is a real HTTP server on a loopback port that decodes what the exporter
POSTs to /v1/traces (protobuf, `opentelemetry-proto`): the test sees exactly what an
operator's collector would.
"""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ticketsafe.app import create_app
from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.tracing import flush_tracing, start_tracing
from ticketsafe.roles.worker import Worker

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
PII = "pii.person@example.com"


@dataclass
class Collector:
    url: str
    spans: list[Span] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0

    def named(self, name: str) -> Span:
        found = [span for span in self.spans if span.name == name]
        assert found, f"no span {name!r} among {[s.name for s in self.spans]}"
        return found[0]


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A fake OTLP collector, at the transport: POST /v1/traces, protobuf bodies."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    got = Collector(f"http://127.0.0.1:{server.server_port}/v1/traces")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            request = ExportTraceServiceRequest.FromString(body)
            got.posts += 1
            for resource_spans in request.resource_spans:
                got.resources.append(_attributes(resource_spans.resource.attributes))
                for scope_spans in resource_spans.scope_spans:
                    got.spans.extend(scope_spans.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


def _attributes(kvs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def _run_job(resources: Resources) -> None:
    """One job through the worker's own code path (`Worker._execute`)."""
    registry = JobRegistry()
    done = asyncio.Event()

    @registry.task("test.traced")
    async def traced(ctx: JobContext, n: int) -> None:
        done.set()

    worker = Worker(resources, registry, block_ms=50)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await resources.queue.enqueue("test.traced", {"n": 1})
        await asyncio.wait_for(done.wait(), 10)
        async with asyncio.timeout(5):
            while worker._free_slots() < worker.concurrency:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


async def _requests(client: httpx.AsyncClient) -> httpx.Response:
    """A FastAPI route and a fast-lane one (no token: 401), with PII in the query."""
    healthz = await client.get("/healthz", params={"email": PII})
    assert healthz.status_code == 200
    status = await client.get(
        "/waitingroom/events/evt-secret-1/status",
        params={"email": PII},
        headers={"traceparent": TRACEPARENT, "x-request-id": "req-trace-0001"},
    )
    assert status.status_code == 401
    return status


async def test_requests_and_jobs_are_traced_to_the_collector(
    settings: Settings, resources: Resources, collector: Collector
) -> None:
    traced = settings.model_copy(
        update={"tracing_otlp_url": collector.url, "instance_name": "trace-test"}
    )
    stop = start_tracing(traced, "api")
    try:
        async with _client(traced) as client:
            answer = await _requests(client)
        await _run_job(resources)
        assert flush_tracing()
    finally:
        stop()

    # The fast lane's answer: the caller's trace, the template, the status, the id.
    span = collector.named("GET /waitingroom/events/{event_id}/status")
    assert span.trace_id.hex() == TRACE_ID
    assert span.parent_span_id.hex() == PARENT_ID
    assert span.kind == Span.SPAN_KIND_SERVER
    attributes = _attributes(span.attributes)
    assert attributes == {
        "http.request.method": "GET",
        "http.route": "/waitingroom/events/{event_id}/status",
        "http.response.status_code": 401,
        "ticketsafe.request_id": answer.headers["x-request-id"],
    }
    assert answer.headers["x-request-id"] == "req-trace-0001"

    # A FastAPI route without a traceparent starts a trace of its own.
    health = collector.named("GET /healthz")
    assert health.trace_id.hex() != TRACE_ID
    assert _attributes(health.attributes)["http.response.status_code"] == 200

    job = collector.named("job test.traced")
    assert _attributes(job.attributes)["ticketsafe.job"] == "test.traced"
    assert job.kind == Span.SPAN_KIND_CONSUMER

    # Who sent them; and nothing personal, no query string, no raw path anywhere.
    assert {"service.name": "ticketsafe", "service.instance.id": "trace-test"}.items() <= (
        collector.resources[0].items()
    )
    everything = repr([(s.name, _attributes(s.attributes)) for s in collector.spans])
    assert PII not in everything
    assert "email" not in everything
    assert "evt-secret-1" not in everything
    assert "?" not in everything


async def test_nothing_is_exported_when_tracing_is_off(
    settings: Settings, resources: Resources, collector: Collector
) -> None:
    assert settings.tracing_otlp_url is None  # the default
    stop = start_tracing(settings, "api")
    try:
        async with _client(settings) as client:
            await _requests(client)
        await _run_job(resources)
        assert flush_tracing()
    finally:
        stop()
    await asyncio.sleep(0.2)
    assert collector.posts == 0
    assert collector.spans == []


def test_a_process_without_tracing_never_loads_the_sdk() -> None:
    """Off costs one branch: the app and the roles load neither the tracing SDK nor
    the exporter (FastAPI imports the OpenTelemetry API, redis-py the metrics SDK)."""
    code = (
        "import sys, ticketsafe.app, ticketsafe.roles.serve, ticketsafe.roles.worker;"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('opentelemetry.sdk.trace', 'opentelemetry.exporter', 'opentelemetry.proto'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
