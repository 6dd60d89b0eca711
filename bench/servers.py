"""Starting `ticketsafe api` processes for a benchmark: plain HTTP on loopback, sharing
one port with SO_REUSEPORT (the kernel spreads connections, as a balancer would), beside
embedded stores in a temporary folder (`bench_stack`: the set-up and tear-down every
HTTP benchmark runs around its load)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.flashsale.server import wait_ready
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.settings import Settings


def start_api(
    env_extra: dict[str, str], port: int, data: Path, index: int = 0,
    preexec: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_TLS_ENABLED": "false",
        "TICKETSAFE_HTTP_PORT": str(port),
        "TICKETSAFE_HTTP_REUSE_PORT": "true",
        "TICKETSAFE_LOG_LEVEL": "WARNING",
        "TICKETSAFE_DATA_DIR": str(data),
        **env_extra,
    }
    log = (data / f"api-{index}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "ticketsafe", "api"],
        env=env,
        stdout=log,
        stderr=log,
        preexec_fn=preexec,  # noqa: PLW1509 - no threads exist yet at start
    )


def start_apis(
    env_extra: dict[str, str], port: int, data: Path, processes: int,
    *, ca_file: Path | None = None,
) -> list[subprocess.Popen[bytes]]:  # fmt: skip
    """`processes` api processes on `port`; HTTPS when `ca_file` (the CA of the
    certificate they serve, `TICKETSAFE_TLS_ENABLED=true` in `env_extra`) is given."""
    apis = [start_api(env_extra, port, data, i) for i in range(processes)]
    scheme, host = ("https", "localhost") if ca_file else ("http", "127.0.0.1")
    wait_ready(f"{scheme}://{host}:{port}", ca_file=ca_file)
    time.sleep(0.5 * processes)  # let every process bind before load starts
    return apis


def stop_apis(apis: list[subprocess.Popen[bytes]]) -> None:
    for api in apis:
        api.terminate()
    for api in apis:
        api.wait(15)


def store_settings(stores: EmbeddedStores, secret: str, **extra: Any) -> Settings:
    """Settings for a benchmark's own in-process work (provisioning) against `stores`."""
    assert stores.mongo_url
    assert stores.redis_url
    return Settings(
        mongo_url=SecretStr(stores.mongo_url), redis_url=SecretStr(stores.redis_url),
        auth_secret=SecretStr(secret), **extra,
    )  # fmt: skip


@dataclass
class BenchStack:
    """Embedded stores in `data`, and the api processes a benchmark starts against them."""

    data: Path
    stores: EmbeddedStores
    secret: str
    apis: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def settings(self, **extra: Any) -> Settings:
        return store_settings(self.stores, self.secret, **extra)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of an api process: the stores, the secret, then `extra`."""
        assert self.stores.mongo_url
        assert self.stores.redis_url
        return {
            "TICKETSAFE_MONGO_URL": self.stores.mongo_url,
            "TICKETSAFE_REDIS_URL": self.stores.redis_url,
            "TICKETSAFE_AUTH_SECRET": self.secret,
            **extra,
        }

    def start_apis(
        self, port: int, processes: int, env_extra: dict[str, str] | None = None,
        *, ca_file: Path | None = None,
    ) -> list[subprocess.Popen[bytes]]:  # fmt: skip
        env = self.env(**(env_extra or {}))
        self.apis = start_apis(env, port, self.data, processes, ca_file=ca_file)
        return self.apis

    def stop_apis(self) -> None:
        stop_apis(self.apis)
        self.apis = []


@contextmanager
def bench_stack(secret: str, *, durable: bool = True) -> Iterator[BenchStack]:
    """Embedded stores in a temporary folder, stopped (and any api still running) on exit."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        stores = EmbeddedStores(data / "stores", durable=durable)
        stores.start()
        stack = BenchStack(data, stores, secret)
        try:
            yield stack
        finally:
            stack.stop_apis()
            stores.stop()
