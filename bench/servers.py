"""Starting `ticketsafe api` processes for a benchmark: plain HTTP on loopback, sharing
one port with SO_REUSEPORT (the kernel spreads connections, as a balancer would)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.flashsale.server import wait_ready


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
    env_extra: dict[str, str], port: int, data: Path, processes: int
) -> list[subprocess.Popen[bytes]]:
    apis = [start_api(env_extra, port, data, i) for i in range(processes)]
    wait_ready(f"http://127.0.0.1:{port}")
    time.sleep(0.5 * processes)  # let every process bind before load starts
    return apis


def stop_apis(apis: list[subprocess.Popen[bytes]]) -> None:
    for api in apis:
        api.terminate()
    for api in apis:
        api.wait(15)
