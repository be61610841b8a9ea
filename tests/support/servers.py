"""Run our own processes for live tests and the bench: gunicorn serving an app, a jobs worker.

``Process`` starts a command in the project's folder with its output in a log
file, and stops it (terminate, then kill if it lingers). ``Gunicorn`` is one
``gunicorn -k gevent -w 1`` process on 127.0.0.1 that ``start`` waits for
until it answers; ``LiveServer`` is the real app (``wsgi:app``) served so.
``bench/servers.py`` builds on the same ``Gunicorn``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "instance"


def _control_socket_args() -> list[str]:
    # recent gunicorn opens a control socket at one fixed path per user by default;
    # several live servers at once would fight over it, and tests never need it
    from gunicorn.config import KNOWN_SETTINGS

    return (["--no-control-socket"]
            if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else [])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """One child process running ``command`` in the project's folder, logging to ``log_path``.

    With ``own_group`` it runs in a process group of its own, so ``kill`` and
    ``stop`` also end what it forked (the jobs worker's scheduler), as a
    crashed machine would, instead of leaving it behind.
    """

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path,
                 stop_wait_s: float = 10.0, own_group: bool = False):
        self.command = command
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.stop_wait_s = stop_wait_s
        self.own_group = own_group
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> Self:
        """Start the process, its output going to the log file."""
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=self.own_group)
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye (the whole group with ``own_group``)."""
        if self.own_group:
            self._kill_group()
        else:
            self.proc.kill()
        self.proc.wait(10)
        self._close_log()

    def _kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the group has ended already

    def log_tail(self, chars: int = 2000) -> str:
        """Return the end of the log, to explain a failure."""
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the process gracefully, killing it if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(self.stop_wait_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.own_group:
            self._kill_group()  # whatever it forked and left behind
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Gunicorn(Process):
    """One ``gunicorn -k gevent -w 1`` process serving ``target`` on a free port of 127.0.0.1."""

    def __init__(self, target: str, env: dict[str, str], log_path: Path,
                 args: tuple[str, ...] = (), port: int | None = None):
        self.target = target
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
                          "-b", f"127.0.0.1:{self.port}", *_control_socket_args(), *args,
                          target], env, log_path)

    def start(self, timeout: float = 30.0) -> Self:
        """Start the process and wait until it answers."""
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.target} exited: {self.log_tail()}")
            try:
                requests.get(self.url + "/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.target} did not start: {self.log_tail()}")


class LiveServer(Gunicorn):
    """The real app (``wsgi:app``) in one gunicorn process, for live tests."""

    def __init__(self, env: dict[str, str], port: int | None = None):
        port = port or free_port()
        super().__init__("wsgi:app", env, LOG_DIR / f"live-{port}.log", ("--timeout", "60"),
                         port)
