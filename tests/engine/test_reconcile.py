"""Scores committed in SQL whose board update was lost are put back by the reconcile job."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from engine import jobs, keys
from engine.boards import leaderboard, reconcile, standings
from engine.clock import utcnow
from engine.extensions import db, redis_store
from engine.models import PlaySession, Score
from tests.factories import make_campaign, make_player
from tests.support.servers import free_port


def _commit_score(campaign, player, value, at):
    """Do what a finish does first: commit the session's score (SQL is the truth)."""
    play = PlaySession(id=f"r{player.id}x{value}", campaign_id=campaign.id,
                       player_id=player.id, seed=1, status="finished", day_key="d",
                       play_no=value, created_at=at, expires_at=at, finished_at=at, score=value)
    db.session.add(play)
    db.session.add(Score(campaign_id=campaign.id, player_id=player.id, session_id=play.id,
                         score=value, moves=1, duration_ms=1, created_at=at))
    db.session.commit()


def _finish_with_redis_down(campaign, player, value, at):
    """Commit the score, then fail the board update: Redis is down for that call."""
    _commit_score(campaign, player, value, at)
    alive = redis_store.client
    redis_store.client = redis.Redis(host="127.0.0.1", port=free_port(),
                                     socket_connect_timeout=0.5)
    try:
        with pytest.raises(redis.ConnectionError):
            standings.submit_score(campaign, player.id, value, at)
    finally:
        redis_store.client = alive


def _board_rank(campaign, player, at):
    board = leaderboard.board_for(campaign.id, "all", at, campaign.timezone, False)
    return leaderboard.rank_for(board, player.id), leaderboard.score_for(board, player.id)


def test_a_lost_board_update_is_put_back(app):
    campaign = make_campaign()
    first, lost = make_player(campaign.brand), make_player(campaign.brand)
    now = utcnow()
    _commit_score(campaign, first, 50, now - timedelta(minutes=3))
    standings.submit_score(campaign, first.id, 50, now - timedelta(minutes=3))
    _finish_with_redis_down(campaign, lost, 80, now - timedelta(minutes=1))
    assert _board_rank(campaign, lost, now) == (None, None)  # committed, not on the board
    assert reconcile.reconcile(now - timedelta(minutes=10)) == 1
    assert _board_rank(campaign, lost, now) == (1, 80)
    assert _board_rank(campaign, first, now) == (2, 50)
    daily = leaderboard.board_for(campaign.id, "daily", now - timedelta(minutes=1),
                                  campaign.timezone, False)
    assert leaderboard.score_for(daily, lost.id) == 80
    assert reconcile.reconcile(now - timedelta(minutes=10)) == 0  # nothing left to put back


def test_the_worker_reconciles_at_start_and_moves_its_checkpoint(app):
    campaign = make_campaign()
    player = make_player(campaign.brand)
    now = utcnow()
    _finish_with_redis_down(campaign, player, 70, now - timedelta(minutes=5))
    jobs.queue().empty()
    stop = threading.Event()
    thread = reconcile.start_ticker(app, stop)  # what `flask jobs worker` starts
    try:
        for _ in range(50):
            if jobs.queue().count:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert jobs.queue().count == 1
    jobs.run_worker(burst=True)  # the real rq worker runs the queued job
    assert _board_rank(campaign, player, now) == (1, 70)
    checkpoint = redis_store.r.get(keys.reconcile_checkpoint())
    assert checkpoint and checkpoint >= now.isoformat()[:16]
    # the next run starts from the checkpoint: the score is on its boards, nothing moves
    assert reconcile.reconcile_job() == 0
    assert db.session.scalar(select(Score.score).where(Score.player_id == player.id)) == 70
