"""Grafana dashboards as code: six dashboards built with `grafana-foundation-sdk`'s typed
builders, written as provisioned JSON with Grafana's provisioning files
(`ticketsafe dashboards --out deploy/grafana`).

Each panel is a `Chart`: a title, a unit and its PromQL queries. The queries read the
recording rules of `deploy/prometheus/rules/` where one exists, so a dashboard and an
alert never disagree on what "error ratio" means. `tests/ops/test_observe.py` runs every
query against a real Prometheus during a sale and asserts each returns series;
`tests/ops/test_dashboards.py` asserts the committed JSON is what this module writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE_UID = "ticketsafe-prometheus"
_DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    description: str = ""


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    rows: tuple[tuple[str, tuple[Chart, ...]], ...]

    def charts(self) -> list[Chart]:
        return [chart for _, charts in self.rows for chart in charts]


def q(expr: str, legend: str = "") -> Query:
    return Query(" ".join(expr.split()), legend)


def chart(title: str, *queries: Query, unit: str = "short", description: str = "") -> Chart:
    return Chart(title, queries, unit, "timeseries", description)


def single(title: str, query: Query, *, unit: str = "short", description: str = "") -> Chart:
    return Chart(title, (query,), unit, "stat", description)


_PAID = "ticketsafe_orders_paid_total"

FLASH_SALE = Board(
    "ticketsafe-flash-sale",
    "TicketSafe: flash sale",
    "A sale as it happens: what sells, who waits, what holds, and the oversell detector.",
    (
        (
            "Now",
            (
                single(
                    "Oversold units (must be 0)",
                    q("ticketsafe:inventory_oversold_units:max"),
                    description="Units MongoDB holds as sold beyond capacity, read by the worker.",
                ),
                single("Tickets sold", q("sum(ticketsafe_tickets_sold_total)")),
                single("People in line", q("sum(ticketsafe:waitingroom_queue_length:max)")),
                single("Live connections", q("sum(ticketsafe:live_connections:sum)")),
            ),
        ),
        (
            "Sales",
            (
                chart(
                    "Tickets sold per second",
                    q("ticketsafe:tickets_sold:rate1m", "{{event}}"),
                    unit="ops",
                ),
                chart(
                    "Revenue per second (minor units)",
                    q("ticketsafe:revenue_minor_units:rate1m", "{{event}} {{currency}}"),
                ),
                chart(
                    "Orders paid per second",
                    q(f"sum by (event) (rate({_PAID}[1m]))", "{{event}}"),
                    unit="ops",
                ),
                chart(
                    "Holds",
                    q("ticketsafe:holds_created:rate1m", "taken"),
                    q("sum(rate(ticketsafe_holds_released_total[1m]))", "given back"),
                    q("sum(rate(ticketsafe_holds_expired_total[1m]))", "expired"),
                    unit="ops",
                ),
                chart(
                    "Hold refusals",
                    q("sum by (reason) (rate(ticketsafe_hold_refusals_total[1m]))", "{{reason}}"),
                    unit="ops",
                ),
                chart(
                    "Share of holds expiring unpaid (15 min)",
                    q("ticketsafe:holds_expired:ratio_rate15m", "expired / taken"),
                    unit="percentunit",
                ),
            ),
        ),
    ),
)

WAITING_ROOM = Board(
    "ticketsafe-waiting-room",
    "TicketSafe: waiting room",
    "The line by event: its length, admissions, who gives up, what is left to sell.",
    (
        (
            "The line",
            (
                chart(
                    "People waiting",
                    q("ticketsafe:waitingroom_queue_length:max", "{{event}} in line"),
                    q("max by (event) (ticketsafe_waitingroom_pre_queue_length)", "{{event}} pre"),
                ),
                chart(
                    "Admission rate (people/s)",
                    q("ticketsafe:waitingroom_admitted:rate1m", "{{event}}"),
                    unit="ops",
                ),
                chart(
                    "Abandon rate (people/s)",
                    q("ticketsafe:waitingroom_abandoned:rate1m", "{{event}}"),
                    unit="ops",
                ),
                chart(
                    "Expected time in line",
                    q("ticketsafe:waitingroom_expected_wait_seconds", "{{event}}"),
                    unit="s",
                    description="People waiting over people admitted per second.",
                ),
                chart(
                    "Shoppers inside",
                    q("max by (event) (ticketsafe_waitingroom_active_shoppers)", "{{event}}"),
                ),
                chart(
                    "Units left to hold",
                    q("ticketsafe:waitingroom_units_available:max", "{{event}}"),
                ),
            ),
        ),
    ),
)

_ROUTES = 'route!~"/live/stream|/metrics"'

API_HEALTH = Board(
    "ticketsafe-api-health",
    "TicketSafe: API health",
    "The SLOs (99.9 % without 5xx, 99 % within 250 ms), their burn, and traffic by route.",
    (
        (
            "SLOs",
            (
                chart(
                    "5xx ratio",
                    q("ticketsafe:http_errors:ratio_rate5m", "5 min"),
                    q("ticketsafe:http_errors:ratio_rate1h", "1 h"),
                    unit="percentunit",
                ),
                chart(
                    "Share slower than 250 ms",
                    q("ticketsafe:http_slow:ratio_rate5m", "5 min"),
                    q("ticketsafe:http_slow:ratio_rate1h", "1 h"),
                    unit="percentunit",
                ),
                chart(
                    "Requests per second",
                    q("ticketsafe:http_requests:rate5m", "all"),
                    unit="reqps",
                ),
            ),
        ),
        (
            "Routes",
            (
                chart(
                    "Requests by status",
                    q(
                        f"sum by (status) (rate(ticketsafe_http_requests_total{{{_ROUTES}}}[1m]))",
                        "{{status}}",
                    ),
                    unit="reqps",
                ),
                chart(
                    "p95 latency by route",
                    q("ticketsafe:http_latency_seconds:p95_5m", "{{route}}"),
                    unit="s",
                ),
                chart(
                    "In flight, by process",
                    q("sum by (process) (ticketsafe_http_requests_in_flight)", "{{process}}"),
                ),
            ),
        ),
    ),
)

PAYMENTS = Board(
    "ticketsafe-payments",
    "TicketSafe: payments",
    "Attempts and failures by processor and method.",
    (
        (
            "Payments",
            (
                chart(
                    "Attempts per second",
                    q(
                        "sum by (processor, method) (rate(ticketsafe_payment_attempts_total[1m]))",
                        "{{method}} via {{processor}}",
                    ),
                    unit="ops",
                ),
                chart(
                    "Failure ratio (5 min)",
                    q("ticketsafe:payment_failures:ratio_rate5m", "{{method}} via {{processor}}"),
                    unit="percentunit",
                ),
                chart(
                    "Failures by reason",
                    q(
                        "sum by (method, reason) (rate(ticketsafe_payment_failures_total[1m]))",
                        "{{method}} {{reason}}",
                    ),
                    unit="ops",
                ),
                chart(
                    "Orders paid per second",
                    q(f"sum(rate({_PAID}[1m]))", "paid"),
                    unit="ops",
                ),
            ),
        ),
    ),
)

CHECK_IN = Board(
    "ticketsafe-check-in",
    "TicketSafe: check-in",
    "Tickets issued, admitted at the gates, and refusals by reason.",
    (
        (
            "Gates",
            (
                chart(
                    "Tickets issued per second",
                    q("sum(rate(ticketsafe_tickets_issued_total[1m]))", "issued"),
                    unit="ops",
                ),
                chart(
                    "Admissions per second", q("ticketsafe:checkins:rate1m", "admitted"), unit="ops"
                ),
                chart(
                    "Refusals per second by reason",
                    q("ticketsafe:checkin_refusals:rate1m", "{{reason}}"),
                    unit="ops",
                ),
                single("Admitted so far", q("sum(ticketsafe_checkins_total)")),
            ),
        ),
    ),
)

INFRASTRUCTURE = Board(
    "ticketsafe-infrastructure",
    "TicketSafe: infrastructure",
    "Processes, the job queue, MongoDB and Redis latency, live connections.",
    (
        (
            "Processes",
            (
                chart("Processes up", q('sum by (job) (up{job=~"ticketsafe.*"})', "{{job}}")),
                chart(
                    "CPU by process",
                    q('rate(process_cpu_seconds_total{job=~"ticketsafe.*"}[1m])', "{{process}}"),
                    unit="percentunit",
                ),
                chart(
                    "Resident memory by process",
                    q('process_resident_memory_bytes{job=~"ticketsafe.*"}', "{{process}}"),
                    unit="bytes",
                ),
            ),
        ),
        (
            "Jobs",
            (
                chart("Queue depth", q("ticketsafe:job_queue_depth:max", "{{lane}}")),
                chart(
                    "Oldest job's age",
                    q("ticketsafe:job_queue_oldest_age_seconds:max", "{{lane}}"),
                    unit="s",
                ),
                chart(
                    "Wait before a worker starts it (p95)",
                    q("ticketsafe:job_wait_seconds:p95_5m", "{{job}}"),
                    unit="s",
                ),
                chart(
                    "Jobs finished per second",
                    q(
                        "sum by (job, outcome) (rate(ticketsafe_jobs_processed_total[1m]))",
                        "{{job}} {{outcome}}",
                    ),
                    unit="ops",
                ),
            ),
        ),
        (
            "Stores and live channels",
            (
                chart(
                    "MongoDB p95 by command",
                    q("ticketsafe:mongodb_command_seconds:p95_5m", "{{command}}"),
                    unit="s",
                ),
                chart(
                    "Redis round trip p95",
                    q("ticketsafe:redis_roundtrip_seconds:p95_5m", "{{kind}}"),
                    unit="s",
                ),
                chart("Live connections", q("ticketsafe:live_connections:sum", "{{transport}}")),
                chart(
                    "Slow live clients cut off per second",
                    q(
                        "sum by (transport) (rate(ticketsafe_live_slow_clients_total[1m]))",
                        "{{transport}} cut off",
                    ),
                    unit="ops",
                ),
            ),
        ),
    ),
)

BOARDS = (FLASH_SALE, WAITING_ROOM, API_HEALTH, PAYMENTS, CHECK_IN, INFRASTRUCTURE)

_WIDTH = 24  # Grafana's grid
_REFS = "ABCDEFGH"


def _panel(chart: Chart, panel_id: int) -> timeseries.Panel | stat.Panel:
    panel: timeseries.Panel | stat.Panel
    if chart.kind == "timeseries":
        legend = (
            common.VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        panel = timeseries.Panel().legend(legend)
    else:
        panel = stat.Panel().reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
    panel.id(panel_id).title(chart.title).unit(chart.unit).datasource(_DATASOURCE)
    panel.height(4 if chart.kind == "stat" else 8).span(6 if chart.kind == "stat" else 12)
    if chart.description:
        panel.description(chart.description)
    for ref, query in zip(_REFS, chart.queries, strict=False):
        target = prometheus.Dataquery().expr(query.expr).ref_id(ref).datasource(_DATASOURCE)
        if query.legend:
            target.legend_format(query.legend)
        panel.with_target(target)
    return panel


def build(board: Board) -> dict[str, object]:
    """The dashboard's JSON model, as Grafana provisions it."""
    builder = (
        dashboard.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(["ticketsafe"])
        .refresh("10s")
        .time("now-30m", "now")
        .timezone("browser")
    )
    panel_id = 1
    for row_title, charts in board.rows:
        builder.with_row(dashboard.Row(row_title).id(panel_id))
        panel_id += 1
        for chart in charts:
            builder.with_panel(_panel(chart, panel_id))
            panel_id += 1
    model: dict[str, object] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    return model


