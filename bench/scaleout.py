"""Purchase throughput with 1, 2, 3 ... API instances behind HAProxy (issue 32).

    PYTHONPATH=. nice -n 10 uv run python bench/scaleout.py [--apis 1 2 3]
        [--preset smoke] [--loaders 2] [--out bench/out/scaleout.json]

For each count, starts `ticketsafe cluster` in this process (`roles.cluster.Cluster`:
embedded SecantusDB with `--sync-on-commit` and Valkey, one `ticketsafe worker`, N
`ticketsafe api` on loopback ports of their own, HAProxy `balance leastconn` ending TLS
in front; no hold lane, so N is every API process there is), then plays the flash-sale
bench's sale (`bench.flashsale.main.run`, as `python -m bench.flashsale --url` does) through
HAProxy's HTTPS port. Unlike a remote `--url` run, the bench sees the deployment's
processes (balancer, apis, worker, stores), so the report's CPU per paid order covers
them all, per process. Prints one JSON line per count and writes them all to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.flashsale import http
from bench.flashsale.flow import PRESETS
from bench.flashsale.main import run
from bench.flashsale.target import TOKEN_TTL_S, Remote, TokenMinter
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.settings import Settings
from ticketsafe.roles.cluster import Cluster, ClusterPlan


@dataclass
class ClusterTarget(Remote):
    """A cluster this script started: a remote deployment whose processes it can see."""

    cluster: Cluster | None = None

    def pids(self) -> dict[str, int]:
        assert self.cluster is not None
        return {c.name: c.pid for c in self.cluster.children() if c.pid is not None}

    def check_running(self) -> None:
        assert self.cluster is not None
        self.cluster.check_running()


def _cluster_env(data_dir: Path, secret: str) -> dict[str, str]:
    """The deployment's settings, as `bench.server.Deployment` gives its own: the crowd
    comes from one address, so the per-IP limits are raised (per-account ones stay)."""
    return {
        "TICKETSAFE_DATA_DIR": str(data_dir),
        "TICKETSAFE_AUTH_SECRET": secret,
        "TICKETSAFE_HTTPS_PORT": str(free_port()),
        "TICKETSAFE_HTTP_PORT": str(free_port()),
        "TICKETSAFE_LOG_LEVEL": "WARNING",
        "TICKETSAFE_ACCESS_TOKEN_TTL_S": str(TOKEN_TTL_S),
        "TICKETSAFE_DEMO_DATA": "false",
        "TICKETSAFE_RATE_LIMITS__CHALLENGE_PER_IP": "1000000/60/250000",
        "TICKETSAFE_RATE_LIMITS__CARD_TOKENIZATIONS_PER_IP": "1000000/60/333333",
    }


def measure(apis: int, preset: str, loaders: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="ticketsafe-scaleout-"))
    secret = secrets.token_urlsafe(48)
    os.environ.update(_cluster_env(data_dir, secret))  # the children inherit them
    settings = Settings()
    cluster = Cluster(settings, ClusterPlan(apis=apis, workers=1, hold_lane=False))
    cluster.start()
    try:
        endpoint = http.Endpoint.from_url(cluster.url, ca_file=settings.tls_dir / "ca.pem")
        target = ClusterTarget(endpoint, TokenMinter(secret), api_processes=apis, cluster=cluster)
        result, _ = run(PRESETS[preset], faults=False, loaders=loaders, remote=target)
    finally:
        cluster.stop()
    cpu = result.get("on_sale_cpu") or {}
    inv = result["invariants"]
    return {
        "apis": apis,
        "preset": preset,
        "tickets_per_s": result["tickets_per_s"],
        "orders_per_s": result["orders_per_s"],
        "orders_paid": result["orders_paid"],
        "healthz_req_per_s": result["trivial"]["req_per_s"],
        "cpu_ms_per_paid_order": cpu.get("ms_per_order"),
        "deployment_cpu_ms_per_paid_order": cpu.get("deployment_ms_per_order"),
        "tickets_per_paid_order": round(cpu["tickets_sold"] / cpu["orders_paid"], 2)
        if cpu.get("orders_paid")
        else None,
        "cpu_ms_per_order_by_process": {
            name: p["ms_per_order"] for name, p in (cpu.get("processes") or {}).items()
        },
        "on_sale_window_s": cpu.get("window_s"),
        "on_sale_cores_used": cpu.get("cores_used"),
        "on_sale_cores_by_process": {
            name: p["cores"] for name, p in (cpu.get("processes") or {}).items()
        },
        "machine_load_1m": os.getloadavg()[0],
        "oversold": inv["oversold"],
        "double_sold": inv["double_sold"],
        "lost_orders": inv["lost_orders"],
        "wall_s": result.get("wall_s"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apis", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--preset", default="smoke", choices=sorted(PRESETS))
    parser.add_argument("--loaders", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out/scaleout.json"))
    args = parser.parse_args()
    rows = []
    for apis in args.apis:
        row = measure(apis, args.preset, args.loaders)
        print(json.dumps(row), flush=True)
        rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
