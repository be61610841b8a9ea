"""A finish makes few Redis round trips, counted at redis-py's connection.

Like the SQL statement counts (``test_statement_counts``): the path is warmed
once (per-process caches fill, scripts load), then the next finish's round
trips are counted, whichever client makes them (the rate limiter, the app's
Redis, the live ranks' publisher). The counted finish is the player's new
best, so every board changes and every push is arranged. A push scheduled by
the finish runs on another thread and is not counted. It runs on the Redis
Cluster too (``-m cluster``): there the campaign's pipeline goes to its slot's
node and the publish to the queues' plain Redis.
"""

from __future__ import annotations

import pytest

from engine import keys
from engine.extensions import db, redis_store
from tests.factories import make_campaign
from tests.support.play import auto_moves
from tests.support.redis_calls import counted_round_trips

pytestmark = pytest.mark.cluster
FAST = {"min_move_interval_ms": 0}
# two rate limits, the outlier GET, the tag markers, the boards (no SCRIPT EXISTS first),
# and one campaign pipeline: the push arrangement, the kept answer, the my_rank publish
# (the message queue is the app's Redis here; apart from it, the publish is one more)
FINISH_BUDGET = 6


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
    campaign = make_campaign(game_params=FAST, plays_per_day=50,
                             draw_config={"per_day": 1, "per_play": 1})
    campaign_id, slug = campaign.id, campaign.slug
    first = _finish(client, _start(client, slug), 5)
    opened = _start(client, slug)
    db.session.remove()
    with counted_round_trips() as log:
        best = _finish(client, opened, 200)
    assert best["score"] > first["score"] and best["rank"] == 1
    # the player's my_rank, every period at once
    assert sum(trip.count("PUBLISH") for trip in log.trips) == 1, str(log)
    budget = FINISH_BUDGET + (0 if redis_store.queue_is_app_redis else 1)
    assert len(log) <= budget, f"{len(log)} round trips:\n{log}"
    # the answer kept for a retry rode the campaign's pipeline
    assert redis_store.r.get(keys.finish_result(campaign_id, opened["session_id"]))
