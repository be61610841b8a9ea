"""The plugin interface every game type implements.

Game code is the ground floor: it never imports ``engine`` or ``tags``, never
sees a request, a session or a database. The engine talks to a game type only
through this interface, found by name in the registry (``games.GAME_TYPES``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any, ClassVar

from marshmallow import Schema

# a log may claim up to this much more time than the server saw (clocks, network)
TIMING_SLACK_MS = 2000


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


class ActionRefused(Exception):
    """Signal that a server-authoritative action cannot be done now.

    ``code`` says why (e.g. ``"cooldown"``, ``"daily_limit"``, ``"no_energy"``,
    ``"matured"``, ``"unknown_action"``); ``retry_after`` is the number of
    seconds until it can be done, when waiting helps.
    """

    def __init__(self, code: str, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Moment:
    """The time as server-authoritative rules see it, in integers.

    ``ts`` is Unix seconds; ``day`` numbers the campaign-local calendar day
    (``date.toordinal()``); ``day_end`` is the Unix second the next local day
    starts. The engine builds it from the campaign's time zone.
    """

    ts: int
    day: int
    day_end: int


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
    # a replayed type's pure rules module: ``new_state(seed, params)`` and
    # ``replay(seed, params, moves, elapsed_ms)``, given validated params
    rules: ClassVar[ModuleType | None] = None
    # whether a player may hand in a game before it is over (a race runs to its end)
    ends_early: ClassVar[bool] = True
    # static files (relative to /static/) the play page loads, in order
    client_scripts: ClassVar[tuple[str, ...]] = ()
    # the keys ``player_metrics`` returns and what each means (tags name them
    # ``<type>_<key>``; a tag rule may use exactly these)
    metric_names: ClassVar[dict[str, str]] = {}

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
        return _schema(self.moves_schema).load({"moves": moves})["moves"]

    def session_metrics(self, result: ReplayResult) -> dict[str, Any]:
        """Return what one replayed session tells about the player, kept with its score.

        Values are JSON-able scalars read from ``result`` (its ``state``);
        ``player_metrics`` gets them back in each session dict. An empty dict
        means the type keeps nothing beyond score, moves and duration.
        """
        return {}

    def lower_is_better(self, params: dict[str, Any]) -> bool:
        """Return whether a smaller score ranks higher (a time trial)."""
        return False

    def new_state(self, seed: int, params: dict[str, Any]) -> dict[str, Any]:
        """Return the JSON-able starting state for a session with ``seed``."""
        if self.rules is None:
            raise NotImplementedError
        return self.rules.new_state(seed, self.rules_params(params))

    def replay(self, seed: int, params: dict[str, Any], moves: list[Any],
               elapsed_ms: int | None = None) -> ReplayResult:
        """Replay ``moves`` from the seeded start and return the outcome.

        ``elapsed_ms`` is the wall-clock time the server saw between opening
        the session and receiving the log; a log that claims to be longer, or
        whose inputs come faster than a hand can, raises ``MoveRejected``
        with code ``"inhuman_timing"``. A move the rules refuse raises
        ``MoveRejected`` with code ``"invalid_moves"``.
        """
        if self.rules is None:
            raise NotImplementedError
        return self.rules.replay(seed, self.rules_params(params), moves, elapsed_ms)

    # server-authoritative types (``replayed = False``) keep one state per player;
    # the engine stores it, serializes changes to it and calls these

    #: the player-facing (Simplified Chinese) wording of each ``ActionRefused`` code
    refusal_messages: ClassVar[dict[str, str]] = {}

    def new_player_state(self, params: dict[str, Any], now: Moment) -> dict[str, Any]:
        """Return a player's JSON-able starting state."""
        raise NotImplementedError

    def apply_action(self, state: dict[str, Any], params: dict[str, Any], action: str,
                     now: Moment) -> tuple[dict[str, Any], int]:
        """Return the state after ``action`` and the progress it gained.

        Raises ``ActionRefused`` when the action cannot be done now.
        """
        raise NotImplementedError

    def apply_boost(self, state: dict[str, Any], params: dict[str, Any], amount: int,
                    now: Moment, friend_id: int | None = None) -> tuple[dict[str, Any], int] | None:
        """Return the state after a referral reward's boost of ``amount``, and the gain.

        ``friend_id`` is the referred friend whose play earned it, if it counts
        as their help. None means the type has no boost (the reward kind is
        refused when set for such a campaign).
        """
        return None

    def legacy_friend_boost(self, params: dict[str, Any]) -> int:
        """Return the sharer bonus the type gave before boosts were a reward kind (0: none)."""
        return 0

    def is_complete(self, state: dict[str, Any], params: dict[str, Any]) -> bool:
        """Return whether the player's state has reached the goal (e.g. maturity)."""
        return False

    def player_state_view(self, state: dict[str, Any], params: dict[str, Any],
                          now: Moment) -> dict[str, Any]:
        """Return the state as the player's page shows it at ``now``."""
        raise NotImplementedError

    def player_metrics(self, sessions: list[dict[str, Any]],
                       state: dict[str, Any] | None) -> dict[str, Any]:
        """Return the metrics this type contributes to a player's tags.

        ``sessions`` are the player's finished sessions in the campaign, each a
        dict with ``score``, ``moves``, ``duration_ms`` and, when stored, the
        type's own ``session_metrics``; ``state`` is the player's
        server-authoritative state (None for replayed types). Values are
        JSON-able scalars; an empty dict means nothing to contribute.
        """
        return {}


@lru_cache(maxsize=256)
def _validated(game: GameType, params_json: str) -> dict[str, Any]:
    return game.validate_params(json.loads(params_json))


@lru_cache(maxsize=32)
def _schema(schema_class: type[Schema]) -> Schema:
    """Return one instance of ``schema_class`` per process (construction copies its fields)."""
    return schema_class()
