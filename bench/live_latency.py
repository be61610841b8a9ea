"""Measure how long a score takes to reach 1,000 Socket.IO clients watching its board.

Every watcher is a browser of its own: one ``GET /c/<slug>`` gives it a player
cookie, then a python-socketio ``AsyncClient`` (all of them on one asyncio
loop: a thread each would be far too heavy) joins the campaign's ``all``
room. A submitter thread then finishes games over HTTP, one new player each,
spaced apart so that each score gets a push of its own; every score is made
unique so a push that lists it is unmistakable. A latency runs from sending
the finish call to a watcher's receiving the first ``leaderboard`` push
whose entries hold that score: it includes the finish call itself, the
coalescing wait (``LIVE_PUSH_INTERVAL_MS``), the fan-out and the client's
own decoding on a loop shared with 999 others.

To tell the server's part from the load generator's, one more watcher, the
probe, runs alone in a process of its own and joins first (so it is first in
the room's fan-out): its latency is the finish call, the coalescing wait and
the server's emit, without 999 other clients' decoding queued in front of
it. The server's and the load generator's CPU over the run say which side
was short of CPU.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import requests
import socketio

from bench import finish
from bench.table import Row
from engine.config import load_config
from games import get_game_type
from tests.support.play import auto_moves

log = logging.getLogger(__name__)
NAMESPACE = "/live"
CLIENTS = 1000
SUBMITS = 15
SPACING_S = 0.4
CONNECT_AT_ONCE = 50  # handshakes in flight; the rest queue
WAIT_S = 30.0
DRAIN_S = 10.0  # how long the last push may take to reach everyone
MOVES = 60
# other players' finishes landing meanwhile: the room is never quiet, so pushes coalesce
BACKGROUND_RATE = 200
# and once more at a rate one process sustains beside 1,000 sockets: the push itself
SUSTAINED_RATE = 20
BACKGROUND_MOVES = 8  # short games: small scores, far below the measured ones
# the server holds every socket in one gevent pool: room for the watchers and the rest
WORKER_CONNECTIONS = 4000
PUSH_INTERVAL_MS = load_config({})["LIVE_PUSH_INTERVAL_MS"]  # the default, pinned for the run


@dataclass(frozen=True)
class Submit:
    """One finished game: when its finish call was sent, its score, its answer."""

    sent: float
    score: int
    status: int
    finish_s: float


@dataclass
class LiveResult:
    """What the watchers saw of the submits."""

    wanted: int  # clients asked for
    connected: int  # clients that connected and got the join answer
    submits: list[Submit]
    latencies_ms: list[float]
    complete: int  # connected clients that received a push for every submit
    phases: dict[str, float] = field(default_factory=dict)  # seconds each step took
    probe_ms: list[float] = field(default_factory=list)  # the lone watcher's latencies
    cpu_pct: dict[str, float] = field(default_factory=dict)  # server, load generator
    background_rate: float = BACKGROUND_RATE  # other players' finishes per second offered

    def percentile_ms(self, q: float) -> float:
        """Return the ``q``-th percentile over every (client, submit) pair received."""
        if not self.latencies_ms:
            return float("nan")
        return float(np.percentile(np.array(self.latencies_ms), q))

    def probe_percentile_ms(self, q: float) -> float:
        """Return the ``q``-th percentile of the probe's latencies."""
        return float(np.percentile(self.probe_ms, q)) if self.probe_ms else float("nan")

    def failed_submits(self) -> int:
        """Return how many finish calls got no 200."""
        return sum(1 for s in self.submits if s.status != 200)


