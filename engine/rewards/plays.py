"""Extra plays (额外游戏次数): sessions past the day's play limit, earned by a reward.

A campaign's play limit is per player and local day (``plays_per_day``;
``engine.play.sessions`` numbers each day's sessions and refuses one past the
limit). An extra play is a ``PlayCredit`` row: a session opened past the
limit spends the oldest unspent one (``PlaySession.credit_id``, unique, so
two concurrent starts never spend the same credit). Credits are kept until
spent, also across days, and counted in the plays left the page shows.
Granting is idempotent under its source key and runs in the caller's
transaction. A campaign without a limit, or a game without sessions, has no
use for extra plays: rewarding them is refused when the rewards are set.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select

from engine.clock import local_day, utcnow
from engine.extensions import db
from engine.models import Campaign, PlayCredit, PlaySession


def grant_credit(campaign: Campaign, player_id: int, source: str, source_key: str) -> bool:
    """Give one extra play for ``source_key`` once; return whether it was new (one statement)."""
    values = {"campaign_id": campaign.id, "player_id": player_id, "source": source,
              "source_key": source_key[:80], "created_at": utcnow(),
              "day_key": local_day(utcnow(), campaign.timezone).isoformat()}
    statement = PlayCredit.insert_once(values, db.session.get_bind().dialect.name)
    return db.session.execute(statement).first() is not None


def grant(campaign: Campaign, player_id: int, source: str, key: str, amount: int) -> int:
    """Give ``amount`` extra plays under ``key`` (``key:0``, ``key:1``...); return the new ones."""
    return sum(grant_credit(campaign, player_id, source, f"{key}:{i}") for i in range(amount))


def _unspent(campaign_id, player_id):
    spent = exists().where(PlaySession.credit_id == PlayCredit.id)
    return select(PlayCredit.id).where(PlayCredit.campaign_id == campaign_id,
                                       PlayCredit.player_id == player_id, ~spent)


def unspent_credit(campaign_id, player_id):
    """Return a scalar subquery: the player's oldest unspent extra play, or NULL.

    ``campaign_id`` and ``player_id`` may be values or SQL expressions.
    """
    return _unspent(campaign_id, player_id).order_by(PlayCredit.id).limit(1).scalar_subquery()


def unspent_count(campaign_id, player_id):
    """Return a scalar subquery: how many extra plays the player has left."""
    return select(func.count()).select_from(
        _unspent(campaign_id, player_id).subquery()).scalar_subquery()
