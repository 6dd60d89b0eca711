"""The fault mode's schedule, and how fast the sale recovered from each fault.

While buyers queue, hold and pay, the bench injects one fault after another into the
deployment it started (`server.Deployment.inject`), each `FAULT_GAP_S` after the last
one passed:

1. `crowd-restart` — every API process of the shared pool (the one the waiting crowd
   uses) killed -9 at once and started again, a second after on-sale: the pre-queue
   drawn, every early buyer polling, the late ones arriving. A crowd that lost its
   server all comes back when it returns; `recovered_after_s` is how long until it is
   served again.
2. `redis-flush` — FLUSHALL: places in line, holds, job streams, leases, rate limits and
   idempotency records gone at once (MongoDB, the system of record, keeps every sale).
3. kill -9 and restart of each process in turn (`Deployment.fault_targets`): an api
   process, the holds' own, the worker, Redis, MongoDB.

For each fault the report gives (`recovery`): when it happened (seconds after on-sale),
`ready_after_s` (until the deployment answered `/readyz` again) and `recovered_after_s`
(until the crowd's answers — challenges, joins, status polls answered below 500 — came
back to half their pace of the `BASELINE_S` before the fault, in one-second steps; None
when the crowd was idle before it, or never came back).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, Protocol

from bench.flashsale.measure import Recorder, count_at

CROWD_RESTART = "crowd-restart"
REDIS_FLUSH = "redis-flush"
FAULT_AFTER_ON_SALE_S = 1.0  # the first fault: the pre-queue drawn, every buyer polling
FAULT_GAP_S = 6.0
BASELINE_S = 10.0  # the crowd's pace before a fault, what it must come back to (half)
RECOVERED_SHARE = 0.5
CROWD_ANSWERED = "crowd_answered"  # the load generators' counter (`flow.OnSale.call`)


class Faulty(Protocol):
    """What the schedule needs of a deployment (`server.Deployment`)."""

    def fault_targets(self) -> list[str]: ...

    def inject(self, name: str) -> None: ...

    def wait_ready(self, timeout: float = 60.0) -> None: ...


def plan(deployment: Faulty) -> list[str]:
    """Every fault, in the order injected."""
    return [CROWD_RESTART, REDIS_FLUSH, *deployment.fault_targets()]


@dataclass(frozen=True)
class Fault:
    name: str
    at_s: float  # on the recorder's clock (seconds since it started)
    ready_after_s: float | None  # None: not ready again within the wait


async def run_schedule(
    deployment: Faulty,
    names: list[str],
    on_sale_at: float,
    stop: asyncio.Event,
    *,
    recorder: Recorder,
    log: list[Fault],
) -> None:
    """Inject `names` from `FAULT_AFTER_ON_SALE_S` after on-sale, each once the last one
    passed (the deployment ready again) and `FAULT_GAP_S` more went by, so that one
    fault's recovery is not measured through the next (in a medium run on a loaded
    machine the api pool restarted under its crowd, ~15 s, was killed again 2 s after
    it was back); appends each to `log` and counts `fault_<name>` on `recorder`."""
    next_at = on_sale_at + FAULT_AFTER_ON_SALE_S
    for name in names:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.time()))
        if stop.is_set():
            return
        at = time.monotonic()
        await asyncio.to_thread(deployment.inject, name)
        ready: float | None = None
        try:
            await asyncio.to_thread(deployment.wait_ready, 60.0)
            ready = round(time.monotonic() - at, 2)
        except TimeoutError:
            pass
        log.append(Fault(name, at - recorder.started, ready))
        recorder.count(f"fault_{name}")
        next_at = time.time() + FAULT_GAP_S


def recovered_after_s(
    timeline: list[tuple[float, float]], at_s: float, horizon_s: float = 120.0
) -> float | None:
    """Seconds from `at_s` to the end of the first one-second window in which the crowd
    was answered at `RECOVERED_SHARE` of its pace over the `BASELINE_S` before."""
    before = count_at(timeline, at_s) - count_at(timeline, at_s - BASELINE_S)
    pace = before / BASELINE_S
    if pace <= 0:
        return None
    t = at_s
    while t < at_s + horizon_s:
        if count_at(timeline, t + 1.0) - count_at(timeline, t) >= RECOVERED_SHARE * pace:
            return round(t + 1.0 - at_s, 1)
        t += 1.0
    return None


def recovery(recorder: Recorder, log: list[Fault], on_sale_at: float) -> list[dict[str, Any]]:
    """The report's `recovery`: each fault, when (after on-sale, `on_sale_at` on the
    wall clock) and how fast it passed."""
    on_sale_s = on_sale_at - time.time() + time.monotonic() - recorder.started
    timeline = recorder.timeline.get(CROWD_ANSWERED, [])
    return [
        {
            "fault": f.name,
            "after_on_sale_s": round(f.at_s - on_sale_s, 1),
            "ready_after_s": f.ready_after_s,
            "recovered_after_s": recovered_after_s(timeline, f.at_s),
        }
        for f in log
    ]


def recovery_line(recovery: list[dict[str, Any]]) -> str:
    """The summary line's part: `name ready/recovered` seconds per fault."""
    if not recovery:
        return ""
    parts = [f"{r['fault']} {r['ready_after_s']}/{r['recovered_after_s']}" for r in recovery]
    return "; faults, seconds until ready/crowd served again: " + ", ".join(parts)
