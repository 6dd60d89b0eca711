"""The roles' async bodies: `api`, `worker`, and `serve` (all in one, embedded stores).

`serve` uses the machine: it runs `Settings.api_processes` API processes (one per core by
default) on the same ports. This process is the first of them, with the worker, the demo
seed and the embedded stores; the others are `ticketsafe api` children, each binding its
own SO_REUSEPORT socket (`roles.http.serve_all`), so the kernel spreads connections
between them. A stop (SIGINT/SIGTERM) drains them all at once; they die with this process
(`infra.child_process`), even after a kill -9.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from ticketsafe.app import create_app
from ticketsafe.demo.seed import seed_when_ready
from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.tracing import start_tracing
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.ops.metrics import expose_process_metrics, record_certificate
from ticketsafe.roles import event_loop
from ticketsafe.roles.http import (
    build_servers,
    install_stop_handlers,
    serve_all,
    stop_servers,
    tls_files,
)
from ticketsafe.roles.shared_env import shared_env
from ticketsafe.roles.worker import Worker, supervise
from ticketsafe.roles.worker_health import WorkerHealth, health_server
from ticketsafe.sandbox_psp.process import SandboxPspProcess
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry, periodic_tasks

log = logging.getLogger("ticketsafe.serve")


async def run_api(
    settings: Settings,
    *,
    with_worker: bool = False,
    demo: bool = False,
    on_stop_too: Callable[[], None] | None = None,
) -> None:
    """One API process (with the worker and the demo seed when `serve` runs it);
    `on_stop_too` is told of a stop at once (`serve` passes it on to its children)."""
    stop_metrics = expose_process_metrics(settings, "serve" if with_worker else "api")
    stop_tracing = start_tracing(settings, "serve" if with_worker else "api")
    app = create_app(settings, frontend_dir=settings.frontend_dir)
    servers = build_servers(settings, app)
    tls = tls_files(settings)  # made by build_servers when it had to
    if tls is not None:
        record_certificate(tls.cert)
    event_loop.settle_heap()
    stop = asyncio.Event()

    def on_stop() -> None:
        if on_stop_too is not None and not stop.is_set():
            on_stop_too()
        stop.set()
        stop_servers(servers)

    install_stop_handlers(on_stop)
    tasks = [asyncio.create_task(serve_all(servers, reuse_port=settings.http_reuse_port))]
    if with_worker:
        tasks.append(asyncio.create_task(_worker_until(settings, stop)))
    # The demo seed is not one of the roles: a stop cancels it wherever it is.
    seeding = asyncio.create_task(seed_when_ready(app, settings.data_dir)) if demo else None
    _announce(settings)
    try:
        await asyncio.gather(*tasks)
    finally:
        on_stop()
        stop_metrics()
        stop_tracing()
        if seeding is not None:
            seeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await seeding


async def run_worker(settings: Settings) -> None:
    stop_metrics = expose_process_metrics(settings, "worker")
    stop_tracing = start_tracing(settings, "worker")
    stop = asyncio.Event()
    install_stop_handlers(stop.set)
    try:
        await _worker_until(settings, stop)
    finally:
        stop_metrics()
        stop_tracing()


async def _worker_until(settings: Settings, stop: asyncio.Event) -> None:
    """The worker, restarted with back-off whenever its loop fails (`supervise`): with
    `serve` it shares the process with the API and the embedded stores, which must
    outlive it. Each start takes a fresh registry (the last one closed what it held)
    over the process's one services container, built here once."""
    resources = Resources.open(settings)
    services = Services.build(resources)
    health = WorkerHealth()

    def build() -> Worker:
        return Worker(
            resources,
            build_registry(services),
            periodic_tasks(services),
            concurrency=settings.worker_concurrency,
            health=health,
        )

    try:
        first = [build()]
        event_loop.settle_heap()  # its registry and clients are built: freeze them too
        async with contextlib.AsyncExitStack() as probes:
            if settings.worker_health_port is not None:
                await probes.enter_async_context(
                    health_server(health, settings.host, settings.worker_health_port)
                )
            await supervise(lambda: first.pop() if first else build(), stop)
    finally:
        await services.close()
        await resources.close()


