"""A real Prometheus on this machine, scraping every process of a running TicketSafe with
our rules loaded (`ticketsafe observe`, `make observe`).

Every process is a scrape target of its own: counters and histograms live in each
process's memory, and Prometheus sums them (`sum(rate(...))`) across targets; a gauge a
worker samples is read with `max`. A process restarted starts its counters at 0, which
`rate` reads as a reset, not a drop. The targets come from what is running:
- `ticketsafe cluster`: `run/cluster.json` lists every api backend (its own port), every
  worker's metrics port (`TICKETSAFE_METRICS_PORT`) and HAProxy's exporter;
- `ticketsafe serve`: with several API processes sharing its port, `run/serve.json` lists
  each one's own metrics port (the first also runs the worker); with one, its HTTPS port.

Prometheus is the Debian package `prometheus` (with `promtool`); the rule files are
`deploy/prometheus/rules/*.yml` of this repository.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.settings import Settings

DEPLOY_DIR = Path(__file__).resolve().parents[3] / "deploy"
RULES_DIR = DEPLOY_DIR / "prometheus" / "rules"
ALERT_TESTS = DEPLOY_DIR / "prometheus" / "tests" / "ticketsafe-alerts.test.yml"

Job = Literal["ticketsafe-api", "ticketsafe-worker", "ticketsafe-serve", "haproxy"]


class PrometheusMissing(RuntimeError):
    """The Prometheus binaries are not installed."""


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PrometheusMissing(
            f"`{name}` not found: install the Debian package `prometheus` "
            "(apt-get install prometheus)"
        )
    return path


def promtool() -> str:
    return _binary("promtool")


@dataclass(frozen=True)
class Target:
    job: Job
    name: str  # the process (api-1, worker-1, ...): the `process` label
    address: str  # host:port
    scheme: Literal["http", "https"] = "http"
    ca_file: Path | None = None  # for https with our local CA


def targets_of(settings: Settings) -> list[Target]:
    """What to scrape for the TicketSafe running from `settings.data_dir`: the cluster
    its `run/cluster.json` describes, else `serve`'s API processes on the metrics ports
    its `run/serve.json` lists, else the one `serve` process on the configured ports."""
    state = settings.data_dir / "run" / "cluster.json"
    if state.exists():
        return cluster_targets(json.loads(state.read_text()))
    serve_state = settings.data_dir / "run" / "serve.json"
    metrics: dict[str, int] = (
        json.loads(serve_state.read_text()).get("metrics", {}) if serve_state.exists() else {}
    )
    if metrics:  # several API processes on one port: each scraped on its own
        return [
            Target("ticketsafe-serve", name, f"{settings.host}:{port}")
            for name, port in metrics.items()
        ]
    if settings.tls_enabled:
        ca = settings.tls_dir / "ca.pem"
        return [
            Target("ticketsafe-serve", "serve", f"localhost:{settings.https_port}", "https", ca)
        ]
    return [Target("ticketsafe-serve", "serve", f"{settings.host}:{settings.http_port}")]


def cluster_targets(state: dict[str, Any]) -> list[Target]:
    """`roles.cluster`'s state: api backends on their ports, workers on their metrics
    ports, HAProxy's own exporter on its stats port."""
    metrics: dict[str, int] = state.get("metrics", {})
    targets = [
        Target("ticketsafe-api", name, f"127.0.0.1:{metrics.get(name, port)}")
        for name, port in state["backends"].items()
    ]
    targets += [
        Target("ticketsafe-worker", name, f"127.0.0.1:{port}")
        for name, port in metrics.items()
        if name not in state["backends"]
    ]
    if state.get("stats_port"):
        targets.append(Target("haproxy", "haproxy", f"127.0.0.1:{state['stats_port']}"))
    return targets


def config(
    targets: list[Target], rule_files: list[Path], *, interval_s: float = 5.0
) -> dict[str, Any]:
    """prometheus.yml (JSON is YAML): one scrape config per job and scheme, each target
    labelled with its process name."""
    interval = f"{interval_s:g}s"
    jobs: dict[tuple[str, str, Path | None], list[Target]] = {}
    for target in targets:
        jobs.setdefault((target.job, target.scheme, target.ca_file), []).append(target)
    scrape_configs = []
    for (job, scheme, ca_file), members in jobs.items():
        scrape: dict[str, Any] = {
            "job_name": job if scheme == "http" else f"{job}-{scheme}",
            "scheme": scheme,
            "metrics_path": "/metrics",
            "static_configs": [
                {"targets": [t.address], "labels": {"process": t.name}} for t in members
            ],
        }
        if ca_file is not None:
            scrape["tls_config"] = {"ca_file": str(ca_file.resolve())}
        scrape_configs.append(scrape)
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(f.resolve()) for f in rule_files],
        "scrape_configs": scrape_configs,
    }


@dataclass
class LocalPrometheus:
    """`prometheus` as a child process on a loopback port, its data in `data_dir`."""

    data_dir: Path
    targets: list[Target]
    port: int = 0
    interval_s: float = 5.0
    rules_dir: Path = RULES_DIR
    _child: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 30.0) -> None:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        rules = sorted(self.rules_dir.glob("*.yml"))
        path = self.data_dir / "prometheus.yml"
        path.write_text(json.dumps(config(self.targets, rules, interval_s=self.interval_s)))
        argv = [
            _binary("prometheus"),
            f"--config.file={path}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=2d",
            "--log.level=warn",
        ]
        self._child = ChildProcess("prometheus", argv, self.data_dir)
        self._child.start()
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._child is not None
            self._child.check_running()
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Prometheus not ready on {self.url} after {timeout}s")

    def check_running(self) -> None:
        if self._child is not None:
            self._child.check_running()

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None


def observe(settings: Settings, *, port: int, interval_s: float) -> None:
    """`ticketsafe observe`: Prometheus on `port` for the TicketSafe running from
    `settings.data_dir`, until SIGINT/SIGTERM; prints where to look."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    targets = targets_of(settings)
    local = LocalPrometheus(settings.data_dir / "prometheus", targets, port, interval_s)
    local.start()
    try:
        names = ", ".join(f"{t.name} ({t.address})" for t in targets)
        print(
            f"Prometheus at {local.url} scraping {names} every {interval_s:g} s, with the "
            f"rules of {RULES_DIR}.\n"
            f"  targets:  {local.url}/targets\n"
            f"  alerts:   {local.url}/alerts\n"
            f"  rules:    {local.url}/rules\n"
            f"  graph:    {local.url}/graph?g0.expr=ticketsafe%3Atickets_sold%3Arate1m\n"
            f"Grafana: provision {DEPLOY_DIR / 'grafana'} (datasource url {local.url}).",
            flush=True,
        )
        while not stop.wait(1.0):
            local.check_running()
    finally:
        local.stop()
