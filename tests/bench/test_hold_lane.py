"""Holds have an api process of their own in the deployment the bench starts: the load
generators send every hold there (as a balancer routing `/events/{id}/holds` would) and
nothing else, and the report counts both pools. With `crowd_lane` the waiting room's
requests get one too, so the crowd's CPU is measured apart from the shop's."""

from __future__ import annotations

from pathlib import Path

from bench.flashsale import server_latency
from bench.flashsale.flow import QUEUE_STEPS
from bench.flashsale.main import run
from bench.flashsale.server import Deployment

from tests.bench.test_remote import TINY
from ticketsafe.roles import event_loop


def _counts(deployment: Deployment) -> list[dict[str, int]]:
    """Requests served per route, by each pool (main first, then the lanes: holds, crowd)."""
    counts = []
    for endpoint, processes in deployment.pools():
        report = event_loop.run(server_latency.scrape([(endpoint, processes)]))
        counts.append({step: v["count"] for step, v in report["steps"].items()})
    return counts


def test_holds_go_to_their_own_pool_and_only_holds(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path / "deployment")
    deployment.start()
    try:
        summary, _ = run(TINY, faults=False, loaders=1, remote=deployment)
        main_pool, hold_pool = _counts(deployment)
        processes = set(deployment.pids())
    finally:
        deployment.stop()
    holds = summary["latency"]["hold"]["count"]
    assert summary["hold_lane"] is True
    assert holds > 0
    assert hold_pool == {"hold": holds}  # every hold, and nothing else
    assert "hold" not in main_pool
    assert main_pool["checkout"] == summary["latency"]["checkout"]["count"] > 0
    assert summary["server_latency"]["processes_scraped"] == 2
    assert summary["server_latency"]["steps"]["hold"]["count"] == holds
    assert {"api", "api-holds"} <= processes
    assert "api-holds" in {p["process"] for p in summary["processes"]}  # its CPU reported
    # The CPU on sale: every process of the deployment and of the bench sampled over the
    # window, none missing, and no more than the machine has.
    budget = summary["on_sale_cpu"]
    assert set(budget["processes"]) == processes | {"bench", "loader-0"}
    assert budget["not_covered"] == []
    assert 0 < budget["cores_used"] <= budget["cores"] * 1.05  # /proc ticks: 10 ms grain
    assert budget["orders_paid"] > 0
    assert budget["ms_per_order"] == round(
        sum(p["ms_per_order"] for p in budget["processes"].values()), 2
    )


def test_without_the_lane_holds_share_the_pool(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path / "deployment", hold_lane=False)
    deployment.start()
    try:
        summary, _ = run(TINY, faults=False, loaders=1, remote=deployment)
        (main_pool,) = _counts(deployment)
        processes = set(deployment.pids())
    finally:
        deployment.stop()
    assert summary["hold_lane"] is False
    assert main_pool["hold"] == summary["latency"]["hold"]["count"] > 0
    assert "api-holds" not in processes


def test_the_fault_mode_kills_the_holds_process_too(tmp_path: Path) -> None:
    assert Deployment(tmp_path).fault_targets() == [
        "api", "api-holds", "worker", "redis", "mongodb",
    ]  # fmt: skip
    assert "api-holds" not in Deployment(tmp_path, hold_lane=False).fault_targets()


def test_the_crowd_lane_serves_the_waiting_room_and_only_it(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path / "deployment", crowd_lane=True)
    deployment.start()
    try:
        summary, _ = run(TINY, faults=False, loaders=1, remote=deployment)
        main_pool, hold_pool, crowd_pool = _counts(deployment)
        processes = set(deployment.pids())
    finally:
        deployment.stop()
    assert summary["crowd_lane"] is True
    assert set(crowd_pool) == QUEUE_STEPS  # challenges, joins and status polls, nothing else
    for step in QUEUE_STEPS:
        assert crowd_pool[step] == summary["latency"][step]["count"] > 0
        assert step not in main_pool
    assert set(hold_pool) == {"hold"}
    assert main_pool["checkout"] == summary["latency"]["checkout"]["count"] > 0
    assert summary["server_latency"]["processes_scraped"] == 3
    assert {"api", "api-holds", "api-crowd"} <= processes
    assert "api-crowd" in summary["on_sale_cpu"]["processes"]  # the crowd's CPU, apart