@dataclass
class Watcher:
    """One Socket.IO client on ``/live`` noting when each board version arrives."""

    cookie: str
    boards: dict[int, frozenset[int]]  # version -> scores listed, shared by all watchers
    seen: list[tuple[float, int]] = field(default_factory=list)
    joined: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("leaderboard", self._on_board, namespace=NAMESPACE)

    def _on_board(self, board: dict) -> None:
        now = time.monotonic()
        if not self.joined.is_set():  # the join answer: the board as it was, not a push
            self.joined.set()
            return
        version = board["version"]
        self.seen.append((now, version))
        if version not in self.boards:
            self.boards[version] = frozenset(e["score"] for e in board["entries"])

    async def start(self, url: str, slug: str) -> None:
        """Connect with the player's cookie, join the board, wait for its answer."""
        await self.sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                               headers={"Cookie": self.cookie}, wait_timeout=WAIT_S)
        await self.sio.emit("join", {"campaign": slug, "period": "all"}, namespace=NAMESPACE)
        await asyncio.wait_for(self.joined.wait(), WAIT_S)

    def latencies(self, submits: list[Submit]) -> list[float | None]:
        """Return, per submit, seconds from its finish call to the first push listing it."""
        found: list[float | None] = []
        for submit in submits:
            got = next((t for t, v in self.seen if submit.score in self.boards[v]), None)
            found.append(None if got is None else got - submit.sent)
        return found


