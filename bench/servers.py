"""Run a WSGI app in one gunicorn process (gevent worker) on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / "instance"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One ``gunicorn -k gevent -w 1`` process serving ``target``; a context manager."""

    def __init__(self, target: str, env: dict[str, str], log_name: str,
                 args: tuple[str, ...] = ()):
        self.target = target
        self.args = args  # more gunicorn options, e.g. ``--worker-connections``
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = LOG_DIR / log_name
        self.proc: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start the process (output to the log file) and wait until it answers."""
        LOG_DIR.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
             "-b", f"127.0.0.1:{self.port}", *self.args, self.target],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.target} exited; see {self.log_path}")
            try:
                requests.get(self.url + "/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.target} did not start; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """Return the CPU time the master and its worker have used so far (Linux /proc)."""
        if self.proc is None:
            return 0.0
        pids = [self.proc.pid, *_children(self.proc.pid)]
        return sum(_cpu_seconds(pid) for pid in pids)

    def stop(self) -> None:
        """Stop the process gracefully, killing it if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def _stat_fields(pid: int) -> list[str]:
    """Return the fields of /proc/<pid>/stat after ``pid (comm)``; empty if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _children(pid: int) -> list[int]:
    """Return the pids whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of ``pid``."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    # stat field 14 is utime, 15 stime; the list starts at field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
