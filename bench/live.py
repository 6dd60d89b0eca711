"""Live updates: N concurrent SSE clients, then N WebSocket clients, on ONE API process.

    PYTHONPATH=. uv run python bench/live.py [--clients 10000] [--loaders 4] [--kind both]

Starts embedded SecantusDB + Valkey and one `ticketsafe api` process (plain HTTP on
loopback), provisions an event with two GA areas, then for each kind: `--loaders` client
processes (asyncio; raw HTTP for SSE, `websockets` for WebSocket) each open N/loaders
connections subscribed to `event:evt_live`. Once they are connected, one hold of one
unit of area `bcast` is the broadcast: each client notes the wall-clock time it first
sees `"bcast":<capacity - 1>`, and the delivery latency is that minus the hold's send
time. Meanwhile a small closed-loop stream of holds (area `floor`) and then `/healthz`
are measured on the same process. The API's RSS is sampled from /proc throughout.
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.flashsale.server import wait_ready
from bench.loadgen import Result, healthz, post_json, run_processes
from bench.servers import bench_stack, start_api
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.models import GaArea, InventoryLayout
from ticketsafe.inventory.service import InventoryService

SECRET = "bench-secret-" + "l" * 40
EVENT = "evt_live"
CHANNEL = f"event:{EVENT}"
BCAST = 1_000
CONNECT_AT_ONCE = 100  # per loader: connections being opened at the same time


def raise_nofile() -> None:
    """Each connection is a file descriptor (on both sides): go to the hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def provision(settings: Settings) -> None:
    res = Resources.open(settings)
    try:
        layout = InventoryLayout(
            event_id=EVENT, per_buyer_limit=0,
            areas=[GaArea(area_id="floor", capacity=50_000),
                   GaArea(area_id="bcast", capacity=BCAST)],
        )  # fmt: skip
        await InventoryService(res.db, res.redis).provision_event(layout)
    finally:
        await res.close()


# -- client processes -------------------------------------------------------------------

_readers: set[asyncio.Task[None]] = set()


def _keep(reader: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(reader)
    _readers.add(task)
    task.add_done_callback(_readers.discard)


async def _sse_client(
    port: int, token: str, target: bytes, seen: list[float], stop: asyncio.Event
) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /live/stream?channel={CHANNEL} HTTP/1.1\r\nhost: bench\r\n"
        f"authorization: Bearer {token}\r\naccept: text/event-stream\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        writer.close()
        return False
    _keep(_sse_read(reader, writer, target, seen, stop))
    return True


async def _sse_read(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: bytes,
    seen: list[float], stop: asyncio.Event,
) -> None:  # fmt: skip
    tail = b""
    try:
        while not stop.is_set():
            chunk = await reader.read(65_536)
            if not chunk:
                return
            if target in tail + chunk:
                seen.append(time.time())
                tail = b""
                await stop.wait()  # seen: hold the connection open until the end
                return
            tail = chunk[-64:]
    finally:
        writer.close()


async def _ws_client(
    port: int, token: str, target: bytes, seen: list[float], stop: asyncio.Event
) -> bool:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/live/ws?channel={CHANNEL}",
        additional_headers={"Authorization": f"Bearer {token}"},
        open_timeout=60, ping_interval=None, max_queue=64,
    )  # fmt: skip
    first = json.loads(await ws.recv())
    if first.get("type") != "snapshot":
        await ws.close()
        return False

    async def read() -> None:
        try:
            while not stop.is_set():
                frame = await ws.recv()
                if target in (frame if isinstance(frame, bytes) else frame.encode()):
                    seen.append(time.time())
                    await stop.wait()
                    return
        except websockets.ConnectionClosed:
            return
        finally:
            await ws.close()

    _keep(read())
    return True


@dataclass(frozen=True)
class LoaderJob:
    kind: str  # sse | ws
    port: int
    count: int  # connections this loader holds
    index: int
    target: bytes  # what the broadcast's frame contains


async def _loader(job: LoaderJob, pipe: Connection) -> None:
    port, target = job.port, job.target
    token = AccessTokenCodec(SECRET, 3600).issue(Principal(f"usr_watch_{job.index}"))
    open_one = _sse_client if job.kind == "sse" else _ws_client
    seen: list[float] = []
    stop = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    errors: dict[str, int] = {}

    async def connect() -> bool:
        async with gate:
            try:
                return await asyncio.wait_for(open_one(port, token, target, seen, stop), 60)
            except Exception as exc:  # counted, not raised: a refused client is a figure
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return False

    connected = sum(await asyncio.gather(*(connect() for _ in range(job.count))))
    pipe.send(("ready", connected, errors))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop": the run is over
    stop.set()
    pipe.send(("seen", seen))
    await asyncio.sleep(0.5)


def _loader_main(job: LoaderJob, pipe: Connection) -> None:
    raise_nofile()
    os.nice(10)  # the clients yield the CPU to the API process they measure
    asyncio.run(_loader(job, pipe))


