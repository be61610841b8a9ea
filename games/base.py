"""The plugin interface every game type implements.

Game code is the ground floor: it never imports ``engine`` or ``tags``, never
sees a request, a session or a database. The engine talks to a game type only
through this interface, found by name in the registry (``games.GAME_TYPES``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from marshmallow import Schema


class MoveRejected(Exception):
    """Signal that an input log cannot be accepted.

    ``code`` is ``"invalid_moves"`` (the rules refuse a move) or
    ``"inhuman_timing"`` (the timing of the log is not a human's);
    ``index`` is the offending move's position when there is one.
    """

    def __init__(self, code: str, reason: str, index: int | None = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.index = index


@dataclass(frozen=True)
class ReplayResult:
    """What the server learns by replaying an input log."""

    score: int
    moves: int
    over: bool
    duration_ms: int
    state: dict[str, Any] = field(default_factory=dict)


class GameType:
    """One kind of game: its parameters, its rules, its client.

    Subclasses set the class attributes and implement the methods below.
    ``replayed`` game types (synthesis, racing) are scored by replaying the
    client's input log; the others (nurture) are server-authoritative and
    expose their own actions.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    params_schema: ClassVar[type[Schema]]
    # validates ``{"moves": [...]}``: the whole input log, with its length limit
    moves_schema: ClassVar[type[Schema] | None] = None
    replayed: ClassVar[bool] = True
    # static files (relative to /static/) the play page loads, in order
    client_scripts: ClassVar[tuple[str, ...]] = ()

    def default_params(self) -> dict[str, Any]:
        """Return the parameters a campaign gets when the marketer sets none."""
        return self.params_schema().load({})

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return ``params`` validated and completed with defaults.

        Raises ``marshmallow.ValidationError`` with per-field messages.
        """
        return self.params_schema().load(params or {})

    def rules_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return validated ``params`` for the rules, cached; treat it as read-only.

        Saved params were validated on save; this fills in defaults added since,
        without paying for a schema load on every replay.
        """
        return _validated(self, json.dumps(params or {}, sort_keys=True))

    def load_moves(self, moves: list[Any]) -> list[Any]:
        """Return the input log validated by ``moves_schema``.

        Raises ``marshmallow.ValidationError`` with per-move messages.
        """
        if self.moves_schema is None:
            return moves
        return self.moves_schema().load({"moves": moves})["moves"]

    def lower_is_better(self, params: dict[str, Any]) -> bool:
        """Return whether a smaller score ranks higher (a time trial)."""
        return False

    def new_state(self, seed: int, params: dict[str, Any]) -> dict[str, Any]:
        """Return the JSON-able starting state for a session with ``seed``."""
        raise NotImplementedError

    def replay(self, seed: int, params: dict[str, Any], moves: list[Any],
               elapsed_ms: int | None = None) -> ReplayResult:
        """Replay ``moves`` from the seeded start and return the outcome.

        ``elapsed_ms`` is the wall-clock time the server saw between opening
        the session and receiving the log; a log that claims to be longer, or
        whose inputs come faster than a hand can, raises ``MoveRejected``
        with code ``"inhuman_timing"``. A move the rules refuse raises
        ``MoveRejected`` with code ``"invalid_moves"``.
        """
        raise NotImplementedError


@lru_cache(maxsize=256)
def _validated(game: GameType, params_json: str) -> dict[str, Any]:
    return game.validate_params(json.loads(params_json))
