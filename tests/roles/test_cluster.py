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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.flashsale.target import TokenMinter

from tests.orders.conftest import event, venue
from ticketsafe.infra.child_process import free_port
from ticketsafe.ops.prometheus import cluster_targets
from ticketsafe.roles.balancer import HAProxyMissing, haproxy_binary

pytestmark = pytest.mark.slow

ORG = "org_cluster"


@dataclass
class RunningCluster:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    state: dict[str, Any]
    client: httpx.Client  # through the balancer, over TLS, verified against the local CA
    ca: ssl.SSLContext

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
    running = RunningCluster(proc, data_dir, state, client, ca)
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


def test_every_process_is_a_scrape_target_of_its_own(cluster: RunningCluster) -> None:
    """`ticketsafe observe` scrapes what run/cluster.json lists: api backends on their
    ports, the worker on its metrics port, HAProxy's exporter."""
    targets = {t.name: t for t in cluster_targets(cluster.state)}
    assert set(targets) == {"api-1", "api-2", "holds-1", "worker-1", "haproxy"}
    for name in ("api-1", "worker-1"):
        text = httpx.get(f"http://{targets[name].address}/metrics", timeout=5).text
        (info,) = [
            line for line in text.splitlines() if line.startswith("ticketsafe_instance_info")
        ]
        role = "worker" if name == "worker-1" else "api"
        assert f'name="{name}"' in info
        assert f'role="{role}"' in info
    haproxy = httpx.get(f"http://{targets['haproxy'].address}/metrics", timeout=5)
    assert "haproxy_process" in haproxy.text


def test_plain_http_redirects_to_the_https_port(cluster: RunningCluster) -> None:
    r = httpx.get(f"http://localhost:{cluster.state['http_port']}/healthz?x=1")
    assert r.status_code == 308
    assert r.headers["location"] == f"https://localhost:{cluster.state['https_port']}/healthz?x=1"


@dataclass
class OnSale:
    """An event on sale, set up through the balancer."""

    cluster: RunningCluster
    event_id: str

    def auth(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.cluster.token(user_id)}"}

    def hold(self, user_id: str, seat: str) -> httpx.Response:
        body = {"kind": "seats", "seat_ids": [seat]}
        return self.cluster.client.post(
            f"/events/{self.event_id}/holds", json=body, headers=self.auth(user_id)
        )

    def checkout(
        self, user_id: str, hold: dict[str, Any], key: str, client: httpx.Client | None = None
    ) -> httpx.Response:
        ticket = {"seat_id": hold["seats"][0], "ticket_type_id": "full", "holder_name": "Ana"}
        order = {
            "hold_id": hold["hold_id"],
            "payment_method": "bank_transfer",
            "buyer": {"name": "Ana Souza", "email": "ana@example.com.br"},
            "tickets": [ticket],
            "expected_total_cents": 10_000,
        }
        headers = {**self.auth(user_id), "Idempotency-Key": key}
        return (client or self.cluster.client).post("/orders", json=order, headers=headers)


@pytest.fixture(scope="module")
def on_sale(cluster: RunningCluster) -> OnSale:
    c = cluster.client
    org = {"Authorization": f"Bearer {cluster.token('usr_org', organizer_of=ORG)}"}
    r = c.post(f"/organizations/{ORG}/venues", json=venue(), headers=org)
    assert r.status_code == 201, r.text
    r = c.post(f"/organizations/{ORG}/events", json=event(r.json()["id"]), headers=org)
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    for status in ("published", "on_sale"):
        r = c.post(f"/events/{event_id}/status", json={"status": status}, headers=org)
        opened = r.status_code == 409 and r.json().get("current") == "on_sale"
        assert r.status_code == 200 or opened, r.text  # the sales clock may open it first
    # An api instance other than the one that opened the sale may answer from its view of
    # the event for up to a second (`catalog.read_models.get_sales_view`, max_age_s).
    time.sleep(1.2)
    return OnSale(cluster, event_id)


