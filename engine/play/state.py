"""Game states: a player's state in a server-authoritative (non-replayed) campaign.

The game type's rules decide; this module stores the state, one row per
player, and serializes changes to it: the row is locked (``SELECT ... FOR
UPDATE`` on PostgreSQL) and written only if its ``version`` is still the one
read, so concurrent taps never both apply. An action is idempotent under its
key: the stored answer is answered again, and the action never runs twice.
Reaching the game's goal (``GameType.is_complete``) awards the campaign's
``goal_reached`` coupons once; a player's first valid action is their
verified play for referral, whose rewards may boost a state once each
(``grant_boost``: the reward kind ``boost``, engine.referral.rewards).
Nothing here knows a game type by name: refusal wording comes from the type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from engine import referral
from engine.api.schemas import GameActionResultSchema
from engine.boards import periods
from engine.campaigns import audience, lifecycle
from engine.clock import local_day, to_ms, utcnow
from engine.errors import (
    ActionNotReady,
    GoalAlreadyReached,
    IdempotencyConflict,
    NotFound,
    UnknownAction,
)
from engine.events import event_values, record_event
from engine.extensions import db
from engine.models import Campaign, GameAction, GameState, Player, Referral
from engine.play import records
from engine.rewards import awards
from games import ActionRefused, GameType, Moment, get_game_type

log = logging.getLogger(__name__)
ATTEMPTS = 5
FRIEND_BOOST = "friend_boost"
# stored event kinds and referral source, kept as first named so history stays comparable
ACTION_EVENT, GOAL_EVENT, REFERRAL_SOURCE = "garden_action", "garden_matured", "garden"
_STATES, _ACTIONS, _REFERRALS = GameState.__table__, GameAction.__table__, Referral.__table__
_RESULT = GameActionResultSchema()


def moment(campaign: Campaign, now: datetime) -> Moment:
    """Return ``now`` as the rules see it: Unix seconds, local day, next local midnight."""
    tz = campaign.timezone
    return Moment(ts=to_ms(now) // 1000, day=local_day(now, tz).toordinal(),
                  day_end=to_ms(periods.next_local_midnight(now, tz)) // 1000)


def _game(campaign: Campaign) -> GameType:
    game = get_game_type(campaign.game_type)
    if game.replayed:
        raise NotFound("该活动没有养成玩法")  # the public /garden path names it
    return game


def _params(campaign: Campaign) -> dict:
    return campaign.game_params or {}


def _row(campaign: Campaign, player_id: int) -> GameState | None:
    return db.session.scalar(select(GameState).where(GameState.campaign_id == campaign.id,
                                                     GameState.player_id == player_id))


# the player's state row locked, the action done under the key, the referral awaiting a
# first play: one statement, built once per process
_LOCK = (select(_STATES.c.id, _STATES.c.version, _STATES.c.state,
                _ACTIONS.c.action.label("done_action"), _ACTIONS.c.result.label("done_result"),
                _REFERRALS.c.id.label("referral_id"))
         .select_from(_STATES.outerjoin(_ACTIONS, and_(
             _ACTIONS.c.game_state_id == _STATES.c.id,
             _ACTIONS.c.idempotency_key == bindparam("key"))).outerjoin(_REFERRALS, and_(
                 _REFERRALS.c.campaign_id == _STATES.c.campaign_id,
                 _REFERRALS.c.player_id == _STATES.c.player_id,
                 _REFERRALS.c.verified_at.is_(None))))
         .where(_STATES.c.campaign_id == bindparam("campaign_id"),
                _STATES.c.player_id == bindparam("player_id"))
         .with_for_update(of=_STATES))


def _locked_row(campaign: Campaign, game: GameType, player_id: int, now: datetime,
                key: str = "") -> Row:
    """Return the player's state row locked (created if missing): its ``id``, ``version``
    and ``state``, the action done under ``key`` if any (``done_action``,
    ``done_result``), and the player's referral awaiting a first play (``referral_id``).

    One statement when the row exists, a Core row (no ORM entity).
    """
    params = {"campaign_id": campaign.id, "player_id": player_id, "key": key}
    db.session.flush()  # what the ORM would autoflush first (nothing, at a tap's start)
    found = db.session.connection().execute(_LOCK, params).first()
    if found is None:
        try:
            with db.session.begin_nested():
                state = game.new_player_state(_params(campaign), moment(campaign, now))
                db.session.add(GameState(campaign_id=campaign.id, player_id=player_id,
                                         state=state, version=1, created_at=now,
                                         updated_at=now))
        except IntegrityError:  # created concurrently: use that one
            pass
        found = db.session.connection().execute(_LOCK, params).first()
    return found


def _save(row: Row, state: dict, now: datetime, reached: bool) -> bool:
    """Write ``state`` if the row is still at the version read; return whether it was."""
    values = {"state": state, "version": GameState.version + 1, "updated_at": now}
    if reached:
        values["goal_reached_at"] = func.coalesce(GameState.goal_reached_at, now)
    written = db.session.execute(
        update(GameState).where(GameState.id == row.id, GameState.version == row.version)
        .values(**values).execution_options(synchronize_session=False))
    return written.rowcount == 1


def _refusal(campaign: Campaign, game: GameType, state: dict, exc: ActionRefused):
    """Return the domain error for a refused action, worded by the game type."""
    message = game.refusal_messages.get(exc.code)
    if exc.code == "unknown_action":
        return UnknownAction(fields={"action": ["unknown action"]})
    if game.is_complete(state, _params(campaign)):
        return GoalAlreadyReached(message)
    return ActionNotReady(message, code=exc.code, retry_after=max(exc.retry_after or 1, 1))


def _view(campaign: Campaign, game: GameType, state: dict, now: datetime) -> dict[str, Any]:
    """Return the game type's view of ``state`` at ``now`` (its keys are the type's own)."""
    return game.player_state_view(state, _params(campaign), moment(campaign, now))


@dataclass(frozen=True)
class StateView:
    """A player's state as the page shows it, and what the goal brings.

    The field names are the public ones of ``GET .../garden``
    (``GameStateViewSchema`` dumps it); ``garden`` is the game type's view.
    """

    garden: dict[str, Any]
    maturity_rewards: list[awards.GoalReward]


@dataclass(frozen=True)
class ActionDone:
    """One action's outcome: what it gained, whether it reached the goal, the new state.

    The field names are the public ones (``GameActionResultSchema`` dumps
    it, for the answer and for the result kept with the action).
    """

    action: str
    gained: int
    matured: bool
    rewards: list[awards.WonCoupon]
    garden: dict[str, Any]


def state_view(campaign: Campaign, player: Player) -> StateView:
    """Return the player's state as the page shows it (a fresh one if never touched)."""
    game, now = _game(campaign), utcnow()
    row = _row(campaign, player.id)
    state = (row.state if row is not None
             else game.new_player_state(_params(campaign), moment(campaign, now)))
    return StateView(garden=_view(campaign, game, state, now),
                     maturity_rewards=awards.goal_rewards(campaign, player.id))


