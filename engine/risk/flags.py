"""Raise risk flags: a suspicion, its reason, and what it holds until review.

Nothing suspicious is silently dropped or silently paid (ARCHITECTURE.md
decision 11): a flag keeps the reason a marketer reads, the details that
led to it, and the deadline after which the campaign's default applies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Referral, RiskFlag

log = logging.getLogger(__name__)
ACTIONS = ("approve", "reject")


class RiskConfigSchema(Schema):
    """A campaign's risk settings: thresholds, the review deadline and its default."""

    default_action = fields.String(load_default="reject", validate=validate.OneOf(ACTIONS))
    review_hours = fields.Integer(load_default=72, validate=validate.Range(min=1, max=720))
    # referred newcomers from one address in a window
    burst_per_address = fields.Integer(load_default=5,
                                       validate=validate.Range(min=2, max=1_000_000))
    burst_window_s = fields.Integer(load_default=600, validate=validate.Range(min=10, max=86400))
    # a sharer whose friends arrive faster than people can: this many within the window
    sharer_burst = fields.Integer(load_default=10,
                                  validate=validate.Range(min=2, max=1_000_000))
    sharer_window_s = fields.Integer(load_default=60, validate=validate.Range(min=5, max=86400))
    # a score far beyond the campaign's finished scores: median ± k·(1.4826·MAD),
    # once at least score_min_sample scores are known (engine.risk.scores)
    score_check = fields.Boolean(load_default=True)
    score_outlier_k = fields.Float(load_default=10.0, validate=validate.Range(min=3, max=1000))
    score_min_sample = fields.Integer(load_default=200,
                                      validate=validate.Range(min=20, max=100_000))
    # one device (address and user agent) claiming coupons for this many players in a window
    claim_device_players = fields.Integer(load_default=5,
                                          validate=validate.Range(min=2, max=1_000_000))
    claim_window_s = fields.Integer(load_default=3600, validate=validate.Range(min=60, max=604800))


# built once: a schema's construction copies its fields, ~7 times the cost of a load
# (a claim reads the settings twice, a finish once)
_SETTINGS = RiskConfigSchema()


def risk_config(campaign: Campaign) -> dict:
    """Return the campaign's risk settings with defaults (the defaults if stored ones are bad)."""
    try:
        return _SETTINGS.load(campaign.risk_config or {})
    except ValidationError as exc:
        log.error("campaign %s: bad risk settings %s; using the defaults", campaign.id,
                  exc.messages)
        return _SETTINGS.load({})


def set_risk_config(campaign: Campaign, body: dict) -> dict:
    """Store new risk settings (loaded by ``RiskConfigSchema``) and return them."""
    campaign.risk_config = body
    db.session.commit()
    return risk_config(campaign)


def raise_flag(campaign: Campaign, *, kind: str, reason: str, subject_kind: str,
               subject_id: int, player_id: int | None, details: dict | None = None,
               now: datetime | None = None) -> RiskFlag | None:
    """Add a pending flag (once per subject and kind); the caller commits. None if raised before."""
    cfg, now = risk_config(campaign), now or utcnow()
    flag = RiskFlag(brand_id=campaign.brand_id, campaign_id=campaign.id, player_id=player_id,
                    kind=kind, reason=reason[:255], details=details or {},
                    subject_kind=subject_kind, subject_id=subject_id, held=[],
                    status="pending", default_action=cfg["default_action"],
                    deadline=now + timedelta(hours=cfg["review_hours"]), created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError:
        return None
    record_event("risk_flagged", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player_id, flag=kind, subject_kind=subject_kind,
                 subject_id=subject_id)
    log.info("risk flag %s on %s %s: %s", kind, subject_kind, subject_id, reason)
    return flag


def _recent(campaign: Campaign, column, value, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.campaign_id == campaign.id, column == value, Referral.created_at >= since)) or 0


def check_referral(campaign: Campaign, referral: Referral) -> list[RiskFlag]:
    """Flag a new referral that arrives in a burst: from one address, or for one sharer.

    The device kept beside the address (address and user agent) is finer
    than the address, so a device burst is always an address burst too.
    """
    cfg, now = risk_config(campaign), referral.created_at
    since = now - timedelta(seconds=cfg["burst_window_s"])
    checks = []
    if referral.address:
        checks.append(("referral_burst_address", Referral.address, referral.address,
                       cfg["burst_per_address"], since, "同一 IP 地址"))
    checks.append(("referral_sharer_burst", Referral.referrer_id, referral.referrer_id,
                   cfg["sharer_burst"], now - timedelta(seconds=cfg["sharer_window_s"]),
                   "同一分享者的好友"))
    raised = []
    for kind, column, value, limit, window_start, who in checks:
        count = _recent(campaign, column, value, window_start)
        if count < limit:
            continue
        seconds = int((now - window_start).total_seconds())
        flag = raise_flag(campaign, kind=kind, subject_kind="referral", subject_id=referral.id,
                          player_id=referral.referrer_id,
                          reason=f"{who}在 {seconds} 秒内带来 {count} 位新玩家（阈值 {limit}）",
                          details={"count": count, "window_s": seconds, "limit": limit,
                                   "value": str(value), "newcomer_id": referral.player_id})
        if flag is not None:
            raised.append(flag)
    return raised


def pending_flag_for(subject_kind: str, subject_id: int) -> RiskFlag | None:
    """Return a pending flag on the subject, if any (what it earns must wait)."""
    return db.session.scalar(select(RiskFlag).where(
        RiskFlag.subject_kind == subject_kind, RiskFlag.subject_id == subject_id,
        RiskFlag.status == "pending").limit(1))
