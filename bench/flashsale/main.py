"""`python -m bench.flashsale`: run an on-sale against a deployment it starts (or one given by its
URL, `target.Remote`), and report."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import multiprocessing as mp
import os
import queue
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.flashsale import faults as fault_mode
from bench.flashsale import http, report, server_latency
from bench.flashsale.flow import PRESETS, QUEUE_STEPS, OnSale, Outcome, Preset, published_draw
from bench.flashsale.measure import (
    CLIENT_WAIT,
    LOADER_LAG,
    ProcessUsage,
    Recorder,
    count_at,
    cpu_budget,
    merge_recorders,
    peak_rss_mb,
    percentile,
    selling_rate,
    usage_report,
)
from bench.flashsale.server import Deployment
from bench.flashsale.target import Remote, Target
from ticketsafe.roles import event_loop

_FORK = mp.get_context("fork")  # children inherit the set-up state (tokens, the event)


def shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal whole shares (the first ones get the rest)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def _hammer(
    endpoint: http.Endpoint, concurrency: int, start_at: float, seconds: float
) -> int:
    """GET /healthz in a closed loop from `concurrency` connections between `start_at`
    and `start_at + seconds` (wall clock); the answers completed in that window."""
    done = 0
    async with endpoint.client(max_connections=concurrency) as client:

        async def one() -> None:
            nonlocal done
            with contextlib.suppress(http.TransportError):
                await client.get("/healthz")  # connect before the window opens
            await asyncio.sleep(max(0.0, start_at - time.time()))
            stop_at = start_at + seconds
            while time.time() < stop_at:
                try:
                    await client.get("/healthz")
                except http.TransportError:
                    await asyncio.sleep(0.05)
                    continue
                if time.time() <= stop_at:
                    done += 1

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return done


# Load generators run ahead of the deployment's processes (nice -5 when allowed): they
# stand for browsers on other machines, so their own wait for a core (`loader_lag`, up to
# ~0.2 s at p99 on two busy cores) should not be counted as the server's latency. They
# use the same CPU either way (~14 % of a full run), only sooner.
LOADER_NICE = -5


def _loader_priority() -> int:
    """Raise this load generator's priority if we may; the niceness it runs at."""
    with contextlib.suppress(PermissionError):
        os.nice(LOADER_NICE - os.nice(0))
    return os.nice(0)


# A load generator's heap grows for the whole run (every buyer's outcome and every
# latency it measured, ~780 MB in the full preset) and a full collection walks all of
# it: its event loop stood still for up to 8.4 s, and every answer waiting meanwhile was
# counted as the server's latency. Young collections still free the short-lived cycles
# (requests, exceptions); the old generation is not collected while it measures.
LOADER_GC_THRESHOLDS = (20_000, 10, 1_000_000_000)


def _loader_heap() -> None:
    gc.freeze()  # what the fork inherited (the sale's set-up) is never garbage
    gc.set_threshold(*LOADER_GC_THRESHOLDS)


def trivial_baseline(
    endpoint: http.Endpoint, concurrency: int, seconds: float, *, processes: int
) -> float:
    """Requests/s of GET /healthz on the same deployment, from as many load-generator
    processes and connections as the sale uses: the yardstick for ratios."""
    out: Any = _FORK.Queue()
    start_at = time.time() + 1.0  # every process connected and waiting

    def child(concurrency: int) -> None:
        _loader_priority()
        out.put(event_loop.run(_hammer(endpoint, concurrency, start_at, seconds)))

    children = [
        _FORK.Process(target=child, args=(n,), daemon=True) for n in shares(concurrency, processes)
    ]
    for c in children:
        c.start()
    try:
        total: int = sum(out.get(timeout=seconds + 60) for _ in children)
    finally:
        for c in children:
            c.join(10)
    return total / seconds


def _pair_counts(pairs: list[tuple[float, float]], sample: int) -> tuple[int, int, int, int]:
    """(concordant, discordant, tied in x only, tied in y only) over a sample of pairs."""
    chosen = random.Random(1).sample(pairs, min(sample, len(pairs)))  # noqa: S311
    concordant = discordant = ties_x = ties_y = 0
    for i, (x1, y1) in enumerate(chosen):
        for x2, y2 in chosen[i + 1 :]:
            dx, dy = x1 - x2, y1 - y2
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    return concordant, discordant, ties_x, ties_y


