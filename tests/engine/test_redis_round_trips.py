"""A finish makes few Redis round trips, counted at redis-py's connection.

Like the SQL statement counts (``test_statement_counts``): the path is warmed
once (per-process caches fill, scripts load), then the next finish's round
trips are counted, whichever client makes them (the rate limiter, the app's
Redis, the live ranks' publisher). The counted finish is the player's new
best, so every board changes and every push is arranged. A push scheduled by
the finish runs on another thread and is not counted.
"""

from __future__ import annotations

from engine.extensions import db
from tests.factories import make_campaign
from tests.support.play import auto_moves
from tests.support.redis_calls import counted_round_trips

FAST = {"min_move_interval_ms": 0}
# two rate limits, the outlier GET, the tag markers, the boards, one my_rank publish,
# the push arrangement, the kept answer
FINISH_BUDGET = 10


def _start(client, slug):
    resp = client.post(f"/api/v1/campaigns/{slug}/sessions", json={})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _finish(client, opened, count):
    moves, score = auto_moves(opened["seed"], FAST, count=count)
    resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves, "client_score": score})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_finish_that_beats_the_best_makes_few_redis_round_trips(client):
    slug = make_campaign(game_params=FAST, plays_per_day=50,
                         draw_config={"per_day": 1, "per_play": 1}).slug
    first = _finish(client, _start(client, slug), 5)
    opened = _start(client, slug)
    db.session.remove()
    with counted_round_trips() as log:
        best = _finish(client, opened, 200)
    assert best["score"] > first["score"] and best["rank"] == 1
    assert log.trips.count(["PUBLISH"]) == 1  # the player's my_rank, every period at once
    assert len(log) <= FINISH_BUDGET, f"{len(log)} round trips:\n{log}"
