"""The HAProxy configuration `ticketsafe cluster` renders, checked by HAProxy itself."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from ticketsafe.infra.tls import ensure_local_tls
from ticketsafe.roles import balancer
from ticketsafe.roles.balancer import Backend, BalancerConfig, HAProxyMissing, balancer_process


def _config(*, holds: bool, algorithm: balancer.Balance = "leastconn") -> BalancerConfig:
    return BalancerConfig(
        bind_host="127.0.0.1",
        https_port=18443,
        http_port=18080,
        stats_port=18404,
        balance=algorithm,
        api=[Backend("api-1", 20001), Backend("api-2", 20002)],
        holds=[Backend("holds-1", 20003)] if holds else [],
    )


@pytest.mark.parametrize("algorithm", ["leastconn", "roundrobin"])
def test_haproxy_accepts_the_rendered_configuration(
    tmp_path: Path, algorithm: balancer.Balance
) -> None:
    tls = ensure_local_tls(tmp_path / "tls", ["localhost"])
    child = balancer_process(_config(holds=True, algorithm=algorithm), tls, tmp_path / "lb")
    cfg = (tmp_path / "lb" / "haproxy.cfg").read_text()
    assert f"balance {algorithm}" in cfg
    assert child.argv[-1] == str(tmp_path / "lb" / "haproxy.cfg")
    pem = (tmp_path / "lb" / "haproxy.pem").read_bytes()
    assert b"CERTIFICATE" in pem
    assert b"PRIVATE KEY" in pem
    assert (tmp_path / "lb" / "haproxy.pem").stat().st_mode & 0o077 == 0


def test_a_broken_configuration_is_refused_before_start(tmp_path: Path) -> None:
    tls = ensure_local_tls(tmp_path / "tls", ["localhost"])
    config = _config(holds=True)
    broken = dataclasses.replace(config, balance="fastest")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="HAProxy refused"):
        balancer_process(broken, tls, tmp_path / "lb")


def test_holds_fall_back_on_the_api_pool_and_without_a_lane_go_to_it() -> None:
    cert = Path("/nonexistent.pem")
    lane = _config(holds=True).render(cert).split("backend api_holds", 1)[1]
    assert "server holds-1 127.0.0.1:20003\n" in lane
    assert "server api-1 127.0.0.1:20001 backup" in lane
    no_lane = _config(holds=False).render(cert).split("backend api_holds", 1)[1]
    assert "server api-1 127.0.0.1:20001\n" in no_lane
    assert "backup" not in no_lane


def test_a_missing_haproxy_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(balancer, "_HAPROXY_PATHS", (str(tmp_path / "haproxy"),))
    with pytest.raises(HAProxyMissing, match="apt-get install haproxy"):
        balancer.haproxy_binary()


def test_cluster_command_reports_a_missing_haproxy(tmp_path: Path) -> None:
    """The command fails with the message and status 2, before starting anything."""
    code = (
        "import sys; from ticketsafe.roles import balancer;"
        f"balancer._HAPROXY_PATHS = ({str(tmp_path / 'haproxy')!r},);"
        "from ticketsafe.cli import cli; sys.argv = ['ticketsafe', 'cluster'];"
        "cli()"
    )
    env = {"PATH": str(tmp_path), "TICKETSAFE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "apt-get install haproxy" in done.stderr
    assert not (tmp_path / "data" / "run").exists()  # no store was started