def _reached(campaign: Campaign, game: GameType, before: dict, after: dict) -> bool:
    params = _params(campaign)
    return game.is_complete(after, params) and not game.is_complete(before, params)


def _apply(campaign: Campaign, game: GameType, row: Row, player: Player, action: str,
           key: str, now: datetime, referral_pending: bool = False) -> ActionDone | None:
    """Apply ``action`` to the locked state; return the answer, or None on a lost race."""
    before = row.state
    try:
        state, gained = game.apply_action(before, _params(campaign), action,
                                          moment(campaign, now))
    except ActionRefused as exc:
        raise _refusal(campaign, game, before, exc) from None
    reached = _reached(campaign, game, before, state)
    if reached or referral_pending:
        return _apply_with_rewards(campaign, game, row, player, action, key, now, state,
                                   gained, reached, referral_pending)
    # the common case: nothing won, nothing to verify; the state, event and action in
    # Core statements (one on PostgreSQL), nothing in the ORM's unit of work
    answer = ActionDone(action, gained, False, [], _view(campaign, game, state, now))
    written = records.write_action(
        row.id, row.version, {"state": state, "updated_at": now},
        event_values(ACTION_EVENT, **_action_event(campaign, player.id, action, gained)),
        _action_values(row, key, action, answer, now))
    return answer if written else None