def queries() -> list[str]:
    """Every panel's query, for the test that runs them on a real Prometheus."""
    return [query.expr for board in BOARDS for chart in board.charts() for query in chart.queries]


_DASHBOARD_PROVIDER = """\
# Generated by `ticketsafe dashboards`: Grafana loads every dashboard in the folder
# mounted at /var/lib/grafana/dashboards/ticketsafe (deploy/grafana/dashboards).
apiVersion: 1
providers:
  - name: ticketsafe
    folder: TicketSafe
    type: file
    disableDeletion: true
    allowUiUpdates: false
    options:
      path: /var/lib/grafana/dashboards/ticketsafe
"""

_DATASOURCE_FILE = f"""\
# Generated by `ticketsafe dashboards`: the Prometheus every dashboard reads (uid
# {DATASOURCE_UID}); point `url` at yours (`ticketsafe observe` prints its own).
apiVersion: 1
datasources:
  - name: Prometheus (TicketSafe)
    uid: {DATASOURCE_UID}
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: true
    jsonData:
      timeInterval: 5s
"""


def render() -> dict[str, str]:
    """Every file `write` puts under its folder, by relative path."""
    files = {
        f"dashboards/{board.uid}.json": json.dumps(build(board), indent=2, sort_keys=True) + "\n"
        for board in BOARDS
    }
    files["provisioning/dashboards/ticketsafe.yml"] = _DASHBOARD_PROVIDER
    files["provisioning/datasources/prometheus.yml"] = _DATASOURCE_FILE
    return files


def write(out: Path) -> list[Path]:
    written = []
    for relative, text in render().items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
