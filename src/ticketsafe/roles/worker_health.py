"""The worker's probes: a tiny HTTP listener for Kubernetes (or any supervisor).

A worker serves no API, so it has no FastAPI app to answer probes; with
`TICKETSAFE_WORKER_HEALTH_PORT` set it answers, on that port only:
- `GET /healthz` (liveness, startup): 200 while the worker's loop turns. Every poll turn
  (a job read, or an idle XREADGROUP block of ~1 s) and every wait of a store outage
  counts, so a worker waiting out a Redis restart stays alive; one whose loop hangs
  (an await that never returns) or whose event loop is blocked (then nothing answers at
  all) fails, and the kubelet restarts it. Its jobs are re-delivered after the
  visibility timeout.
- `GET /readyz` (readiness): 200 once the worker joined the consumer group and its last
  turn reached Redis. A worker takes no traffic from a Service, but readiness gates a
  rolling update (the next pod is replaced only once this one is ready) and shows a
  worker cut off from Redis in `kubectl get pods`.
- `GET /metrics`: the process's Prometheus metrics (jobs run, their durations).

HTTP/1.0-style: one request per connection, answered and closed; anything else is 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger("ticketsafe.worker")

STALE_AFTER_S = 60.0  # > the supervisor's longest back-off (30 s) and the outage wait (5 s)
_READ_TIMEOUT_S = 5.0
_MAX_REQUEST_BYTES = 8_192
_REASONS = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed", 503: b"Unavailable"}


@dataclass
class WorkerHealth:
    """What the worker's loop reports (`turned`), and what the probes read of it."""

    stale_after_s: float = STALE_AFTER_S
    clock: Callable[[], float] = time.monotonic
    joined: bool = False  # joined the consumer group at least once
    last_turn: float = field(default=0.0)
    reached_redis: bool = False  # the last turn did

    def __post_init__(self) -> None:
        self.last_turn = self.clock()  # starting counts as a turn: startup is alive

    def turned(self, *, reached_redis: bool) -> None:
        self.last_turn = self.clock()
        self.reached_redis = reached_redis
        self.joined = self.joined or reached_redis

    def live(self) -> bool:
        return self.clock() - self.last_turn < self.stale_after_s

    def ready(self) -> bool:
        return self.live() and self.joined and self.reached_redis

    def describe(self) -> dict[str, object]:
        return {
            "live": self.live(),
            "ready": self.ready(),
            "joined": self.joined,
            "reached_redis": self.reached_redis,
            "since_last_turn_s": round(self.clock() - self.last_turn, 3),
        }


async def _answer(health: WorkerHealth, path: str) -> tuple[int, bytes, bytes]:
    if path == "/healthz":
        ok = health.live()
    elif path == "/readyz":
        ok = health.ready()
    elif path == "/metrics":
        return 200, CONTENT_TYPE_LATEST.encode(), generate_latest()
    else:
        return 404, b"application/json", b'{"status": 404}'
    body = orjson.dumps({"status": "ok" if ok else "unavailable", **health.describe()})
    return (200 if ok else 503), b"application/json", body


async def _serve_one(
    health: WorkerHealth, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        async with asyncio.timeout(_READ_TIMEOUT_S):
            head = await reader.readuntil(b"\r\n\r\n")
        parts = head.split(b"\r\n", 1)[0].split()
        if len(parts) != 3 or parts[0] not in {b"GET", b"HEAD"}:
            status, kind, body = 405, b"application/json", b'{"status": 405}'
        else:
            path = parts[1].split(b"?", 1)[0].decode("latin-1")
            status, kind, body = await _answer(health, path)
        payload = b"" if parts[:1] == [b"HEAD"] else body
        writer.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"Cache-Control: no-store\r\nConnection: close\r\n\r\n%s"
            % (status, _REASONS[status], kind, len(body), payload)
        )
        await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        pass  # a probe that went away or sent nonsense: nothing to answer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@asynccontextmanager
async def health_server(health: WorkerHealth, host: str, port: int) -> AsyncIterator[int]:
    """Serve the probes on `host:port` (0: a free port) while the block runs; yields the
    port bound."""
    server = await asyncio.start_server(
        lambda r, w: _serve_one(health, r, w), host, port, limit=_MAX_REQUEST_BYTES
    )
    bound = int(server.sockets[0].getsockname()[1])
    log.info("worker probes on %s:%d (/healthz, /readyz, /metrics)", host, bound)
    try:
        yield bound
    finally:
        server.close()
        await server.wait_closed()