def _apply_with_rewards(campaign: Campaign, game: GameType, row: Row, player: Player,
                        action: str, key: str, now: datetime, state: dict, gained: int,
                        reached: bool, referral_pending: bool) -> ActionDone | None:
    """Save an action that reaches the goal or may verify a referral, with its rewards."""
    if not _save(row, state, now, reached):
        return None
    # a referred player's first action is their verified play (no referral: nothing to ask)
    first = referral_pending and db.session.scalar(select(GameAction.id).where(
        GameAction.game_state_id == row.id, GameAction.action != FRIEND_BOOST).limit(1)) is None
    rewards = awards.award_for_goal(campaign, player.id) if reached else []
    record_event(ACTION_EVENT, brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, action=action, gained=gained)
    if reached:
        record_event(GOAL_EVENT, brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=player.id)
    # the referral's rewards, boosts included, are given in this transaction
    if first and referral.verified_play(campaign, player.id, REFERRAL_SOURCE) is not None:
        # a welcome boost may have grown it: read the stored state (a column, never stale)
        state = db.session.scalar(select(GameState.state).where(GameState.id == row.id))
    answer = ActionDone(action, gained, reached, rewards, _view(campaign, game, state, now))
    db.session.add(GameAction(**_action_values(row, key, action, answer, now)))
    db.session.flush()  # a duplicate key fails here, before the commit
    return answer


def _action_event(campaign: Campaign, player_id: int, action: str, gained: int) -> dict:
    return {"brand_id": campaign.brand_id, "campaign_id": campaign.id, "player_id": player_id,
            "action": action, "gained": gained}


def _action_values(row: Row, key: str, action: str, answer: ActionDone,
                   now: datetime) -> dict:
    # kept as answered: a retry of the key gets these bytes again (engine.api.schemas.Kept)
    return {"game_state_id": row.id, "idempotency_key": key, "action": action,
            "result": _RESULT.dump(answer), "created_at": now}


def _stored(row: Row, action: str) -> dict | None:
    """Return the answer kept under the request's key, if the action was done before."""
    if row.done_action is None:
        return None
    if row.done_action != action:
        raise IdempotencyConflict()
    return row.done_result


def perform(campaign: Campaign, player: Player, action: str, idempotency_key: str
            ) -> ActionDone | dict:
    """Do ``action`` once under ``idempotency_key``; the same key answers the same again.

    Returns the ``ActionDone``; a retry gets the answer kept under the key
    (``GameActionResultSchema``'s dump when it was first done). Raises
    ``ActionNotReady`` (429 with ``retry_after``) on cooldown, over the daily
    limit or out of energy; ``GoalAlreadyReached``; ``UnknownAction``.
    """
    lifecycle.ensure_live(campaign)
    audience.ensure_in_audience(campaign, player)
    game = _game(campaign)
    for _ in range(ATTEMPTS):
        row = _locked_row(campaign, game, player.id, utcnow(), idempotency_key)
        now = utcnow()  # read once the row is ours: the previous holder acted earlier
        try:
            stored = _stored(row, action)
            if stored is not None:
                db.session.rollback()
                return stored
            answer = _apply(campaign, game, row, player, action, idempotency_key, now,
                            row.referral_id is not None)
        except IntegrityError:  # the same key, applied concurrently: answer as it did
            answer = None
        except Exception:
            db.session.rollback()
            raise
        if answer is not None:
            db.session.commit()
            return answer
        db.session.rollback()  # another tap changed the state first: read it again
    raise ActionNotReady("操作太频繁，请稍后再试", code="busy", retry_after=1)


def grant_boost(campaign: Campaign, player_id: int, key: str, amount: int,
                friend_id: int | None = None, now: datetime | None = None) -> int:
    """Add a referral reward's boost of ``amount`` to the player's state once; return the gain.

    Idempotent under ``key`` (a ``GameAction`` row, unique per state): a
    retried reward never boosts twice. Runs in the caller's transaction; a
    friend's state is locked before their sharer's (a child before its
    ancestor), so lock order follows the forest. Reaching the goal awards
    its coupons once, as an action would.
    """
    game, now = _game(campaign), now or utcnow()
    row = _locked_row(campaign, game, player_id, now)
    boosted = game.apply_boost(row.state, _params(campaign), amount, moment(campaign, now),
                               friend_id)
    if boosted is None:
        return 0
    state, gained = boosted
    reached = _reached(campaign, game, row.state, state)
    try:
        with db.session.begin_nested():
            db.session.add(GameAction(game_state_id=row.id, idempotency_key=key[:64],
                                      action=FRIEND_BOOST, result={"gained": gained},
                                      created_at=now))
    except IntegrityError:  # given before: never twice
        return 0
    if not _save(row, state, now, reached):  # the row is locked by this transaction
        raise RuntimeError(f"game state {row.id} changed while locked")
    record_event(ACTION_EVENT, brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player_id, action=FRIEND_BOOST, gained=gained, friend_id=friend_id)
    if reached:
        awards.award_for_goal(campaign, player_id)
        record_event(GOAL_EVENT, brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=player_id)
    return gained
