"""Prometheus instruments for HTTP traffic, the ASGI middleware that feeds them, and
each process's own metrics listener.

Labels use the route *template* (`/events/{event_id}`), never the raw path, so label
cardinality stays bounded whatever clients send.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketsafe.infra.metric_labels import set_event_label_cap
from ticketsafe.infra.settings import Settings

HTTP_REQUESTS = Counter(
    "ticketsafe_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "ticketsafe_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    # Finer around 100 ms, the hold's latency target (read by the bench's server_latency).
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0),
)
# Which process answered a scrape: several API processes may share one port (SO_REUSEPORT)
# and each keeps its own counts; a reader that scrapes them all tells them apart by this.
PROCESS = Info("ticketsafe_process", "The process these metrics come from")
PROCESS.info({"pid": str(os.getpid())})
# Where a process's metrics come from reads better than `pid` on a dashboard: set at
# start by the role (`Settings.instance_name`: api-1, worker-1, ...).
ROLE = Info("ticketsafe_instance", "The role and name of the process these metrics come from")
HTTP_IN_FLIGHT = Gauge("ticketsafe_http_requests_in_flight", "HTTP requests being handled")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, record_status)
        finally:
            HTTP_IN_FLIGHT.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status)).inc()
            HTTP_LATENCY.labels(method, template).observe(time.perf_counter() - started)


CERTIFICATE_EXPIRY = Gauge(
    "ticketsafe_tls_certificate_expiry_timestamp_seconds",
    "When the certificate this process serves TLS with stops being valid",
)


def record_certificate(cert_pem: Path) -> None:
    """The serving certificate's end of validity (the first in the chain file)."""
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    CERTIFICATE_EXPIRY.set(cert.not_valid_after_utc.timestamp())


def expose_process_metrics(settings: Settings, role: str) -> Callable[[], None]:
    """At a role's start: name the process in its metrics, cap its event labels and, with
    `metrics_port`, serve its /metrics on a port of its own (a worker has no HTTP server;
    API processes sharing one port cannot be scraped one by one through it). Returns
    what stops that listener."""
    # `name`, not `instance`: Prometheus labels every target with its own `instance`.
    ROLE.info({"role": role, "name": settings.instance_name})
    set_event_label_cap(settings.metrics_event_labels)
    if settings.metrics_port is None:
        return lambda: None
    server, thread = start_http_server(settings.metrics_port, addr=settings.host)

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)

    return stop
