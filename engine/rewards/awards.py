"""Award coupons by rule: score thresholds on finish, rank ranges at period close, goals reached."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from engine.boards import periods
from engine.clock import utcnow
from engine.errors import CouponLimitReached, CouponNotAvailable, CouponsExhausted
from engine.extensions import db
from engine.models import Campaign, Coupon, CouponBatch, RewardRule
from engine.rewards import failures

log = logging.getLogger(__name__)
_UNAVAILABLE = (CouponsExhausted, CouponLimitReached, CouponNotAvailable)
ONCE, PER_PERIOD = "once", "per_period"
REPEATS = (ONCE, PER_PERIOD)


@dataclass(frozen=True)
class WonCoupon:
    """A coupon a rule gave, with its batch (a score, a rank, a goal or a referral won it)."""

    coupon: Coupon
    batch: CouponBatch


@dataclass(frozen=True)
class GoalReward:
    """What reaching the goal brings: a goal rule's batch under the rule's title, and the
    coupon the player won by it (None: not yet)."""

    title: str
    batch: CouponBatch
    won: WonCoupon | None


def award_once(award: failures.Award) -> WonCoupon | None:
    """Issue the award's coupon unless it was issued before; record why when it cannot be.

    Nothing earned is dropped in silence: "exhausted", "limit reached" and
    "expired" become an award failure (``engine.rewards.failures``) that the
    marketer sees and retries.
    """
    if db.session.scalar(select(Coupon.id).where(Coupon.brand_id == award.batch.brand_id,
                                                 Coupon.award_key == award.award_key)):
        return None
    try:
        coupon = failures.issue(award)
    except _UNAVAILABLE as exc:
        failures.record(award, exc)
        return None
    failures.resolve(award.campaign.brand_id, award.award_key, coupon)
    return WonCoupon(coupon, award.batch)


def _reached(score: int, threshold: int, ascending: bool) -> bool:
    return score <= threshold if ascending else score >= threshold


def score_award(campaign: Campaign, rule: RewardRule, player_id: int) -> failures.Award:
    """Return the award a score rule makes: once per player, or once per player and period."""
    batch = db.session.get(CouponBatch, rule.batch_id)
    if rule.repeat == PER_PERIOD and rule.period:
        key = periods.period_key(rule.period, utcnow(), campaign.timezone)
        return failures.Award(campaign, batch, player_id, "score",
                              f"rule:{rule.id}:{rule.period}:{key}:p:{player_id}",
                              rule_id=rule.id, past_limit=True, period=rule.period,
                              period_key=key)
    return failures.Award(campaign, batch, player_id, "score", f"rule:{rule.id}:p:{player_id}",
                          rule_id=rule.id)


def reached(rules: list[RewardRule], score: int, ascending: bool = False) -> list[RewardRule]:
    """Return the score rules ``score`` reaches (in memory: nothing is given yet)."""
    return [rule for rule in rules
            if rule.threshold is not None and _reached(score, rule.threshold, ascending)]


def award_for_score(campaign: Campaign, player_id: int, score: int,
                    ascending: bool = False, rules: list[RewardRule] | None = None
                    ) -> list[WonCoupon]:
    """Issue every score-threshold coupon the score reaches, once per player (or period).

    ``rules`` are the campaign's score rules when the caller has them (the
    campaign cache): they are checked in memory, and SQL is only touched when
    one is reached.
    """
    if rules is None:
        rules = db.session.scalars(select(RewardRule).where(
            RewardRule.campaign_id == campaign.id, RewardRule.trigger == "score")
            .order_by(RewardRule.id))
    rewards = []
    for rule in reached(list(rules), score, ascending):
        won = award_once(score_award(campaign, rule, player_id))
        if won:
            rewards.append(won)
    return rewards


GOAL_REACHED = "goal_reached"
#: trigger names accepted for ``goal_reached`` (the first name, from the nurture game)
TRIGGER_ALIASES = {"maturity": GOAL_REACHED}


def canonical_trigger(name: str) -> str:
    """Return the reward-rule trigger ``name`` stands for (an old alias becomes its new name)."""
    return TRIGGER_ALIASES.get(name, name)


def _goal_rules(campaign: Campaign) -> list[RewardRule]:
    return list(db.session.scalars(select(RewardRule).where(
        RewardRule.campaign_id == campaign.id, RewardRule.trigger == GOAL_REACHED)
        .order_by(RewardRule.id)))


def _goal_key(rule: RewardRule, player_id: int) -> str:
    return f"rule:{rule.id}:p:{player_id}"


def award_for_goal(campaign: Campaign, player_id: int) -> list[WonCoupon]:
    """Issue every goal coupon of the campaign (a server-authoritative state completed), once."""
    rewards = []
    for rule in _goal_rules(campaign):
        batch = db.session.get(CouponBatch, rule.batch_id)
        won = award_once(failures.Award(campaign, batch, player_id, GOAL_REACHED,
                                        _goal_key(rule, player_id), rule_id=rule.id))
        if won:
            rewards.append(won)
    return rewards


def goal_rewards(campaign: Campaign, player_id: int | None) -> list[GoalReward]:
    """Return what reaching the goal brings: each goal rule's coupon, and the one won if any."""
    found = []
    for rule in _goal_rules(campaign):
        batch = db.session.get(CouponBatch, rule.batch_id)
        coupon = None
        if player_id is not None:
            coupon = db.session.scalar(select(Coupon).where(
                Coupon.brand_id == batch.brand_id,
                Coupon.award_key == _goal_key(rule, player_id)))
        found.append(GoalReward(rule.title or batch.title, batch,
                                WonCoupon(coupon, batch) if coupon else None))
    return found
