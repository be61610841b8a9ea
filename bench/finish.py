"""Measure session finish throughput through gunicorn, the app, the database and Redis.

Each client opens a session, plays an honest log for the seed it was given
(about 60 moves) and finishes it; the finish call is what is measured.
"""

from __future__ import annotations

import logging

import requests

from bench.load import LoadResult, Sample, run_clients, timed_post
from games import get_game_type
from tests.support.play import auto_moves

log = logging.getLogger(__name__)
MOVES_PER_LOG = 60


def play_once(http: requests.Session, base_url: str, slug: str) -> list[Sample]:
    """Open a session, finish it with an honest log; return both calls' samples."""
    opened, resp = timed_post(http, "start", f"{base_url}/api/v1/campaigns/{slug}/sessions", {})
    if resp is None or opened.status != 201:
        log.warning("start answered %s: %s", opened.status, resp.text[:300] if resp else "")
        return [opened]
    session = resp.json()
    params = get_game_type(session["game"]["type"]).validate_params(session["game"]["params"])
    moves, score = auto_moves(session["seed"], params, MOVES_PER_LOG)
    body = {"token": session["token"], "moves": moves, "client_score": score}
    url = f"{base_url}/api/v1/sessions/{session['session_id']}/finish"
    finished, resp = timed_post(http, "finish", url, body)
    if resp is None or finished.status != 200:
        log.warning("finish answered %s: %s", finished.status, resp.text[:300] if resp else "")
    return [opened, finished]


def measure(base_url: str, slug: str, clients: int, warmup_s: float,
            duration_s: float) -> LoadResult:
    """Run ``clients`` players against the server at ``base_url`` and return the result."""
    return run_clients(lambda http: play_once(http, base_url, slug),
                       clients, warmup_s, duration_s)
