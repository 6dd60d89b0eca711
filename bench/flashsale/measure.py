"""Latency per step, counters over time, and CPU/RSS of the processes under test."""

from __future__ import annotations

import bisect
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


CLIENT_WAIT = "client_wait"
LOADER_LAG = "loader_lag"


def selling_rate(timeline: list[tuple[float, float]], start_s: float) -> tuple[float, float]:
    """(seconds, tickets/s) from `start_s` (on-sale) until 99 % of the tickets finally
    counted were sold: the sale's own pace, without the pre-queue before it and the
    stragglers after it (late PIX payers) that the wall-clock rate includes."""
    if not timeline:
        return 0.0, 0.0
    final = timeline[-1][1]
    for t, total in timeline:
        if total >= 0.99 * final:
            window = max(t - start_s, 1e-9)
            return round(window, 1), round(total / window, 1)
    return 0.0, 0.0


@dataclass
class Recorder:
    """Every request's latency by step, and events (e.g. tickets sold) on a timeline."""

    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timeline: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    gauges: set[str] = field(default_factory=set)  # timelines of levels, not running counts

    def latency(self, step: str, seconds: float) -> None:
        self.latencies[step].append(seconds)
        self.counters["http_requests"] += 1

    def waited(self, seconds: float) -> None:
        """Time a request waited for one of the load generator's pooled connections:
        reported apart (`client_wait`), not as the server's latency."""
        self.latencies[CLIENT_WAIT].append(seconds)

    def lagged(self, seconds: float) -> None:
        """How late the load generator's event loop woke for a timer (`loader_lag`): the
        part of every latency measured here that is the client's, not the server's."""
        self.latencies[LOADER_LAG].append(seconds)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n
        self.timeline[name].append((time.monotonic() - self.started, float(self.counters[name])))

    def gauge(self, name: str, value: float) -> None:
        self.gauges.add(name)
        self.timeline[name].append((time.monotonic() - self.started, value))

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            step: {
                "count": len(v),
                "p50_ms": round(percentile(v, 50) * 1000, 2),
                "p95_ms": round(percentile(v, 95) * 1000, 2),
                "p99_ms": round(percentile(v, 99) * 1000, 2),
                "max_ms": round(max(v) * 1000, 2),
            }
            for step, v in sorted(self.latencies.items())
            if v
        }


def merge_recorders(parts: list[Recorder]) -> Recorder:
    """One Recorder from several load generators that shared a start time (`started`,
    a system-wide monotonic instant): latencies pooled, counters added, a counter's
    timeline re-accumulated from every part's increments in time order, a gauge's
    timeline the sum of each part's latest level at every sample."""
    if not parts:
        return Recorder()
    merged = Recorder(started=parts[0].started)
    for part in parts:
        if part.started != merged.started:
            raise ValueError("recorders to merge must share their start time")
        for step, values in part.latencies.items():
            merged.latencies[step].extend(values)
        for name, n in part.counters.items():
            merged.counters[name] += n
        merged.gauges |= part.gauges
    names = {name for part in parts for name in part.timeline}
    for name in sorted(names):
        if name in merged.gauges:
            samples = sorted(
                (t, i, v) for i, part in enumerate(parts) for t, v in part.timeline.get(name, [])
            )
            latest: dict[int, float] = {}
            for t, i, v in samples:
                latest[i] = v
                merged.timeline[name].append((t, sum(latest.values())))
        else:
            steps = []
            for part in parts:
                previous = 0.0
                for t, v in part.timeline.get(name, []):
                    steps.append((t, v - previous))
                    previous = v
            total = 0.0
            for t, increment in sorted(steps):
                total += increment
                merged.timeline[name].append((t, total))
    return merged


@dataclass
class ProcessUsage:
    name: str
    pid: int
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    rss_max_mb: float = 0.0
    samples: list[tuple[float, float]] = field(default_factory=list)  # (monotonic s, CPU s)

    def sample(self) -> None:
        cpu, rss = _read(self.pid)
        if cpu is None:
            return
        if not self.cpu_start:
            self.cpu_start = cpu
        self.cpu_end = cpu
        self.rss_max_mb = max(self.rss_max_mb, rss)
        self.samples.append((time.monotonic(), cpu))

    def cpu_between(self, start: float, end: float) -> float | None:
        """CPU seconds used between two monotonic instants, interpolated linearly between
        the samples around each; None unless the samples cover both (a process that
        died or was restarted meanwhile is not counted as if it had idled)."""
        if not self.samples or self.samples[0][0] > start or self.samples[-1][0] < end:
            return None
        return _cpu_at(self.samples, end) - _cpu_at(self.samples, start)


