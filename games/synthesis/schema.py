"""The marshmallow schemas of synthesis: campaign params and the input log."""

from __future__ import annotations

import copy
from operator import itemgetter

from marshmallow import Schema, fields, validate

from games.fields import image, moves_schema
from games.synthesis.rules import DIRECTIONS

MAX_MOVES = 5000
# about 24 days in ms: a session never lasts that long, and it keeps t a small int
MAX_T_MS = 2**31 - 1

# the 11 fruits of 合成大西瓜; colours live in the client, not in the params
DEFAULT_LEVELS: tuple[dict, ...] = tuple(
    {"name": name, "image": "", "points": 2 ** (i + 1)}
    for i, name in enumerate((
        "樱桃", "草莓", "葡萄", "柠檬", "猕猴桃", "番茄", "桃子", "菠萝", "椰子",
        "半个西瓜", "西瓜",
    ))
)

def _default_levels() -> list[dict]:
    """Return a fresh copy of the built-in fruit levels."""
    return copy.deepcopy(list(DEFAULT_LEVELS))


class LevelSchema(Schema):
    """Validate one level of the merge chain: its name, picture and points."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=12))
    image = image()
    points = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=10**9))


class SynthesisParamsSchema(Schema):
    """Validate a campaign's synthesis params and fill in the defaults."""

    rows = fields.Integer(load_default=4, strict=True, validate=validate.Range(min=3, max=8))
    cols = fields.Integer(load_default=4, strict=True, validate=validate.Range(min=3, max=8))
    spawn_high_pct = fields.Integer(load_default=10, strict=True,
                                    validate=validate.Range(min=0, max=50))
    min_move_interval_ms = fields.Integer(load_default=60, strict=True,
                                          validate=validate.Range(min=0, max=1000))
    levels = fields.List(fields.Nested(LevelSchema), load_default=_default_levels,
                         validate=validate.Length(min=3, max=16))


def _valid_move(move) -> bool:
    return (isinstance(move, dict) and set(move) == {"d", "t"} and move["d"] in DIRECTIONS
            and type(move["t"]) is int and 0 <= move["t"] <= MAX_T_MS)


_DIRECTION_SET = frozenset(DIRECTIONS)
_get_d, _get_t = itemgetter("d"), itemgetter("t")


def _all_valid(moves: list) -> bool:
    """Return whether ``_valid_move`` accepts every move of a non-empty log (C-level passes)."""
    try:
        if set(map(type, moves)) != {dict} or set(map(len, moves)) != {2}:
            return False
        directions, times = set(map(_get_d, moves)), list(map(_get_t, moves))
    except (KeyError, TypeError):  # a move without "d" or "t", a "d" that is no str
        return False
    return (directions <= _DIRECTION_SET and set(map(type, times)) == {int}
            and min(times) >= 0 and max(times) <= MAX_T_MS)


SynthesisMovesSchema = moves_schema(
    _valid_move, 'Expected {"d": "U"|"D"|"L"|"R", "t": ms}.', MAX_MOVES, "SynthesisMovesSchema",
    'Validate an input log, loaded as ``{"moves": [{"d": "L", "t": 812}, ...]}``.',
    _all_valid)
