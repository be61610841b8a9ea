"""A finished session keeps its game's metrics and its compressed input log with the score."""

from __future__ import annotations

from sqlalchemy import select

from engine.extensions import db
from engine.models import Score
from engine.play import move_log
from games.synthesis import SynthesisGame
from tests.factories import make_campaign
from tests.support.play import auto_moves

FAST = {"min_move_interval_ms": 0}


def test_finish_stores_session_metrics_and_the_move_log(client):
    campaign = make_campaign(game_params=FAST)
    opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=60)
    resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves})
    assert resp.status_code == 200, resp.get_json()
    row = db.session.scalar(select(Score).where(Score.session_id == opened["session_id"]))
    replayed = SynthesisGame().replay(opened["seed"], FAST, moves)
    assert row.metrics == {"max_level": SynthesisGame().session_metrics(replayed)["max_level"]}
    assert row.metrics["max_level"] >= 2
    assert move_log.decompress(row.move_log) == moves
    assert len(row.move_log) < len(str(moves))


def test_a_log_kept_as_the_moves_alone_still_reads():
    moves = [{"d": "L", "t": 0}, {"d": "U", "t": 70}]
    assert move_log.decompress(move_log.compress(moves)) == moves
    body = b'{"token":"t","moves":[{"d":"L","t":0},{"d":"U","t":70}],"client_score":4}'
    assert move_log.decompress(move_log.compress_body(body)) == moves


def test_a_type_without_session_metrics_keeps_an_empty_dict():
    from games.base import GameType, ReplayResult

    assert GameType().session_metrics(ReplayResult(1, 1, True, 5)) == {}
