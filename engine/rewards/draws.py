"""Lottery draws (抽奖): free draws a day, earned extra draws, prizes by odds.

Odds are parts per million per prize; the rest of a million is "no prize".
A prize that is out of stock, over its daily cap or ahead of its pacing is
never drawn: a draw that lands on it wins nothing, so the other prizes keep
exactly the odds the marketer set. Extra draws are earned by play or by a
referred friend's verified play, never by the act of sharing (WeChat forbids
rewarding shares).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import bindparam, func, select, union_all, update
from sqlalchemy.exc import IntegrityError

from engine.boards import periods
from engine.campaigns import lifecycle
from engine.clock import as_utc, local_day, utcnow
from engine.errors import CouponLimitReached, CouponNotAvailable, CouponsExhausted, NoDrawsLeft
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, CouponBatch, Draw, DrawCredit, Player, Prize, PrizeDay
from engine.rewards.coupons import issue_coupon

MILLION = 1_000_000


class DrawConfigSchema(Schema):
    """A campaign's lottery settings."""

    per_day = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    per_play = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))
    max_play_credits_per_day = fields.Integer(load_default=3,
                                              validate=validate.Range(min=0, max=100))
    per_friend = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))


_CONFIG = DrawConfigSchema()  # one per process: a schema's construction copies its fields
_PLAY_CREDIT_COLUMNS = ("campaign_id", "player_id", "source", "source_key", "day_key",
                        "created_at")


@dataclass
class DrawResult:
    """What one draw gave."""

    draw: Draw
    prize: Prize | None
    coupon_code: str | None
    draws_left: int


def draw_config(campaign: Campaign) -> dict:
    """Return the campaign's lottery settings with defaults."""
    return _CONFIG.load(campaign.draw_config or {})


def _today(campaign: Campaign, now: datetime | None = None) -> str:
    return local_day(now or utcnow(), campaign.timezone).isoformat()


def _free_used(campaign: Campaign, player_id: int, day: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Draw).where(
        Draw.campaign_id == campaign.id, Draw.player_id == player_id, Draw.day_key == day,
        Draw.free_no.is_not(None))) or 0


def _unused_credits(campaign: Campaign, player_id: int):
    spent = select(Draw.credit_id).where(Draw.credit_id.is_not(None))
    return (select(DrawCredit).where(DrawCredit.campaign_id == campaign.id,
                                     DrawCredit.player_id == player_id,
                                     DrawCredit.id.not_in(spent))
            .order_by(DrawCredit.id))


def draws_left(campaign: Campaign, player_id: int | None) -> int:
    """Return how many draws the player has now: today's free ones plus credits."""
    cfg = draw_config(campaign)
    if player_id is None:
        return cfg["per_day"]
    free = max(cfg["per_day"] - _free_used(campaign, player_id, _today(campaign)), 0)
    credits = db.session.scalar(select(func.count()).select_from(
        _unused_credits(campaign, player_id).subquery())) or 0
    return free + credits


def grant_credit(campaign: Campaign, player_id: int, source: str, source_key: str) -> bool:
    """Give one extra draw for ``source_key`` once; return whether it was new.

    One statement: an insert that does nothing when the key was granted before
    or, for play credits, when today's cap is reached.
    """
    day = _today(campaign)
    values = {"campaign_id": campaign.id, "player_id": player_id, "source": source,
              "source_key": source_key, "day_key": day, "created_at": utcnow()}
    conditions = ()
    if source == "play":
        conditions = (_play_credits_today(campaign.id, player_id, day)
                      < draw_config(campaign)["max_play_credits_per_day"],)
    statement = DrawCredit.insert_once(values, db.session.get_bind().dialect.name, *conditions)
    return db.session.execute(statement).first() is not None


def _play_credits_today(campaign_id, player_id, day):
    """Count the player's play credits of the day (values, or bind parameters)."""
    return (select(func.count()).select_from(DrawCredit).where(
        DrawCredit.campaign_id == campaign_id, DrawCredit.player_id == player_id,
        DrawCredit.source == "play", DrawCredit.day_key == day).scalar_subquery())


@dataclass(frozen=True)
class PlayCredits:
    """The extra draws a finished play earns: how many, and their statement's parameters."""

    count: int
    params: dict


def play_credits(campaign: Campaign, player_id: int, session_id: str) -> PlayCredits | None:
    """Return the extra draws a finished play earns; None when it earns none.

    ``params`` fill ``play_credits_statement(count, ...)``: one credit per
    ``i`` (``play:<session>:<i>``), each given while the day's play credits
    stay under the cap, as ``grant_credit`` would give them one by one.
    """
    cfg = draw_config(campaign)
    if not cfg["per_play"]:
        return None
    params = {"d_campaign_id": campaign.id, "d_player_id": player_id, "d_source": "play",
              "d_day_key": _today(campaign), "d_created_at": utcnow(),
              "d_max": cfg["max_play_credits_per_day"]}
    params.update({f"d_source_key_{i}": f"play:{session_id}:{i}" for i in range(cfg["per_play"])})
    return PlayCredits(cfg["per_play"], params)


def play_credits_statement(count: int, dialect: str, after=None):
    """Return the INSERT of ``count`` play credits, its values bind parameters (``play_credits``).

    With ``after`` (a CTE of the statement this one joins, e.g. the session's
    close) the rows are selected from it: no row of ``after``, no credit.
    """
    table = DrawCredit.__table__
    columns = [table.c[name] for name in _PLAY_CREDIT_COLUMNS]
    today = _play_credits_today(bindparam("d_campaign_id"), bindparam("d_player_id"),
                                bindparam("d_day_key"))
    rows = []
    for i in range(count):
        row = select(*(bindparam(f"d_source_key_{i}" if c.name == "source_key" else f"d_{c.name}",
                                 type_=c.type) for c in columns))
        if after is not None:
            row = row.select_from(after)
        # the statement sees the day's credits before it: the i-th counts the i before it
        rows.append(row.where(today + i < bindparam("d_max")))
    return DrawCredit.insert_selected_once(columns, rows[0] if len(rows) == 1 else
                                           union_all(*rows), dialect)


