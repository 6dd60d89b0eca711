"""The benchmark's outputs: a JSON document, a Markdown row, and a PNG."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ticketsafe.bench.measure import Recorder

RESULTS_HEADER = (
    "| date (UTC) | preset | buyers | tickets sold | sold/s | HTTP req/s | trivial req/s | "
    "hold p99 ms | checkout p99 ms | queue wait p50 s | oversold | double-sold | lost orders "
    "| Kendall τ | sold/s on sale (s) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))


def results_row(report: dict[str, Any]) -> str:
    steps = report["latency"]
    inv = report["invariants"]
    return (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {_preset(report)} | {report['buyers']} "
        f"| {report['tickets_sold']} | {report['tickets_per_s']} | {report['http_req_per_s']} "
        f"| {report['trivial']['req_per_s']} | {steps.get('hold', {}).get('p99_ms', '-')} "
        f"| {steps.get('checkout', {}).get('p99_ms', '-')} "
        f"| {report['queue_wait_p50_s']} | {inv['oversold']} | {inv['double_sold']} "
        f"| {inv['lost_orders']} | {_fairness(report)} "
        f"| {report['on_sale']['tickets_per_s']} ({report['on_sale']['seconds']}) |\n"
    )


def _preset(report: dict[str, Any]) -> str:
    """The preset, whether holds had a pool of their own, and the URL of a deployment
    the bench did not start."""
    target = report.get("target", "started")
    preset = report["preset"] + (", hold lane" if report.get("hold_lane") else "")
    return preset if target == "started" else f"{preset} @ {target}"


def _fairness(report: dict[str, Any]) -> str:
    """τ for people who joined after on-sale; when none of them was admitted (the sale
    ended first), the share of pre-queue pairs admitted against the published draw."""
    tau = report.get("fairness_kendall_tau")
    if tau is not None:
        return str(tau)
    drawn = report.get("admitted_out_of_draw_order")
    return "-" if drawn is None else f"draw: {drawn} out of order"


def append_results(path: Path, report: dict[str, Any]) -> None:
    """Append one row to the benchmark table of RESULTS.md (created when missing)."""
    marker = "## Flash-sale benchmark (`make bench`)"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if marker not in text:
        text += (
            f"\n{marker}\n\nOne row per run of `ticketsafe bench` (see `bench/README.md`): "
            "a real `ticketsafe serve` with embedded stores on this machine, simulated buyers "
            "as concurrent HTTP clients on the same 2 cores.\n\n" + RESULTS_HEADER
        )
    head, _, tail = text.partition(marker)
    table_end = tail.find("\n\n", tail.find(RESULTS_HEADER) + len(RESULTS_HEADER))
    row = results_row(report)
    tail = (
        tail + row
        if table_end == -1
        else tail[:table_end] + "\n" + row.rstrip("\n") + tail[table_end:]
    )
    path.write_text(head + marker + tail)


def plot(path: Path, recorder: Recorder, report: dict[str, Any]) -> bool:
    """Sales over time, queue length, latency percentiles. False if matplotlib is missing."""
    try:
        import matplotlib  # noqa: PLC0415 - optional, dev dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    fig, (sales, queue, lat) = plt.subplots(3, 1, figsize=(9, 10))
    for name in ("tickets_sold", "orders_paid"):
        points = recorder.timeline.get(name, [])
        if points:
            sales.plot([p[0] for p in points], [p[1] for p in points], label=name)
    sales.set(title=f"TicketSafe flash sale — {report['preset']}", xlabel="s", ylabel="count")
    if sales.get_legend_handles_labels()[0]:
        sales.legend()
    points = recorder.timeline.get("queue_length", [])
    queue.plot([p[0] for p in points], [p[1] for p in points], color="tab:orange")
    queue.set(xlabel="s", ylabel="people in queue")
    _shade_pauses(queue, recorder.timeline.get("admission_paused", []))
    steps = report["latency"]
    names = list(steps)
    for i, q in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        lat.bar(
            [x + i * 0.27 for x in range(len(names))], [steps[n][q] for n in names], 0.27, label=q
        )
    lat.set_xticks([x + 0.27 for x in range(len(names))], names, rotation=20)
    lat.set(ylabel="ms", yscale="log")
    lat.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _shade_pauses(axes: Any, points: list[tuple[float, float]]) -> None:
    """Grey where the waiting room admitted nobody because nothing was left (every unit
    held, or sold out: the `admission_paused` gauge, sampled each second)."""
    start: float | None = None
    labelled = False
    for t, level in [*points, (points[-1][0] if points else 0.0, 0.0)]:
        if level > 0 and start is None:
            start = t
        elif level == 0 and start is not None:
            label = None if labelled else "admission paused (nothing left)"
            axes.axvspan(start, t, color="grey", alpha=0.25, label=label)
            labelled, start = True, None
    if labelled:
        axes.legend(loc="upper left")
