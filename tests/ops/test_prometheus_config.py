"""`ticketsafe observe` scrapes every process of what runs from the data directory: a
cluster's api backends, workers (on their metrics ports) and HAProxy, or the `serve`
process over HTTPS with the local CA; Prometheus's own checker accepts the config."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ticketsafe.infra.settings import Settings
from ticketsafe.ops.prometheus import RULES_DIR, Target, config, promtool, targets_of


def _check(tmp_path: Path, targets: list[Target]) -> str:
    path = tmp_path / "prometheus.yml"
    path.write_text(json.dumps(config(targets, sorted(RULES_DIR.glob("*.yml")))))
    result = subprocess.run(
        [promtool(), "check", "config", str(path)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return path.read_text()


def test_a_cluster_is_scraped_process_by_process(tmp_path: Path) -> None:
    run = tmp_path / "data" / "run"
    run.mkdir(parents=True)
    state = {
        "backends": {"api-1": 8101, "api-2": 8102, "holds-1": 8103},
        "metrics": {"worker-1": 9101, "worker-2": 9102},
        "stats_port": 8404,
    }
    (run / "cluster.json").write_text(json.dumps(state))
    targets = targets_of(Settings(data_dir=tmp_path / "data"))
    assert {(t.job, t.name, t.address) for t in targets} == {
        ("ticketsafe-api", "api-1", "127.0.0.1:8101"),
        ("ticketsafe-api", "api-2", "127.0.0.1:8102"),
        ("ticketsafe-api", "holds-1", "127.0.0.1:8103"),
        ("ticketsafe-worker", "worker-1", "127.0.0.1:9101"),
        ("ticketsafe-worker", "worker-2", "127.0.0.1:9102"),
        ("haproxy", "haproxy", "127.0.0.1:8404"),
    }
    _check(tmp_path, targets)


def test_serves_api_processes_are_scraped_one_by_one(tmp_path: Path) -> None:
    run = tmp_path / "data" / "run"
    run.mkdir(parents=True)
    (run / "serve.json").write_text(json.dumps({"metrics": {"api-1": 9201, "api-2": 9202}}))
    targets = targets_of(Settings(data_dir=tmp_path / "data"))
    assert {(t.job, t.name, t.address) for t in targets} == {
        ("ticketsafe-serve", "api-1", "127.0.0.1:9201"),
        ("ticketsafe-serve", "api-2", "127.0.0.1:9202"),
    }
    _check(tmp_path, targets)


def test_serve_is_scraped_over_https_with_the_local_ca(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", https_port=9443)
    (target,) = targets_of(settings)
    assert (target.scheme, target.address) == ("https", "localhost:9443")
    assert target.ca_file == settings.tls_dir / "ca.pem"
    settings.tls_dir.mkdir(parents=True)
    (settings.tls_dir / "ca.pem").write_text("")  # promtool checks the file exists
    text = _check(tmp_path, [target])
    assert str((settings.tls_dir / "ca.pem").resolve()) in text
