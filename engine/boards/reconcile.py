"""Put scores back on their boards: finished in SQL, lost on the way to Redis.

A finish commits its score, then ranks it in Redis; a crash (or a Redis
failure) between the two leaves the score off its boards. ``reconcile``
ranks every score finished since a moment again: ranking keeps each
player's best, so a score already on its boards changes nothing, and one
missing is put back. The rq job runs it every few minutes and at worker
start over the scores since its last run (with an overlap), so nobody needs
to run a full rebuild by hand.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from engine import keys
from engine.boards import leaderboard, standings
from engine.boards.periods import PERIODS
from engine.clock import as_utc, to_ms, utcnow
from engine.extensions import db, redis_store
from engine.models import Campaign, Score

log = logging.getLogger(__name__)
# a finish in flight when a run starts commits a little later: look back past it
OVERLAP = timedelta(minutes=2)
# the first run (no checkpoint: a new deployment, a flushed Redis) looks back this far
FIRST_LOOKBACK = timedelta(days=1)
_BATCH = 1000


def reconcile(since: datetime) -> int:
    """Rank every score finished since ``since`` on its boards again; return how many moved.

    A score counts as moved when it was missing from a board (or beat what
    the board held for its player): exactly the scores a lost update left off.
    """
    query = (select(Score.campaign_id, Score.player_id, Score.score, Score.created_at,
                    Score.game_version)
             .where(Score.created_at >= since).order_by(Score.campaign_id, Score.id)
             .execution_options(yield_per=_BATCH))
    moved, campaigns = 0, {}
    for campaign_id, player_id, score, created_at, version in db.session.execute(query).all():
        campaign = campaigns.get(campaign_id) or campaigns.setdefault(
            campaign_id, db.session.get(Campaign, campaign_id))
        ascending = standings.is_ascending(campaign)
        pipe = redis_store.campaign_pipeline(campaign_id)
        for period in PERIODS:
            board = leaderboard.board_for(campaign_id, period, created_at, campaign.timezone,
                                          ascending, version)
            leaderboard.rank_member(board, player_id, score, to_ms(created_at), pipe=pipe)
        changed = [leaderboard.parse_ranked(raw).changed for raw in redis_store.execute(pipe)]
        if any(changed):
            moved += 1
            log.warning("score %s of player %s (campaign %s) was missing from its boards",
                        score, player_id, campaign_id)
    return moved


def reconcile_job() -> int:
    """Reconcile the scores since the last run (minus an overlap); return how many moved."""
    started = utcnow()
    raw = redis_store.r.get(keys.reconcile_checkpoint())
    since = (as_utc(datetime.fromisoformat(raw)) - OVERLAP) if raw else started - FIRST_LOOKBACK
    moved = reconcile(since)
    redis_store.r.set(keys.reconcile_checkpoint(), started.isoformat())
    log.info("reconciled boards since %s: %s scores put back", since.isoformat(), moved)
    return moved


def start_ticker(app: Flask, stop: threading.Event) -> threading.Thread:
    """Start a thread that queues a reconcile now and every ``RECONCILE_INTERVAL_S``."""
    from engine import jobs

    interval = max(app.config["RECONCILE_INTERVAL_S"], 1)

    def tick() -> None:
        while not stop.is_set():
            try:
                with app.app_context():
                    jobs.queue().enqueue(reconcile_job, job_id="reconcile-boards")
            except Exception:  # a Redis hiccup must not end the ticker
                log.exception("reconcile tick failed")
            stop.wait(interval)

    thread = threading.Thread(target=tick, name="reconcile-ticker", daemon=True)
    thread.start()
    return thread
