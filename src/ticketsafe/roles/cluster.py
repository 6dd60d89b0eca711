"""`ticketsafe cluster`: a scaled-out deployment on one machine.

Shared MongoDB-wire and Redis servers (the embedded ones, or the configured URLs), a mail
catcher when no SMTP URL is set, N `ticketsafe api` processes and M `ticketsafe worker`
processes, and HAProxy in front (`roles.balancer`): TLS at the balancer, `/readyz` health
checks, least connections (or round robin), and the hold lane, one more api process that
the balancer sends `/events/{id}/holds` to.

Every api process listens on a loopback port of its own (the balancer, not the kernel,
spreads the load) and is named by TICKETSAFE_INSTANCE_NAME, which is also its HAProxy
server name (the `X-Served-By` response header). Every child dies with this process
(`infra.child_process`); the ports and pids in use are in `run/cluster.json`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.roles.balancer import (
    Backend,
    Balance,
    BalancerConfig,
    balancer_process,
    haproxy_binary,
)
from ticketsafe.roles.http import tls_files
from ticketsafe.roles.shared_env import shared_env
from ticketsafe.sandbox_psp.process import SandboxPspProcess

log = logging.getLogger("ticketsafe.cluster")

_LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ClusterPlan:
    apis: int = 2
    workers: int = 1
    hold_lane: bool = True
    balance: Balance = "leastconn"
    stats_port: int = 0  # HAProxy's stats page and Prometheus exporter; 0: a free port


@dataclass
class Cluster:
    settings: Settings
    plan: ClusterPlan
    stores: EmbeddedStores | None = None
    mail: MailCatcher | None = None
    apis: list[ChildProcess] = field(default_factory=list)
    workers: list[ChildProcess] = field(default_factory=list)
    balancer: ChildProcess | None = None
    psp: SandboxPspProcess | None = None  # the test-mode PSP: a third party, apart
    backends: dict[str, Backend] = field(default_factory=dict)
    stats_port: int = 0
    # Workers serve no HTTP: each has a metrics port of its own (TICKETSAFE_METRICS_PORT).
    metrics_ports: dict[str, int] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.settings.data_dir / "run"

    @property
    def url(self) -> str:
        return f"https://localhost:{self.settings.https_port}"

    def start(self, ready_timeout: float = 90.0) -> None:
        try:
            self._start(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, ready_timeout: float) -> None:
        haproxy_binary()  # HAProxyMissing before anything is started
        s = self.settings
        self.stores = EmbeddedStores(
            s.data_dir,
            mongo_url=s.mongo_url.get_secret_value() if s.mongo_url else None,
            redis_url=s.redis_url.get_secret_value() if s.redis_url else None,
        )
        self.stores.start()
        if s.smtp_url is None:
            self.mail = MailCatcher(s.mail_dir)
            self.mail.start()
        tls = tls_files(s)
        if tls is None:
            raise ValueError("the cluster ends TLS at its balancer: keep TICKETSAFE_TLS_ENABLED")
        env = self._env()
        if s.payments_sandbox and s.sandbox_psp_url is None:
            secret = env["TICKETSAFE_PSP_WEBHOOK_SECRET"]  # made by `shared_env` if missing
            self.psp = SandboxPspProcess(self.run_dir, secret, ca_file=tls.ca_cert)
            env["TICKETSAFE_SANDBOX_PSP_URL"] = self.psp.start()
        names = [f"api-{i + 1}" for i in range(self.plan.apis)]
        holds = ["holds-1"] if self.plan.hold_lane else []
        self.backends = {name: Backend(name, free_port()) for name in (*names, *holds)}
        api_argv = [sys.executable, "-m", "ticketsafe", "api"]
        self.apis = [
            ChildProcess(b.name, api_argv, self.run_dir, env | _instance(b.name, b.port))
            for b in self.backends.values()
        ]
        worker_argv = [sys.executable, "-m", "ticketsafe", "worker"]
        worker_names = [f"worker-{i + 1}" for i in range(self.plan.workers)]
        self.metrics_ports = {name: free_port() for name in worker_names}
        self.workers = [
            ChildProcess(
                name,
                worker_argv,
                self.run_dir,
                env | _instance(name) | {"TICKETSAFE_METRICS_PORT": str(self.metrics_ports[name])},
            )
            for name in worker_names
        ]
        for child in (*self.apis, *self.workers):
            child.start()
        self.stats_port = self.plan.stats_port or free_port()
        config = BalancerConfig(
            bind_host=s.host,
            https_port=s.https_port,
            http_port=s.http_port,
            stats_port=self.stats_port,
            balance=self.plan.balance,
            api=[self.backends[n] for n in names],
            holds=[self.backends[n] for n in holds],
        )
        self.balancer = balancer_process(config, tls, s.data_dir / "haproxy")
        self.balancer.start()
        self.balancer.wait_for_port(_LOOPBACK if s.host == "0.0.0.0" else s.host, s.https_port)  # noqa: S104
        self._wait_backends_ready(ready_timeout)
        self._write_state()

    def _env(self) -> dict[str, str]:
        """What every child gets: the operator's TICKETSAFE_* settings, plus the stores,
        keys and mail shared by all of them (one source, created here before any child
        starts, so two instances never race to create different keys)."""
        s = self.settings
        assert self.stores is not None
        return shared_env(s, self.stores, self.mail) | {
            "TICKETSAFE_DATA_DIR": str(s.data_dir.resolve()),
            "TICKETSAFE_PUBLIC_URL": os.environ.get("TICKETSAFE_PUBLIC_URL", self.url),
            "TICKETSAFE_PUBLIC_BASE_URL": os.environ.get("TICKETSAFE_PUBLIC_BASE_URL", self.url),
            "TICKETSAFE_FRONTEND_DIR": str(s.frontend_dir.resolve()),
            # Behind the balancer: plain HTTP on loopback, one port each.
            "TICKETSAFE_TLS_ENABLED": "false",
            "TICKETSAFE_HOST": _LOOPBACK,
            "TICKETSAFE_HTTP_REUSE_PORT": "false",
        }

    def _wait_backends_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(self.backends)
        while pending:
            self.check_running()
            for name, backend in list(pending.items()):
                try:
                    r = httpx.get(f"http://{_LOOPBACK}:{backend.port}/readyz", timeout=2)
                except httpx.HTTPError:
                    continue
                if r.status_code == 200:
                    del pending[name]
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}")
            time.sleep(0.2)

    def children(self) -> list[ChildProcess]:
        own = [*([self.balancer] if self.balancer else []), *self.apis, *self.workers]
        own += [self.psp.child] if self.psp else []
        return own + (self.stores.children if self.stores else [])

    def check_running(self) -> None:
        for child in self.children():
            child.check_running()

    def _write_state(self) -> None:
        state = {
            "url": self.url,
            "http_port": self.settings.http_port,
            "https_port": self.settings.https_port,
            "stats_port": self.stats_port,
            "ca": str(self.settings.tls_dir.resolve() / "ca.pem"),
            "backends": {b.name: b.port for b in self.backends.values()},
            "metrics": self.metrics_ports,  # processes scraped on a port of their own
            "pids": {c.name: c.pid for c in self.children()},
        }
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "cluster.json").write_text(json.dumps(state, indent=2))

    def stop(self) -> None:
        """The balancer first (no new requests), then the api processes (each drains on
        SIGTERM), the workers, and the stores last."""
        for child in (
            *([self.balancer] if self.balancer else []),
            *self.apis,
            *self.workers,
        ):
            child.stop()
        if self.psp is not None:
            self.psp.stop()
        if self.mail is not None:
            self.mail.stop()
        if self.stores is not None:
            self.stores.stop()
        (self.run_dir / "cluster.json").unlink(missing_ok=True)


def _instance(name: str, port: int | None = None) -> dict[str, str]:
    return {"TICKETSAFE_INSTANCE_NAME": name} | (
        {"TICKETSAFE_HTTP_PORT": str(port)} if port is not None else {}
    )


def run_cluster(settings: Settings, plan: ClusterPlan) -> None:
    """Start the cluster and keep it up until SIGINT/SIGTERM. The balancer exiting stops
    everything; an api or worker process that dies stays down, and the balancer routes
    around it (kill one to watch a failover)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    cluster = Cluster(settings, plan)
    cluster.start()
    try:
        stats = f"http://127.0.0.1:{cluster.stats_port}/stats"
        print(
            f"TicketSafe cluster at {cluster.url}: {plan.apis} api + "
            f"{'1 hold-lane api + ' if plan.hold_lane else ''}{plan.workers} worker(s) behind "
            f"HAProxy ({plan.balance}); stats {stats}; local CA "
            f"{settings.tls_dir.resolve() / 'ca.pem'}; Prometheus for every process: "
            "`ticketsafe observe`",
            flush=True,
        )
        while not stop.wait(1.0):
            assert cluster.balancer is not None
            cluster.balancer.check_running()
    finally:
        cluster.stop()
