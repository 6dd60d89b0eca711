"""The proof of the observability stack: TicketSafe (separate api, hold-lane api and
worker processes) and a real Prometheus with our rules, both on free loopback ports; a
small sale; then, through Prometheus's HTTP API, every process is up, every rule
evaluates without error, and every recording rule and every dashboard panel's query
returns series."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.flashsale.flow import Preset
from bench.flashsale.main import run
from bench.flashsale.server import Deployment

from ticketsafe.ops import dashboards
from ticketsafe.ops.prometheus import LocalPrometheus, Target

pytestmark = pytest.mark.slow

# Small: enough buyers that some wait in line, hold, pay and are refused as sold out.
SALE = Preset(
    "observe", seats=50, ga=20, buyers=100, concurrency=16, pre_queue_s=2.0,
    arrival_window_s=2.0, max_seconds=90,
)  # fmt: skip


def _targets(deployment: Deployment) -> list[Target]:
    return [
        Target(
            "ticketsafe-worker" if name == "worker" else "ticketsafe-api", name, f"127.0.0.1:{port}"
        )
        for name, port in deployment.metrics_ports.items()
    ]


def _query(prom: LocalPrometheus, expr: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{prom.url}/api/v1/query", params={"query": expr}, timeout=10)
    body = r.json()
    assert r.status_code == 200, (expr, body)
    assert body["status"] == "success", (expr, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _recording_rules(prom: LocalPrometheus) -> list[dict[str, Any]]:
    body = httpx.get(f"{prom.url}/api/v1/rules", timeout=10).json()
    return [rule for group in body["data"]["groups"] for rule in group["rules"]]


def test_a_sale_fills_every_panel_and_every_recording_rule(tmp_path: Path) -> None:
    deployment = Deployment(
        tmp_path / "deployment",
        settings_env={"TICKETSAFE_METRICS_SAMPLE_INTERVAL_S": "1"},
    )
    prom: LocalPrometheus | None = None
    try:
        deployment.start()
        prom = LocalPrometheus(tmp_path / "prometheus", _targets(deployment), interval_s=1.0)
        prom.start()
        summary, _ = run(SALE, faults=False, loaders=1, remote=deployment)
        assert summary["tickets_sold"] > 0
        time.sleep(3)  # the last scrapes and rule evaluations after the sale
        up = _query(prom, "up")
        assert {s["metric"]["process"] for s in up} == {"api", "api-holds", "worker"}
        assert all(s["value"][1] == "1" for s in up)
        rules = _recording_rules(prom)
        assert all(rule["health"] == "ok" for rule in rules), [
            (r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"
        ]
        empty_rules = [
            r["name"] for r in rules if r["type"] == "recording" and not _query(prom, r["name"])
        ]
        empty_panels = [expr for expr in dashboards.queries() if not _query(prom, expr)]
        oversold = _query(prom, "ticketsafe:inventory_oversold_units:max")
        sold = _query(prom, "sum(ticketsafe_tickets_sold_total)")
    finally:
        if prom is not None:
            prom.stop()
        deployment.stop()
    assert empty_rules == []
    assert empty_panels == []
    assert oversold[0]["value"][1] == "0"
    assert float(sold[0]["value"][1]) == summary["tickets_sold"]
