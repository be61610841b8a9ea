"""Referral rewards: a welcome for the newcomer and at most two levels above.

Rewards follow a referred friend's verified play, never the act of sharing.
Compliance by default (ARCHITECTURE.md decision 12): only the newcomer's
welcome can be on until a marketer turns sharer rewards on and acknowledges
the stated risk (recorded with who and when); a third level is refused,
since three or more levels of commission is treated as pyramid selling.
Every reward a referral earns is a ``ReferralReward`` row, unique per
(referral, level), whatever became of it: issued, held by a risk flag,
capped, rejected or failed — never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select

from engine.api.schemas import RewardSchema
from engine.clock import isoformat, local_day, utcnow
from engine.errors import Unprocessable
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, CouponBatch, Referral, ReferralReward
from engine.rewards import awards, draws, failures, plays
from engine.risk import flags
from games import get_game_type

MAX_LEVELS = 2
RISK_NOTICE = ("给分享者的奖励（一级、二级）可能被微信认定为诱导分享而封禁链接，"
               "三级及以上返利可能构成传销。开启即表示品牌方知悉并承担该风险。")
REWARD_KINDS = ("coupon", "draws", "plays", "boost")
MAX_AMOUNT = 10  # extra draws or plays per reward
MAX_BOOST = 10_000  # growth per boost reward
COUNTED = ("issued", "held")


class RewardSpecSchema(Schema):
    """One reward: a coupon of a batch of this campaign, extra lottery draws, extra plays or
    a boost of the player's game state (nurture growth)."""

    kind = fields.String(required=True, validate=validate.OneOf(REWARD_KINDS), metadata={
        "description": "coupon (batch_id), draws (extra lottery draws), plays (extra plays "
                       "past the daily play limit) or boost (growth in a nurture game); "
                       f"amount 1..{MAX_AMOUNT} for draws and plays, 1..{MAX_BOOST} for boost"})
    batch_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    amount = fields.Integer(strict=True, load_default=1,
                            validate=validate.Range(min=1, max=MAX_BOOST))

    @validates_schema
    def _amount_fits_kind(self, data: dict, **_kwargs) -> None:
        if data.get("kind") in ("draws", "plays") and data.get("amount", 1) > MAX_AMOUNT:
            raise ValidationError(f"at most {MAX_AMOUNT} for {data['kind']}", "amount")


class CapsSchema(Schema):
    """Caps per sharer (levels 1 and 2 together); 0 means no cap."""

    per_sharer_per_day = fields.Integer(strict=True, load_default=20,
                                        validate=validate.Range(min=0, max=100_000))
    per_sharer_per_campaign = fields.Integer(strict=True, load_default=200,
                                             validate=validate.Range(min=0, max=1_000_000))


class ReferralConfigSchema(Schema):
    """A campaign's referral rewards as a marketer sets them."""

    welcome = fields.Nested(RewardSpecSchema, allow_none=True, load_default=None)
    levels = fields.List(fields.Nested(RewardSpecSchema), load_default=list,
                         validate=validate.Length(max=10), metadata={
                             "description": "level 1 (the sharer), level 2 (their referrer); "
                                            "a third is refused with 422 too_many_levels"})
    sharer_rewards_enabled = fields.Boolean(load_default=False)
    acknowledge_risk = fields.Boolean(load_default=False, load_only=True, metadata={
        "description": "required (true) to enable sharer rewards: the risk notice is accepted"})
    caps = fields.Nested(CapsSchema, load_default=lambda: CapsSchema().load({}))


@dataclass(frozen=True)
class ReferralSettings:
    """A campaign's referral rewards as ``ReferralConfigSchema`` loads them (reward specs
    and caps are its dicts), who acknowledged the risk and when, and the notice shown."""

    welcome: dict | None
    levels: list[dict]
    sharer_rewards_enabled: bool
    caps: dict
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None  # ISO 8601, as stored
    risk_notice: ClassVar[str] = RISK_NOTICE


