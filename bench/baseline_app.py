"""A minimal Flask+Redis app: the floor our finish endpoint is compared with.

``POST /score`` parses a JSON body, does one ZADD and one ZREVRANK, and
answers JSON: what any leaderboard write costs with no app around it.
Served as ``gunicorn -k gevent -w 1 bench.baseline_app:app`` with
``REDIS_URL`` in the environment.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, jsonify, request

BOARD_KEY = "bench:baseline:board"

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/")
def health():
    """Answer that the server is up."""
    return "ok"


@app.post("/score")
def score():
    """Put the posted score on the board and answer the member's 1-based rank."""
    body = request.get_json()
    member, value = str(body["member"]), int(body["score"])
    store.zadd(BOARD_KEY, {member: value})
    rank = store.zrevrank(BOARD_KEY, member)
    return jsonify(member=member, score=value, rank=None if rank is None else rank + 1)
