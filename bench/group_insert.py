"""Group-committed inserts on the embedded MongoDB-wire server (durable: --sync-on-commit),
without and with coalescing (`TurnBatch(max_in_flight=k)`).

    PYTHONPATH=. uv run --frozen python bench/group_insert.py [--workers 256] [--docs 20]
        [--gap-ms 2] [--modes none,1,2,4] [--rounds 2]

Starts SecantusDB exactly as the embedded default does (`--sync-on-commit`, a free
loopback port, `maxPoolSize=16`). Per mode, `--workers` coroutines each insert `--docs`
documents one at a time (`GroupInsert.insert_one`, awaiting each) into a fresh
collection with one unique secondary index, pausing a random 0..`--gap-ms` before each
(seeded per worker, so every mode sees the same pauses) as a request does its other
work. Without the pauses all workers stay in lockstep and resubmit in the same loop
turn, so even the old mode batches perfectly; a flash crowd's requests are spread out.
Reported per mode and round: docs/s, the `insert` commands PyMongo sent (command
monitoring), SecantusDB CPU seconds (utime + stime of its process, /proc/<pid>/stat),
this process's CPU seconds, and the p50/p99 time of one `insert_one`. The modes run one
after another on the same server, `--rounds` times, so a busy machine shows as a spread
between rounds. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymongo import monitoring

from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.mongo_group import GroupInsert
from ticketsafe.infra.mongodb import Database, create_mongo_client


@dataclass(frozen=True)
class Workload:
    workers: int
    docs: int  # per worker, one insert_one at a time
    gap_ms: float  # the most a worker pauses before each insert


class InsertCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.inserts = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.inserts += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@contextlib.contextmanager
def embedded_mongo() -> Iterator[tuple[str, int]]:
    """SecantusDB started as the embedded default starts it (durable), in a throw-away
    directory: its URL and pid (for `cpu_seconds`); stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="ticketsafe-bench-") as tmp:
        # A URL for Redis makes EmbeddedStores start MongoDB only; Redis is never used here.
        stores = EmbeddedStores(Path(tmp), redis_url="redis://127.0.0.1:1/0", durable=True)
        stores.start()
        try:
            pid = stores.children[0].pid
            assert stores.mongo_url is not None
            assert pid is not None
            yield stores.mongo_url, pid
        finally:
            stores.stop()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


async def one_mode(
    db: Database, counter: InsertCounter, server_pid: int, load: Workload, mode: int | None
) -> dict[str, object]:
    name = f"bench_{'none' if mode is None else mode}_{time.monotonic_ns()}"
    await db.create_collection(name)
    await db[name].create_index("ref", unique=True)
    inserter = GroupInsert(db, name, max_in_flight=mode)
    latencies: list[float] = []

    async def worker(w: int) -> None:
        pauses = random.Random(w)  # noqa: S311 - not secret: the same pauses in every mode
        for i in range(load.docs):
            await asyncio.sleep(pauses.uniform(0, load.gap_ms) / 1000)
            sent = time.perf_counter()
            await inserter.insert_one({"ref": f"{w}-{i}", "worker": w, "pad": "x" * 64})
            latencies.append(time.perf_counter() - sent)

    counter.inserts = 0
    server_before = cpu_seconds(server_pid)
    client_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(load.workers)))
    seconds = time.perf_counter() - started
    server_cpu = cpu_seconds(server_pid) - server_before
    client_cpu = time.process_time() - client_before
    commands = counter.inserts
    total = load.workers * load.docs
    latencies.sort()
    assert await db[name].count_documents({}) == total
    return {
        "max_in_flight": mode,
        "seconds": round(seconds, 2),
        "docs_per_s": round(total / seconds, 1),
        "insert_commands": commands,
        "docs_per_command": round(total / commands, 1),
        "insert_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "insert_p99_ms": round(latencies[len(latencies) * 99 // 100] * 1000, 1),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_doc": round(server_cpu * 1000 / total, 3),
        "client_cpu_s": round(client_cpu, 2),
    }


async def bench(
    url: str, server_pid: int, load: Workload, modes: list[int | None], rounds: int
) -> list[dict[str, object]]:
    counter = InsertCounter()
    monitoring.register(counter)  # before the client is built: it applies to new clients
    mongo = create_mongo_client(url)
    try:
        db = mongo["bench"]
        await db["warmup"].insert_many([{"i": i} for i in range(100)])  # open connections
        results = []
        for run in range(1, rounds + 1):
            for mode in modes:
                result = await one_mode(db, counter, server_pid, load, mode)
                results.append({"round": run, **result})
        return results
    finally:
        await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=256)
    parser.add_argument("--docs", type=int, default=20, help="documents per worker")
    parser.add_argument("--gap-ms", type=float, default=2.0, help="max pause before each")
    parser.add_argument("--modes", default="none,1,2,4", help="max_in_flight values")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = Workload(args.workers, args.docs, args.gap_ms)
    modes = [None if m == "none" else int(m) for m in args.modes.split(",")]
    load_before = os.getloadavg()
    with embedded_mongo() as (url, pid):
        results = asyncio.run(bench(url, pid, load, modes, args.rounds))
    report = {
        **vars(load),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