def player_cookie(base_url: str, slug: str) -> str:
    """Open the play page as a new browser; return its Cookie header."""
    with requests.Session() as http:
        resp = http.get(f"{base_url}/c/{slug}", timeout=WAIT_S)
        resp.raise_for_status()
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def player_cookies(base_url: str, slug: str, count: int) -> list[str]:
    """Return ``count`` cookies of distinct new players of the campaign's brand."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: player_cookie(base_url, slug), range(count)))


def unique_log(session: dict, used: set[int]) -> tuple[list[dict], int]:
    """Return an honest log for ``session`` whose score no earlier submit had."""
    params = get_game_type(session["game"]["type"]).validate_params(session["game"]["params"])
    for count in range(MOVES, 0, -1):
        moves, score = auto_moves(session["seed"], params, count)
        if score > 0 and score not in used:
            used.add(score)
            return moves, score
    raise RuntimeError("no unique score in this seed")


def submit_once(base_url: str, slug: str, used: set[int], at: float) -> Submit:
    """Open a game as a new player, then at ``at`` finish it; return the submit."""
    with requests.Session() as http:
        resp = http.post(f"{base_url}/api/v1/campaigns/{slug}/sessions", json={},
                         timeout=WAIT_S)
        resp.raise_for_status()
        session = resp.json()
        moves, score = unique_log(session, used)
        time.sleep(max(0.0, at - time.monotonic()))
        sent = time.monotonic()
        resp = http.post(f"{base_url}/api/v1/sessions/{session['session_id']}/finish",
                         json={"token": session["token"], "moves": moves, "client_score": score},
                         timeout=WAIT_S)
        return Submit(sent, score, resp.status_code, time.monotonic() - sent)


def probe(url: str, slug: str, cookie: str, ready, stop, out) -> None:
    """Watch the board alone in this process; put (received, scores) per push on ``out``.

    Runs in a process of its own (``multiprocessing`` spawn): ``ready`` is set
    once it has joined, and it watches until ``stop`` is set.
    """
    seen: list[tuple[float, list[int]]] = []
    state = {"joined": False}
    sio = socketio.Client(reconnection=False)

    def on_board(board: dict) -> None:
        now = time.monotonic()
        if not state["joined"]:
            state["joined"] = True
            return
        seen.append((now, [e["score"] for e in board["entries"]]))

    sio.on("leaderboard", on_board, namespace=NAMESPACE)
    try:
        sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                    headers={"Cookie": cookie}, wait_timeout=WAIT_S)
        sio.emit("join", {"campaign": slug, "period": "all"}, namespace=NAMESPACE)
        deadline = time.monotonic() + WAIT_S
        while not state["joined"] and time.monotonic() < deadline:
            time.sleep(0.01)
        ready.set()
        stop.wait(10 * WAIT_S)
    finally:
        ready.set()
        sio.disconnect()
        out.put(seen)


def probe_latencies(seen: list[tuple[float, list[int]]], submits: list[Submit]) -> list[float]:
    """Return the probe's ms from each submit's finish call to the first push listing it."""
    found = []
    for submit in submits:
        got = next((t for t, scores in seen if submit.score in scores), None)
        if got is not None:
            found.append(1000 * (got - submit.sent))
    return found


def submit_scores(base_url: str, slug: str, count: int, spacing_s: float) -> list[Submit]:
    """Finish ``count`` games of new players, one every ``spacing_s`` seconds."""
    used: set[int] = set()
    began = time.monotonic() + spacing_s
    return [submit_once(base_url, slug, used, began + i * spacing_s) for i in range(count)]


async def connect_all(url: str, slug: str, cookies: list[str]) -> list[Watcher]:
    """Connect and join one watcher per cookie; return those that made it."""
    boards: dict[int, frozenset[int]] = {}
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def connect(cookie: str) -> Watcher | None:
        watcher = Watcher(cookie, boards)
        async with gate:
            try:
                await watcher.start(url, slug)
                return watcher
            except (socketio.exceptions.SocketIOError, TimeoutError, OSError) as exc:
                log.warning("watcher did not join: %r", exc)
                await watcher.sio.disconnect()
                return None

    joined = await asyncio.gather(*(connect(cookie) for cookie in cookies))
    return [w for w in joined if w is not None]


async def drain(watchers: list[Watcher], last: Submit) -> None:
    """Wait until every watcher has a push listing ``last``, or ``DRAIN_S`` passed."""
    deadline = time.monotonic() + DRAIN_S
    boards = watchers[0].boards if watchers else {}
    while time.monotonic() < deadline:
        listing = [v for v, scores in boards.items() if last.score in scores]
        if listing and all(w.seen and w.seen[-1][1] >= min(listing) for w in watchers):
            return
        await asyncio.sleep(0.1)


async def watch(url: str, slug: str, cookies: list[str], submits: int,
                background: list[finish.Game], background_rate: float,
                server_cpu: Callable[[], float] | None = None) -> LiveResult:
    """Connect the probe and the watchers, submit scores from a thread (others' finishes
    landing at ``background_rate`` per second meanwhile), and gather the latencies."""
    spawn = multiprocessing.get_context("spawn")
    ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    lone = spawn.Process(target=probe, args=(url, slug, cookies[0], ready, stop, out))
    lone.start()
    await asyncio.to_thread(ready.wait, 2 * WAIT_S)
    marks = [time.monotonic()]
    watchers = await connect_all(url, slug, cookies[1:])
    marks.append(time.monotonic())
    cpu_before = (server_cpu() if server_cpu else 0.0), _own_cpu_s()
    try:
        others = asyncio.create_task(asyncio.to_thread(
            finish.open_loop, background, background_rate, lambda: 0.0))
        sent = await asyncio.to_thread(submit_scores, url, slug, submits, SPACING_S)
        await drain(watchers, sent[-1])
        busy = await others
        log.info("background finishes: %d at %.0f/s answered, %d failed",
                 len(busy.statuses), busy.rate(), busy.failures())
    finally:
        marks.append(time.monotonic())
        window = marks[-1] - marks[-2]
        cpu = {"load generator": 100 * (_own_cpu_s() - cpu_before[1]) / window}
        if server_cpu:
            cpu["server"] = 100 * (server_cpu() - cpu_before[0]) / window
        stop.set()
        try:
            seen = await asyncio.to_thread(out.get, True, WAIT_S)
        except queue.Empty:  # the probe died: the watchers' figures stand alone
            log.warning("the probe watcher sent nothing back")
            seen = []
        lone.join(WAIT_S)
        await asyncio.gather(*(w.sio.disconnect() for w in watchers))
    marks.append(time.monotonic())
    phases = dict(zip(("connect", "submit", "disconnect"), np.diff(marks).tolist(), strict=True))
    result = summarise(watchers, sent, len(cookies) - 1, phases)
    result.probe_ms, result.cpu_pct = probe_latencies(seen, sent), cpu
    result.background_rate = background_rate
    log.info("probe (one watcher, own process) p50 %.0f ms, p99 %.0f ms; CPU %s",
             result.probe_percentile_ms(50), result.probe_percentile_ms(99),
             {k: round(v) for k, v in cpu.items()})
    return result


def _own_cpu_s() -> float:
    """Return this process's CPU seconds so far (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summarise(watchers: list[Watcher], sent: list[Submit], wanted: int,
              phases: dict[str, float]) -> LiveResult:
    """Return the latencies of every (watcher, submit) pair; log each submit's fan-out."""
    per_client = [w.latencies(sent) for w in watchers]
    for i, submit in enumerate(sent):
        got = [row[i] for row in per_client if row[i] is not None]
        if got:  # first and last client apart: how long the fan-out took
            log.info("submit %d: finish %.0f ms; push reached first client at %.0f ms, "
                     "last at %.0f ms", i, 1000 * submit.finish_s, 1000 * min(got),
                     1000 * max(got))
    latencies = [1000 * s for row in per_client for s in row if s is not None]
    complete = sum(1 for row in per_client if all(s is not None for s in row))
    return LiveResult(wanted, len(watchers), sent, latencies, complete, phases)


