"""Drive an HTTP server with concurrent clients and summarise what they saw.

Each client is a thread with its own ``requests.Session`` (so it keeps its
cookies) repeating one ``work`` function until the run ends. Only calls that
end inside the measurement window, after the warm-up, count toward rates and
latencies; every answer of the whole run counts toward failures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import requests

# a server that stops answering must not hang the bench
TIMEOUT_S = 30


@dataclass(frozen=True)
class Sample:
    """One HTTP call: what it was, when it ended, how long it took, its status."""

    name: str
    ended: float
    seconds: float
    status: int  # 0 when no answer came (connection error, timeout)


Work = Callable[[requests.Session], list[Sample]]


def timed_post(http: requests.Session, name: str, url: str,
               body: dict) -> tuple[Sample, requests.Response | None]:
    """POST ``body`` as JSON and return the sample and the response (None on error)."""
    began = time.perf_counter()
    try:
        resp = http.post(url, json=body, timeout=TIMEOUT_S)
    except requests.RequestException:
        resp = None
    ended = time.perf_counter()
    status = resp.status_code if resp is not None else 0
    return Sample(name, ended, ended - began, status), resp


@dataclass
class LoadResult:
    """The samples of one run and its measurement window."""

    samples: list[Sample]
    window: tuple[float, float]
    clients: int = 0
    wall_s: float = 0.0  # the whole run, warm-up included
    client_cpu_s: float = 0.0  # CPU the load generator used in the whole run
    server_cpu_s: float = 0.0  # CPU the server used in the whole run, if known

    def cpu_pct(self, seconds: float) -> float:
        """Return ``seconds`` of CPU as a percentage of one core over the whole run."""
        return 100 * seconds / self.wall_s if self.wall_s else float("nan")

    def _in_window(self, name: str) -> list[Sample]:
        start, end = self.window
        return [s for s in self.samples if s.name == name and start <= s.ended <= end]

    def rate(self, name: str) -> float:
        """Return completed ``name`` calls per second inside the window."""
        start, end = self.window
        return len(self._in_window(name)) / (end - start)

    def percentile_ms(self, name: str, q: float) -> float:
        """Return the ``q``-th percentile latency of ``name`` calls in ms."""
        seconds = [s.seconds for s in self._in_window(name)]
        return float(np.percentile(np.array(seconds), q)) * 1000 if seconds else float("nan")

    def failures(self) -> int:
        """Return how many calls of the whole run got no 2xx answer."""
        return sum(1 for s in self.samples if not 200 <= s.status < 300)

    def total(self) -> int:
        """Return how many calls the whole run made."""
        return len(self.samples)


def run_clients(work: Work, clients: int, warmup_s: float, duration_s: float) -> LoadResult:
    """Run ``clients`` threads repeating ``work`` for ``warmup_s + duration_s`` seconds."""
    began, cpu = time.perf_counter(), time.process_time()
    window = (began + warmup_s, began + warmup_s + duration_s)
    samples: list[Sample] = []

    def client() -> None:
        with requests.Session() as http:
            while time.perf_counter() < window[1]:
                samples.extend(work(http))  # list.extend is atomic under the GIL

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(window[1] - time.perf_counter() + 2 * TIMEOUT_S)
    return LoadResult(samples, window, clients, time.perf_counter() - began,
                      time.process_time() - cpu)
