"""The sandbox PSP as a child process on a free loopback port, for `serve`, `cluster`,
the bench's deployment and the test fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

from ticketsafe.infra.child_process import ChildProcess, free_port


class SandboxPspProcess:
    """`python -m ticketsafe.sandbox_psp`, its webhook secret handed over in a file (not
    on the command line, which any local user can read)."""

    def __init__(self, workdir: Path, webhook_secret: str, *, ca_file: Path | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        secret_file = workdir / "sandbox-psp-webhook.key"
        argv = [
            sys.executable, "-m", "ticketsafe.sandbox_psp", "--host", "127.0.0.1",
            "--port", str(self.port), "--webhook-secret-file", str(secret_file),
        ]  # fmt: skip
        if ca_file is not None and ca_file.exists():
            argv += ["--ca-file", str(ca_file)]
        self._secret = webhook_secret
        self._secret_file = secret_file
        self.child = ChildProcess("sandbox-psp", argv, workdir)

    @property
    def pid(self) -> int | None:
        return self.child.pid

    def start(self) -> str:
        """Start it and wait until it listens; returns its base URL."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._secret_file.touch(mode=0o600)
        self._secret_file.write_text(self._secret)
        self.child.start()
        self.child.wait_for_port("127.0.0.1", self.port)
        return self.url

    def stop(self) -> None:
        self.child.stop()