def kendall_tau(pairs: list[tuple[float, float]], sample: int = 1500) -> float | None:
    """Kendall τ-b between join order and admission order (sampled, O(n²) pairs)."""
    if len(pairs) < 3:
        return None
    concordant, discordant, ties_x, ties_y = _pair_counts(pairs, sample)
    n1, n2 = concordant + discordant + ties_x, concordant + discordant + ties_y
    if not n1 or not n2:
        return None
    return round(float((concordant - discordant) / (n1 * n2) ** 0.5), 4)


def discordant_share(pairs: list[tuple[float, float]], sample: int = 1500) -> float | None:
    """Of the sampled pairs ordered both ways, the share in opposite orders (0: strictly
    in order; pairs tied on either side, e.g. admitted in the same tick, do not count)."""
    if len(pairs) < 3:
        return None
    concordant, discordant, _, _ = _pair_counts(pairs, sample)
    ordered = concordant + discordant
    return round(discordant / ordered, 6) if ordered else None


async def _sample_processes(usages: list[ProcessUsage], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for usage in usages:
            usage.sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def _progress(counters: dict[str, int], started: float) -> None:
    c = counters
    sys.stderr.write(
        f"\r{time.monotonic() - started:6.0f}s joined {c['joined']:>7} admitted "
        f"{c['admitted']:>7} paid {c['orders_paid']:>6} tickets {c['tickets_sold']:>7} "
        f"sold-out {c['sold_out_answers']:>6} in line {c['sold_out_in_line']:>6} "
        f"errors {c['client_errors']:>4}"
    )
    sys.stderr.flush()


@dataclasses.dataclass
class LoaderResult:
    """What one load-generator process sends back when its buyers are done."""

    index: int
    pid: int
    recorder: Recorder
    outcomes: list[Outcome]
    cpu_s: float
    rss_max_mb: float
    nice: int  # the niceness it ran at (`LOADER_NICE` unless not allowed)


def _loader(
    sale: OnSale, index: int, loaders: int, connections: int, out: Any,
    *, holds: http.Endpoint | None = None, crowd: http.Endpoint | None = None,
) -> None:  # fmt: skip
    """A forked load generator: buyers index, index + loaders, … with its own event loop
    and two clients (shopping, waiting room: `preset.concurrency` connections each), and
    a third for holds when they have a pool of their own (`holds`); counters pushed every
    second, then everything it recorded."""
    try:
        cpu0 = _cpu_s()
        recorder = Recorder(started=sale.recorder.started)  # the parent's instant
        nice = _loader_priority()
        _loader_heap()

        async def buy() -> list[Outcome]:
            endpoint = sale.client.endpoint
            async with contextlib.AsyncExitStack() as clients:
                client = await clients.enter_async_context(
                    endpoint.client(max_connections=connections)
                )
                queue_client = await clients.enter_async_context(
                    (crowd or endpoint).client(max_connections=connections)
                )
                hold_client = (
                    await clients.enter_async_context(holds.client(max_connections=connections))
                    if holds is not None
                    else None
                )
                mine = dataclasses.replace(
                    sale, client=client, queue_client=queue_client, hold_client=hold_client,
                    recorder=recorder, outcomes=[], rng=random.Random(2026 + index),  # noqa: S311
                )  # fmt: skip
                buyers = asyncio.create_task(mine.run(range(index, sale.preset.buyers, loaders)))
                watch = asyncio.create_task(_watch_lag(recorder))
                while not buyers.done():
                    out.put(("progress", index, dict(recorder.counters)))
                    await asyncio.wait({buyers}, timeout=1.0)
                watch.cancel()
                await buyers
                return mine.outcomes

        outcomes = event_loop.run(buy())
        result = LoaderResult(
            index, os.getpid(), recorder, outcomes, _cpu_s() - cpu0, peak_rss_mb(), nice
        )
        out.put(("done", index, result))
    except BaseException:
        out.put(("failed", index, traceback.format_exc()))
        raise


async def _watch_lag(recorder: Recorder, every_s: float = 0.05) -> None:
    """Sample how late this event loop runs a timer: a response that has arrived waits
    as long before the buyer reads it, and its latency includes that."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(every_s)
        recorder.lagged(max(0.0, loop.time() - asked - every_s))


def combine(parent: Recorder, results: list[LoaderResult]) -> tuple[Recorder, list[Outcome]]:
    """The parent's recorder (queue length, faults) and the load generators' as one,
    and every buyer's outcome, whichever process ran them."""
    merged = merge_recorders([parent, *(r.recorder for r in results)])
    return merged, [o for r in sorted(results, key=lambda r: r.index) for o in r.outcomes]


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


async def _set_up(target: Target, preset: Preset, recorder: Recorder) -> OnSale:
    async with target.endpoint.client(max_connections=4) as client:
        sale = OnSale(client, recorder, preset, target.token)
        await sale.set_up()
    return sale


async def _watch(
    target: Target, sale: OnSale, children: list[Any], out: Any, *, faults: Faults | None
) -> tuple[list[LoaderResult], float, list[ProcessUsage]]:
    """The parent during the sale: progress line, CPU samples, queue length, faults (in
    the deployment given) — until every load generator has sent its results."""
    started = time.monotonic()
    cpu0 = _cpu_s()
    usages = [ProcessUsage(n, p) for n, p in target.pids().items()]
    # The bench and its load generators are sampled too, for the CPU on sale
    # (`cpu_budget`); their totals are what each measured of itself.
    parent = ProcessUsage("bench", os.getpid())
    loaders = [ProcessUsage(f"loader-{i}", child.pid) for i, child in enumerate(children)]
    latest: dict[int, dict[str, int]] = {}
    results: dict[int, LoaderResult] = {}
    stop = asyncio.Event()
    async with target.endpoint.client(max_connections=2) as client:
        sale.client = client  # the organizer's queue-length samples
        helpers = [
            asyncio.create_task(_sample_processes([*usages, parent, *loaders], stop)),
            asyncio.create_task(sale.sample_queue(stop)),
        ]
        if faults is not None:
            deployment, names, log = faults
            helpers.append(
                asyncio.create_task(
                    fault_mode.run_schedule(
                        deployment,
                        names,
                        sale.on_sale_at,
                        stop,
                        recorder=sale.recorder,
                        log=log,
                    )
                )
            )
        try:
            while len(results) < len(children):
                with contextlib.suppress(queue.Empty):
                    while True:
                        kind, index, payload = out.get_nowait()
                        if kind == "progress":
                            latest[index] = payload
                        elif kind == "done":
                            results[index] = payload
                            latest[index] = dict(payload.recorder.counters)
                        else:
                            raise RuntimeError(f"load generator {index} failed:\n{payload}")
                for i, child in enumerate(children):
                    if i not in results and child.exitcode is not None:
                        await asyncio.sleep(1.0)  # a last message still in the pipe
                        if out.empty():
                            raise RuntimeError(f"load generator {i} exited ({child.exitcode})")
                totals: dict[str, int] = dict.fromkeys(
                    ("joined", "admitted", "orders_paid", "tickets_sold", "sold_out_answers",
                     "sold_out_in_line", "client_errors"), 0,
                )  # fmt: skip
                for counters in latest.values():
                    for name, n in counters.items():
                        totals[name] = totals.get(name, 0) + n
                _progress(totals, started)
                await asyncio.sleep(0.5)
        finally:
            sys.stderr.write("\n")
            wall = time.monotonic() - started
            stop.set()
            await asyncio.gather(*helpers, return_exceptions=True)
    parent.cpu_start, parent.cpu_end, parent.rss_max_mb = cpu0, _cpu_s(), peak_rss_mb()
    ordered = [results[i] for i in sorted(results)]
    return ordered, wall, [*usages, parent, *_measured_by_themselves(loaders, ordered)]


def _measured_by_themselves(
    sampled: list[ProcessUsage], results: list[LoaderResult]
) -> list[ProcessUsage]:
    """The load generators' totals as each measured its own (from its start), with the
    samples the parent took of them."""
    for r in results:
        loader = sampled[r.index]
        loader.cpu_start, loader.cpu_end, loader.rss_max_mb = 0.0, r.cpu_s, r.rss_max_mb
    return sampled


# The fault mode's deployment, the faults it injects, and the log of what happened.
Faults = tuple[Deployment, list[str], list[fault_mode.Fault]]


def run(
    preset: Preset,
    *,
    faults: bool,
    only_faults: list[str] | None = None,
    loaders: int = 2,
    api_processes: int = 1,
    hold_lane: bool = True,
    crowd_lane: bool = False,
    worker_concurrency: int | None = None,
    remote: Target | None = None,
    metrics: bool = True,
) -> tuple[dict[str, Any], Recorder]:
    """Start a deployment (unless `remote` names one), measure /healthz, set the sale up,
    fork `loaders` load generators for the buyers, watch (injecting every fault of
    `bench.faults.plan`, or `only_faults`, with `faults`), check the invariants, and
    summarise."""
    if faults and remote is not None:
        raise ValueError("the fault mode needs the deployment the bench starts")
    deployment: Deployment | None = None
    target: Target
    if remote is None:
        data_dir = Path(tempfile.mkdtemp(prefix="ticketsafe-bench-"))
        deployment = Deployment(
            data_dir, api_processes=api_processes, hold_lane=hold_lane, crowd_lane=crowd_lane,
            worker_concurrency=worker_concurrency, metrics=metrics,
        )  # fmt: skip
        deployment.start()
        target = deployment
    else:
        target = remote
    children: list[Any] = []
    try:
        trivial = trivial_baseline(target.endpoint, preset.concurrency, 5.0, processes=loaders)
        target.check_running()  # every process measured, none died starting
        recorder = Recorder()
        sale = event_loop.run(_set_up(target, preset, recorder))
        # Forked with no event loop running in this process: each child starts its own.
        out: Any = _FORK.Queue()
        children = [
            _FORK.Process(
                target=_loader,
                args=(sale, i, loaders, n, out),
                kwargs={"holds": target.hold_endpoint, "crowd": target.crowd_endpoint},
                daemon=True,
            )
            for i, n in enumerate(shares(preset.concurrency, loaders))
        ]
        for child in children:
            child.start()
        fault_log: list[fault_mode.Fault] = []
        injected: Faults | None = None
        if faults and deployment is not None:
            names = only_faults or fault_mode.plan(deployment)
            injected = (deployment, names, fault_log)
        (results, wall, usages), checked, server = event_loop.run(
            _sale(target, sale, children, out, faults=injected)
        )
        merged, sale.outcomes = combine(recorder, results)
        sale.recorder = merged
        summary = _report(
            preset, sale, merged, trivial=trivial, wall=wall, usages=usages,
            checked=checked, server=server, faults=faults,
        )  # fmt: skip
        if faults:
            summary["recovery"] = fault_mode.recovery(merged, fault_log, sale.on_sale_at)
        summary["target"] = "started" if remote is None else remote.endpoint.base_url
        summary["event_id"] = sale.event_id
        summary["loaders"] = loaders
        summary["loader_nice"] = max(r.nice for r in results)
        summary["api_processes"] = target.api_processes
        summary["hold_lane"] = target.hold_endpoint is not None
        summary["crowd_lane"] = target.crowd_endpoint is not None
        summary["metrics"] = metrics
        summary["worker_concurrency"] = worker_concurrency if remote is None else None
        return summary, merged
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join(5)
        if deployment is not None:
            deployment.stop()


async def _sale(
    target: Target, sale: OnSale, children: list[Any], out: Any, *, faults: Faults | None
) -> tuple[tuple[list[LoaderResult], float, list[ProcessUsage]], dict[str, Any], dict[str, Any]]:
    """Watch the sale, then check the invariants and read the API processes' own
    latencies (`server_latency`) in the same event loop: a process the
    fault mode restarted was started from one of this loop's worker threads, and gets
    SIGTERM when that thread exits (PR_SET_PDEATHSIG) — i.e. when this loop closes."""
    watched = await _watch(target, sale, children, out, faults=faults)
    for child in children:
        await asyncio.to_thread(child.join, 30)
    checked = await target.check(
        sale.event_id,
        {"pista": sale.preset.ga},
        told_paid(o for r in watched[0] for o in r.outcomes),
    )
    if sale.preset.waiting_room:
        async with target.endpoint.client(max_connections=1) as client:
            sale.draw_order = await published_draw(client, sale.event_id)
    server = await server_latency.scrape(target.pools())
    return watched, checked, server


def told_paid(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """The orders buyers were shown paid, and how many tickets each showed them."""
    return {o.order_id: o.tickets for o in outcomes if o.result == "paid" and o.order_id}


def _report(
    preset: Preset, sale: OnSale, recorder: Recorder, *, trivial: float, wall: float,
    usages: list[ProcessUsage], checked: dict[str, Any], server: dict[str, Any],
    faults: bool,
) -> dict[str, Any]:  # fmt: skip
    # Fairness: join order (after on-sale) vs the moments buyers learned of their
    # admission (τ, blurred by how far apart they were told to poll: up to two minutes far
    # back in line), and vs the moments the waiting room admitted them (the share of pairs
    # in the wrong order; those admitted in the same tick are tied, not out of order).
    # The engine-level proof is in tests/waitingroom.
    after_on_sale = [o for o in sale.outcomes if o.joined_at and o.joined_at > sale.on_sale_at]
    admitted = [(o.joined_at, o.admitted_by_server_at) for o in after_on_sale]
    seen = [(o.joined_at, o.admitted_at) for o in after_on_sale]
    waits = [o.admitted_at - max(o.joined_at, sale.on_sale_at) for o in sale.outcomes
             if o.joined_at and o.admitted_at]  # fmt: skip
    lags = [o.admitted_at - o.admitted_by_server_at for o in sale.outcomes
            if o.admitted_at and o.admitted_by_server_at]  # fmt: skip
    # The pre-queue's fairness: admitted in the order the published draw put them in.
    drawn = {p: i for i, p in enumerate(sale.draw_order)}
    by_draw = [(float(drawn[o.pseudonym]), o.admitted_by_server_at) for o in sale.outcomes
               if o.pseudonym in drawn and o.admitted_by_server_at]  # fmt: skip
    results: dict[str, int] = {}
    for o in sale.outcomes:
        results[o.result] = results.get(o.result, 0) + 1
    c = recorder.counters
    on_sale = _on_sale(recorder, preset.counted[1])
    return {
        "preset": preset.name + ("+faults" if faults else ""),
        "buyers": preset.buyers,
        "target_active": preset.target_active,
        "adaptive_admission": preset.adaptive,
        "checkout_target_ms": preset.checkout_target_ms if preset.adaptive else None,
        "capacity": {"seats": preset.seats, "ga": preset.ga},
        "wall_s": round(wall, 1),
        "tickets_sold": c["tickets_sold"],
        "orders_paid": c["orders_paid"],
        "tickets_per_s": round(c["tickets_sold"] / wall, 1) if wall else 0,
        "on_sale": on_sale,
        "on_sale_cpu": _on_sale_cpu(recorder, usages, on_sale["seconds"], preset.counted),
        "jobs_cpu": _jobs_cpu(recorder, usages, c[preset.counted[0]]),
        "orders_placed": c.get("orders_placed", 0),
        "checkout": checkout_figures(recorder, preset.concurrency, trivial, preset.counted[0]),
        "orders_per_s": round(c["orders_paid"] / wall, 1) if wall else 0,
        "http_req_per_s": round(c["http_requests"] / wall, 1) if wall else 0,
        "requests_per_order": requests_per_order(recorder, c[preset.counted[0]]),
        "trivial": {"endpoint": "GET /healthz", "req_per_s": round(trivial, 1)},
        "latency": recorder.summary(),
        "queue_wait_p50_s": round(percentile(waits, 50), 2),
        "queue_wait_p95_s": round(percentile(waits, 95), 2),
        "fairness_kendall_tau": kendall_tau([(j, a) for j, a in seen if j and a]),
        "admitted_out_of_join_order": discordant_share([(j, a) for j, a in admitted if j and a]),
        "admitted_out_of_draw_order": discordant_share(by_draw),
        "admitted_from_pre_queue": len(by_draw),
        "admission_noticed_after_p50_s": round(percentile(lags, 50), 2),
        "admission_noticed_after_p95_s": round(percentile(lags, 95), 2),
        "outcomes": results,
        "invariants": checked,
        "server_latency": server,
        "faults_injected": [k for k in c if k.startswith("fault_")],
        "refusals": {k: v for k, v in sorted(c.items()) if " " in k},
        "processes": usage_report(usages, wall),
    }


def _on_sale(recorder: Recorder, tickets: str = "tickets_sold") -> dict[str, float]:
    """The pace from the first admission (on-sale) until 99 % of the tickets sold (or
    placed on order: `Preset.counted`)."""
    admitted = recorder.timeline.get("admitted")
    seconds, rate = 0.0, 0.0
    if admitted:
        seconds, rate = selling_rate(recorder.timeline.get(tickets, []), admitted[0][0])
    return {"seconds": seconds, "tickets_per_s": rate}


def _on_sale_cpu(
    recorder: Recorder,
    usages: list[ProcessUsage],
    seconds: float,
    counted: tuple[str, str] = ("orders_paid", "tickets_sold"),
) -> dict[str, Any] | None:
    """`cpu_budget` over the on-sale window of `_on_sale`, `seconds` from the first
    admission (None if nothing sold), per order and ticket of `counted`."""
    admitted = recorder.timeline.get("admitted")
    if not admitted or not seconds:
        return None
    start = admitted[0][0]
    end = start + seconds
    orders, tickets = (
        count_at(recorder.timeline.get(name, []), end)
        - count_at(recorder.timeline.get(name, []), start)
        for name in counted
    )
    return cpu_budget(
        usages,
        (recorder.started + start, recorder.started + end),
        orders=orders,
        tickets=tickets,
        cores=os.cpu_count() or 1,
    )


def _jobs_cpu(
    recorder: Recorder, usages: list[ProcessUsage], orders: int
) -> dict[str, float] | None:
    """The worker's CPU from the first admission to the end of the run, per order paid in
    all: what an order's jobs cost, the backlog the worker works off after the sale
    included (the on-sale window counts only the part done inside it when the worker is
    behind). `idle_at_end_cores`: its use over the run's last 5 s, near 0 once drained."""
    worker = next((u for u in usages if u.name == "worker"), None)
    admitted = recorder.timeline.get("admitted")
    if worker is None or not admitted or not orders or len(worker.samples) < 2:
        return None
    start, end = recorder.started + admitted[0][0], worker.samples[-1][0]
    used = worker.cpu_between(start, end)
    tail = worker.cpu_between(max(start, end - 5.0), end)
    if used is None or tail is None:
        return None  # restarted meanwhile (fault mode)
    return {
        "window_s": round(end - start, 1),
        "worker_ms_per_order": round(1000 * used / orders, 2),
        "idle_at_end_cores": round(tail / min(5.0, end - start), 3),
    }


def requests_per_order(recorder: Recorder, orders: int) -> dict[str, float]:
    """Requests the waiting crowd made (challenge, join, status polls) and the shop's
    (holds, card tokens, checkouts, order polls) per order counted: what the crowd costs
    the api next to the shop, in requests."""
    crowd = sum(len(recorder.latencies.get(step, [])) for step in QUEUE_STEPS)
    shop = sum(
        len(v)
        for step, v in recorder.latencies.items()
        if step not in QUEUE_STEPS and step not in ("setup", CLIENT_WAIT, LOADER_LAG)
    )
    if not orders:
        return {}
    return {"waiting_room": round(crowd / orders, 2), "shop": round(shop / orders, 2)}


def checkout_figures(
    recorder: Recorder, in_flight: int, healthz_per_s: float, orders: str = "orders_paid"
) -> dict[str, Any]:
    """Checkout latency at the load generators, and against `/healthz` on the same
    deployment the same minute: `p50_in_healthz` is checkout's p50 over the time a
    /healthz took at the same concurrency (`in_flight / healthz_per_s`: Little's law),
    i.e. how many trivial requests one checkout costs in waiting; `per_s_of_healthz`
    is `orders` counted per second (first admission to last order) over /healthz
    answered per second."""
    steps = recorder.latencies.get("checkout", [])
    admitted, counted = recorder.timeline.get("admitted"), recorder.timeline.get(orders)
    if not steps or not admitted or not counted or healthz_per_s <= 0:
        return {}
    per_s = counted[-1][1] / max(1e-9, counted[-1][0] - admitted[0][0])
    healthz_s = in_flight / healthz_per_s
    p50, p99 = percentile(steps, 50), percentile(steps, 99)
    return {
        "count": len(steps),
        "p50_ms": round(p50 * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "healthz_ms_at_same_concurrency": round(healthz_s * 1000, 2),
        "p50_in_healthz": round(p50 / healthz_s, 1),
        "p99_in_healthz": round(p99 / healthz_s, 1),
        "per_s": round(per_s, 1),
        "per_s_of_healthz": round(per_s / healthz_per_s, 4),
    }


def deployment_shape(
    preset: Preset, api_processes: int | None, hold_lane: bool
) -> tuple[int, bool]:
    """How many api processes share the port, and whether holds get a lane of their own:
    as asked (1 api process by default), except that a preset on `make run`'s shape has
    no hold lane and one api process per core unless a number is asked for."""
    if preset.serve_shaped:
        return max(1, api_processes or os.cpu_count() or 1), False
    return max(1, api_processes or 1), hold_lane


def main(
    preset_name: str, out_dir: Path, *, faults: bool, results_md: Path | None,
    loaders: int = 2, api_processes: int | None = None, hold_lane: bool = True,
    crowd_lane: bool = False,
    target_active: int | None = None, worker_concurrency: int | None = None,
    remote: Remote | None = None, adaptive: bool = False, metrics: bool = True,
    checkout_target_ms: int | None = None,
) -> int:  # fmt: skip
    preset = PRESETS[preset_name]
    if target_active is not None:
        preset = dataclasses.replace(preset, target_active=target_active)
    if adaptive:
        preset = dataclasses.replace(preset, adaptive=True, name=f"{preset.name}+adaptive")
    if checkout_target_ms is not None:
        preset = dataclasses.replace(preset, checkout_target_ms=checkout_target_ms)
    api_processes, hold_lane = deployment_shape(preset, api_processes, hold_lane)
    result, recorder = run(
        preset,
        faults=faults,
        loaders=max(1, loaders),
        api_processes=api_processes,
        hold_lane=hold_lane,
        crowd_lane=crowd_lane,
        worker_concurrency=worker_concurrency,
        remote=remote,
        metrics=metrics,
    )
    stem = f"{result['preset'].replace('+', '-')}"
    report.write_json(out_dir / f"{stem}.json", result)
    drew = report.plot(out_dir / f"{stem}.png", recorder, result)
    if results_md is not None:
        report.record_current(results_md, result, report.head_commit(results_md.parent))
    inv = result["invariants"]
    hold = result["server_latency"]["steps"].get("hold")
    print(
        f"{result['tickets_sold']} tickets in {result['wall_s']} s "
        f"({result['tickets_per_s']}/s); oversold {inv['oversold']}, double-sold "
        f"{inv['double_sold']}, lost orders {inv['lost_orders']}, captured without ticket "
        f"{_seen(inv['captured_without_ticket'])}; report {out_dir}/{stem}.json"
        + (f"; holds answered within 100 ms (server): {hold['within_100ms']}" if hold else "")
        + _checkout_line(result["checkout"])
        + _budget_line(result["on_sale_cpu"])
        + _jobs_line(result["jobs_cpu"])
        + fault_mode.recovery_line(result.get("recovery", []))
        + ("" if drew else " (no PNG: matplotlib missing)")
    )
    kept = inv["captured_without_ticket"] or 0  # None: a remote deployment's payments unseen
    return 0 if inv["oversold"] == inv["double_sold"] == inv["lost_orders"] == kept == 0 else 1


def _checkout_line(figures: dict[str, Any]) -> str:
    if not figures:
        return ""
    return (
        f"; checkout p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms "
        f"({figures['p50_in_healthz']} / {figures['p99_in_healthz']} times a /healthz at the"
        f" same concurrency, {figures['healthz_ms_at_same_concurrency']} ms), "
        f"{figures['per_s']}/s = {figures['per_s_of_healthz']} of /healthz's rate"
    )


def _seen(figure: int | None) -> str:
    return "not seen" if figure is None else str(figure)


def _jobs_line(jobs: dict[str, float] | None) -> str:
    if not jobs:
        return ""
    return (
        f"; the worker {jobs['worker_ms_per_order']} ms per paid order over"
        f" {jobs['window_s']} s from on-sale (its backlog included)"
    )


def _budget_line(budget: dict[str, Any] | None) -> str:
    if not budget or not budget["ms_per_order"]:
        return ""
    return (
        f"; on sale {budget['ms_per_order']} ms of CPU per paid order (every process measured"
        f" here), which {budget['cores']} cores busy with nothing else would turn into at"
        f" most {budget['machine_at_tickets_per_s']} tickets/s"
        f" ({budget['deployment_at_tickets_per_s']} with the buyers played elsewhere)"
    )
