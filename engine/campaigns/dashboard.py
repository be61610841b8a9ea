"""One campaign's dashboard, counted in SQL from the events, reward and tag rows.

Days are the campaign's local days. PostgreSQL converts each event's time
with the campaign's zone (daylight saving included); SQLite, the embedded
development database, shifts by the zone's current UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, literal, select

from engine.campaigns.stats import PLAY_KINDS, coupon_counts
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Campaign, Event, PlayerTag, Prize, Score, TagGroup, TagRule

BINS = 10
# event kinds the dashboard counts beside plays and visits
SHARE_KINDS = ("share",)
REFERRAL_KIND = "referral"
DRAW_KIND = "draw"


@dataclass
class Dashboard:
    """Everything the campaign's dashboard shows."""

    players: int = 0
    plays: int = 0
    visits: int = 0
    shares: int = 0
    referred: int = 0
    draws: int = 0
    issued: int = 0
    redeemed: int = 0
    days: list[str] = field(default_factory=list)
    daily: dict[str, list[int]] = field(default_factory=dict)
    score_bins: list[str] = field(default_factory=list)
    score_counts: list[int] = field(default_factory=list)
    prizes: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


def _local_day(campaign: Campaign):
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone(campaign.timezone, Event.created_at), "YYYY-MM-DD")
    offset = utcnow().astimezone(ZoneInfo(campaign.timezone)).utcoffset() or timedelta()
    return func.date(Event.created_at, f"{int(offset.total_seconds())} seconds")


def _count(campaign: Campaign, kinds: tuple[str, ...], distinct: bool = False) -> int:
    counted = func.count(func.distinct(Event.player_id)) if distinct else func.count()
    return db.session.scalar(select(counted).where(Event.campaign_id == campaign.id,
                                                   Event.kind.in_(kinds))) or 0


def _daily(campaign: Campaign) -> tuple[list[str], dict[str, list[int]]]:
    # grouped by the labels: each use of an expression binds its own parameters, and
    # PostgreSQL does not see two renderings of the same expression as one
    day = _local_day(campaign).label("day")
    is_play = Event.kind.in_(PLAY_KINDS).label("play")
    series = {"players": {}, "plays": {}, "visits": {}}
    rows = db.session.execute(
        select(day, is_play, func.count(), func.count(func.distinct(Event.player_id)))
        .where(Event.campaign_id == campaign.id, Event.kind.in_((*PLAY_KINDS, "visit")))
        .group_by(day, is_play))
    for d, is_play, n, people in rows:
        d = str(d)
        if is_play:
            series["plays"][d], series["players"][d] = n, people
        else:
            series["visits"][d] = n
    days = sorted({d for s in series.values() for d in s})
    return days, {name: [s.get(d, 0) for d in days] for name, s in series.items()}


def _score_histogram(campaign: Campaign) -> tuple[list[str], list[int]]:
    low, high = db.session.execute(select(func.min(Score.score), func.max(Score.score)).where(
        Score.campaign_id == campaign.id)).one()
    if low is None:
        return [], []
    width = max(-(-(high - low + 1) // BINS), 1)
    # floor division (``//``): SQLAlchemy 2 renders ``/`` as true division, which PostgreSQL
    # does as numeric, and the cast to integer then rounds a score into a bucket past the top
    bucket = cast((Score.score - literal(low, Integer)) // literal(width, Integer),
                  Integer).label("bucket")
    counts = dict(db.session.execute(select(bucket, func.count()).where(
        Score.campaign_id == campaign.id).group_by(bucket)).all())
    n = (high - low) // width + 1
    labels = [f"{low + i * width}–{low + (i + 1) * width - 1}" for i in range(n)]
    return labels, [counts.get(i, 0) for i in range(n)]


def _prizes(campaign: Campaign) -> list[dict]:
    return [{"name": p.name, "awarded": p.awarded,
             "left": None if p.stock is None else max(p.stock - p.awarded, 0)}
            for p in db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                        .order_by(Prize.position, Prize.id))]


def _tags(campaign: Campaign) -> list[dict]:
    """Return how many of the campaign's players hold each tag, most held first."""
    players = (select(Event.player_id).where(Event.campaign_id == campaign.id,
                                             Event.player_id.is_not(None))
               .distinct().scalar_subquery())
    rows = db.session.execute(
        select(TagGroup.name, TagRule.name, func.count(func.distinct(PlayerTag.player_id)))
        .join(TagRule, TagRule.id == PlayerTag.rule_id)
        .join(TagGroup, TagGroup.id == PlayerTag.group_id)
        .where(PlayerTag.brand_id == campaign.brand_id, PlayerTag.player_id.in_(players))
        .group_by(TagGroup.name, TagRule.name).order_by(func.count().desc()).limit(50))
    return [{"group": group, "tag": tag, "players": n} for group, tag, n in rows]


def dashboard(campaign: Campaign) -> Dashboard:
    """Return the campaign's numbers: totals, per day, score spread, rewards."""
    issued, redeemed = coupon_counts([campaign.id])[campaign.id]
    days, daily = _daily(campaign)
    bins, counts = _score_histogram(campaign)
    return Dashboard(
        players=_count(campaign, PLAY_KINDS, distinct=True), plays=_count(campaign, PLAY_KINDS),
        visits=_count(campaign, ("visit",)), shares=_count(campaign, SHARE_KINDS),
        referred=_count(campaign, (REFERRAL_KIND,), distinct=True),
        draws=_count(campaign, (DRAW_KIND,)), issued=issued, redeemed=redeemed,
        days=days, daily=daily, score_bins=bins, score_counts=counts, prizes=_prizes(campaign),
        tags=_tags(campaign))