def referral_config(campaign: Campaign) -> ReferralSettings:
    """Return the campaign's referral settings, with the legacy level 1 read in.

    Settings stored without a level 1 keep what the campaign gave before:
    the game's own friend boost (nurture's ``friend_boost`` parameter, now a
    ``boost`` reward), else the lottery's legacy per-friend draws.
    """
    stored = dict(campaign.referral_config or {})
    ack = {k: stored.pop(k, None) for k in ("acknowledged_by", "acknowledged_at")}
    cfg = ReferralConfigSchema().load(stored)
    levels = cfg["levels"]
    if not levels:
        legacy = _legacy_level_one(campaign)
        levels = [legacy] if legacy else []
    return ReferralSettings(welcome=cfg["welcome"], levels=levels,
                            sharer_rewards_enabled=cfg["sharer_rewards_enabled"],
                            caps=cfg["caps"], **ack)


def _legacy_level_one(campaign: Campaign) -> dict | None:
    game = get_game_type(campaign.game_type)
    boost = 0 if game.replayed else game.legacy_friend_boost(campaign.game_params or {})
    if boost:
        return {"kind": "boost", "amount": min(boost, MAX_BOOST)}
    per_friend = draws.draw_config(campaign)["per_friend"]
    return {"kind": "draws", "amount": per_friend} if per_friend else None


def _check_specs(campaign: Campaign, specs: list[dict]) -> None:
    """Refuse a coupon of another campaign's batch, extra plays where plays are unlimited,
    and a boost where the game keeps no state to grow."""
    for spec in specs:
        if spec["kind"] == "boost" and get_game_type(campaign.game_type).replayed:
            raise Unprocessable("本活动不是养成游戏，无法奖励成长值", code="no_game_state",
                                fields={"kind": ["a boost needs a nurture game"]})
        if spec["kind"] == "plays" and not (campaign.plays_per_day
                                            and get_game_type(campaign.game_type).replayed):
            raise Unprocessable("本活动不限游戏次数，无法奖励额外次数", code="no_play_limit",
                                fields={"kind": ["extra plays need a daily play limit"]})
        if spec["kind"] != "coupon":
            continue
        batch = db.session.get(CouponBatch, spec.get("batch_id") or 0)
        if batch is None or batch.campaign_id != campaign.id:
            raise Unprocessable("优惠券批次不属于本活动", code="unknown_batch",
                                fields={"batch_id": ["not a coupon batch of this campaign"]})


def set_referral_config(campaign: Campaign, body: dict,
                        marketer_email: str) -> ReferralSettings:
    """Store new referral settings; refuse a third level and unacknowledged sharer rewards."""
    if len(body["levels"]) > MAX_LEVELS:
        raise Unprocessable("最多两级奖励：三级及以上返利可能构成传销", code="too_many_levels",
                            fields={"levels": [f"at most {MAX_LEVELS} levels"]})
    _check_specs(campaign, [s for s in [body["welcome"], *body["levels"]] if s])
    stored = {k: body[k] for k in ("welcome", "levels", "sharer_rewards_enabled", "caps")}
    previous = campaign.referral_config or {}
    if body["sharer_rewards_enabled"]:
        if body["acknowledge_risk"]:
            stored |= {"acknowledged_by": marketer_email, "acknowledged_at": isoformat(utcnow())}
        elif previous.get("sharer_rewards_enabled") and previous.get("acknowledged_at"):
            stored |= {k: previous[k] for k in ("acknowledged_by", "acknowledged_at")}
        else:
            raise Unprocessable("开启分享者奖励前须确认风险提示", code="risk_not_acknowledged",
                                fields={"acknowledge_risk": [RISK_NOTICE]})
    campaign.referral_config = stored
    record_event("referral_config_changed", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 by=marketer_email, sharer_rewards_enabled=body["sharer_rewards_enabled"],
                 levels=len(body["levels"]))
    db.session.commit()
    return referral_config(campaign)


