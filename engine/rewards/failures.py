"""Award failures: earned coupons that could not be issued, kept with why, retried by hand.

``awards.award_once`` records one here (and an ``award_failed`` event)
instead of swallowing "exhausted", "limit reached" or "expired"; the
marketer sees them per campaign and retries each once the cause is fixed
(more codes imported, the batch's dates changed). A rank prize's failure
keeps its period "incomplete" until the last one is issued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.clock import utcnow
from engine.errors import Conflict, DomainError, NotFound
from engine.events import record_event
from engine.extensions import db
from engine.models import AwardFailure, Campaign, Coupon, CouponBatch, PeriodClose
from engine.rewards.coupons import issue_coupon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Award:
    """What one award is: whose coupon, of which batch, under which key, and why."""

    campaign: Campaign
    batch: CouponBatch
    player_id: int
    source: str
    award_key: str
    rule_id: int | None = None
    past_limit: bool = False
    period: str | None = None
    period_key: str | None = None
    game_version: int = 1  # a rank prize's board version


def issue(award: Award) -> Coupon:
    """Issue the award's coupon in a savepoint; raise the domain error when none can be."""
    with db.session.begin_nested():
        return issue_coupon(award.batch, award.player_id, source=award.source,
                            award_key=award.award_key, campaign_id=award.campaign.id,
                            past_limit=award.past_limit)


def _row(brand_id: int, award_key: str) -> AwardFailure | None:
    return db.session.scalar(select(AwardFailure).where(
        AwardFailure.brand_id == brand_id, AwardFailure.award_key == award_key))


def record(award: Award, error: DomainError) -> AwardFailure:
    """Keep (or count again) the failure of ``award``; the caller commits."""
    now = utcnow()
    row = _row(award.campaign.brand_id, award.award_key)
    if row is None:
        row = AwardFailure(
            brand_id=award.campaign.brand_id, campaign_id=award.campaign.id,
            rule_id=award.rule_id, player_id=award.player_id, batch_id=award.batch.id,
            source=award.source, award_key=award.award_key, past_limit=award.past_limit,
            period=award.period, period_key=award.period_key,
            game_version=award.game_version, attempts=0, status="open",
            created_at=now)
        db.session.add(row)
    row.reason, row.message = error.code, error.message[:200]
    row.attempts += 1
    row.last_tried_at = now
    record_event("award_failed", brand_id=award.campaign.brand_id,
                 campaign_id=award.campaign.id, player_id=award.player_id,
                 batch_id=award.batch.id, source=award.source, award_key=award.award_key,
                 reason=error.code)
    log.warning("award %s for player %s not issued: %s", award.award_key, award.player_id,
                error.code)
    return row


def resolve(brand_id: int, award_key: str, coupon: Coupon) -> None:
    """Mark a recorded failure of ``award_key`` resolved by ``coupon``, if there is one."""
    row = _row(brand_id, award_key)
    if row is not None and row.status == "open":
        row.status, row.coupon_id, row.resolved_at = "resolved", coupon.id, utcnow()


def failures_of(campaign: Campaign, status: str | None = None) -> list[AwardFailure]:
    """Return the campaign's award failures, newest first (open, resolved, or both)."""
    query = select(AwardFailure).where(AwardFailure.campaign_id == campaign.id)
    if status:
        query = query.where(AwardFailure.status == status)
    return list(db.session.scalars(query.order_by(AwardFailure.id.desc())))


def open_count(campaign_id: int, period: str, period_key: str, game_version: int = 1) -> int:
    """Return how many rank prizes of one period (of one game version) are still not issued."""
    return db.session.scalar(select(func.count()).select_from(AwardFailure).where(
        AwardFailure.campaign_id == campaign_id, AwardFailure.source == "rank",
        AwardFailure.period == period, AwardFailure.period_key == period_key,
        AwardFailure.game_version == game_version, AwardFailure.status == "open")) or 0


def _settle_close(row: AwardFailure) -> None:
    """Count a rank prize issued late; close its period once none is missing."""
    if row.source != "rank":
        return
    close = db.session.scalar(select(PeriodClose).where(
        PeriodClose.campaign_id == row.campaign_id, PeriodClose.period == row.period,
        PeriodClose.period_key == row.period_key, PeriodClose.game_version == row.game_version))
    if close is None:
        return
    close.awarded += 1
    if close.status == "incomplete" and not open_count(row.campaign_id, row.period,
                                                       row.period_key, row.game_version):
        close.status, close.closed_at = "closed", utcnow()


def retry(campaign: Campaign, failure_id: int) -> AwardFailure:
    """Try an open failure again: issue its coupon, or record the attempt and raise why not."""
    row = db.session.get(AwardFailure, failure_id)
    if row is None or row.campaign_id != campaign.id:
        raise NotFound("找不到该发放失败记录")
    if row.status != "open":
        raise Conflict("该奖励已补发", code="already_resolved")
    award = Award(campaign=campaign, batch=db.session.get(CouponBatch, row.batch_id),
                  player_id=row.player_id, source=row.source, award_key=row.award_key,
                  rule_id=row.rule_id, past_limit=row.past_limit, period=row.period,
                  period_key=row.period_key, game_version=row.game_version)
    try:
        coupon = issue(award)
    except DomainError as exc:
        record(award, exc)
        db.session.commit()
        raise
    resolve(campaign.brand_id, row.award_key, coupon)
    db.session.flush()
    _settle_close(row)
    db.session.commit()
    return row
