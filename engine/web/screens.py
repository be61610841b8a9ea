"""What the player's screens say: the campaign's state in words, how to play, prizes, rules.

Everything here is built from the campaign's own configuration (schedule, play
limit, prizes, reward rules, coupon batches, brand), so the landing screen and
the rules page are never out of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.clock import as_utc, utcnow
from engine.extensions import db
from engine.models import Campaign, CouponBatch, Prize, RewardRule

HOW_TO_PLAY = {
    "synthesis": "上下左右滑动，两个相同的水果相撞会合成更大的水果，合成越大得分越高。",
    "racing": "左右滑动或点按屏幕左右两侧换道，躲开路障、吃到金币，坚持到终点。",
    "nurture": "每天浇水、晒太阳、施肥，照顾植物长大，成熟后领取奖励。",
}
PERIOD_NAMES = {"all": "总榜", "daily": "日榜", "weekly": "周榜"}


@dataclass(frozen=True)
class State:
    """The campaign's state as the landing screen tells it."""

    code: str  # live | upcoming | paused | ended
    text: str
    button: str


def local_text(moment: datetime | None, tz: str, with_time: bool = True) -> str:
    """Return ``moment`` in the campaign's zone as Chinese readers write dates."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(ZoneInfo(tz))
    day = f"{local.year}年{local.month}月{local.day}日"
    return f"{day} {local:%H:%M}" if with_time else day


def campaign_state(campaign: Campaign, moment: datetime | None = None) -> State:
    """Return whether the campaign can be played now, and say why not."""
    moment = moment or utcnow()
    if campaign.status == "paused":
        return State("paused", "活动暂停中，请稍后再来", "活动暂停中")
    ended = campaign.ends_at and moment >= as_utc(campaign.ends_at)
    if campaign.status == "ended" or ended:
        return State("ended", "活动已结束，感谢参与", "活动已结束")
    if campaign.starts_at and moment < as_utc(campaign.starts_at):
        when = local_text(campaign.starts_at, campaign.timezone)
        return State("upcoming", f"活动将于 {when} 开始", "活动未开始")
    return State("live", "", "开始游戏")


def _threshold_words(rule: RewardRule, ascending: bool) -> str:
    return f"成绩{'不超过' if ascending else '达到'} {rule.threshold} 分"


def _rank_words(rule: RewardRule) -> str:
    board = PERIOD_NAMES.get(rule.period or "all", "排行榜")
    span = (f"第 {rule.rank_from} 名" if rule.rank_from == rule.rank_to
            else f"第 {rule.rank_from}–{rule.rank_to} 名")
    return f"{board}{span}"


def reward_rules(campaign: Campaign, ascending: bool) -> list[dict]:
    """Return each reward rule as a line: what it gives and how to get it."""
    rows = db.session.execute(
        select(RewardRule, CouponBatch).join(CouponBatch, CouponBatch.id == RewardRule.batch_id)
        .where(RewardRule.campaign_id == campaign.id).order_by(RewardRule.id)).all()
    lines = []
    for rule, batch in rows:
        if rule.trigger == "score" and rule.threshold is not None:
            how = _threshold_words(rule, ascending)
        elif rule.trigger == "rank":
            how = _rank_words(rule)
        else:
            how = "植物成熟"
        lines.append({"title": rule.title or batch.title, "value_text": batch.value_text,
                      "how": how, "trigger": rule.trigger, "batch": batch})
    return lines


def prizes_at_a_glance(campaign: Campaign, ascending: bool, ranked: bool = True) -> list[dict]:
    """Return the prizes in one short list: reward rules, then lottery prizes.

    A game without a board (``ranked`` false: nurture) promises no rank prize.
    """
    glance = [{"title": r["title"], "how": r["how"]} for r in reward_rules(campaign, ascending)
              if ranked or r["trigger"] != "rank"]
    for prize in db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                    .order_by(Prize.position, Prize.id)):
        glance.append({"title": prize.name, "how": "抽奖"})
    return glance[:6]


def prizes_with_odds(campaign: Campaign) -> list[dict]:
    """Return the lottery prizes with quantity and odds as the rules page publishes them."""
    rows = []
    for prize in db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                    .order_by(Prize.position, Prize.id)):
        odds = prize.probability_ppm / 10_000
        rows.append({"name": prize.name,
                     "quantity": "不限" if prize.stock is None else f"{prize.stock} 份",
                     "odds": f"{odds:.4g}%", "daily_cap": prize.daily_cap})
    return rows


def validity_words(batch: CouponBatch, tz: str) -> str:
    """Return how long a batch's coupons stay valid, in words."""
    parts = []
    if batch.valid_days:
        parts.append(f"领取后 {batch.valid_days} 天内有效")
    if batch.valid_from:
        parts.append(f"{local_text(batch.valid_from, tz, False)} 起可用")
    if batch.valid_until:
        parts.append(f"最晚 {local_text(batch.valid_until, tz)} 前使用")
    return "，".join(parts) or "以券面说明为准"


def coupon_batches(campaign: Campaign) -> list[CouponBatch]:
    """Return every coupon batch this campaign gives out (claims, rules, prizes)."""
    ids = set(db.session.scalars(select(RewardRule.batch_id)
                                 .where(RewardRule.campaign_id == campaign.id)))
    ids |= {b for b in db.session.scalars(select(Prize.batch_id)
                                          .where(Prize.campaign_id == campaign.id)) if b}
    found = db.session.scalars(select(CouponBatch).where(
        (CouponBatch.campaign_id == campaign.id) | CouponBatch.id.in_(ids))
        .order_by(CouponBatch.id))
    return list(found)