def _capped(campaign: Campaign, player_id: int, caps: dict, day: str) -> str | None:
    base = select(func.count()).select_from(ReferralReward).where(
        ReferralReward.campaign_id == campaign.id, ReferralReward.player_id == player_id,
        ReferralReward.level > 0, ReferralReward.status.in_(COUNTED))
    if caps["per_sharer_per_day"] and (db.session.scalar(
            base.where(ReferralReward.day_key == day)) or 0) >= caps["per_sharer_per_day"]:
        return f"已达每日上限 {caps['per_sharer_per_day']}"
    if caps["per_sharer_per_campaign"] and (db.session.scalar(base) or 0) \
            >= caps["per_sharer_per_campaign"]:
        return f"已达活动上限 {caps['per_sharer_per_campaign']}"
    return None


def _beneficiaries(campaign: Campaign, referral: Referral,
                   cfg: ReferralSettings) -> list[tuple]:
    found = [(0, referral.player_id, cfg.welcome)] if cfg.welcome else []
    if not cfg.sharer_rewards_enabled:
        return found
    levels = cfg.levels[:MAX_LEVELS]
    if levels:
        found.append((1, referral.referrer_id, levels[0]))
    if len(levels) > 1:
        above = db.session.scalar(select(Referral.referrer_id).where(
            Referral.campaign_id == campaign.id, Referral.player_id == referral.referrer_id))
        if above is not None:
            found.append((2, above, levels[1]))
    return found


def issue(campaign: Campaign, row: ReferralReward) -> None:
    """Give what ``row`` describes; mark it issued, or failed with the reason."""
    spec, key = row.detail["spec"], f"referral:{row.referral_id}:level:{row.level}"
    if spec["kind"] == "draws":
        granted = sum(draws.grant_credit(campaign, row.player_id, "referral", f"{key}:{i}")
                      for i in range(spec["amount"]))
        row.detail = {**row.detail, "draws": granted}
        row.status = "issued"
    elif spec["kind"] == "plays":
        granted = plays.grant(campaign, row.player_id, "referral", key, spec["amount"])
        row.detail = {**row.detail, "plays": granted}
        row.status = "issued"
    elif spec["kind"] == "boost":
        # imported here: engine.play.state verifies plays through this package
        from engine.play import state
        friend = db.session.scalar(select(Referral.player_id).where(
            Referral.id == row.referral_id)) if row.level == 1 else None
        gained = state.grant_boost(campaign, row.player_id, key, spec["amount"], friend)
        row.detail = {**row.detail, "boost": gained}
        row.status = "issued"
    else:
        batch = db.session.get(CouponBatch, spec["batch_id"])
        won = awards.award_once(failures.Award(campaign, batch, row.player_id, "referral", key)) \
            if batch else None
        row.status, row.reason = ("issued", "") if won else ("failed", "优惠券已发完或不可发放")
        row.detail = {**row.detail, "coupon": RewardSchema().dump(won) if won else None}
    record_event("referral_reward", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=row.player_id, level=row.level, status=row.status,
                 referral_id=row.referral_id)


def reward_referral(campaign: Campaign, referral: Referral, source: str) -> list[ReferralReward]:
    """Record and give what the friend's verified play earns each level; the caller commits."""
    cfg = referral_config(campaign)
    targets = _beneficiaries(campaign, referral, cfg)
    if not targets:
        return []
    flag = flags.pending_flag_for("referral", referral.id)
    now = utcnow()
    day = local_day(now, campaign.timezone).isoformat()
    rows = []
    for level, player_id, spec in targets:
        row = ReferralReward(campaign_id=campaign.id, referral_id=referral.id,
                             player_id=player_id, level=level, kind=spec["kind"],
                             status="held", reason="", day_key=day, created_at=now,
                             detail={"spec": spec, "source": source})
        cap = _capped(campaign, player_id, cfg.caps, day) if level else None
        if cap:
            row.status, row.reason = "capped", cap
        elif flag is not None:
            row.reason = f"风险审核中：{flag.reason}"[:255]
        db.session.add(row)
        db.session.flush()
        if row.status == "held" and flag is None:
            issue(campaign, row)
        elif flag is not None and row.status == "held":
            flag.held = [*flag.held, row.id]
        rows.append(row)
    return rows
