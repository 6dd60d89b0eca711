"""The live channels' instruments: connections open now, and slow clients whose backlog
overflowed (`feeds.Subscriber.offer`: they get a fresh snapshot instead of the flood)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import Counter, Gauge

Transport = Literal["sse", "ws"]

LIVE_CONNECTIONS = Gauge(
    "ticketsafe_live_connections", "Live (SSE or WebSocket) connections open", ["transport"]
)
LIVE_SLOW_CLIENTS = Counter(
    "ticketsafe_live_slow_clients_total",
    "Live subscribers whose backlog overflowed (deltas dropped, snapshot sent instead)",
)
for _transport in ("sse", "ws"):  # present (at 0) before the first connection
    LIVE_CONNECTIONS.labels(_transport)


@contextmanager
def live_connection(transport: Transport) -> Iterator[None]:
    gauge = LIVE_CONNECTIONS.labels(transport)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()