def test_a_sale_through_the_balancer_uses_the_hold_lane(on_sale: OnSale) -> None:
    r = on_sale.hold("usr_buyer", "A:r-1:s-1")
    assert r.status_code == 201, r.text
    assert r.headers["x-served-by"] == "holds-1"  # the path rule
    r = on_sale.checkout("usr_buyer", r.json(), key="cluster-1")
    assert r.status_code == 201, r.text
    assert r.headers["x-served-by"] in {"api-1", "api-2"}
    order_id = r.json()["id"]
    # Shared stores: each api instance, asked directly, sees the order.
    for name in ("api-1", "api-2"):
        seen = httpx.get(
            f"http://127.0.0.1:{on_sale.cluster.state['backends'][name]}/orders/{order_id}",
            headers=on_sale.auth("usr_buyer"),
        )
        assert (seen.status_code, seen.json()["status"]) == (200, r.json()["status"])


def test_a_killed_api_instance_loses_no_order_and_fails_no_request(on_sale: OnSale) -> None:
    """api-1 is SIGKILLed between the buyers' holds and their checkouts: the checkouts
    (and a stream of other requests) land while the balancer still counts api-1 in."""
    cluster = on_sale.cluster
    seats = [f"A:r-2:s-{n}" for n in range(1, 6)] + ["A:r-1:s-5"]
    buyers = [f"usr_k{n}" for n in range(len(seats))]
    holds = {}
    for buyer, seat in zip(buyers, seats, strict=True):
        r = on_sale.hold(buyer, seat)
        assert r.status_code == 201, r.text
        holds[buyer] = r.json()

    def buy(buyer: str) -> httpx.Response:
        """As the API's contract asks of a client: an answer lost with the killed process
        (a 502 from the balancer) is asked again with the same Idempotency-Key."""
        with httpx.Client(base_url=cluster.client.base_url, verify=cluster.ca) as own:
            for _ in range(3):
                r = on_sale.checkout(buyer, holds[buyer], key=f"kill-{buyer}", client=own)
                if r.status_code not in (409, 502, 503):
                    return r
                time.sleep(1.0)
            return r

    os.kill(cluster.pid("api-1"), signal.SIGKILL)
    with ThreadPoolExecutor(len(buyers)) as pool:
        checkouts = list(pool.map(buy, buyers))
        statuses: Counter[int] = Counter()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            statuses[cluster.client.get("/healthz").status_code] += 1
    # A refused connection is redispatched to the survivor; an answer lost in flight is
    # asked again with the same key: every buyer ends with one order.
    assert [r.status_code for r in checkouts] == [201] * len(buyers), [r.text for r in checkouts]
    assert statuses == {200: sum(statuses.values())}, statuses
    # Exactly one order per buyer, none lost, none doubled.
    for buyer, r in zip(buyers, checkouts, strict=True):
        mine = cluster.client.get("/me/orders", headers=on_sale.auth(buyer)).json()["items"]
        assert [o["id"] for o in mine] == [r.json()["id"]]
    _wait(lambda: cluster.server_status()["api-1"].startswith("DOWN"), "api-1 DOWN", 10)
    assert cluster.server_status()["api-2"] == "UP"
    after = Counter(cluster.client.get("/healthz").headers["x-served-by"] for _ in range(10))
    assert after == {"api-2": 10}


def test_a_pix_paid_at_the_sandbox_psp_reaches_the_order_through_the_balancer(
    on_sale: OnSale,
) -> None:
    """The cluster's sandbox PSP is its own process: it delivers its signed webhook to
    the public HTTPS address (the balancer, our local CA), and the order turns paid."""
    r = on_sale.hold("usr_pix", "A:r-1:s-3")
    assert r.status_code == 201, r.text
    hold = r.json()
    ticket = {"seat_id": hold["seats"][0], "ticket_type_id": "full", "holder_name": "Ana"}
    body = {
        "hold_id": hold["hold_id"], "payment_method": "pix", "tickets": [ticket],
        "buyer": {"name": "Ana Souza", "email": "ana@example.com.br"},
        "expected_total_cents": 10_000,
    }  # fmt: skip
    c = on_sale.cluster.client
    order = c.post("/orders", json=body, headers=on_sale.auth("usr_pix")).json()
    pay = c.post(order["payment"]["instructions"]["sandbox_pay_url"])
    assert pay.status_code == 200, pay.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = c.get(f"/orders/{order['id']}", headers=on_sale.auth("usr_pix")).json()
        if got["status"] == "paid":
            break
        time.sleep(0.2)
    assert (got["status"], got["payment"]["status"]) == ("paid", "captured")
