"""`ticketsafe cluster` as a real process: two api processes, the hold lane and a worker
behind a real HAProxy; load spread, the hold lane, a sale, and a SIGKILLed instance."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.orders.conftest import event, venue
from ticketsafe.bench.target import TokenMinter
from ticketsafe.infra.child_process import free_port
from ticketsafe.roles.balancer import HAProxyMissing, haproxy_binary

pytestmark = pytest.mark.slow

ORG = "org_cluster"


@dataclass
class RunningCluster:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    state: dict[str, Any]
    client: httpx.Client  # through the balancer, over TLS, verified against the local CA

    def pid(self, name: str) -> int:
        return int(self.state["pids"][name])

    def direct(self, name: str, path: str) -> httpx.Response:
        """`path` from one api process itself, bypassing the balancer."""
        return httpx.get(f"http://127.0.0.1:{self.state['backends'][name]}{path}", timeout=5)

    def server_status(self) -> dict[str, str]:
        """HAProxy's view of the `api` backend's servers (its stats CSV)."""
        csv = httpx.get(f"http://127.0.0.1:{self.state['stats_port']}/stats;csv", timeout=5)
        header, *rows = csv.text.lstrip("# ").splitlines()
        cols = header.split(",")
        status: dict[str, str] = {}
        for line in rows:
            row = dict(zip(cols, line.split(","), strict=False))
            if row.get("pxname") == "api" and row.get("svname") not in {"FRONTEND", "BACKEND"}:
                status[row["svname"]] = row["status"]
        return status

    def token(self, user_id: str, *, organizer_of: str | None = None) -> str:
        secret = (self.data_dir / "keys" / "auth.key").read_text().strip()
        return TokenMinter(secret).token(user_id, organizer_of=organizer_of)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCluster]:
    try:
        haproxy_binary()
    except HAProxyMissing as exc:
        pytest.fail(f"{exc}; the cluster tests need a real HAProxy")
    root = tmp_path_factory.mktemp("cluster")
    data_dir = root / "data"
    https_port, http_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_DATA_DIR": str(data_dir),
        "TICKETSAFE_HTTPS_PORT": str(https_port),
        "TICKETSAFE_HTTP_PORT": str(http_port),
        "TICKETSAFE_FRONTEND_DIR": str(root / "no-frontend"),
        "TICKETSAFE_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "ticketsafe", "cluster", "--apis", "2", "--workers", "1"]
    with (root / "cluster.log").open("ab") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    state_file = data_dir / "run" / "cluster.json"
    deadline = time.monotonic() + 120
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()  # its children go with it
            proc.wait(60)
            raise AssertionError((root / "cluster.log").read_text()[-3000:])
        time.sleep(0.2)
    state = json.loads(state_file.read_text())
    ca = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.pem"))
    client = httpx.Client(base_url=f"https://localhost:{https_port}", verify=ca)
    running = RunningCluster(proc, data_dir, state, client)
    try:
        _wait(lambda: set(running.server_status().values()) == {"UP"}, "api servers UP")
        yield running
    finally:
        client.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        assert code == 0, (root / "cluster.log").read_text()[-3000:]
        # Every child went with it: balancer, api processes, worker, stores.
        assert not [n for n, p in state["pids"].items() if _alive(int(p))], state["pids"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _healthz_count(cluster: RunningCluster, name: str) -> float:
    """How many `GET /healthz` one api process has answered, from its own /metrics."""
    for line in cluster.direct(name, "/metrics").text.splitlines():
        if line.startswith("ticketsafe_http_requests_total{") and 'route="/healthz"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_through_the_balancer_reach_every_api_instance(
    cluster: RunningCluster,
) -> None:
    before = {n: _healthz_count(cluster, n) for n in ("api-1", "api-2")}
    served = Counter(cluster.client.get("/healthz").headers["x-served-by"] for _ in range(20))
    assert set(served) == {"api-1", "api-2"}, served
    after = {n: _healthz_count(cluster, n) for n in ("api-1", "api-2")}
    # Each process counted the requests the balancer said it sent there.
    assert {n: after[n] - before[n] for n in after} == {n: served[n] for n in after}


def test_plain_http_redirects_to_the_https_port(cluster: RunningCluster) -> None:
    r = httpx.get(f"http://localhost:{cluster.state['http_port']}/healthz?x=1")
    assert r.status_code == 308
    assert r.headers["location"] == f"https://localhost:{cluster.state['https_port']}/healthz?x=1"


def test_a_sale_through_the_balancer_uses_the_hold_lane(cluster: RunningCluster) -> None:
    c = cluster.client
    org = {"Authorization": f"Bearer {cluster.token('usr_org', organizer_of=ORG)}"}
    buyer = {"Authorization": f"Bearer {cluster.token('usr_buyer')}"}
    r = c.post(f"/organizations/{ORG}/venues", json=venue(), headers=org)
    assert r.status_code == 201, r.text
    r = c.post(f"/organizations/{ORG}/events", json=event(r.json()["id"]), headers=org)
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    for status in ("published", "on_sale"):
        r = c.post(f"/events/{event_id}/status", json={"status": status}, headers=org)
        assert r.status_code == 200, r.text
    # An api instance other than the one that opened the sale may answer from its view of
    # the event for up to a second (`catalog.read_models.get_sales_view`, max_age_s).
    time.sleep(1.2)
    r = c.post(
        f"/events/{event_id}/holds",
        json={"kind": "seats", "seat_ids": ["A:r-1:s-1"]},
        headers=buyer,
    )
    assert r.status_code == 201, r.text
    assert r.headers["x-served-by"] == "holds-1"  # the path rule
    hold = r.json()
    ticket = {"seat_id": "A:r-1:s-1", "ticket_type_id": "full", "holder_name": "Ana Souza"}
    order = {
        "hold_id": hold["hold_id"],
        "payment_method": "bank_transfer",
        "buyer": {"name": "Ana Souza", "email": "ana@example.com.br"},
        "tickets": [ticket],
        "expected_total_cents": 10_000,
    }
    r = c.post("/orders", json=order, headers={**buyer, "Idempotency-Key": "cluster-1"})
    assert r.status_code == 201, r.text
    assert r.headers["x-served-by"] in {"api-1", "api-2"}
    order_id = r.json()["id"]
    # Shared stores: each api instance, asked directly, sees the order and the held seat.
    for name in ("api-1", "api-2"):
        seen = httpx.get(
            f"http://127.0.0.1:{cluster.state['backends'][name]}/orders/{order_id}",
            headers=buyer,
        )
        assert (seen.status_code, seen.json()["status"]) == (200, r.json()["status"])


def test_a_killed_api_instance_is_taken_out_and_the_service_keeps_answering(
    cluster: RunningCluster,
) -> None:
    os.kill(cluster.pid("api-1"), signal.SIGKILL)
    statuses: Counter[int] = Counter()
    served: Counter[str] = Counter()
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        r = cluster.client.get("/healthz")
        statuses[r.status_code] += 1
        served[r.headers.get("x-served-by", "?")] += 1
    # A refused connection is redispatched to the survivor: no error at all.
    assert statuses == {200: sum(statuses.values())}, statuses
    _wait(lambda: cluster.server_status()["api-1"].startswith("DOWN"), "api-1 DOWN", 10)
    assert cluster.server_status()["api-2"] == "UP"
    after = Counter(cluster.client.get("/healthz").headers["x-served-by"] for _ in range(10))
    assert after == {"api-2": 10}
