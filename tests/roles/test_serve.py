"""`ticketsafe serve` as a real process: embedded stores, HTTPS, clean stop, data kept."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pymongo import MongoClient

from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.jobs import DEAD, GROUP, STREAM, Job

pytestmark = pytest.mark.slow


class ServeProcess:
    def __init__(self, data_dir: Path, api_processes: int = 1) -> None:
        self.data_dir = data_dir
        self.api_processes = api_processes
        self.https_port = free_port()
        self.http_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
            "TICKETSAFE_DATA_DIR": str(self.data_dir),
            "TICKETSAFE_HTTPS_PORT": str(self.https_port),
            "TICKETSAFE_HTTP_PORT": str(self.http_port),
            "TICKETSAFE_FRONTEND_DIR": str(self.data_dir / "no-frontend"),
            "TICKETSAFE_API_PROCESSES": str(self.api_processes),
        }
        with (self.data_dir.parent / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ticketsafe", "serve"], env=env, stdout=log, stderr=log
            )
        self.wait_ready()

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https_port}"

    def ca(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.data_dir / "tls" / "ca.pem"))

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                log = (self.data_dir.parent / "serve.log").read_text()[-3000:]
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{log}")
            try:
                r = httpx.get(f"{self.base}/readyz", verify=self.ca(), timeout=2)
                if r.status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not become ready")

    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.data_dir / "run" / "embedded.json").read_text()))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(30)
        self.proc = None
        return code


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path / "data")
    yield process
    if process.proc is not None:
        process.stop(signal.SIGKILL)


def _mongo(state: dict[str, Any]) -> MongoClient[dict[str, Any]]:
    return MongoClient(state["mongo_url"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status").read_text()
    return "State:\tZ" not in status


def _wait_gone(pids: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if _alive(p)]}"
        time.sleep(0.1)


def test_serves_https_and_keeps_data_across_restart(serve: ServeProcess) -> None:
    serve.start()
    r = httpx.get(f"{serve.base}/readyz", verify=serve.ca())
    assert r.json() == {"status": "ready", "checks": {"mongodb": "ok", "redis": "ok"}}
    assert "strict-transport-security" in r.headers
    plain = httpx.get(f"http://127.0.0.1:{serve.http_port}/healthz")
    assert plain.status_code == 308
    assert plain.headers["location"].startswith("https://127.0.0.1:")

    state = serve.state()
    with _mongo(state) as mongo:
        mongo.ticketsafe.probe.insert_one({"_id": "kept", "v": 1})
        migrations = list(mongo.ticketsafe.schema_migrations.find())
    r_client = redis.Redis.from_url(state["redis_url"])
    r_client.set("ts:probe", "kept")
    r_client.close()

    assert serve.stop() == 0
    _wait_gone(list(state["pids"].values()))
    assert not (serve.data_dir / "run" / "embedded.json").exists()

    serve.start()
    state = serve.state()
    with _mongo(state) as mongo:
        assert mongo.ticketsafe.probe.find_one({"_id": "kept"}) == {"_id": "kept", "v": 1}
        assert list(mongo.ticketsafe.schema_migrations.find()) == migrations  # not re-applied
    r_client = redis.Redis.from_url(state["redis_url"])
    assert r_client.get("ts:probe") == b"kept"
    r_client.close()
    assert serve.stop() == 0


def _sandbox_psp_pid(serve: ServeProcess) -> int:
    return int((serve.data_dir / "run" / "sandbox-psp.pid").read_text().split()[0])


def test_serve_runs_the_sandbox_psp_as_its_own_process(serve: ServeProcess) -> None:
    """Card tokens are made by the sandbox PSP's own process (reached through the
    relay on our origin), which stops with `serve`."""
    serve.start()
    pid = _sandbox_psp_pid(serve)
    assert _alive(pid)
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    r = httpx.post(f"{serve.base}/sandbox-psp/v1/tokens", json=card, verify=serve.ca())
    assert (r.status_code, r.json()["last4"]) == (201, "4242")
    assert serve.stop() == 0
    _wait_gone([pid])


def test_kill_9_leaves_no_servers_behind(serve: ServeProcess) -> None:
    serve.start()
    pids = [*serve.state()["pids"].values(), _sandbox_psp_pid(serve)]
    serve.stop(signal.SIGKILL)
    _wait_gone(pids)  # the kernel tells the children (PR_SET_PDEATHSIG)
    serve.start()  # and the data directory is usable again at once
    assert serve.stop() == 0


def test_serve_outlives_a_flush_of_redis(serve: ServeProcess) -> None:
    """FLUSHALL took the whole `serve` process down (API, worker, embedded stores) with
    the worker's `NOGROUP`. Now the worker re-creates its consumer group, runs the jobs
    sent after the flush, and the API answers throughout."""
    serve.start()
    state = serve.state()
    r_client = redis.Redis.from_url(state["redis_url"])
    try:
        r_client.flushall()
        time.sleep(3.0)  # several of the worker's reads (1 s each) on the lost group
        assert serve.proc is not None
        assert serve.proc.poll() is None, (serve.data_dir.parent / "serve.log").read_text()
        groups = r_client.xinfo_groups(STREAM)
        assert [g["name"] for g in groups] == [GROUP.encode()]
        job = Job("no.such.job", {}, attempt=5)  # dead-lettered at once: the worker ran it
        r_client.xadd(STREAM, {"job": job.encode()})
        deadline = time.monotonic() + 20
        while not r_client.xlen(DEAD) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert r_client.xlen(DEAD) == 1
    finally:
        r_client.close()
    r = httpx.get(f"{serve.base}/readyz", verify=serve.ca())
    assert r.status_code == 200
    assert serve.stop() == 0


_PID = re.compile(r'^ticketsafe_process_info\{pid="(\d+)"\}', re.MULTILINE)


def _answering_pids(serve: ServeProcess, want: int, tries: int = 200) -> set[int]:
    """The pids that answer /metrics on the one port, each request on a new connection
    (the kernel spreads connections, not requests, between SO_REUSEPORT sockets)."""
    pids: set[int] = set()
    for _ in range(tries):
        r = httpx.get(f"{serve.base}/metrics", verify=serve.ca())
        found = _PID.search(r.text)
        assert found is not None
        pids.add(int(found.group(1)))
        if len(pids) >= want:
            break
    return pids


def test_api_processes_share_the_port_and_stop_together(tmp_path: Path) -> None:
    serve = ServeProcess(tmp_path / "data", api_processes=2)
    try:
        serve.start()
        assert serve.proc is not None
        deadline = time.monotonic() + 60  # the second one may still be starting
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            pids |= _answering_pids(serve, 2, tries=20)
        assert len(pids) == 2, pids
        assert serve.proc.pid in pids  # this process (with the worker) and one child
        children = pids - {serve.proc.pid}
        # Each one is also scraped on a metrics port of its own, listed for `observe`.
        ports = json.loads((serve.data_dir / "run" / "serve.json").read_text())["metrics"]
        own = set()
        for port in ports.values():
            found = _PID.search(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
            assert found is not None
            own.add(int(found.group(1)))
        assert own == pids
        stores = list(serve.state()["pids"].values())
        assert serve.stop() == 0
        _wait_gone([*children, *stores])
    finally:
        if serve.proc is not None:
            serve.stop(signal.SIGKILL)
