"""Rewards: coupon batches and their codes, prizes, draws, reward rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class CouponBatch(db.Model):
    """A batch of coupon codes: what it is worth, how long it lasts, how many."""

    __tablename__ = "coupon_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    # face value or discount as the brand words it: "满30减5", "8折"
    value_text: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # validity: a fixed window, or N days from issue (then valid_until caps it)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_days: Mapped[int | None] = mapped_column(Integer)
    per_player_limit: Mapped[int] = mapped_column(Integer, default=1)
    code_source: Mapped[str] = mapped_column(String(16), default="generated")
    # players may claim directly (领券) while the campaign is live
    claimable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coupon(db.Model):
    """One code; issued to at most one player, redeemed at most once.

    ``slot`` numbers a player's coupons of a batch (1..per_player_limit): its
    unique constraint makes the per-player limit hold under concurrency.
    ``award_key`` makes an award idempotent: the same key, the same coupon.
    """

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("batch_id", "player_id", "slot"),
        UniqueConstraint("brand_id", "award_key"),
        # codes are a brand's own: two brands may print the same code
        UniqueConstraint("brand_id", "code"),
        Index("ix_coupons_batch_status", "batch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("coupon_batches.id"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="available")
    player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id"), index=True)
    slot: Mapped[int | None] = mapped_column(Integer)
    award_key: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(24))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    store_id: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64))


class Prize(db.Model):
    """A lottery prize: a coupon batch or an item, with odds, caps and stock."""

    __tablename__ = "prizes"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    image: Mapped[str] = mapped_column(String(500), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_batches.id"))
    # chance per draw in parts per million; the rest of a million is "no prize"
    probability_ppm: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int | None] = mapped_column(Integer)
    awarded: Mapped[int] = mapped_column(Integer, default=0)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    # spread the stock evenly over the campaign's days
    paced: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PrizeDay(db.Model):
    """How many of a prize were awarded on one campaign-local day."""

    __tablename__ = "prize_days"

    prize_id: Mapped[int] = mapped_column(ForeignKey("prizes.id"), primary_key=True)
    day_key: Mapped[str] = mapped_column(String(10), primary_key=True)
    awarded: Mapped[int] = mapped_column(Integer, default=0)


class EarnedCredit:
    """Columns and unique key of a credit earned once per source key (a draw, a play).

    ``source`` says what earned it (play, referral, a reward rule), ``source_key``
    makes the grant idempotent by constraint, ``day_key`` is the campaign's local
    day it was earned on (caps per day count it).
    """

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("campaign_id", "player_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(80))
    day_key: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def insert_once(cls, values: dict, dialect: str, *conditions):
        """Return an INSERT of ``values`` if ``conditions`` hold, nothing on a known key.

        It returns the new row's id: RETURNING, not rowcount, which the ORM's
        execution of this insert leaves unreliable on psycopg.
        """
        table = cls.__table__
        columns = [table.c[name] for name in values]
        # a WHERE (if only TRUE) lets SQLite parse ON CONFLICT after an INSERT ... SELECT
        row = select(*(literal(values[c.name], c.type) for c in columns)).where(
            *(conditions or (literal(True),)))
        return cls.insert_selected_once(columns, row, dialect)

    @classmethod
    def insert_selected_once(cls, columns: list, rows, dialect: str):
        """Return an INSERT of the ``rows`` selected, skipping known keys, returning new ids.

        Each SELECT of ``rows`` needs a WHERE for SQLite to parse ON CONFLICT.
        """
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return (insert(cls.__table__).from_select(columns, rows).on_conflict_do_nothing()
                .returning(cls.__table__.c.id))


class DrawCredit(EarnedCredit, db.Model):
    """An extra draw earned by play or by a referred friend's verified play."""

    __tablename__ = "draw_credits"


class PlayCredit(EarnedCredit, db.Model):
    """An extra play: one session past the day's play limit, earned by a reward.

    It is kept until a session spends it (``PlaySession.credit_id``), so an
    extra play earned late in the evening is not lost at midnight.
    """

    __tablename__ = "play_credits"


class Draw(db.Model):
    """One lottery draw, paid by a daily free draw or by one credit."""

    __tablename__ = "draws"
    __table_args__ = (UniqueConstraint("campaign_id", "player_id", "day_key", "free_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    day_key: Mapped[str] = mapped_column(String(10))
    free_no: Mapped[int | None] = mapped_column(Integer)
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("draw_credits.id"), unique=True)
    prize_id: Mapped[int | None] = mapped_column(ForeignKey("prizes.id"))
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _default_repeat(context) -> str:
    """Return a new rule's repeat when none is given: rank prizes per period, else once."""
    return "per_period" if context.get_current_parameters().get("trigger") == "rank" else "once"


class RewardRule(db.Model):
    """When a coupon is awarded: a score threshold, a rank range, a goal reached..."""

    __tablename__ = "reward_rules"
    # award keys name the rule id: SQLite must never reuse a deleted rule's id
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # "score": score >= threshold; "rank": final rank in [rank_from, rank_to] of a period;
    # "goal_reached": a server-authoritative state completed, e.g. a plant matured (once)
    trigger: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(8))
    rank_from: Mapped[int | None] = mapped_column(Integer)
    rank_to: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("coupon_batches.id"))
    title: Mapped[str] = mapped_column(String(120), default="")
    # "once": one coupon per player from this rule; "per_period": one per period won
    # (rank rules, and score rules with a period), past the batch's per-player limit
    repeat: Mapped[str] = mapped_column(String(12), default=_default_repeat,
                                        server_default="once")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AwardFailure(db.Model):
    """An earned coupon that could not be issued, with why; open until a retry issues it.

    One row per award key (the key the coupon would carry): a failure seen
    again counts another attempt on the same row.
    """

    __tablename__ = "award_failures"
    __table_args__ = (UniqueConstraint("brand_id", "award_key"),
                      Index("ix_award_failures_campaign_status", "campaign_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # no foreign key: a rule deleted later leaves its failures readable
    rule_id: Mapped[int | None] = mapped_column(Integer)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("coupon_batches.id"))
    source: Mapped[str] = mapped_column(String(24))
    award_key: Mapped[str] = mapped_column(String(120))
    # issued past the batch's per-player limit (a "per_period" rule)
    past_limit: Mapped[bool] = mapped_column(Boolean, default=False)
    period: Mapped[str | None] = mapped_column(String(8))
    period_key: Mapped[str | None] = mapped_column(String(16))
    # a rank prize's board version (period closes are per game version)
    game_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # the domain error's code: coupons_exhausted, coupon_limit_reached, coupon_not_available
    reason: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | resolved
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_tried_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
