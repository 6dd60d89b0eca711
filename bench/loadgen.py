"""A tiny HTTP/1.1 keep-alive load generator (raw asyncio streams).

httpx costs far more CPU per request than the server under test; on a 2-core machine it
would measure itself. Each virtual client owns one connection and sends its next request
as soon as the previous answer is read (closed loop), so `concurrency` = requests in flight.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ticketsafe.roles import event_loop


@dataclass
class Result:
    name: str
    concurrency: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": len(self.latencies_ms),
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.50), 2),
            "p99_ms": round(self.pct(0.99), 2),
            "statuses": self.statuses,
        }


RequestFactory = Callable[[int, int], bytes]  # (client, sequence) -> raw request bytes


def healthz(c: int, seq: int) -> bytes:
    """`GET /healthz`: the trivial request every HTTP figure is reported beside."""
    return b"GET /healthz HTTP/1.1\r\nhost: bench\r\n\r\n"


def post_json(path: str, body: bytes, token: str, idempotency_key: str = "") -> bytes:
    """A raw `POST path` of a JSON `body` with a bearer token (and an Idempotency-Key)."""
    key = f"idempotency-key: {idempotency_key}\r\n" if idempotency_key else ""
    return (
        f"POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n{key}"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run(
    name: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    warmup_s: float = 1.0,
    tls: ssl.SSLContext | None = None,
) -> Result:
    result = Result(name, concurrency)
    sent = 0
    start = time.perf_counter()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s

    async def client(c: int) -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=tls, server_hostname="localhost" if tls else None
        )
        seq = 0
        try:
            while time.perf_counter() < stop_at and sent < max_requests:
                seq += 1
                t0 = time.perf_counter()
                writer.write(make_request(c, seq))
                status = await read_response(reader)
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    sent += 1
                    result.latencies_ms.append((t1 - t0) * 1000)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(client(c) for c in range(concurrency)))
    result.seconds = max(0.001, min(time.perf_counter(), stop_at) - measure_from)
    return result


def run_processes(
    name: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    processes: int = 1,
    tls: ssl.SSLContext | None = None,
) -> Result:
    """`run` spread over `processes` forked load generators (one Python process tops out
    near a core), results merged: requests/s add up, latencies pool."""
    if processes <= 1:
        return _run_blocking(
            name, port, make_request, concurrency=concurrency, duration_s=duration_s,
            max_requests=max_requests, tls=tls,
        )  # fmt: skip
    ctx = mp.get_context("fork")  # the request factory is a closure: fork, not spawn
    out: Any = ctx.Queue()
    share = concurrency // processes

    def child(index: int) -> None:
        clients = share + (concurrency % processes if index == 0 else 0)
        result = _run_blocking(
            name, port, make_request, concurrency=clients, duration_s=duration_s,
            max_requests=max_requests // processes, tls=tls,
        )  # fmt: skip
        out.put((result.seconds, result.latencies_ms, result.statuses))

    children = [ctx.Process(target=child, args=(i,)) for i in range(processes)]
    for c in children:
        c.start()
    merged = Result(name, concurrency)
    rps = 0.0
    for _ in children:
        seconds, latencies, statuses = out.get(timeout=duration_s + 120)
        rps += len(latencies) / seconds
        merged.latencies_ms.extend(latencies)
        for status, n in statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + n
    for c in children:
        c.join(30)
    merged.seconds = len(merged.latencies_ms) / rps if rps else 0.001
    return merged


def _run_blocking(
    name: str, port: int, make_request: RequestFactory, *, concurrency: int,
    duration_s: float, max_requests: int, tls: ssl.SSLContext | None = None,
) -> Result:  # fmt: skip
    return event_loop.run(
        run(name, port, make_request, concurrency=concurrency, duration_s=duration_s,
            max_requests=max_requests, tls=tls)
    )  # fmt: skip
