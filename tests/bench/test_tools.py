"""The benchmark's own arithmetic: if these were wrong, every report would be."""

from __future__ import annotations

import os
from pathlib import Path

from bench.flashsale import invariants, report
from bench.flashsale.flow import PRESETS, _txid_of
from bench.flashsale.main import (
    checkout_figures,
    deployment_shape,
    discordant_share,
    kendall_tau,
    requests_per_order,
)
from bench.flashsale.measure import (
    ProcessUsage,
    Recorder,
    count_at,
    cpu_budget,
    percentile,
    selling_rate,
)

from ticketsafe.infra.resources import Resources
from ticketsafe.payments.brcode import PixCharge


def test_kendall_tau_extremes_and_ties() -> None:
    same = [(float(i), float(i)) for i in range(50)]
    reversed_ = [(float(i), float(-i)) for i in range(50)]
    assert kendall_tau(same) == 1.0
    assert kendall_tau(reversed_) == -1.0
    one_swap = [(0.0, 0.0), (1.0, 2.0), (2.0, 1.0), (3.0, 3.0)]
    assert kendall_tau(one_swap) == round((5 - 1) / 6, 4)
    assert kendall_tau([(1.0, 1.0)]) is None


def test_admissions_in_the_same_tick_are_tied_not_out_of_order() -> None:
    batches = [(float(i), float(i // 10)) for i in range(50)]  # ten per tick, in order
    assert discordant_share(batches) == 0.0
    tau = kendall_tau(batches)
    assert tau is not None
    assert tau < 1.0  # τ-b counts the ties against the order
    one_swap = [(0.0, 0.0), (1.0, 2.0), (2.0, 1.0), (3.0, 3.0)]
    assert discordant_share(one_swap) == round(1 / 6, 6)
    assert discordant_share([(1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]) is None  # nothing ordered


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 51.0  # index round(0.5 x 99) = 50
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0


def test_selling_rate_stops_at_99_percent_and_starts_at_on_sale() -> None:
    # 100 tickets by t=12 (on-sale at t=2), then one straggler at t=60.
    timeline = [(2.0 + i / 10, float(i)) for i in range(1, 101)] + [(60.0, 101.0)]
    seconds, rate = selling_rate(timeline, 2.0)
    assert seconds == 10.0  # 99.99 % of 101 reached at t=12, not at the straggler
    assert rate == 10.0
    assert selling_rate([], 0.0) == (0.0, 0.0)


def test_cpu_between_two_instants_is_interpolated_and_needs_covering_samples() -> None:
    usage = ProcessUsage("api", 1, samples=[(10.0, 1.0), (11.0, 1.5), (12.0, 2.5)])
    assert usage.cpu_between(10.5, 11.5) == 1.0 - 0.25  # 1.25 -> 2.0
    assert usage.cpu_between(10.0, 12.0) == 1.5
    assert usage.cpu_between(9.0, 11.0) is None  # started sampling after the window opened
    assert usage.cpu_between(11.0, 13.0) is None  # gone (killed) before it closed
    assert ProcessUsage("worker", 2).cpu_between(0.0, 1.0) is None


def test_count_at_is_the_running_total_then() -> None:
    timeline = [(1.0, 1.0), (2.0, 3.0), (4.0, 4.0)]
    assert count_at(timeline, 0.5) == 0.0
    assert count_at(timeline, 2.0) == 3.0
    assert count_at(timeline, 3.9) == 3.0
    assert count_at(timeline, 99.0) == 4.0


def test_cpu_budget_per_order_and_the_paces_it_allows() -> None:
    # 10 s on sale, 100 orders of 2.5 tickets: the database 0.8 s of CPU (8 ms an
    # order), the api 1.2 s (12 ms).
    db = ProcessUsage("mongodb", 1, samples=[(0.0, 0.0), (10.0, 0.8)])
    api = ProcessUsage("api", 2, samples=[(0.0, 5.0), (10.0, 6.2)])
    budget = cpu_budget([db, api], (0.0, 10.0), orders=100, tickets=250, cores=2)
    assert budget["ms_per_order"] == 20.0
    assert budget["cores_used"] == 0.2
    # 2 cores = 2,000 ms/s: 100 orders/s at 20 ms each, 250 tickets/s.
    assert budget["machine_at_tickets_per_s"] == 250.0
    processes = budget["processes"]
    assert isinstance(processes, dict)
    assert processes["mongodb"]["one_core_at_tickets_per_s"] == 312.5  # 125 orders/s
    assert processes["api"]["cores"] == 0.12
    assert budget["not_covered"] == []
    # Without the processes playing the buyers: here both are the deployment's.
    assert budget["deployment_at_tickets_per_s"] == 250.0
    loader = ProcessUsage("loader-0", 4, samples=[(0.0, 0.0), (10.0, 0.5)])
    with_buyers = cpu_budget([db, api, loader], (0.0, 10.0), orders=100, tickets=250, cores=2)
    assert with_buyers["ms_per_order"] == 25.0
    assert with_buyers["machine_at_tickets_per_s"] == 200.0
    assert with_buyers["deployment_ms_per_order"] == 20.0
    assert with_buyers["deployment_at_tickets_per_s"] == 250.0
    # A worker restarted mid-window (fault mode) is left out, not counted as idle, and
    # totals without it would flatter the ceilings: there are none then.
    worker = ProcessUsage("worker", 3, samples=[(0.0, 0.0), (4.0, 1.0)])
    partial = cpu_budget([db, api, worker], (0.0, 10.0), orders=100, tickets=250, cores=2)
    assert partial["not_covered"] == ["worker"]
    assert partial["processes"] == budget["processes"]
    assert partial["ms_per_order"] is None
    assert partial["machine_at_tickets_per_s"] is None
    assert partial["deployment_at_tickets_per_s"] is None


def test_txid_read_back_from_a_br_code() -> None:
    payload = PixCharge("k@x.br", "Loja", "Recife", 1_000, "PAY123abc").payload()
    assert _txid_of(payload) == "PAY123abc"


def _order(oid: str, status: str, lines: list[dict[str, object]]) -> dict[str, object]:
    return {"_id": oid, "event_id": "evt_1", "status": status, "lines": lines}


def _line(
    seat: str | None = None, area: str | None = None, line_id: str = "l1"
) -> dict[str, object]:
    return {"seat_id": seat, "area_id": area, "status": "valid", "line_id": line_id}


def _ticket(
    tid: str, order_id: str, line_id: str = "l1", status: str = "valid"
) -> dict[str, object]:
    return {"_id": tid, "event_id": "evt_1", "order_id": order_id, "line_id": line_id,
            "status": status}  # fmt: skip


def _payment(pid: str, oid: str, status: str, refunded: int = 0) -> dict[str, object]:
    return {"_id": pid, "order_id": oid, "status": status,
            "captured_cents": 1_000, "refunded_cents": refunded}  # fmt: skip


async def test_invariant_checker_sees_every_kind_of_violation(resources: Resources) -> None:
    db = resources.db
    await db["orders"].insert_many(
        [
            _order("o1", "paid", [_line(seat="A:r-1:s-1")]),
            _order("o2", "paid", [_line(seat="A:r-1:s-1")]),  # same seat, second order
            _order("o3", "paid", [_line(area="pista"), _line(area="pista", line_id="l2")]),
            _order("o4", "expired", []),
            _order("o5", "pending_payment", [_line(seat="A:r-2:s-1")]),
            _order("o6", "cancelled", []),
        ]
    )  # o3: beyond the area's capacity of 1
    await db["tickets"].insert_many(
        [_ticket("t1", "o1"), _ticket("t2", "o2"), _ticket("t3", "o3"), _ticket("t4", "o3", "l2")]
    )
    await db["inventory_units"].insert_many(
        [
            {"_id": "evt_1|A:r-1:s-1", "event_id": "evt_1", "unit": "A:r-1:s-1", "order_id": "o1"},
            {
                "_id": "evt_1|ga:pista:0",
                "event_id": "evt_1",
                "unit": "ga:pista:0",
                "order_id": "o3",
            },
            {
                "_id": "evt_1|ga:pista:1",
                "event_id": "evt_1",
                "unit": "ga:pista:1",
                "order_id": "o3",
            },
        ]
    )
    await db["payments"].insert_many(
        [
            _payment("p4", "o4", "captured"),  # kept for an expired order
            _payment("p5", "o5", "captured"),  # kept for an order still pending
            _payment("p6", "o6", "refunded", refunded=1_000),  # returned: nothing kept
        ]
    )
    found = await invariants.check(db, "evt_1", {"pista": 1})
    assert found["double_sold"] == 1
    assert found["oversold"] == 1
    # o2 holds no unit of its own, o5's money has no paid order: both lost
    assert found["lost_orders"] == 2
    assert found["captured_without_ticket"] == 1  # o4's money, its order without a sale
    # a buyer was shown o9 paid, and o3 with three tickets: neither is in the books
    told = await invariants.check(db, "evt_1", {"pista": 1}, {"o1": 1, "o3": 3, "o9": 1})
    assert told["lost_orders"] == 4


async def test_invariant_checker_is_quiet_on_a_clean_sale(resources: Resources) -> None:
    db = resources.db
    await db["orders"].insert_one(_order("o1", "paid", [_line(seat="A:r-1:s-1")]))
    await db["inventory_units"].insert_one(
        {"_id": "evt_1|A:r-1:s-1", "event_id": "evt_1", "unit": "A:r-1:s-1", "order_id": "o1"}
    )
    await db["payments"].insert_one(_payment("p1", "o1", "captured"))
    await db["tickets"].insert_one(_ticket("t1", "o1"))
    found = await invariants.check(db, "evt_1", {"pista": 1})
    assert (found["oversold"], found["double_sold"], found["lost_orders"]) == (0, 0, 0)
    assert found["captured_without_ticket"] == 0


async def test_every_paid_unit_has_exactly_one_valid_ticket(resources: Resources) -> None:
    db = resources.db
    two = [_line(area="pista"), _line(area="pista", line_id="l2")]
    await db["orders"].insert_many(
        [
            _order("o1", "paid", two),  # one ticket missing
            _order("o2", "paid", [_line(area="pista")]),  # its ticket revoked: none valid
            _order("o3", "paid", [_line(area="pista")]),  # two valid tickets for one unit
            _order("o4", "refunded", [{**_line(area="pista"), "status": "refunded"}]),
            _order("o5", "paid", two),  # as it should be
        ]
    )
    units = [("o1", 2), ("o2", 1), ("o3", 1), ("o5", 2)]
    await db["inventory_units"].insert_many(
        [{"_id": f"evt_1|ga:pista:{o}{i}", "event_id": "evt_1", "unit": f"ga:pista:{o}{i}",
          "order_id": o} for o, n in units for i in range(n)]
    )  # fmt: skip
    await db["tickets"].insert_many(
        [
            _ticket("t1", "o1"), _ticket("t2", "o2", status="revoked"), _ticket("t3", "o3"),
            _ticket("t3b", "o3"), _ticket("t4", "o4"),  # a refunded unit's ticket still valid
            _ticket("t5", "o5"), _ticket("t6", "o5", "l2"),
        ]
    )  # fmt: skip
    found = await invariants.check(db, "evt_1", {"pista": 10})
    assert found["lost_orders"] == 4  # o1, o2, o3, and o4's stray ticket


_ROW = {
    "preset": "large", "buyers": 10, "tickets_sold": 4, "tickets_per_s": 1.0,
    "http_req_per_s": 9.0, "trivial": {"req_per_s": 100.0}, "latency": {},
    "queue_wait_p50_s": 1.0, "invariants": {"oversold": 0, "double_sold": 0, "lost_orders": 0},
    "on_sale": {"tickets_per_s": 2.0, "seconds": 2.0},
}  # fmt: skip


def test_current_row_gives_the_cpu_per_paid_order_deployment_first() -> None:
    budget = {"ms_per_order": 30.5, "deployment_ms_per_order": 24.1}
    row = report.current_row({**_ROW, "on_sale_cpu": budget}, "abc1234")
    assert row.startswith("| large | 2.0 | 24.1 / 30.5 | - | - | 0 / 0 / 0 | 100.0 | `abc1234` |")
    assert "| - / - |" not in report.current_row({**_ROW, "on_sale_cpu": None}, "abc1234")
    assert "| large | 2.0 | - |" in report.current_row({**_ROW, "on_sale_cpu": None}, "x")


def test_current_row_names_the_url_the_hold_lane_and_a_latency_target() -> None:
    remote = {**_ROW, "target": "https://127.0.0.1:8443"}
    assert report.current_row(remote, "c").startswith("| large @ https://127.0.0.1:8443 |")
    lane = {**_ROW, "hold_lane": True}
    assert report.current_row(lane, "c").startswith("| large, hold lane |")
    adaptive = {**_ROW, "preset": "large+adaptive", "checkout_target_ms": 350}
    assert report.current_row(adaptive, "c").startswith(
        "| large+adaptive, checkout p90 target 350 ms |"
    )
    default_target = {**adaptive, "checkout_target_ms": 500}
    assert report.current_row(default_target, "c").startswith("| large+adaptive |")


def test_record_current_keeps_one_row_per_preset(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Method\n\nHow we measure.\n")
    report.record_current(results, _ROW, "aaaaaaa")
    report.record_current(results, {**_ROW, "preset": "smoke"}, "bbbbbbb")
    report.record_current(results, {**_ROW, "on_sale": {"tickets_per_s": 9.0}}, "ccccccc")
    text = results.read_text()
    assert text.index(report.CURRENT_MARKER) < text.index("## Method")
    assert "aaaaaaa" not in text  # the large row was replaced by the newer run
    rows = [line for line in text.splitlines() if line.startswith("| large |")]
    assert len(rows) == 1
    assert rows[0].startswith("| large | 9.0 |")
    assert "`bbbbbbb`" in text
    assert text.endswith("## Method\n\nHow we measure.\n")


def test_the_plot_shades_where_admission_was_paused(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.timeline["tickets_sold"] = [(1.0, 0.0), (2.0, 5.0), (3.0, 9.0)]
    recorder.timeline["queue_length"] = [(1.0, 10.0), (2.0, 4.0), (3.0, 4.0)]
    recorder.timeline["admission_paused"] = [(1.0, 0.0), (2.0, 1.0), (3.0, 2.0)]
    result = {"preset": "smoke", "latency": {"hold": {"p50_ms": 1, "p95_ms": 2, "p99_ms": 3}}}
    shaded: list[tuple[float, float]] = []

    class Axes:
        def axvspan(self, start: float, end: float, **_: object) -> None:
            shaded.append((start, end))

        def legend(self, **_: object) -> None:
            pass

    report._shade_pauses(Axes(), recorder.timeline["admission_paused"])
    assert shaded == [(2.0, 3.0)]  # paused from the second sample to the end
    assert report.plot(tmp_path / "sale.png", recorder, result)
    assert (tmp_path / "sale.png").stat().st_size > 0


def test_checkout_figures_compare_with_healthz_at_the_same_concurrency() -> None:
    recorder = Recorder(started=0.0)
    recorder.timeline["admitted"].append((10.0, 1.0))
    for i in range(100):
        recorder.latencies["checkout"].append(0.1 if i <= 50 else 0.4)
    recorder.timeline["orders_placed"].append((20.0, 100.0))
    # 64 in flight at 640 /healthz per second: one /healthz waited 100 ms
    figures = checkout_figures(recorder, 64, 640.0, "orders_placed")
    assert figures["healthz_ms_at_same_concurrency"] == 100.0
    assert figures["p50_ms"] == 100.0
    assert figures["p99_ms"] == 400.0
    assert figures["p99_in_healthz"] == 4.0
    assert figures["per_s"] == 10.0  # 100 orders in the 10 s since the sale opened
    assert figures["per_s_of_healthz"] == round(10 / 640, 4)
    assert checkout_figures(Recorder(started=0.0), 64, 640.0) == {}


def test_the_checkout_preset_is_the_issues_sale_on_make_runs_shape() -> None:
    preset = PRESETS["checkout"]
    assert (preset.seats, preset.ga, preset.buyers, preset.concurrency) == (0, 2_000, 5_000, 64)
    assert preset.quantity == 1
    assert not preset.waiting_room
    assert preset.serve_shaped
    assert preset.counted == ("orders_placed", "tickets_placed")
    assert PRESETS["smoke"].counted == ("orders_paid", "tickets_sold")


def test_the_checkout_preset_runs_one_api_process_per_core_unless_told() -> None:
    """`--api-processes 1` is the A/B the preset's results ask for: it must not read as
    "unset"; no hold lane on `make run`'s shape, whatever is asked."""
    cores = os.cpu_count() or 1
    assert deployment_shape(PRESETS["checkout"], None, True) == (cores, False)
    assert deployment_shape(PRESETS["checkout"], 1, True) == (1, False)
    assert deployment_shape(PRESETS["checkout"], 3, True) == (3, False)
    assert deployment_shape(PRESETS["smoke"], None, True) == (1, True)
    assert deployment_shape(PRESETS["smoke"], 2, False) == (2, False)


def test_requests_per_order_split_the_crowd_from_the_shop() -> None:
    recorder = Recorder(started=0.0)
    for step, n in (("queue_status", 30), ("join", 5), ("challenge", 5), ("hold", 6),
                    ("checkout", 4), ("setup", 9), ("client_wait", 50)):  # fmt: skip
        recorder.latencies[step].extend([0.01] * n)
    assert requests_per_order(recorder, 4) == {"waiting_room": 10.0, "shop": 2.5}
    assert requests_per_order(recorder, 0) == {}
