"""HAProxy in front of the cluster's API processes: its configuration and its process.

The configuration is rendered from `haproxy.cfg.tmpl` into the data dir on every start.
TLS ends at the balancer, with the local CA's server certificate (`infra.tls`): HAProxy
wants the certificate and its key in one PEM file, written next to them (0600). The
API processes behind it speak plain HTTP on loopback and trust its X-Forwarded-*.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Literal

from ticketsafe.infra.child_process import ChildProcess
from ticketsafe.infra.tls import TlsFiles

Balance = Literal["leastconn", "roundrobin"]
_HAPROXY_PATHS = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")


class HAProxyMissing(RuntimeError):
    """No `haproxy` binary on this machine."""


@dataclass(frozen=True)
class Backend:
    """One API process: its server name (also its TICKETSAFE_INSTANCE_NAME) and port."""

    name: str
    port: int


@dataclass(frozen=True)
class BalancerConfig:
    bind_host: str
    https_port: int
    http_port: int
    stats_port: int
    balance: Balance
    api: list[Backend]
    holds: list[Backend]  # the hold lane; empty: holds go to the api pool

    def render(self, certificate: Path) -> str:
        template = resources.files("ticketsafe.roles").joinpath("haproxy.cfg.tmpl").read_text()
        # The hold lane falls back on the api pool (as `backup`) while every hold server
        # is down; without a lane the api pool serves holds directly.
        holds = [_server(b) for b in self.holds] + [
            _server(b, backup=bool(self.holds)) for b in self.api
        ]
        return Template(template).substitute(
            bind_host=self.bind_host,
            https_port=self.https_port,
            http_port=self.http_port,
            stats_port=self.stats_port,
            balance=self.balance,
            certificate=certificate,
            api_servers="\n".join(_server(b) for b in self.api),
            hold_servers="\n".join(holds),
        )


def _server(backend: Backend, *, backup: bool = False) -> str:
    return f"    server {backend.name} 127.0.0.1:{backend.port}" + (" backup" if backup else "")


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in _HAPROXY_PATHS if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise HAProxyMissing(
            "HAProxy is not installed: `ticketsafe cluster` needs it "
            "(Debian/Ubuntu: apt-get install haproxy)"
        )
    return found


def combined_pem(tls: TlsFiles, out: Path) -> Path:
    """The server certificate and its key in one file, as HAProxy's `crt` wants them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(tls.cert.read_bytes() + tls.key.read_bytes())
    return out


def balancer_process(config: BalancerConfig, tls: TlsFiles, directory: Path) -> ChildProcess:
    """Write the configuration under `directory` and return HAProxy's (unstarted) child;
    HAProxy checks the file first (`-c`), so a bad template fails loudly here."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate = combined_pem(tls, directory / "haproxy.pem")
    cfg = directory / "haproxy.cfg"
    cfg.write_text(config.render(certificate))
    binary = haproxy_binary()
    check = subprocess.run(  # noqa: S603 - argv built by us, no shell
        [binary, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise RuntimeError(f"HAProxy refused {cfg}: {check.stdout}{check.stderr}")
    # -db: stay in the foreground, so it is our child and dies with us.
    return ChildProcess("haproxy", [binary, "-db", "-f", str(cfg)], directory)
