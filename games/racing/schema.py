"""The marshmallow schemas of racing: campaign params and the input log.

Units a marketer sets: speeds in m/s, acceleration in m/s², lengths in
metres (one row of the track is 10 m), time limits in seconds.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from games.fields import bounded_int as _int
from games.fields import image as _image
from games.fields import moves_schema
from games.racing import rules

SCORE_MODES = ("distance", "time")
MAX_DURATION_S = 600
MAX_TICK_RATE = 60
# the longest race is MAX_DURATION_S at MAX_TICK_RATE; no input can come later
MAX_TICK = MAX_DURATION_S * MAX_TICK_RATE
# MAX_INPUTS_PER_S over the longest race
MAX_MOVES = rules.MAX_INPUTS_PER_S * MAX_DURATION_S

SKIN_KEYS = ("car", "track", "obstacle", "pickup")


def _default_skins() -> dict[str, str]:
    """Return the built-in skins: no images, the client draws everything."""
    return dict.fromkeys(SKIN_KEYS, "")


class SkinsSchema(Schema):
    """Validate the brand's images for the car, the track, obstacles and pick-ups."""

    car = _image()
    track = _image()
    obstacle = _image()
    pickup = _image()


class RacingParamsSchema(Schema):
    """Validate a campaign's racing params and fill in the defaults."""

    lanes = _int(3, 3, 5)
    tick_rate = _int(30, 20, MAX_TICK_RATE)
    # the time limit: the race length in "distance" mode, the cut-off in "time" mode
    duration_s = _int(60, 10, MAX_DURATION_S)
    # metres to the finish line in "time" mode
    course_length = _int(1500, 100, 50000)
    start_speed = _int(20, 5, 100)
    max_speed = _int(50, 5, 150)
    acceleration = _int(1, 0, 20)
    # percent chance per lane per row of an obstacle, and of a pick-up where none is
    obstacle_density = _int(20, 0, 90)
    pickup_density = _int(10, 0, 90)
    pickup_points = _int(50, 0, 10000)
    lives = _int(3, 1, 5)
    min_input_gap_ticks = _int(2, 1, 30)
    score_mode = fields.String(load_default="distance", validate=validate.OneOf(SCORE_MODES))
    skins = fields.Nested(SkinsSchema, load_default=_default_skins)

    @validates_schema
    def check_course(self, data, **kwargs):
        """Refuse a speed curve that slows down, or a time trial nobody can finish."""
        if data["max_speed"] < data["start_speed"]:
            raise ValidationError("Must not be below start_speed.", "max_speed")
        if data["score_mode"] == "time" and rules.finish_tick(data) is None:
            raise ValidationError("Cannot be reached within duration_s.", "course_length")


def _valid_move(move) -> bool:
    return (isinstance(move, dict) and set(move) == {"k", "a"} and move["a"] in rules.ACTIONS
            and type(move["k"]) is int and 0 <= move["k"] <= MAX_TICK)


RacingMovesSchema = moves_schema(
    _valid_move, 'Expected {"k": tick, "a": "L"|"R"}.', MAX_MOVES, "RacingMovesSchema",
    'Validate an input log, loaded as ``{"moves": [{"k": 42, "a": "L"}, ...]}``.')
