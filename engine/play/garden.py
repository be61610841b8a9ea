"""Gardens: a player's state in a server-authoritative (non-replayed) campaign.

The game type's rules decide; this module stores the state, one row per
player, and serializes changes to it: the row is locked (``SELECT ... FOR
UPDATE`` on PostgreSQL) and written only if its ``version`` is still the one
read, so concurrent taps never both apply. An action is idempotent under its
key: the stored answer is answered again, and the action never runs twice.
Maturity awards the campaign's "maturity" coupons once; a player's first
valid action is their verified play for referral, which may boost the
referrer's garden once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from engine import referral
from engine.campaigns import lifecycle
from engine.clock import as_utc, to_ms, utcnow
from engine.errors import (
    ActionNotReady,
    AlreadyMatured,
    IdempotencyConflict,
    NotFound,
    UnknownAction,
)
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Garden, GardenAction, Player
from engine.rewards import awards
from games import ActionRefused, GameType, Moment, get_game_type

log = logging.getLogger(__name__)
ATTEMPTS = 5
FRIEND_BOOST = "friend_boost"
_MESSAGES = {"cooldown": "冷却中，请稍后再来", "daily_limit": "今天的次数用完了，明天再来吧",
             "no_energy": "体力不足，明天会恢复满哦"}


def moment(campaign: Campaign, now: datetime) -> Moment:
    """Return ``now`` as the rules see it: Unix seconds, local day, next local midnight."""
    local = as_utc(now).astimezone(ZoneInfo(campaign.timezone))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=local.tzinfo)
    return Moment(ts=to_ms(now) // 1000, day=local.date().toordinal(),
                  day_end=to_ms(midnight) // 1000)


def _game(campaign: Campaign) -> GameType:
    game = get_game_type(campaign.game_type)
    if game.replayed:
        raise NotFound("该活动没有养成玩法")
    return game


def _params(campaign: Campaign) -> dict:
    return campaign.game_params or {}


def _garden(campaign: Campaign, player_id: int, lock: bool = False) -> Garden | None:
    query = select(Garden).where(Garden.campaign_id == campaign.id,
                                 Garden.player_id == player_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _locked_garden(campaign: Campaign, game: GameType, player_id: int, now: datetime) -> Garden:
    """Return the player's garden row, locked, creating it with a fresh state if missing."""
    garden = _garden(campaign, player_id, lock=True)
    if garden is not None:
        return garden
    try:
        with db.session.begin_nested():
            state = game.new_player_state(_params(campaign), moment(campaign, now))
            db.session.add(Garden(campaign_id=campaign.id, player_id=player_id, state=state,
                                  version=1, created_at=now, updated_at=now))
    except IntegrityError:  # created concurrently: use that one
        pass
    return _garden(campaign, player_id, lock=True)


def _save(garden: Garden, state: dict, now: datetime, matured: bool) -> bool:
    """Write ``state`` if the row is still at the version read; return whether it was."""
    values = {"state": state, "version": Garden.version + 1, "updated_at": now}
    if matured:
        values["matured_at"] = func.coalesce(Garden.matured_at, now)
    written = db.session.execute(
        update(Garden).where(Garden.id == garden.id, Garden.version == garden.version)
        .values(**values).execution_options(synchronize_session=False))
    return written.rowcount == 1


def _refusal(exc: ActionRefused):
    if exc.code == "matured":
        return AlreadyMatured()
    if exc.code == "unknown_action":
        return UnknownAction(fields={"action": ["unknown action"]})
    return ActionNotReady(_MESSAGES.get(exc.code), code=exc.code,
                          retry_after=max(exc.retry_after or 1, 1))


def _view(campaign: Campaign, game: GameType, state: dict, now: datetime) -> dict:
    return game.player_state_view(state, _params(campaign), moment(campaign, now))


def garden_view(campaign: Campaign, player: Player) -> dict:
    """Return the player's garden as the page shows it (a fresh one if never touched)."""
    game, now = _game(campaign), utcnow()
    garden = _garden(campaign, player.id)
    state = (garden.state if garden is not None
             else game.new_player_state(_params(campaign), moment(campaign, now)))
    return {"garden": _view(campaign, game, state, now),
            "maturity_rewards": awards.maturity_rewards(campaign, player.id)}


def _matured(campaign: Campaign, game: GameType, before: dict, after: dict) -> bool:
    params = _params(campaign)
    return game.is_complete(after, params) and not game.is_complete(before, params)


