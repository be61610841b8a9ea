"""User tags: groups, rules, each player's tag state, the tag-change outbox, consent.

``tags/`` computes metrics, evaluates rules and writes these tables; the
engine only reads them (an audience check reads a player's tags). The
contract of ``tag_changes`` for the CRM pull API and the delivery worker is
in docs/tags.md: rows are only inserted, and ``position`` is assigned after
commit by ``tags.outbox`` so that readers hand out changes in commit order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import BigId, UTCDateTime

# what a tag change does: a rule (or consent) adds or removes a tag; ``delete``
# passes a player's erasure on (PIPL: deletions reach the CRM)
TAG_OPS = ("add", "remove", "delete")


class TagGroup(db.Model):
    """A set of tags; an exclusive group lets a player hold at most one of its tags."""

    __tablename__ = "tag_groups"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagRule(db.Model):
    """A tag and the JSON rule that decides who holds it.

    The rule's ``name`` is the tag's name (unique per brand). In an exclusive
    group the matching rule with the highest ``priority`` wins (ties: lower id).
    """

    __tablename__ = "tag_rules"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("tag_groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    rule: Mapped[dict] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[TagGroup] = relationship()


class PlayerTag(db.Model):
    """A tag a player holds now, with the rule and time that set it."""

    __tablename__ = "player_tags"
    __table_args__ = (UniqueConstraint("player_id", "rule_id"),
                      Index("ix_player_tags_brand_rule", "brand_id", "rule_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("tag_rules.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("tag_groups.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagChange(db.Model):
    """One tag added to or removed from a player: the outbox row, only ever inserted.

    ``tag`` and ``group`` are the names at the time of the change (a rule may
    be renamed or deleted later); ``rule_id`` is None when the rule is gone.
    ``position`` is None until ``tags.outbox.assign_positions`` numbers the
    committed rows of the brand; readers go by position, so a change that
    committed late is handed out after the ones already read, never skipped.
    """

    __tablename__ = "tag_changes"
    __table_args__ = (Index("ix_tag_changes_brand_position", "brand_id", "position"),
                      Index("ix_tag_changes_brand_id", "brand_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(Integer)
    tag: Mapped[str] = mapped_column(String(40))
    group: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(8))
    # why: "rule" (evaluation), "consent_withdrawn", "rule_deleted", "erasure"
    reason: Mapped[str] = mapped_column(String(24), default="rule")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    position: Mapped[int | None] = mapped_column(BigInteger)


class ProfilingConsent(db.Model):
    """A player's answer to the profiling notice, per brand (PIPL).

    ``profiling`` False: the player is never tagged. ``targeting`` False: the
    player opted out of tag-based targeting (PIPL Art. 24) and every
    campaign's audience check treats them as having no tags.
    """

    __tablename__ = "profiling_consents"
    __table_args__ = (UniqueConstraint("brand_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    profiling: Mapped[bool] = mapped_column(Boolean, default=False)
    targeting: Mapped[bool] = mapped_column(Boolean, default=True)
    notice_version: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
