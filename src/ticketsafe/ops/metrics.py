"""Prometheus instruments for HTTP traffic, and the ASGI middleware that feeds them.

Labels use the route *template* (`/events/{event_id}`), never the raw path, so label
cardinality stays bounded whatever clients send.
"""

from __future__ import annotations

import os
import time

from prometheus_client import Counter, Gauge, Histogram, Info
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
HTTP_IN_FLIGHT = Gauge("ticketsafe_http_requests_in_flight", "HTTP requests being handled")
JOBS_PROCESSED = Counter(
    "ticketsafe_jobs_processed_total", "Background jobs finished", ["job", "outcome"]
)
JOB_DURATION = Histogram("ticketsafe_job_duration_seconds", "Background job run time", ["job"])


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
