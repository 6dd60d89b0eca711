"""Every listening socket of the api role takes its accept backlog from the settings
(`http_backlog`), whether uvicorn binds it or the role does (SO_REUSEPORT)."""

from __future__ import annotations

import shutil
import subprocess

from fastapi import FastAPI

from ticketsafe.infra.settings import Settings
from ticketsafe.roles.http import _reuse_port_socket, build_servers


def test_the_accept_backlog_is_bounded_by_the_settings(settings: Settings) -> None:
    bounded = settings.model_copy(update={"http_backlog": 37, "http_port": 0})  # any port
    servers = build_servers(bounded, FastAPI())
    assert [s.config.backlog for s in servers] == [37]
    if shutil.which("ss") is None:  # iproute2 shows a listening socket's backlog
        return
    sock = _reuse_port_socket(servers[0].config)
    try:
        port = sock.getsockname()[1]
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert listening[2] == "37"  # Send-Q of a listening socket: its backlog
    finally:
        sock.close()