def credit_for_play(campaign: Campaign, player_id: int, session_id: str) -> int:
    """Grant the extra draws a finished play earns; return how many."""
    credits = play_credits(campaign, player_id, session_id)
    if credits is None:
        return 0
    statement = play_credits_statement(credits.count, db.session.get_bind().dialect.name)
    return len(db.session.execute(statement, credits.params).all())


def credit_for_friend(campaign: Campaign, referrer_id: int, friend_id: int) -> int:
    """Grant the extra draws a referred friend's first verified play earns."""
    per_friend = draw_config(campaign)["per_friend"]
    return sum(grant_credit(campaign, referrer_id, "referral", f"friend:{friend_id}:{i}")
               for i in range(per_friend))


def choose(prizes: list[Prize], roll: int) -> Prize | None:
    """Return the prize whose odds band contains ``roll`` (0 <= roll < 1,000,000)."""
    edge = 0
    for prize in prizes:
        edge += prize.probability_ppm
        if roll < edge:
            return prize
    return None


def paced_limit(prize: Prize, campaign: Campaign, now: datetime) -> int | None:
    """Return how many of the prize may be out by now: stock spread over the days and hours.

    The campaign's local days, first to last, share the stock evenly, and each
    day's share comes out over its hours: by noon of a day, half of that day's
    share. Saving a paced prize without a schedule is refused (admin).
    """
    if prize.stock is None or not prize.paced or not (campaign.starts_at and campaign.ends_at):
        return prize.stock
    tz = campaign.timezone
    first = periods.start_of_day(local_day(as_utc(campaign.starts_at), tz), tz)
    last = periods.start_of_day(local_day(as_utc(campaign.ends_at), tz) + timedelta(days=1), tz)
    elapsed = min(max((as_utc(now) - first) / (last - first), 0.0), 1.0)
    return min(prize.stock, max(1, math.ceil(prize.stock * elapsed)))


def _reserve(prize: Prize, campaign: Campaign, day: str, now: datetime) -> bool:
    limit = paced_limit(prize, campaign, now)
    stock_ok = Prize.awarded < limit if limit is not None else True
    if db.session.execute(update(Prize).where(Prize.id == prize.id, stock_ok)
                          .values(awarded=Prize.awarded + 1)).rowcount != 1:
        return False
    if prize.daily_cap is None:
        return True
    try:
        with db.session.begin_nested():
            db.session.add(PrizeDay(prize_id=prize.id, day_key=day, awarded=0))
    except IntegrityError:
        pass  # the day's row exists already
    return db.session.execute(
        update(PrizeDay).where(PrizeDay.prize_id == prize.id, PrizeDay.day_key == day,
                               PrizeDay.awarded < prize.daily_cap)
        .values(awarded=PrizeDay.awarded + 1)).rowcount == 1


def _pay(campaign: Campaign, player: Player, day: str, cfg: dict) -> Draw:
    for _ in range(5):
        used = _free_used(campaign, player.id, day)
        if used < cfg["per_day"]:
            draw = Draw(campaign_id=campaign.id, player_id=player.id, day_key=day,
                        free_no=used + 1)
        elif (credit := db.session.scalar(_unused_credits(campaign, player.id).limit(1))):
            draw = Draw(campaign_id=campaign.id, player_id=player.id, day_key=day,
                        credit_id=credit.id)
        else:
            raise NoDrawsLeft(retry_after=lifecycle.seconds_to_local_midnight(campaign))
        try:
            with db.session.begin_nested():
                db.session.add(draw)
            return draw
        except IntegrityError:  # a concurrent draw used this free draw or credit
            continue
    raise NoDrawsLeft("请稍后再试", retry_after=1)


def _award(campaign: Campaign, player: Player, draw: Draw, prize: Prize, day: str,
           now: datetime) -> str | None:
    """Reserve the prize and issue its coupon; return the code, or raise to lose it."""
    if not _reserve(prize, campaign, day, now):
        raise CouponsExhausted()
    if prize.batch_id is None:
        return None
    batch = db.session.get(CouponBatch, prize.batch_id)
    coupon = issue_coupon(batch, player.id, source="draw", award_key=f"draw:{draw.id}",
                          campaign_id=campaign.id)
    draw.coupon_id = coupon.id
    return coupon.code


def draw(campaign: Campaign, player: Player, roll: int | None = None) -> DrawResult:
    """Spend one draw and maybe win a prize; the roll is random unless given."""
    lifecycle.ensure_live(campaign)
    now, cfg = utcnow(), draw_config(campaign)
    day = _today(campaign, now)
    paid = _pay(campaign, player, day, cfg)
    db.session.flush()
    prizes = list(db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                     .order_by(Prize.position, Prize.id)))
    won = choose(prizes, secrets.randbelow(MILLION) if roll is None else roll)
    code = None
    if won is not None:
        try:
            with db.session.begin_nested():
                code = _award(campaign, player, paid, won, day, now)
                paid.prize_id = won.id
        except (CouponsExhausted, CouponLimitReached, CouponNotAvailable):
            won, code = None, None  # out of stock (or capped): this draw wins nothing
    record_event("draw", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, draw_id=paid.id, prize_id=won.id if won else None,
                 coupon_code=code)
    db.session.commit()
    return DrawResult(paid, won, code, draws_left(campaign, player.id))