def serve(settings: Settings) -> None:
    """Start embedded stores for any store without a URL, then the API processes (this one
    with the worker) on the same ports."""
    stores = EmbeddedStores(
        settings.data_dir,
        mongo_url=settings.mongo_url.get_secret_value() if settings.mongo_url else None,
        redis_url=settings.redis_url.get_secret_value() if settings.redis_url else None,
    )
    stores.start()
    catcher = MailCatcher(settings.mail_dir) if settings.smtp_url is None else None
    apis: list[ChildProcess] = []
    psp: SandboxPspProcess | None = None
    try:
        if catcher is not None:
            catcher.start()
            log.info("no SMTP URL: mail is filed under %s", settings.mail_dir.resolve())
        env = shared_env(settings, stores, catcher)
        processes = api_processes(settings)
        metrics = _metrics_ports(settings, processes)
        resolved = settings.model_copy(
            update={
                "metrics_port": metrics.get("api-1", settings.metrics_port),
                "mongo_url": SecretStr(env["TICKETSAFE_MONGO_URL"]),
                "redis_url": SecretStr(env["TICKETSAFE_REDIS_URL"]),
                "auth_secret": SecretStr(env["TICKETSAFE_AUTH_SECRET"]),
                "psp_webhook_secret": SecretStr(env["TICKETSAFE_PSP_WEBHOOK_SECRET"]),
                "smtp_url": SecretStr(env["TICKETSAFE_SMTP_URL"]),
                "http_reuse_port": settings.http_reuse_port or processes > 1,
            }
        )
        tls_files(resolved)  # the local CA and certificate, made once before any child
        psp = _start_sandbox_psp(resolved)
        if psp is not None:
            resolved = resolved.model_copy(update={"sandbox_psp_url": psp.url})
            env = env | {"TICKETSAFE_SANDBOX_PSP_URL": psp.url}
        apis = _api_children(resolved, env, processes - 1, metrics)
        _write_state(settings, metrics)
        for child in apis:
            child.start()
        demo = settings.demo_data if settings.demo_data is not None else settings.mongo_url is None

        def stop_children() -> None:  # SIGTERM to all at once: they drain together
            for child in apis:
                child.terminate()

        event_loop.run(run_api(resolved, with_worker=True, demo=demo, on_stop_too=stop_children))
    finally:
        for child in apis:
            child.terminate()
        for child in apis:
            child.stop(timeout=settings.shutdown_grace_s + 10.0)
        if psp is not None:
            psp.stop()
        (settings.data_dir / "run" / SERVE_STATE).unlink(missing_ok=True)
        if catcher is not None:
            catcher.stop()
        stores.stop()


def _start_sandbox_psp(settings: Settings) -> SandboxPspProcess | None:
    """The test-mode PSP in its own process (a third party: its state is not ours), on
    a free loopback port; it delivers to `public_url`, trusting our local CA."""
    if not settings.payments_sandbox or settings.sandbox_psp_url is not None:
        return None
    assert settings.psp_webhook_secret is not None
    tls = tls_files(settings)  # made now if missing: the sandbox trusts its CA at start
    psp = SandboxPspProcess(
        settings.data_dir / "run",
        settings.psp_webhook_secret.get_secret_value(),
        ca_file=tls.ca_cert if tls else None,
    )
    psp.start()
    return psp


def api_processes(settings: Settings) -> int:
    """How many API processes `serve` runs: the setting, else one per core."""
    return settings.api_processes or os.cpu_count() or 1


SERVE_STATE = "serve.json"  # in the data directory's run/: what `observe` scrapes


def _metrics_ports(settings: Settings, processes: int) -> dict[str, int]:
    """With several API processes on one port a scrape reaches one of them at random, so
    each gets a /metrics port of its own: from `metrics_port` upwards when it is set,
    else free loopback ports. One process keeps the setting as it is."""
    if processes < 2:
        return {}
    names = [f"api-{i + 1}" for i in range(processes)]
    if settings.metrics_port is not None:
        return {name: settings.metrics_port + i for i, name in enumerate(names)}
    return {name: free_port() for name in names}


def _write_state(settings: Settings, metrics: dict[str, int]) -> None:
    run_dir = settings.data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SERVE_STATE).write_text(json.dumps({"metrics": metrics}))


def _api_children(
    settings: Settings, env: dict[str, str], count: int, metrics: dict[str, int]
) -> list[ChildProcess]:
    """`count` more `ticketsafe api` processes on this one's ports, each with its own
    metrics port when `metrics` names one. They run in the operator's directory
    (relative paths in the settings mean the same to them)."""
    argv = [sys.executable, "-m", "ticketsafe", "api"]
    child_env = env | {
        "TICKETSAFE_HTTP_REUSE_PORT": "true",
        "TICKETSAFE_API_PROCESSES": "1",
    }
    run_dir = settings.data_dir / "run"
    return [
        ChildProcess(
            name,
            argv,
            run_dir,
            child_env
            | {"TICKETSAFE_INSTANCE_NAME": f"{settings.instance_name}-{name}"}
            | ({"TICKETSAFE_METRICS_PORT": str(metrics[name])} if name in metrics else {}),
            cwd=Path.cwd(),
        )
        for name in (f"api-{i + 2}" for i in range(count))
    ]


def _announce(settings: Settings) -> None:
    if settings.tls_enabled:
        url = f"https://localhost:{settings.https_port}"
        ca = settings.tls_dir / "ca.pem"
        log.info(
            "TicketSafe at %s (plain HTTP on :%s redirects); trust the local CA: %s",
            url, settings.http_port, ca.resolve(),
        )  # fmt: skip
        print(f"TicketSafe is running at {url}  (local CA: {ca.resolve()})", flush=True)
    else:
        print(f"TicketSafe is running at http://{settings.host}:{settings.http_port}", flush=True)
