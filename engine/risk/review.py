"""Review risk flags: list, approve (what was held is given), reject (with a reason).

What a flag holds depends on its subject: a referral's rewards
(``engine.referral.rewards``), a score far beyond its campaign's others
(``engine.risk.scores``), a coupon claimed from a device that claimed for
many players (``engine.risk.claims``).

A flag not reviewed by its deadline follows its campaign's default; this
is applied whenever the queue is read and by ``flask risk expire``, so an
overdue flag never waits on a marketer who does not come.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from engine.clock import utcnow
from engine.errors import Conflict, NotFound
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, ReferralReward, RiskFlag
from engine.referral import rewards
from engine.risk import claims, scores

log = logging.getLogger(__name__)


def _release_rewards(flag: RiskFlag, approved: bool) -> None:
    campaign = db.session.get(Campaign, flag.campaign_id)
    for row_id in flag.held or []:
        row = db.session.get(ReferralReward, row_id)
        if row is None or row.status != "held":
            continue
        if approved:
            rewards.issue(campaign, row)
        else:
            row.status, row.reason = "rejected", f"风险审核未通过：{flag.decision_reason}"[:255]


def _release(flag: RiskFlag, approved: bool, after: list[Callable[[], None]]) -> None:
    """Give or withhold what the flag held: by its subject, referral rewards, a score, a coupon."""
    if flag.subject_kind == "score":
        scores.release(flag, approved, after)
    elif flag.subject_kind == "coupon":
        claims.release(flag, approved)
    else:
        _release_rewards(flag, approved)


def decide(flag: RiskFlag, action: str, by: str, reason: str = "",
           now: datetime | None = None,
           after: list[Callable[[], None]] | None = None) -> RiskFlag:
    """Approve or reject a pending flag and release what it held; the caller commits.

    Work that must follow the commit (a held score's board write) is added
    to ``after`` for the caller to run; without ``after`` it runs at once.
    """
    if flag.status != "pending":
        raise Conflict("该风险记录已处理", code="already_decided")
    flag.status = "approved" if action == "approve" else "rejected"
    flag.decided_by, flag.decision_reason = by[:120], reason[:255]
    flag.decided_at = now or utcnow()
    later: list[Callable[[], None]] = [] if after is None else after
    _release(flag, flag.status == "approved", later)
    record_event("risk_decided", brand_id=flag.brand_id, campaign_id=flag.campaign_id,
                 player_id=flag.player_id, flag_id=flag.id, status=flag.status, by=by)
    if after is None:
        for work in later:
            work()
    return flag


def _run(after: list[Callable[[], None]]) -> None:
    for work in after:
        try:
            work()
        except Exception:  # the decision is committed; a board write is healed by a rebuild
            log.exception("risk review: work after the commit failed")


def expire_overdue(brand_id: int | None = None, now: datetime | None = None) -> int:
    """Apply each campaign's default to pending flags past their deadline; return how many."""
    now = now or utcnow()
    query = select(RiskFlag).where(RiskFlag.status == "pending", RiskFlag.deadline <= now)
    if brand_id is not None:
        query = query.where(RiskFlag.brand_id == brand_id)
    overdue = list(db.session.scalars(query.order_by(RiskFlag.id)))
    after: list[Callable[[], None]] = []
    for flag in overdue:
        decide(flag, flag.default_action, "deadline", "审核期限已过，按活动默认处理", now, after)
    db.session.commit()
    _run(after)
    return len(overdue)


def flags_of(brand_id: int, status: str | None, campaign_id: int | None,
             limit: int) -> list[RiskFlag]:
    """Return the brand's flags, newest first, after applying overdue defaults."""
    expire_overdue(brand_id)
    query = select(RiskFlag).where(RiskFlag.brand_id == brand_id)
    if status:
        query = query.where(RiskFlag.status == status)
    if campaign_id:
        query = query.where(RiskFlag.campaign_id == campaign_id)
    return list(db.session.scalars(query.order_by(RiskFlag.id.desc()).limit(limit)))


def review(brand_id: int, flag_id: int, action: str, by: str, reason: str) -> RiskFlag:
    """Approve or reject one of the brand's flags (404 for another brand's)."""
    expire_overdue(brand_id)
    flag = db.session.get(RiskFlag, flag_id)
    if flag is None or flag.brand_id != brand_id:
        raise NotFound()
    after: list[Callable[[], None]] = []
    decide(flag, action, by, reason, after=after)
    db.session.commit()
    _run(after)
    return flag
