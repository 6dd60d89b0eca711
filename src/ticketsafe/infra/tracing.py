"""Optional OpenTelemetry tracing: a server span per HTTP request, a span per job.

Off unless `TICKETSAFE_TRACING_OTLP_URL` names an OTLP/HTTP collector. Off, nothing of
OpenTelemetry is imported: the app gets no tracing middleware and a job pays one check
of `job_span`'s module variable. On, `start_tracing` (called by each process role at
start) builds a TracerProvider whose BatchSpanProcessor exports spans from its own
thread; its returned stop function flushes what is left at the role's stop.

The request span sits just inside the request-id middleware, outside everything else,
so the fast lane's answers are traced like FastAPI's. It continues the caller's trace
(W3C `traceparent`) and is named by the route *template* (`POST
/events/{event_id}/holds`). Its attributes are the method, the template, the status
code and the request id: never the raw path, the query string, a header or a body,
so no personal data leaves in a span (invariant 6).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketsafe.infra.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

REQUEST_ID_ATTRIBUTE = "ticketsafe.request_id"
JOB_ATTRIBUTE = "ticketsafe.job"

_tracer: Tracer | None = None  # set while tracing is on in this process
_provider: TracerProvider | None = None


def start_tracing(settings: Settings, role: str) -> Callable[[], None]:
    """Start exporting spans if the settings name a collector; returns the stop function
    (flushes and shuts the exporter down; a no-op when tracing is off)."""
    global _tracer, _provider
    if settings.tracing_otlp_url is None:
        return lambda: None
    # Imported only when on: a process without tracing never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    resource = Resource.create(
        {
            "service.name": "ticketsafe",
            "service.instance.id": settings.instance_name,
            "ticketsafe.role": role,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.tracing_otlp_url, timeout=5))
    )
    _provider, _tracer = provider, provider.get_tracer("ticketsafe")

    def stop() -> None:
        global _tracer, _provider  # noqa: PLW0603
        if _provider is provider:
            _provider = _tracer = None
        provider.shutdown()  # exports the spans still buffered

    return stop


def flush_tracing(timeout_s: float = 5.0) -> bool:
    """Export every span ended so far (tests, and a role about to exit)."""
    return _provider is None or _provider.force_flush(int(timeout_s * 1000))


@contextlib.contextmanager
def job_span(name: str, attempt: int) -> Iterator[None]:
    """A span around one run of job `name` (nothing when tracing is off)."""
    tracer = _tracer
    if tracer is None:
        yield
        return
    from opentelemetry.trace import SpanKind  # noqa: PLC0415 - loaded already when on

    with tracer.start_as_current_span(
        f"job {name}",
        kind=SpanKind.CONSUMER,
        attributes={JOB_ATTRIBUTE: name, "ticketsafe.job.attempt": attempt},
    ):
        yield


class TracingMiddleware:
    """Pure ASGI: one server span per HTTP request (added only when tracing is on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = _tracer
        if scope["type"] != "http" or tracer is None:
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode  # noqa: PLC0415
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )

        parent = TraceContextTextMapPropagator().extract(_trace_headers(scope))
        method = scope["method"]
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with tracer.start_as_current_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            record_exception=False,  # its message may quote a person's input
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, send_and_note)
            except BaseException:
                status = status or 500
                raise
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                if status:
                    span.set_attribute("http.response.status_code", status)
                request_id = scope.get("state", {}).get("request_id")
                if request_id:
                    span.set_attribute(REQUEST_ID_ATTRIBUTE, str(request_id))
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def _trace_headers(scope: Scope) -> Mapping[str, str]:
    """The W3C trace-context headers of the request (the only ones a span reads)."""
    return {
        key.decode("latin-1"): bytes(value).decode("latin-1")
        for key, value in scope["headers"]
        if key in (b"traceparent", b"tracestate")
    }