def measure(base_url: str, slug: str, clients: int = CLIENTS, submits: int = SUBMITS,
            server_cpu: Callable[[], float] | None = None,
            background_rate: float = BACKGROUND_RATE) -> LiveResult:
    """Watch ``slug``'s board with ``clients`` clients while ``submits`` scores land.

    Other players' short finishes land at ``background_rate`` per second
    meanwhile; ``server_cpu`` reads the server's CPU seconds, for its share
    of the run.
    """
    began = time.monotonic()
    cookies = player_cookies(base_url, slug, clients + 1)  # the probe's first
    background = finish.prepare(base_url, slug, int(background_rate * (submits + 2) * SPACING_S),
                                moves=BACKGROUND_MOVES)
    cookies_s = time.monotonic() - began
    result = asyncio.run(watch(base_url, slug, cookies, submits, background, background_rate,
                               server_cpu))
    result.phases["cookies"] = cookies_s
    log.info("live bench phases (s): %s", {k: round(v, 1) for k, v in result.phases.items()})
    return result


def rows(result: LiveResult) -> list[Row]:
    """Return the latency rows and how many clients saw every push."""
    figure = (f"submit-to-client {{}} ({result.connected:,} Socket.IO clients, 1 gevent "
              f"process, others finishing at {result.background_rate:g}/s)")
    unit = f"ms, finish sent to push received (leading edge, then per {PUSH_INTERVAL_MS} ms)"
    return [
        Row(figure.format("p50"), result.percentile_ms(50), unit),
        Row(figure.format("p99"), result.percentile_ms(99), unit, 300, "target"),
        Row("submit-to-probe p99 (1 more watcher alone in its own process, first in the room)",
            result.probe_percentile_ms(99), "ms: the server's part, no client queue in front"),
        Row("live run CPU: the load generator's process (watchers, submitters)",
            result.cpu_pct.get("load generator", float("nan")), "% of one core",
            result.cpu_pct.get("server", float("nan")), "server"),
        Row(f"clients that received every push ({len(result.submits)} submits "
            f"{SPACING_S:g} s apart)", result.complete,
            f"of {result.connected:,} connected ({result.wanted:,} tried)"),
    ]


def sustained_rows(result: LiveResult) -> list[Row]:
    """Return the rows of the run at ``SUSTAINED_RATE``: the push when the CPU is not short."""
    rate = f"{result.background_rate:g}/s"
    return [
        Row(f"submit-to-client p99 at {rate} ({result.connected:,} Socket.IO clients, "
            f"{result.complete:,} saw every push)", result.percentile_ms(99),
            "ms, finish sent to push received", 300, "target"),
        Row(f"submit-to-probe p99 at {rate} (the lone watcher: the server's part)",
            result.probe_percentile_ms(99), "ms"),
    ]