def _apply(campaign: Campaign, game: GameType, garden: Garden, player: Player, action: str,
           key: str, now: datetime) -> dict | None:
    """Apply ``action`` to the locked garden; return the answer, or None on a lost race."""
    before = garden.state
    try:
        state, gained = game.apply_action(before, _params(campaign), action,
                                          moment(campaign, now))
    except ActionRefused as exc:
        raise _refusal(exc) from None
    matured = _matured(campaign, game, before, state)
    if not _save(garden, state, now, matured):
        return None
    first = db.session.scalar(select(GardenAction.id).where(
        GardenAction.garden_id == garden.id, GardenAction.action != FRIEND_BOOST).limit(1)) is None
    rewards = awards.award_for_maturity(campaign, player.id) if matured else []
    record_event("garden_action", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, action=action, gained=gained)
    if matured:
        record_event("garden_matured", brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=player.id)
    if first and (found := referral.verified_play(campaign, player.id, "garden")):
        boost_from_friend(campaign, found.referrer_id, player.id, now)
    answer = {"action": action, "gained": gained, "matured": matured, "rewards": rewards,
              "garden": _view(campaign, game, state, now)}
    db.session.add(GardenAction(garden_id=garden.id, idempotency_key=key, action=action,
                                result=answer, created_at=now))
    db.session.flush()  # a duplicate key fails here, before the commit
    return answer


def _stored(garden: Garden, key: str, action: str) -> dict | None:
    done = db.session.scalar(select(GardenAction).where(GardenAction.garden_id == garden.id,
                                                        GardenAction.idempotency_key == key))
    if done is None:
        return None
    if done.action != action:
        raise IdempotencyConflict()
    return done.result


def perform(campaign: Campaign, player: Player, action: str, idempotency_key: str) -> dict:
    """Do ``action`` once under ``idempotency_key``; the same key answers the same again.

    Returns ``{"action", "gained", "matured", "rewards", "garden"}``. Raises
    ``ActionNotReady`` (429 with ``retry_after``) on cooldown, over the daily
    limit or out of energy; ``AlreadyMatured``; ``UnknownAction``.
    """
    lifecycle.ensure_live(campaign)
    game = _game(campaign)
    for _ in range(ATTEMPTS):
        garden = _locked_garden(campaign, game, player.id, utcnow())
        now = utcnow()  # read once the row is ours: the previous holder acted earlier
        try:
            stored = _stored(garden, idempotency_key, action)
            if stored is not None:
                db.session.rollback()
                return stored
            answer = _apply(campaign, game, garden, player, action, idempotency_key, now)
        except IntegrityError:  # the same key, applied concurrently: answer as it did
            answer = None
        except Exception:
            db.session.rollback()
            raise
        if answer is not None:
            db.session.commit()
            return answer
        db.session.rollback()  # another tap changed the garden first: read it again
    raise ActionNotReady("操作太频繁，请稍后再试", code="busy", retry_after=1)


def boost_from_friend(campaign: Campaign, referrer_id: int, friend_id: int,
                      now: datetime | None = None) -> int:
    """Add the game's friend boost to the referrer's garden once per friend; return the gain.

    Runs in the caller's transaction; the friend's garden is locked before the
    referrer's (a child before its ancestor), so lock order follows the forest.
    """
    game, now = _game(campaign), now or utcnow()
    garden = _locked_garden(campaign, game, referrer_id, now)
    boosted = game.apply_friend_boost(garden.state, _params(campaign), friend_id,
                                      moment(campaign, now))
    if boosted is None:
        return 0
    state, gained = boosted
    matured = _matured(campaign, game, garden.state, state)
    try:
        with db.session.begin_nested():
            db.session.add(GardenAction(garden_id=garden.id, idempotency_key=f"friend:{friend_id}",
                                        action=FRIEND_BOOST, result={"gained": gained},
                                        created_at=now))
    except IntegrityError:
        return 0
    if not _save(garden, state, now, matured):  # the row is locked by this transaction
        raise RuntimeError(f"garden {garden.id} changed while locked")
    record_event("garden_action", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=referrer_id, action=FRIEND_BOOST, gained=gained, friend_id=friend_id)
    if matured:
        awards.award_for_maturity(campaign, referrer_id)
        record_event("garden_matured", brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=referrer_id)
    return gained
