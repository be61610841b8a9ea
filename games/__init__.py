"""The registry of game types: one name, one plugin.

A new game type is a new package under ``games/`` plus one line here. The
engine finds a type only through ``get_game_type``; it never branches on a
type's name.
"""

from __future__ import annotations

from games.base import ActionRefused, GameType, Moment, MoveRejected, ReplayResult
from games.nurture import NurtureGame
from games.racing import RacingGame
from games.synthesis import SynthesisGame

GAME_TYPES: dict[str, GameType] = {
    game.name: game
    for game in (
        SynthesisGame(),
        RacingGame(),
        NurtureGame(),
    )
}


class UnknownGameType(LookupError):
    """Raised when a campaign names a game type that is not registered."""


def get_game_type(name: str) -> GameType:
    """Return the registered game type called ``name``."""
    try:
        return GAME_TYPES[name]
    except KeyError:
        raise UnknownGameType(name) from None


__all__ = ["GAME_TYPES", "ActionRefused", "GameType", "Moment", "MoveRejected", "ReplayResult",
           "UnknownGameType", "get_game_type"]
