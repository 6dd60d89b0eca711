"""The live channels' instruments, fed by `connection.connection_changed`: connections
open now, and slow clients cut off (hopelessly behind: their writer made no progress
for `Limits.max_lag_s`, or their backlog passed `Limits.max_bytes`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LIVE_CONNECTIONS = Gauge(
    "ticketsafe_live_connections", "Live (SSE or WebSocket) connections open", ["transport"]
)
LIVE_SLOW_CLIENTS = Counter(
    "ticketsafe_live_slow_clients_total",
    "Live connections cut off because the client did not keep up",
    ["transport"],
)
TRANSPORTS = ("sse", "ws")
for _transport in TRANSPORTS:  # present (at 0) before the first connection
    LIVE_CONNECTIONS.labels(_transport)
    LIVE_SLOW_CLIENTS.labels(_transport)


def record_connection(transport: str, change: str) -> None:
    """`change`: `open`, or why it ended (`gone`, `lifetime`, `cut`)."""
    label = transport if transport in TRANSPORTS else "other"
    if change == "open":
        LIVE_CONNECTIONS.labels(label).inc()
        return
    LIVE_CONNECTIONS.labels(label).dec()
    if change == "cut":
        LIVE_SLOW_CLIENTS.labels(label).inc()
