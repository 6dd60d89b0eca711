"""A real TicketSafe deployment on this machine for a benchmark run: embedded MongoDB-wire
and Redis servers, a mail catcher, and separate `api` and `worker` processes — separate
so that the fault mode can kill -9 each of them, restart Redis or MongoDB, flush Redis,
or restart the whole API pool under its crowd, mid-sale (`bench.faults`).

Holds have an api process of their own (`hold_lane`, on its own port), as a balancer
routes `/events/{id}/holds` to a pool of its own in production (deploy notes in
bench/README.md): a hold is a single Redis call, and in the shared pool it waited in
the event loop behind checkouts (each a dozen MongoDB and Redis round trips) and the
crowd's polls. The load generators route by path as that balancer does."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.flashsale import http, invariants
from bench.flashsale.faults import CROWD_RESTART, REDIS_FLUSH
from bench.flashsale.target import TOKEN_TTL_S, TokenMinter
from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.jobs import JobQueue
from ticketsafe.infra.mongodb import create_mongo_client
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.sandbox_psp.process import SandboxPspProcess


@dataclass
class Deployment:
    data_dir: Path
    port: int = field(default_factory=free_port)
    auth_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    stores: EmbeddedStores | None = None
    mail: MailCatcher | None = None
    api_processes: int = 1  # more share the port (SO_REUSEPORT): `--api-processes`
    hold_lane: bool = True  # one more api process, on `hold_port`, serving the holds
    hold_port: int = field(default_factory=free_port)
    # One more api process, on `crowd_port`, serving the waiting room's requests alone: its
    # CPU is then the crowd's, apart from the shop's (`--crowd-lane`).
    crowd_lane: bool = False
    crowd_port: int = field(default_factory=free_port)
    worker_concurrency: int | None = None  # jobs the worker runs at once (None: default)
    metrics: bool = True  # False: TICKETSAFE_METRICS_ENABLED=false (to measure their cost)
    # Each process's own /metrics port (TICKETSAFE_METRICS_PORT), by process name: the api
    # processes share one port, and Prometheus must scrape each of them.
    metrics_ports: dict[str, int] = field(default_factory=dict)
    settings_env: dict[str, str] = field(default_factory=dict)  # more TICKETSAFE_* for all
    apis: list[ChildProcess] = field(default_factory=list)
    worker: ChildProcess | None = None
    # The test-mode PSP: a third party, so its CPU is counted apart from the deployment's.
    psp: SandboxPspProcess | None = None
    _minter: TokenMinter | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> http.Endpoint:
        return http.Endpoint("127.0.0.1", self.port)

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    @property
    def hold_endpoint(self) -> http.Endpoint | None:
        return http.Endpoint("127.0.0.1", self.hold_port) if self.hold_lane else None

    @property
    def crowd_endpoint(self) -> http.Endpoint | None:
        return http.Endpoint("127.0.0.1", self.crowd_port) if self.crowd_lane else None

    def _lanes(self) -> list[tuple[str, http.Endpoint]]:
        """The api processes of a pool of their own: name and where they answer."""
        lanes = [("api-holds", self.hold_endpoint), ("api-crowd", self.crowd_endpoint)]
        return [(name, endpoint) for name, endpoint in lanes if endpoint is not None]

    def pools(self) -> list[tuple[http.Endpoint, int | None]]:
        lanes = [(endpoint, 1) for _, endpoint in self._lanes()]
        return [(self.endpoint, self.api_processes), *lanes]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stores = EmbeddedStores(self.data_dir / "stores", durable=True)
        self.stores.start()
        self.mail = MailCatcher(self.data_dir / "mail")
        self.mail.start()
        run = self.data_dir / "run"
        self.psp = SandboxPspProcess(run, self._psp_secret)
        self.psp.start()
        env = self._env()
        api = [sys.executable, "-m", "ticketsafe", "api"]
        # The first is "api" (the one the fault mode kills); the others "api-2", ...
        names = ["api" if i == 0 else f"api-{i + 1}" for i in range(self.api_processes)]
        self.apis = [ChildProcess(name, api, run, env | self._own(name)) for name in names]
        for name, endpoint in self._lanes():
            lane_env = {**env, "TICKETSAFE_HTTP_PORT": str(endpoint.port)}
            self.apis.append(ChildProcess(name, api, run, lane_env | self._own(name)))
        self.worker = ChildProcess(
            "worker", [sys.executable, "-m", "ticketsafe", "worker"], run, env | self._own("worker")
        )
        for child in (*self.apis, self.worker):
            child.start()
        self.apis[0].wait_for_port("127.0.0.1", self.port, timeout=60)
        self.wait_ready()
        for name, endpoint in self._lanes():
            self._child(name).wait_for_port("127.0.0.1", endpoint.port, timeout=60)
            wait_ready(endpoint.base_url)

    def _own(self, name: str) -> dict[str, str]:
        """What one process gets of its own: its name, and its metrics port (kept
        across a restart by the fault mode, so Prometheus finds it again)."""
        if name not in self.metrics_ports:
            # Not a port this deployment will bind later (free_port only says "free now").
            taken = {self.port, self.hold_port, self.crowd_port, *self.metrics_ports.values()}
            port = free_port()
            while port in taken:
                port = free_port()
            self.metrics_ports[name] = port
        port = self.metrics_ports[name]
        return {"TICKETSAFE_INSTANCE_NAME": name, "TICKETSAFE_METRICS_PORT": str(port)}

    def _env(self) -> dict[str, str]:
        assert self.stores is not None
        assert self.mail is not None
        assert self.stores.mongo_url is not None
        assert self.stores.redis_url is not None
        base = {k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")}
        return {
            **base,
            "TICKETSAFE_MONGO_URL": self.stores.mongo_url,
            "TICKETSAFE_REDIS_URL": self.stores.redis_url,
            "TICKETSAFE_DATA_DIR": str(self.data_dir),
            "TICKETSAFE_AUTH_SECRET": self.auth_secret,
            "TICKETSAFE_PSP_WEBHOOK_SECRET": self._psp_secret,
            "TICKETSAFE_SANDBOX_PSP_URL": self.psp.url if self.psp else "",
            "TICKETSAFE_SMTP_URL": self.mail.url,
            "TICKETSAFE_TLS_ENABLED": "false",  # the load generator shares the 2 cores
            "TICKETSAFE_HTTP_PORT": str(self.port),
            "TICKETSAFE_HTTP_REUSE_PORT": "true",
            "TICKETSAFE_PUBLIC_URL": self.base_url,
            "TICKETSAFE_LOG_LEVEL": "WARNING",
            "TICKETSAFE_ACCESS_TOKEN_TTL_S": str(TOKEN_TTL_S),
            # Every simulated buyer comes from 127.0.0.1: per-IP limits would throttle the
            # load generator itself (per-account limits stay as they are).
            "TICKETSAFE_RATE_LIMITS__CHALLENGE_PER_IP": "1000000/60/250000",
            "TICKETSAFE_RATE_LIMITS__CARD_TOKENIZATIONS_PER_IP": "1000000/60/333333",
            "TICKETSAFE_METRICS_ENABLED": "true" if self.metrics else "false",
            **self.settings_env,
        } | (
            {"TICKETSAFE_WORKER_CONCURRENCY": str(self.worker_concurrency)}
            if self.worker_concurrency
            else {}
        )

    @property
    def _psp_secret(self) -> str:
        return "whsec-bench-" + self.auth_secret[:24]

    def wait_ready(self, timeout: float = 60.0) -> None:
        wait_ready(self.base_url, timeout)

    def _children(self) -> list[ChildProcess]:
        """Every process of the deployment: api(s), worker, then the stores; and the
        sandbox PSP (named `sandbox-psp`: a third party, not the deployment's CPU)."""
        own = [*self.apis, *([self.worker] if self.worker else [])]
        own += [self.psp.child] if self.psp else []
        return own + (self.stores.children if self.stores else [])

    def check_running(self) -> None:
        """RuntimeError naming the first process of the deployment that has exited. The
        api processes share one port, so `/readyz` answering says only that one is up:
        one that failed its start-up would leave the sale to the others unnoticed."""
        for child in self._children():
            child.check_running()

    def pids(self) -> dict[str, int]:
        return {c.name: c.pid for c in self._children() if c.pid is not None}

    def fault_targets(self) -> list[str]:
        """What the fault mode kills, in this order: an api process of the shared pool,
        the holds' own (when there is one), the worker, Redis, MongoDB."""
        holds = ["api-holds"] if self.hold_lane else []
        return ["api", *holds, "worker", "redis", "mongodb"]

    def token(self, user_id: str, *, organizer_of: str | None = None) -> str:
        if self._minter is None:
            self._minter = TokenMinter(self.auth_secret)
        return self._minter.token(user_id, organizer_of=organizer_of)

    async def check(
        self, event_id: str, capacity: Mapping[str, int], told_paid: Mapping[str, int]
    ) -> dict[str, Any]:
        """The invariants from the database, once the worker has applied the last
        queued jobs (PIX webhooks)."""
        assert self.stores is not None
        assert self.stores.redis_url is not None
        assert self.stores.mongo_url is not None
        await _drain_jobs(self.stores.redis_url)
        mongo = create_mongo_client(self.stores.mongo_url)
        try:
            return await invariants.check(mongo["ticketsafe"], event_id, capacity, told_paid)
        finally:
            await mongo.close()

    # -- faults ------------------------------------------------------------------------

    def inject(self, name: str) -> None:
        """One fault of `bench.faults.plan`: `crowd-restart`, `redis-flush`, or the name
        of a process to kill -9 and start again."""
        if name == CROWD_RESTART:
            self.restart([c for c in self.apis if c.name != "api-holds"])
        elif name == REDIS_FLUSH:
            self.flush_redis()
        else:
            self.kill_and_restart(name)

    def kill_and_restart(self, name: str, down_s: float = 1.0) -> None:
        """kill -9 one process (api, worker, redis, mongodb) and start it again."""
        self.restart([self._child(name)], down_s)

    def restart(self, children: list[ChildProcess], down_s: float = 1.0) -> None:
        """kill -9 these processes at once, and after `down_s` start them again."""
        for child in children:
            assert child.pid is not None
            os.killpg(child.pid, signal.SIGKILL)
        for child in children:
            child.stop()  # reaps it
        time.sleep(down_s)
        for child in children:
            child.start()

    def flush_redis(self) -> None:
        """FLUSHALL: Redis loses every key at once (as a failover to an empty replica)."""
        assert self.stores is not None
        assert self.stores.redis_url is not None
        client = redis.Redis.from_url(self.stores.redis_url)
        try:
            client.flushall()
        finally:
            client.close()

    def _child(self, name: str) -> ChildProcess:
        for child in self._children():
            if child.name == name:
                return child
        raise KeyError(name)

    def stop(self) -> None:
        for child in (*self.apis, self.worker):
            if child is not None:
                child.stop()
        if self.psp is not None:
            self.psp.stop()
        if self.mail is not None:
            self.mail.stop()
        if self.stores is not None:
            self.stores.stop()


async def _drain_jobs(redis_url: str, timeout_s: float = 60.0) -> None:
    """Wait until the worker has taken and acknowledged every queued job (due ones)."""
    redis = create_redis_client(redis_url)
    queue = JobQueue(redis)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await queue.outstanding() == 0:
                return
            await asyncio.sleep(0.5)
    finally:
        await redis.aclose()


def wait_ready(base_url: str, timeout: float = 60.0, *, ca_file: Path | None = None) -> None:
    """Until `GET /readyz` answers 200 (TimeoutError after `timeout` seconds); an https
    `base_url`'s certificate is checked against `ca_file`."""
    deadline = time.monotonic() + timeout
    verify = str(ca_file) if ca_file is not None else True
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("TicketSafe did not become ready")