def _cpu_at(samples: list[tuple[float, float]], t: float) -> float:
    """Interpolated CPU at `t`, which `cpu_between` has checked is not before the first
    sample."""
    i = bisect.bisect_right(samples, t, key=lambda s: s[0])
    if i == len(samples):
        return samples[-1][1]
    (t0, c0), (t1, c1) = samples[i - 1], samples[i]
    return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1


def count_at(timeline: list[tuple[float, float]], t: float) -> float:
    """A counter's running total at `t` (its timeline is (seconds, total) in time order)."""
    i = bisect.bisect_right(timeline, t, key=lambda point: point[0])
    return timeline[i - 1][1] if i else 0.0


def cpu_budget(
    usages: list[ProcessUsage],
    window: tuple[float, float],
    *,
    orders: float,
    tickets: float,
    cores: int,
    buyers: tuple[str, ...] = ("bench", "loader-", "sandbox-psp"),
) -> dict[str, object]:
    """Where the CPU went while the sale sold (`window`: monotonic instants), per paid
    order, and the paces that CPU allows at that cost: the whole machine's (`cores`
    busy with the sale and nothing else), the deployment's alone (the same cores without
    the processes playing the buyers or third parties (the sandbox PSP), named with a
    prefix in `buyers`: what it would
    sell with its buyers on other machines) and, per process, the pace at which it
    alone would need a whole core — the limit of a one-process server such as the
    embedded MongoDB-wire one, whatever the other core does."""
    start, end = window
    seconds = end - start
    per_process: dict[str, dict[str, float]] = {}
    uncovered = []
    for usage in usages:
        used = usage.cpu_between(start, end)
        if used is None:
            uncovered.append(usage.name)
            continue
        ms = 1000 * used / orders if orders else 0.0
        per_process[usage.name] = {
            "cpu_s": round(used, 2),
            "cores": round(used / seconds, 3) if seconds > 0 else 0.0,
            "ms_per_order": round(ms, 2),
            "one_core_at_tickets_per_s": _pace(1, ms, tickets / orders if orders else 0.0),
        }
    total_ms = sum(p["ms_per_order"] for p in per_process.values())
    server_ms = sum(
        p["ms_per_order"] for name, p in per_process.items() if not name.startswith(buyers)
    )
    per_order = tickets / orders if orders else 0.0
    whole = not uncovered  # totals of some processes only would flatter the ceilings
    return {
        "window_s": round(seconds, 1),
        "orders_paid": int(orders),
        "tickets_sold": int(tickets),
        "cores_used": round(sum(p["cores"] for p in per_process.values()), 2) if whole else None,
        "ms_per_order": round(total_ms, 2) if whole else None,
        "machine_at_tickets_per_s": _pace(cores, total_ms, per_order) if whole else None,
        "deployment_ms_per_order": round(server_ms, 2) if whole else None,
        "deployment_at_tickets_per_s": _pace(cores, server_ms, per_order) if whole else None,
        "cores": cores,
        "processes": per_process,
        "not_covered": uncovered,
    }


def _read(pid: int) -> tuple[float | None, float]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        statm = Path(f"/proc/{pid}/statm").read_text().split()
    except (OSError, IndexError):
        return None, 0.0
    cpu = (int(stat[11]) + int(stat[12])) / _CLOCK_TICKS  # utime + stime
    return cpu, int(statm[1]) * _PAGE / 2**20


def usage_report(usages: list[ProcessUsage], wall_s: float) -> list[dict[str, float | str]]:
    return [
        {
            "process": u.name,
            "pid": u.pid,
            "cpu_s": round(u.cpu_end - u.cpu_start, 2),
            "cpu_pct": round(100 * (u.cpu_end - u.cpu_start) / wall_s, 1) if wall_s else 0.0,
            "rss_max_mb": round(u.rss_max_mb, 1),
        }
        for u in usages
    ]


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _pace(cores: int, ms_per_order: float, tickets_per_order: float) -> float:
    """Tickets/s that `cores` whole cores sell at `ms_per_order` of CPU per order."""
    return round(cores * 1000 / ms_per_order * tickets_per_order, 1) if ms_per_order else 0.0
