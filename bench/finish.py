"""Measure session finish through gunicorn with full-length honest games.

The games are a person's length: 5x5 boards played to their end by the one
honest player (``tests.support.play``): a few hundred to ~1,500 moves. Each is
opened and played ahead, during the warm-up, by a browser of its own (so no
per-player limit is in the way); the measured phases only send finishes,
their bodies already serialized, so the load generator spends its CPU on
HTTP and not on playing.

Two phases: closed loop (``clients`` threads back to back: the saturation
rate, p50 and p99) and open loop (Poisson arrivals at a fixed rate; latency
runs from the scheduled send time, so a server that falls behind cannot hide
its queue). Each finish's ``X-SQL-Statements`` header and the server's CPU
time over the measured window give statements and CPU-ms per finish.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import requests

from bench.load import TIMEOUT_S
from games import get_game_type
from tests.support.play import auto_moves

log = logging.getLogger(__name__)
# the bench campaign's board: honest games of 226-1,516 moves (median ~720)
PARAMS = {"rows": 5, "cols": 5, "min_move_interval_ms": 0}
OPEN_LOOP_THREADS = 64


@dataclass(frozen=True)
class Game:
    """A session opened and played ahead: where to finish it, as whom, with what."""

    url: str
    cookie: str
    body: bytes
    moves: int


@dataclass
class FinishRun:
    """What one phase saw: latencies (s), statuses, statement counts, window, server CPU."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    moves: list[int] = field(default_factory=list)
    window_s: float = 0.0
    server_cpu_s: float = 0.0

    def rate(self) -> float:
        """Return finishes answered 2xx per second of the window."""
        ok = sum(1 for s in self.statuses if 200 <= s < 300)
        return ok / self.window_s if self.window_s else float("nan")

    def percentile_ms(self, q: float) -> float:
        """Return the ``q``-th percentile latency in ms."""
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")

    def failures(self) -> int:
        """Return the finishes that got no 2xx answer."""
        return sum(1 for s in self.statuses if not 200 <= s < 300)

    def statements_per_request(self) -> float:
        """Return the mean SQL statements per finish (the server's own count)."""
        return float(np.mean(self.statements)) if self.statements else float("nan")

    def cpu_ms_per_request(self) -> float:
        """Return the server's CPU ms per finish over the window."""
        done = len(self.statuses)
        return 1000 * self.server_cpu_s / done if done else float("nan")


def prepare(base_url: str, slug: str, count: int, threads: int = 8,
            moves: int | None = None) -> list[Game]:
    """Open ``count`` sessions, each from a new browser, and play each to its end.

    With ``moves`` each game stops after that many moves (the live bench's background).
    """
    def one(_) -> Game:
        with requests.Session() as http:
            resp = http.post(f"{base_url}/api/v1/campaigns/{slug}/sessions", json={},
                             timeout=TIMEOUT_S)
            resp.raise_for_status()
            session = resp.json()
            cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        params = get_game_type(session["game"]["type"]).validate_params(session["game"]["params"])
        log_, score = auto_moves(session["seed"], params, moves)
        body = json.dumps({"token": session["token"], "moves": log_, "client_score": score},
                          separators=(",", ":")).encode()
        return Game(f"{base_url}/api/v1/sessions/{session['session_id']}/finish", cookie,
                    body, len(log_))

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def _send(http: requests.Session, game: Game) -> tuple[int, int]:
    """Finish ``game``; return the status (0: no answer) and the statements it took."""
    try:
        resp = http.post(game.url, data=game.body, timeout=TIMEOUT_S,
                         headers={"Content-Type": "application/json", "Cookie": game.cookie})
    except requests.RequestException:
        return 0, 0
    if not 200 <= resp.status_code < 300:
        log.warning("finish answered %s: %s", resp.status_code, resp.text[:300])
    return resp.status_code, int(resp.headers.get("X-SQL-Statements", 0))


def _note(run: FinishRun, game: Game, status: int, statements: int, seconds: float) -> None:
    run.latencies.append(seconds)
    run.statuses.append(status)
    run.statements.append(statements)
    run.moves.append(game.moves)


def closed_loop(games: list[Game], clients: int, warmup_s: float, duration_s: float,
                server_cpu: Callable[[], float]) -> FinishRun:
    """Send the games back to back from ``clients`` threads; measure after the warm-up."""
    run, todo, lock = FinishRun(), iter(games), threading.Lock()
    stop, measuring = threading.Event(), threading.Event()

    def client() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                with lock:
                    game = next(todo, None)
                if game is None:
                    stop.set()
                    return
                began = time.perf_counter()
                status, statements = _send(http, game)
                if measuring.is_set() and not stop.is_set():
                    _note(run, game, status, statements, time.perf_counter() - began)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    stop.wait(warmup_s)
    measuring.set()
    began, cpu = time.perf_counter(), server_cpu()
    stop.wait(duration_s)  # ends early when the games run out
    stop.set()
    run.window_s, run.server_cpu_s = time.perf_counter() - began, server_cpu() - cpu
    if len(run.statuses) and run.window_s < duration_s:
        log.warning("closed loop ran out of games after %.1f s", run.window_s)
    for thread in threads:
        thread.join(2 * TIMEOUT_S)
    return run


def open_loop(games: list[Game], rate: float, server_cpu: Callable[[], float]) -> FinishRun:
    """Send every game at Poisson arrivals of ``rate`` per second; latency from its slot."""
    run = FinishRun()
    gaps = np.random.default_rng(15).exponential(1 / rate, len(games))
    local = threading.local()
    lock = threading.Lock()

    def work(game: Game, due: float) -> None:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        status, statements = _send(http, game)
        with lock:
            _note(run, game, status, statements, time.perf_counter() - due)

    began, cpu = time.perf_counter(), server_cpu()
    with ThreadPoolExecutor(OPEN_LOOP_THREADS) as pool:
        for game, due in zip(games, began + np.cumsum(gaps), strict=True):
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(work, game, due)
    run.window_s, run.server_cpu_s = time.perf_counter() - began, server_cpu() - cpu
    return run
