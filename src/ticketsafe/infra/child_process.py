"""Supervised child processes for the embedded stores.

Each child runs in its own process group (so stopping it stops anything it spawned) and
asks the kernel to signal it if we die (PR_SET_PDEATHSIG: SIGTERM, or SIGKILL for a
server that must not depend on its own shutdown code, see `death_signal`), so a `kill -9`
of `serve` does not leave servers holding the data directory. Its pid is written to a pid
file; a child left over from a crash that escaped that net is found by it and stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("ticketsafe.embedded")

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: signal.Signals) -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class ChildProcess:
    """One long-running server process, started and stopped by us."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        workdir: Path,
        env: dict[str, str] | None = None,
        *,
        death_signal: signal.Signals = signal.SIGTERM,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.death_signal = death_signal
        self.argv = argv
        self.workdir = workdir
        self.env = env  # None: inherit ours
        self.cwd = cwd or workdir  # the operator's, for a child reading relative paths
        self.pid_file = workdir / f"{name}.pid"
        self.log_file = workdir / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
        die = functools.partial(_die_with_parent, self.death_signal)
        with self.log_file.open("ab") as log_fh:
            self._proc = subprocess.Popen(  # noqa: S603 - argv built by us, no shell
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
                preexec_fn=die,  # noqa: PLW1509 - no threads exist yet at start
            )
        self.pid_file.write_text(f"{self._proc.pid}\n{self.argv[0]}\n")
        log.info("started %s", self.name, extra={"pid": self._proc.pid})

    def wait_for_port(self, host: str, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if port_open(host, port):
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not listen on {host}:{port} in {timeout}s")

    def check_running(self) -> None:
        """RuntimeError if the process was started and has exited since."""
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self._proc.returncode}; see {self.log_file}"
            )

    def terminate(self) -> None:
        """SIGTERM without waiting: several children drain at once, then `stop` each."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s ignored SIGTERM; killing", self.name)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.pid_file.unlink(missing_ok=True)
        log.info("stopped %s", self.name, extra={"returncode": proc.returncode})

    def _stop_leftover(self) -> None:
        """Stop a server *we* started earlier (same pid file, same program) that outlived us."""
        if not self.pid_file.exists():
            return
        lines = self.pid_file.read_text().split("\n")
        try:
            pid = int(lines[0])
        except ValueError:
            self.pid_file.unlink()
            return
        program = lines[1] if len(lines) > 1 else ""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            cmdline = ""
        if cmdline and program and cmdline == program:
            log.warning("stopping leftover %s", self.name, extra={"pid": pid})
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
