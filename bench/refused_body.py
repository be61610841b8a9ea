"""Measure what the largest refused body costs the worker: a 100 MiB move log, unauthenticated.

One client streams the whole body to the finish route (no cookie needed),
as an attacker would; another probes a cheap page every few milliseconds
meanwhile. The figures: how soon the 413 comes back, and the worst probe
latency while the body is still arriving (the time the worker is blocked).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from bench.table import Row

BODY_BYTES = 100 * 1024 * 1024
CHUNK = b" " * (256 * 1024)
PROBE_EVERY_S = 0.005


@dataclass(frozen=True)
class RefusedBody:
    """How a refused body went: answer time, upload time, worst probe while it uploaded."""

    answer_ms: float
    upload_s: float
    worst_probe_ms: float
    probes: int
    status: int


def _send(host: str, port: int, answered: dict) -> float:
    """Stream the body; note when the status line arrived; return the upload seconds."""
    began = time.perf_counter()
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(b"POST /api/v1/sessions/x/finish HTTP/1.1\r\nHost: bench\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {BODY_BYTES}\r\n\r\n".encode())

        def read() -> None:
            head = sock.recv(64)
            answered["ms"] = (time.perf_counter() - began) * 1000
            answered["status"] = int(head.split()[1]) if head else 0

        reader = threading.Thread(target=read)
        reader.start()
        sent = 0
        try:
            while sent < BODY_BYTES:
                sock.sendall(CHUNK)
                sent += len(CHUNK)
        except OSError:  # the server may close once it has answered
            pass
        upload_s = time.perf_counter() - began
        reader.join(timeout=60)
    return upload_s


def measure(base_url: str) -> RefusedBody:
    """Send the body while probing ``base_url``; return the figures."""
    parts = urlsplit(base_url)
    answered: dict = {}
    done = threading.Event()
    worst, probes = [0.0], [0]

    def probe() -> None:
        http = requests.Session()
        while not done.is_set():
            began = time.perf_counter()
            http.get(base_url + "/", timeout=30)
            worst[0] = max(worst[0], (time.perf_counter() - began) * 1000)
            probes[0] += 1
            time.sleep(PROBE_EVERY_S)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        upload_s = _send(parts.hostname, parts.port, answered)
    finally:
        done.set()
        prober.join()
    return RefusedBody(answered.get("ms", float("nan")), upload_s, worst[0], probes[0],
                       answered.get("status", 0))


def rows(result: RefusedBody) -> list[Row]:
    """Return the refused-body rows."""
    label = f"refused 100 MiB move log (HTTP {result.status})"
    return [
        Row(f"{label}: answered in", result.answer_ms, "ms"),
        Row(f"{label}: worst probe while it uploads ({result.probes} probes, "
            f"{result.upload_s:.1f} s upload)", result.worst_probe_ms, "ms"),
    ]


def failures(result: RefusedBody) -> int:
    """Count a body that was not refused with 413 as a failure."""
    return 0 if result.status == 413 else 1
