"""Start a private Redis Cluster for tests: three masters from redis-server on 127.0.0.1.

A cluster has only database 0 and answers ``MOVED`` for keys of slots it does
not hold, which is what the marked tests must survive. The nodes run with no
persistence in a temporary folder and stop with the test session.
"""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path

import redis

MASTERS = 3
WAIT_S = 30.0


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(taken: list[int]) -> int:
    """Return a free port whose cluster bus port (+10000) is free too (both below 65536)."""
    while True:
        port = random.randrange(20000, 30000)
        if port not in taken and _free(port) and _free(port + 10000):
            return port


def _ask(port: int, *command):
    client = redis.Redis(port=port, decode_responses=True)
    try:
        return client.execute_command(*command)
    finally:
        client.close()


class LocalCluster:
    """Three cluster-enabled redis-server processes joined into one cluster."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        """Return the URL of one node (a cluster client finds the others)."""
        return f"redis://127.0.0.1:{self.ports[0]}"

    def start(self) -> LocalCluster:
        """Start the nodes, assign the slots, and wait until the cluster answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports = []
        for _ in range(MASTERS):
            self.ports.append(_free_port(self.ports))
        for port in self.ports:
            self.processes.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
                 "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir), "--logfile", f"node-{port}.log"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            self._wait(lambda p=port: _ask(p, "PING"))
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{port}" for port in self.ports),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=WAIT_S)
        for port in self.ports:
            self._wait(lambda p=port: "cluster_state:ok" in _ask(p, "CLUSTER", "INFO"))
        return self

    def stop(self) -> None:
        """Stop every node."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    @staticmethod
    def _wait(ready) -> None:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                if ready():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the local Redis Cluster did not come up")
            time.sleep(0.1)
