"""CSV exports of one campaign: players, plays, coupons (Chinese headers, Excel-friendly).

Rows are read in pages by id so a large campaign streams without holding
every row in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import func, select

from engine.campaigns.stats import PLAY_KINDS
from engine.clock import isoformat
from engine.extensions import db
from engine.models import Campaign, Coupon, CouponBatch, Event, Player, Score

PAGE = 1000
BOM = "\ufeff"  # Excel opens UTF-8 CSV correctly only with it


def _csv_line(values: list) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else v for v in values])
    return out.getvalue()


def _pages(query, key) -> Iterator:
    last = 0
    while True:
        rows = db.session.execute(query.where(key > last).order_by(key).limit(PAGE)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def players(campaign: Campaign) -> Iterator[str]:
    """Yield the CSV of the campaign's players: plays, best score, first and last play."""
    yield BOM + _csv_line(["玩家ID", "昵称", "游戏次数", "最高分", "首次游戏", "最近游戏"])
    plays = (select(Event.player_id, func.count(), func.min(Event.created_at),
                    func.max(Event.created_at))
             .where(Event.campaign_id == campaign.id, Event.kind.in_(PLAY_KINDS),
                    Event.player_id.is_not(None)).group_by(Event.player_id))
    for player_id, n, first, last in _pages(plays, Event.player_id):
        player = db.session.get(Player, player_id)
        best = db.session.scalar(select(func.max(Score.score)).where(
            Score.campaign_id == campaign.id, Score.player_id == player_id))
        yield _csv_line([player_id, player.nickname if player else "", n, best,
                         isoformat(first), isoformat(last)])


def plays(campaign: Campaign) -> Iterator[str]:
    """Yield the CSV of every play (a finished round, or one action of a nurture game)."""
    yield BOM + _csv_line(["事件ID", "玩家ID", "类型", "分数", "用时(毫秒)", "动作", "时间"])
    query = select(Event.id, Event.player_id, Event.kind, Event.props, Event.created_at).where(
        Event.campaign_id == campaign.id, Event.kind.in_(PLAY_KINDS))
    for event_id, player_id, kind, props, at in _pages(query, Event.id):
        props = props or {}
        yield _csv_line([event_id, player_id, kind, props.get("score"), props.get("duration_ms"),
                         props.get("action"), isoformat(at)])


def coupons(campaign: Campaign) -> Iterator[str]:
    """Yield the CSV of the campaign's issued coupons."""
    yield BOM + _csv_line(["券ID", "批次", "券码", "状态", "玩家ID", "来源"])
    query = (select(Coupon.id, CouponBatch.title, Coupon.code, Coupon.status, Coupon.player_id,
                    Coupon.source)
             .join(CouponBatch, CouponBatch.id == Coupon.batch_id)
             .where(CouponBatch.campaign_id == campaign.id, Coupon.status != "available"))
    for row in _pages(query, Coupon.id):
        yield _csv_line(list(row))


EXPORTS = {"players": players, "plays": plays, "coupons": coupons}
