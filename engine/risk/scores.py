"""Scores far beyond their campaign's distribution: held off the boards for review.

The threshold is robust to the cheats it looks for: the median of the
campaign's most recent finished scores (at most ``SAMPLE``) plus ``k`` robust
standard deviations (1.4826 × the median absolute deviation, at least 1); for
a game where smaller is better, the median minus as much. Below
``score_min_sample`` scores nothing is judged. Scores that were held are not
in ``scores``, so a cheat never widens the threshold.

The finish path pays one Redis GET for it: the threshold is cached per
campaign version (``hd:{c<id>}:risk:score-limit:<version>``, a day) and is
recomputed — one bounded SQL read and numpy — when it is older than
``SCORE_LIMIT_FRESH_S``, by the one process that takes the lock; the others
go on with the older threshold meanwhile. Only a campaign version's first
finish computes it inline with nobody to wait for.

A held score (``HeldScore``) stays off every board and rank prize; its
score-rule coupons, its play's extra draws and the referral it would verify
wait too. Approval puts it on the boards at its original time and gives
all that; rejection leaves it held as evidence.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from flask import current_app
from sqlalchemy import select

from engine import keys, referral
from engine.api.schemas import RewardSchema
from engine.boards import live, standings
from engine.events import record_event
from engine.extensions import db, redis_store
from engine.models import Campaign, HeldScore, PlaySession, RiskFlag, Score
from engine.rewards import awards, draws
from engine.risk import flags

log = logging.getLogger(__name__)
SAMPLE = 5000
LIMIT_TTL_S = 86400
LOCK_TTL_S = 30
ROBUST_SIGMA = 1.4826  # MAD × this estimates a normal distribution's standard deviation


@dataclass(frozen=True)
class Outlier:
    """Why a score was held: the threshold it passed and the distribution behind it."""

    limit: float
    median: float
    mad: float
    sample: int

    def reason(self, score: int, ascending: bool) -> str:
        """Return the reason a marketer reads."""
        side = "低于" if ascending else "高于"
        return (f"成绩 {score} {side}本活动成绩分布的阈值 {self.limit:.0f}"
                f"（中位数 {self.median:.0f}，MAD {self.mad:.0f}，样本 {self.sample}）")


def compute_limit(campaign: Campaign) -> dict:
    """Read the campaign's latest finished scores and return its threshold (None: too few)."""
    cfg = flags.risk_config(campaign)
    found = np.asarray(db.session.scalars(
        select(Score.score).where(Score.campaign_id == campaign.id,
                                  Score.game_version == (campaign.game_version or 1))
        .order_by(Score.id.desc()).limit(SAMPLE)).all(), dtype=np.float64)
    ascending = standings.is_ascending(campaign)
    figures = {"limit": None, "sample": int(found.size), "ascending": ascending,
               "fresh_until": time.time() + current_app.config["SCORE_LIMIT_FRESH_S"]}
    if not cfg["score_check"] or found.size < cfg["score_min_sample"]:
        return figures
    median = float(np.median(found))
    mad = float(np.median(np.abs(found - median)))
    spread = cfg["score_outlier_k"] * max(ROBUST_SIGMA * mad, 1.0)
    return {**figures, "limit": median - spread if ascending else median + spread,
            "median": median, "mad": mad}


def _store(campaign: Campaign, figures: dict) -> dict:
    redis_store.r.set(keys.score_limit(campaign.id, campaign.version),
                      json.dumps(figures, separators=(",", ":")), ex=LIMIT_TTL_S)
    return figures


def current_limit(campaign: Campaign) -> dict:
    """Return the campaign's cached threshold figures: one GET unless stale or missing."""
    raw = redis_store.r.get(keys.score_limit(campaign.id, campaign.version))
    if raw is None:
        return _store(campaign, compute_limit(campaign))
    figures = json.loads(raw)
    if figures["fresh_until"] < time.time() and redis_store.r.set(
            keys.score_limit_lock(campaign.id), "1", nx=True, ex=LOCK_TTL_S):
        try:
            figures = _store(campaign, compute_limit(campaign))
        except Exception:  # the old threshold still judges; the next finish tries again
            log.exception("campaign %s: score threshold not recomputed", campaign.id)
        finally:
            redis_store.r.delete(keys.score_limit_lock(campaign.id))
    return figures


def outlier(campaign: Campaign, score: int) -> Outlier | None:
    """Return why ``score`` is far beyond the campaign's distribution, or None if it is not."""
    figures = current_limit(campaign)
    limit = figures["limit"]
    if limit is None:
        return None
    beyond = score < limit if figures["ascending"] else score > limit
    if not beyond:
        return None
    return Outlier(limit=limit, median=figures["median"], mad=figures["mad"],
                   sample=figures["sample"])


def hold(campaign: Campaign, held: HeldScore, found: Outlier, now: datetime) -> RiskFlag:
    """Store the held score and flag it; the caller commits."""
    db.session.add(held)
    db.session.flush()
    ascending = standings.is_ascending(campaign)
    flag = flags.raise_flag(
        campaign, kind="score_outlier", subject_kind="score", subject_id=held.id,
        player_id=held.player_id, reason=found.reason(held.score, ascending), now=now,
        details={"score": held.score, "limit": round(found.limit, 2),
                 "median": found.median, "mad": found.mad, "sample": found.sample,
                 "session_id": held.session_id, "moves": held.moves,
                 "duration_ms": held.duration_ms})
    flag.held = [held.id]
    return flag


def release(flag: RiskFlag, approved: bool, after: list[Callable[[], None]]) -> None:
    """Give a held score what it earns (approved) or leave it rejected; the caller commits.

    ``after`` receives the board writes, which must follow the commit.
    """
    for held_id in flag.held or []:
        held = db.session.get(HeldScore, held_id)
        if held is None or held.status != "held":
            continue
        if not approved:
            held.status = "rejected"
            continue
        held.status = "approved"
        campaign = db.session.get(Campaign, held.campaign_id)
        # the boards of the rules the play was opened with (a bump may have come since)
        version = db.session.scalar(select(PlaySession.game_version).where(
            PlaySession.id == held.session_id)) or 1
        won = RewardSchema(many=True).dump(awards.award_for_score(
            campaign, held.player_id, held.score, standings.is_ascending(campaign)))
        db.session.add(Score(campaign_id=held.campaign_id, player_id=held.player_id,
                             session_id=held.session_id, score=held.score, moves=held.moves,
                             duration_ms=held.duration_ms, rewards=won, metrics=held.metrics,
                             move_log=held.move_log, game_version=version,
                             created_at=held.created_at))
        draws.credit_for_play(campaign, held.player_id, held.session_id)
        referral.verified_play(campaign, held.player_id, "play")
        record_event("held_score_approved", brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=held.player_id, session_id=held.session_id, score=held.score)
        after.append(_board_write(campaign, held.player_id, held.score, held.created_at,
                                  version))


def _board_write(campaign: Campaign, player_id: int, score: int, reached_at: datetime,
                 game_version: int) -> Callable[[], None]:
    def write() -> None:
        ranked = standings.submit_score(campaign, player_id, score, reached_at, game_version)
        live.score_changed(campaign, player_id, ranked)
    return write


def held_for_session(session_id: str) -> HeldScore | None:
    """Return the held score of a session, if its finish was held."""
    return db.session.scalar(select(HeldScore).where(HeldScore.session_id == session_id))
