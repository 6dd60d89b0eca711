"""Several load-generator processes, one report: what the children record is merged
(latencies pooled, counters added, timelines re-accumulated, gauges summed)."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import time
from typing import Any

import pytest
from bench.flashsale import faults as fault_mode
from bench.flashsale.flow import Outcome
from bench.flashsale.main import (
    _FORK,
    LOADER_GC_THRESHOLDS,
    LOADER_NICE,
    LoaderResult,
    _loader_heap,
    _loader_priority,
    _watch_lag,
    combine,
    kendall_tau,
    shares,
)
from bench.flashsale.measure import Recorder, merge_recorders


def test_shares_split_the_connections_and_add_up() -> None:
    assert shares(64, 2) == [32, 32]
    assert shares(64, 3) == [22, 21, 21]
    assert shares(5, 1) == [5]
    assert sum(shares(257, 7)) == 257


def test_counter_timelines_are_re_accumulated_and_gauges_summed() -> None:
    a, b = Recorder(started=100.0), Recorder(started=100.0)
    a.timeline["tickets_sold"] = [(1.0, 2.0), (4.0, 5.0)]  # +2 at 1 s, +3 at 4 s
    a.counters["tickets_sold"] = 5
    b.timeline["tickets_sold"] = [(2.0, 1.0), (3.0, 4.0)]  # +1 at 2 s, +3 at 3 s
    b.counters["tickets_sold"] = 4
    a.gauge("in_flight_buyers", 10)
    b.gauge("in_flight_buyers", 7)
    a.timeline["in_flight_buyers"] = [(1.0, 10.0), (3.0, 6.0)]
    b.timeline["in_flight_buyers"] = [(2.0, 7.0), (4.0, 0.0)]
    a.latency("hold", 0.010)
    b.latency("hold", 0.030)
    b.latency("join", 0.020)

    merged = merge_recorders([a, b])

    assert merged.timeline["tickets_sold"] == [(1.0, 2.0), (2.0, 3.0), (3.0, 6.0), (4.0, 9.0)]
    assert merged.counters["tickets_sold"] == 9
    assert merged.timeline["in_flight_buyers"] == [(1.0, 10.0), (2.0, 17.0), (3.0, 13.0),
                                                   (4.0, 6.0)]  # fmt: skip
    assert sorted(merged.latencies["hold"]) == [0.010, 0.030]
    assert merged.counters["http_requests"] == 3
    assert merged.summary()["join"]["count"] == 1
    with pytest.raises(ValueError, match="share their start time"):
        merge_recorders([a, Recorder(started=99.0)])


def _child(index: int, loaders: int, started: float, out: Any) -> None:
    """What a load generator does with its share of 30 buyers (i % loaders == index)."""
    recorder = Recorder(started=started)
    outcomes = []
    for i in range(index, 30, loaders):
        time.sleep(0.002)
        recorder.latency("join", 0.001 * (i + 1))
        recorder.count("joined")
        recorder.count("tickets_sold", 2)
        recorder.gauge("in_flight_buyers", float(30 - i))
        outcomes.append(
            Outcome(joined_at=1000.0 + i, join_position=i, admitted_at=2000.0 + i, tickets=2,
                    result="paid")
        )  # fmt: skip
    out.put(LoaderResult(index, os.getpid(), recorder, outcomes, 0.1, 1.0, 0))


def test_results_of_forked_loaders_merge_into_one_report() -> None:
    parent = Recorder()
    parent.count("fault_api")
    parent.gauge("queue_length", 12.0)
    out: Any = _FORK.Queue()
    children = [
        _FORK.Process(target=_child, args=(i, 3, parent.started, out), daemon=True)
        for i in range(3)
    ]
    for c in children:
        c.start()
    results = [out.get(timeout=30) for _ in children]
    for c in children:
        c.join(10)
        assert c.exitcode == 0
    assert {r.pid for r in results} == {c.pid for c in children}

    merged, outcomes = combine(parent, results)

    assert sorted(o.join_position or 0 for o in outcomes) == list(range(30))
    assert merged.counters["joined"] == 30
    assert merged.counters["tickets_sold"] == 60
    assert merged.counters["fault_api"] == 1
    assert sorted(merged.latencies["join"]) == pytest.approx([0.001 * (i + 1) for i in range(30)])
    sold = merged.timeline["tickets_sold"]
    assert [v for _, v in sold] == [2.0 * n for n in range(1, 31)]
    assert [t for t, _ in sold] == sorted(t for t, _ in sold)
    assert all(0 <= t < 30 for t, _ in sold)  # relative to the parent's start
    assert merged.timeline["queue_length"] == parent.timeline["queue_length"]
    final_in_flight = merged.timeline["in_flight_buyers"][-1][1]
    assert final_in_flight == 6.0  # each child's last level: 30-27, 30-28, 30-29 → 3+2+1
    # Fairness over buyers from every process: admitted in join order → τ = 1.
    pairs = [(o.joined_at or 0.0, o.admitted_at or 0.0) for o in outcomes]
    assert kendall_tau(pairs) == 1.0


def _report_priority(out: Any) -> None:
    out.put(_loader_priority())


def _report_heap(out: Any) -> None:
    _loader_heap()
    out.put((gc.get_threshold(), gc.get_freeze_count()))


def test_load_generators_do_not_collect_their_old_generation() -> None:
    """Full collections over a growing heap stalled a load generator for seconds."""
    out: Any = _FORK.Queue()
    child = _FORK.Process(target=_report_heap, args=(out,))
    child.start()
    thresholds, frozen = out.get(timeout=10)
    child.join(10)
    assert thresholds == LOADER_GC_THRESHOLDS
    assert frozen > 0  # what the fork inherited
    assert gc.get_threshold() != LOADER_GC_THRESHOLDS  # this process is untouched


def test_load_generators_run_ahead_of_the_deployment() -> None:
    out: Any = _FORK.Queue()
    child = _FORK.Process(target=_report_priority, args=(out,))
    child.start()
    nice = out.get(timeout=10)
    child.join(10)
    expected = LOADER_NICE if os.geteuid() == 0 else os.nice(0)  # only root may raise it
    assert nice == expected
    assert os.nice(0) != LOADER_NICE or os.geteuid() != 0  # this process is untouched


async def test_event_loop_lag_is_sampled() -> None:
    recorder = Recorder()
    watch = asyncio.create_task(_watch_lag(recorder, every_s=0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.15)  # noqa: ASYNC251 - the loop is stuck: its next timer fires late
    await asyncio.sleep(0.05)
    watch.cancel()
    lags = recorder.latencies["loader_lag"]
    assert max(lags) >= 0.12
    assert min(lags) < 0.05
    assert recorder.counters["http_requests"] == 0  # not counted as requests


async def test_faults_land_while_buyers_hold_and_pay(monkeypatch: pytest.MonkeyPatch) -> None:
    """The faults start after on-sale, not with the run: a long pre-queue used to take
    all of them. The crowd's restart comes first (the fullest crowd), then the flush,
    then each process; each is logged with the wait until the deployment was ready."""
    monkeypatch.setattr(fault_mode, "FAULT_AFTER_ON_SALE_S", 0.3)
    monkeypatch.setattr(fault_mode, "FAULT_GAP_S", 0.1)
    injected: list[tuple[str, float]] = []

    class Processes:
        def fault_targets(self) -> list[str]:
            return ["api", "api-holds", "worker", "redis", "mongodb"]

        def inject(self, name: str) -> None:
            injected.append((name, time.time()))

        def wait_ready(self, timeout: float = 60.0) -> None:
            time.sleep(0.05)

    on_sale_at = time.time() + 0.4
    recorder = Recorder()
    log: list[fault_mode.Fault] = []
    names = fault_mode.plan(Processes())
    await fault_mode.run_schedule(
        Processes(), names, on_sale_at, asyncio.Event(), recorder=recorder, log=log
    )
    assert names == ["crowd-restart", "redis-flush", "api", "api-holds", "worker", "redis",
                     "mongodb"]  # fmt: skip
    assert [name for name, _ in injected] == names
    assert injected[0][1] >= on_sale_at + 0.3
    assert injected[-1][1] >= on_sale_at + 0.3 + 0.1 * (len(injected) - 1)
    assert recorder.counters["fault_mongodb"] == 1
    assert [f.name for f in log] == names
    assert all(f.ready_after_s is not None and f.ready_after_s >= 0.05 for f in log)
    # Each fault waits for the last one to pass (ready) and the gap to go by.
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(injected)]
    assert all(gap >= 0.05 + 0.1 for gap in gaps)  # ready, then the gap


def test_recovery_is_the_wait_until_the_crowd_is_served_at_half_its_pace() -> None:
    # 10 answers a second until 20 s, nothing until 24 s, 6 a second from then on.
    timeline: list[tuple[float, float]] = []
    total = 0.0
    for tenth in range(0, 400):
        t = tenth / 10
        if t < 20 or (t > 24 and tenth % 10 in (0, 2, 4, 6, 8, 9)):
            total += 1
            timeline.append((t, total))
    assert fault_mode.recovered_after_s(timeline, 20.0) == 5.0  # (24, 25]: 6 where 5 will do
    assert fault_mode.recovered_after_s(timeline, 20.0, horizon_s=3.0) is None
    assert fault_mode.recovered_after_s([], 20.0) is None  # no crowd before: no figure
    recorder = Recorder()
    recorder.timeline["crowd_answered"] = timeline
    log = [fault_mode.Fault("crowd-restart", 20.0, 3.2)]
    on_sale_at = time.time() - (time.monotonic() - recorder.started - 19.0)  # 19 s in
    figures = fault_mode.recovery(recorder, log, on_sale_at)
    assert figures == [
        {"fault": "crowd-restart", "after_on_sale_s": 1.0, "ready_after_s": 3.2,
         "recovered_after_s": 5.0},
    ]  # fmt: skip
    assert fault_mode.recovery_line(figures) == (
        "; faults, seconds until ready/crowd served again: crowd-restart 3.2/5.0"
    )
