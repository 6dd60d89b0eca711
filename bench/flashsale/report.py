"""The benchmark's outputs: a JSON document, a Markdown row, and a PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.flashsale.flow import DEFAULT_CHECKOUT_TARGET_MS
from bench.flashsale.measure import Recorder

CURRENT_MARKER = "## Current figures at HEAD"
CURRENT_HEADER = (
    "| preset | tickets/s on sale | CPU ms per paid order (deployment / all) | hold p99 ms "
    "| checkout p99 ms | oversold / double-sold / lost | `/healthz` req/s | commit | date (UTC) |\n"
    "|---|---|---|---|---|---|---|---|---|\n"
)


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))


def current_row(report: dict[str, Any], commit: str, when: datetime | None = None) -> str:
    """One preset's figures for the table at the top of RESULTS.md."""
    steps = report["latency"]
    inv = report["invariants"]
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")
    return (
        f"| {_preset(report)} | {report['on_sale']['tickets_per_s']} | {_cpu(report)} "
        f"| {steps.get('hold', {}).get('p99_ms', '-')} "
        f"| {steps.get('checkout', {}).get('p99_ms', '-')} "
        f"| {inv['oversold']} / {inv['double_sold']} / {inv['lost_orders']} "
        f"| {report['trivial']['req_per_s']} | `{commit}` | {stamp} |\n"
    )


def _cpu(report: dict[str, Any]) -> str:
    budget = report.get("on_sale_cpu") or {}
    total = budget.get("ms_per_order")
    if not total:
        return "-"
    deployment = budget.get("deployment_ms_per_order")
    return f"{deployment} / {total}" if deployment is not None else f"- / {total}"


def _preset(report: dict[str, Any]) -> str:
    """The preset, whether holds had a pool of their own (and the crowd), adaptive
    admission's target when not the default, and the URL of a deployment the bench did
    not start."""
    target = report.get("target", "started")
    preset = report["preset"] + (", hold lane" if report.get("hold_lane") else "")
    preset += ", crowd lane" if report.get("crowd_lane") else ""
    target_ms = report.get("checkout_target_ms")
    default = (None, DEFAULT_CHECKOUT_TARGET_MS)
    preset += f", checkout p90 target {target_ms} ms" if target_ms not in default else ""
    return preset if target == "started" else f"{preset} @ {target}"


def record_current(path: Path, report: dict[str, Any], commit: str) -> None:
    """Put the run's figures in the current table of RESULTS.md: the row of the same
    preset (and target) is replaced, so the table says what HEAD measures, one row per
    preset; older figures live in git's history, not in the file."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    row = current_row(report, commit)
    if CURRENT_MARKER not in text:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{CURRENT_MARKER}\n\n{CURRENT_HEADER}{row}{rest}"
        path.write_text(text)
        return
    head, _, tail = text.partition(CURRENT_MARKER)
    table_start = tail.index(CURRENT_HEADER) + len(CURRENT_HEADER)
    table_end = tail.find("\n\n", table_start)
    table_end = len(tail) if table_end == -1 else table_end + 1
    key = row.split("|")[1]
    rows = [r for r in tail[table_start:table_end].splitlines(keepends=True) if r.strip()]
    kept = [r if r.split("|")[1] != key else row for r in rows]
    if row not in kept:
        kept.append(row)
    path.write_text(head + CURRENT_MARKER + tail[:table_start] + "".join(kept) + tail[table_end:])


def head_commit(repo: Path) -> str:
    """The short commit the figures were measured at ('-' outside a git checkout), with
    '+' when the working tree had changes."""
    git = shutil.which("git")
    if git is None:
        return "-"
    try:
        commit = subprocess.run(  # noqa: S603 (a fixed command, no user input)
            [git, "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "-"
    return commit + ("+" if dirty else "")


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
