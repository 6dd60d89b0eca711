"""A real Redis Cluster for tests: three Valkey primaries (`--cluster-enabled yes`) on
free loopback ports, the 16,384 slots split between them (CLUSTER ADDSLOTSRANGE) and
joined by CLUSTER MEET, so no `redis-cli` is needed. Ready in about a second."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import redis_server_binary

SLOTS = 16_384
HOST = "127.0.0.1"


@dataclass
class LocalRedisCluster:
    workdir: Path
    size: int = 3
    ports: list[int] = field(default_factory=list)
    nodes: list[ChildProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Any one node is enough: the client learns the others from it."""
        return f"redis://{HOST}:{self.ports[0]}/0"

    def start(self, timeout_s: float = 30.0, attempts: int = 3) -> None:
        """A free port can be taken by another process before a node binds it (the
        machine is shared): a node that exits at start is tried again on new ports."""
        for attempt in range(1, attempts + 1):
            try:
                self._start(timeout_s)
                return
            except RuntimeError:  # a node exited (`ChildProcess.check_running`)
                self.stop()
                if attempt == attempts:
                    raise
            except BaseException:
                self.stop()
                raise

    def _start(self, timeout_s: float) -> None:
        self.ports = [free_port() for _ in range(self.size)]
        # The bus port defaults to port + 10,000, past 65,535 for a high free port.
        bus_ports = [free_port() for _ in range(self.size)]
        for i, (port, bus_port) in enumerate(zip(self.ports, bus_ports, strict=True)):
            data = self.workdir / f"node-{i}"
            data.mkdir(parents=True, exist_ok=True)
            argv = [
                redis_server_binary(), "--port", str(port), "--bind", HOST,
                "--cluster-enabled", "yes", "--cluster-port", str(bus_port),
                "--cluster-config-file", str(data / "nodes.conf"),
                "--cluster-node-timeout", "5000", "--dir", str(data), "--save", "",
                "--appendonly", "no", "--daemonize", "no",
            ]  # fmt: skip
            node = ChildProcess(f"redis-cluster-{i}", argv, self.workdir)
            node.start()
            self.nodes.append(node)
        for node, port in zip(self.nodes, self.ports, strict=True):
            node.wait_for_port(HOST, port)
        clients = [redis.Redis(host=HOST, port=port) for port in self.ports]
        try:
            share = SLOTS // self.size
            for i, client in enumerate(clients):
                last = SLOTS - 1 if i == self.size - 1 else (i + 1) * share - 1
                client.cluster("ADDSLOTSRANGE", i * share, last)
            for port, bus_port in zip(self.ports[1:], bus_ports[1:], strict=True):
                clients[0].cluster("MEET", HOST, port, bus_port)
            self._wait_formed(clients, timeout_s)
        finally:
            for client in clients:
                client.close()

    def _wait_formed(self, clients: list[redis.Redis], timeout_s: float) -> None:
        """Every node sees every other and the whole slot range covered."""
        deadline = time.monotonic() + timeout_s
        while True:
            infos = [client.cluster("INFO") for client in clients]
            if all(
                info["cluster_state"] == "ok"
                and int(info["cluster_known_nodes"]) == self.size
                and int(info["cluster_slots_ok"]) == SLOTS
                for info in infos
            ):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Redis Cluster did not form in {timeout_s}s: {infos}")
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nodes.clear()
