"""Latency per step, counters over time, and CPU/RSS of the processes under test."""

from __future__ import annotations

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


@dataclass
class Recorder:
    """Every request's latency by step, and events (e.g. tickets sold) on a timeline."""

    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timeline: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def latency(self, step: str, seconds: float) -> None:
        self.latencies[step].append(seconds)
        self.counters["http_requests"] += 1

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n
        self.timeline[name].append((time.monotonic() - self.started, float(self.counters[name])))

    def gauge(self, name: str, value: float) -> None:
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


@dataclass
class ProcessUsage:
    name: str
    pid: int
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    rss_max_mb: float = 0.0

    def sample(self) -> None:
        cpu, rss = _read(self.pid)
        if cpu is None:
            return
        if not self.cpu_start:
            self.cpu_start = cpu
        self.cpu_end = cpu
        self.rss_max_mb = max(self.rss_max_mb, rss)


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
