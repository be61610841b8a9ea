"""Test plays in the console's preview: scored like real ones, stored nowhere.

A replayed game's preview is played in the browser from a random seed and
its move log replayed here by the same rules that score real sessions; a
server-authoritative game's preview state lives in the preview page and each
action is applied here by the game's own rules. Nothing is written: no
session, no score, no board entry, no coupon, no event. So a preview can
never reach the real boards or stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from engine.clock import utcnow
from engine.errors import ActionNotReady, InvalidMoves, UnknownAction, Unprocessable
from engine.models import Campaign
from engine.play.state import ActionDone, StateView, moment
from games import ActionRefused, MoveRejected, get_game_type


@dataclass(frozen=True)
class PreviewScore:
    """What a preview round would have scored."""

    score: int
    moves: int
    over: bool


def replay(campaign: Campaign, seed: int, moves: list) -> PreviewScore:
    """Replay a preview round's moves from ``seed`` and return its score."""
    game = get_game_type(campaign.game_type)
    if not game.replayed:
        raise Unprocessable("该游戏无需回放", code="not_replayed")
    try:
        loaded = game.load_moves(moves)
        result = game.replay(seed, campaign.game_params, loaded, None)
    except MoveRejected as exc:
        raise InvalidMoves(exc.reason, code=exc.code) from None
    except ValidationError as exc:  # a malformed log
        raise InvalidMoves(fields={"moves": exc.messages}) from None
    return PreviewScore(result.score, result.moves, result.over)


@dataclass(frozen=True)
class PreviewState(StateView):
    """A preview's state as a player's ``GET .../garden`` shows it, and the state itself.

    The preview page keeps ``state`` and sends it back with each action
    (nothing is stored); the rest is the player's answer, field for field.
    """

    state: dict[str, Any]


@dataclass(frozen=True)
class PreviewDone(ActionDone):
    """A preview action's outcome as a player's action answers it, and the new state."""

    state: dict[str, Any]


def fresh_state(campaign: Campaign) -> PreviewState:
    """Return a new player's state and its view for a server-authoritative preview."""
    game, now = get_game_type(campaign.game_type), moment(campaign, utcnow())
    state = game.new_player_state(campaign.game_params, now)
    return PreviewState(garden=game.player_state_view(state, campaign.game_params, now),
                        maturity_rewards=[], state=state)


def act(campaign: Campaign, state: dict, action: str) -> PreviewDone:
    """Apply ``action`` to a preview state by the game's rules; return the new state and view.

    No coupon is won in a preview: reaching the goal answers ``matured``
    with no rewards.
    """
    game, now = get_game_type(campaign.game_type), moment(campaign, utcnow())
    before_done = game.is_complete(state, campaign.game_params)
    try:
        after, gained = game.apply_action(state, campaign.game_params, action, now)
    except ActionRefused as exc:
        if exc.code == "unknown_action":
            raise UnknownAction(fields={"action": ["unknown action"]}) from None
        raise ActionNotReady(game.refusal_messages.get(exc.code), code=exc.code,
                             retry_after=max(exc.retry_after or 1, 1)) from None
    except (KeyError, TypeError, ValueError):  # a state the page made up
        raise Unprocessable("预览状态无效，请刷新预览", code="invalid_state") from None
    matured = not before_done and game.is_complete(after, campaign.game_params)
    return PreviewDone(action=action, gained=gained, matured=matured, rewards=[],
                       garden=game.player_state_view(after, campaign.game_params, now),
                       state=after)