# -- the run ----------------------------------------------------------------------------


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_kb = max(self.peak_kb, rss_kb(self.pid))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def broadcast_hold(port: int, token: str) -> float:
    sent = time.time()
    r = httpx.post(
        f"http://127.0.0.1:{port}/events/{EVENT}/holds",
        headers={"authorization": f"Bearer {token}"},
        json={"kind": "ga", "area_id": "bcast", "quantity": 1}, timeout=30,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return sent


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def side_load(port: int, api_pid: int, seconds: float) -> dict[str, object]:
    codec = AccessTokenCodec(SECRET, 3600)
    tokens = [codec.issue(Principal(f"usr_buyer_{c}")) for c in range(4)]
    body = b'{"kind":"ga","area_id":"floor","quantity":1}'

    def hold(c: int, seq: int) -> bytes:
        return post_json(f"/events/{EVENT}/holds", body, tokens[c])

    cpu = cpu_s(api_pid)
    holds: Result = run_processes("holds (GA, 2 in flight)", port, hold, concurrency=2,
                                  duration_s=seconds, max_requests=100_000)  # fmt: skip
    holds_cpu = cpu_s(api_pid) - cpu
    trivial: Result = run_processes("GET /healthz", port, healthz, concurrency=32,
                                    duration_s=seconds, max_requests=1_000_000)  # fmt: skip
    # The API's CPU while the holds ran (they and the seat feed's fan-out of the deltas
    # they cause to every client), per second: 1.0 is one core busy all along.
    return {"holds": holds.summary(), "healthz": trivial.summary(),
            "api_cpu_per_s_during_holds": round(holds_cpu / seconds, 2)}  # fmt: skip


def pct(xs: list[float], p: float) -> float:
    ys = sorted(xs)
    return round(ys[min(len(ys) - 1, int(p * len(ys)))], 1) if ys else float("nan")


def run_kind(
    kind: str, port: int, api_pid: int, args: argparse.Namespace, target: str
) -> dict[str, object]:
    clients, loaders = args.clients, args.loaders
    sampler = RssSampler(api_pid)
    sampler.start()
    rss_before = rss_kb(api_pid)
    pipes, procs = [], []
    started = time.monotonic()
    ctx = mp.get_context("spawn")
    for i in range(loaders):
        ours, theirs = ctx.Pipe()
        share = clients // loaders + (1 if i < clients % loaders else 0)
        proc = ctx.Process(
            target=_loader_main, args=(LoaderJob(kind, port, share, i, target.encode()), theirs)
        )
        proc.start()
        pipes.append(ours)
        procs.append(proc)
    connected, errors = 0, dict[str, int]()
    for pipe in pipes:
        if not pipe.poll(240):
            raise RuntimeError("a loader did not finish connecting in 240 s")
        _, n, errs = pipe.recv()
        connected += n
        for k, v in errs.items():
            errors[k] = errors.get(k, 0) + v
    connect_s = time.monotonic() - started
    time.sleep(2.0)  # settle
    rss_connected = rss_kb(api_pid)
    token = AccessTokenCodec(SECRET, 3600).issue(Principal(f"usr_bcast_{kind}"))
    idle_cpu = cpu_s(api_pid)
    time.sleep(2.0)  # heartbeats, sweeps: the cost of holding the connections
    idle_cpu = (cpu_s(api_pid) - idle_cpu) / 2.0
    cpu = cpu_s(api_pid)
    sent = broadcast_hold(port, token)
    time.sleep(1.5)  # the feed's next frame (0.5 s) and its fan-out to every client
    broadcast_cpu = cpu_s(api_pid) - cpu
    # holds and /healthz while the clients stay connected
    side = side_load(port, api_pid, args.side_seconds)
    time.sleep(max(0.0, sent + 10.0 - time.time()))  # stragglers: 10 s after the broadcast
    seen: list[float] = []
    for pipe in pipes:
        pipe.send("stop")
    for pipe in pipes:
        _, times = pipe.recv()
        seen.extend(times)
    for proc in procs:
        proc.join(30)
    sampler.done.set()
    latencies = [1000 * (t - sent) for t in seen]
    return {
        "kind": kind, "clients": clients, "loaders": loaders, "connected": connected,
        "connect_errors": errors, "connect_s": round(connect_s, 1),
        "delivered": len(seen), "delivery_p50_ms": pct(latencies, 0.5),
        "delivery_p99_ms": pct(latencies, 0.99), "delivery_max_ms": pct(latencies, 1.0),
        "api_rss_mb": {"idle": round(rss_before / 1024, 1),
                       "connected": round(rss_connected / 1024, 1),
                       "peak": round(sampler.peak_kb / 1024, 1)},
        "api_cpu_per_s_idle": round(idle_cpu, 2),
        "api_cpu_s_broadcast": round(broadcast_cpu, 2), **side,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--loaders", type=int, default=4, help="client processes")
    parser.add_argument("--kind", choices=("sse", "ws", "both"), default="both")
    parser.add_argument("--side-seconds", type=float, default=5.0)
    args = parser.parse_args()
    raise_nofile()
    with bench_stack(SECRET) as stack:
        asyncio.run(provision(stack.settings()))
        port = free_port()
        env = stack.env(TICKETSAFE_HTTP_REUSE_PORT="false", TICKETSAFE_HTTP_BACKLOG="4096")
        api = start_api(env, port, stack.data, preexec=raise_nofile)
        stack.apis.append(api)
        wait_ready(f"http://127.0.0.1:{port}", timeout=180)
        kinds = ("sse", "ws") if args.kind == "both" else (args.kind,)
        runs = []
        for n, kind in enumerate(kinds):  # each run's broadcast takes one more unit
            target = f'"bcast":{BCAST - 1 - n}'
            runs.append(run_kind(kind, port, api.pid, args, target))
        print(json.dumps({"cpus": os.cpu_count(), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
