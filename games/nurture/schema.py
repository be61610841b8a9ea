"""The marshmallow schema of nurture (养成): a campaign's plant, stages and actions.

Units a marketer sets: growth points, energy points, seconds. Unknown keys
are refused at every level (marshmallow's default), so a typo never passes
silently.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from games.fields import bounded_int as _int
from games.fields import image

MAX_STAGES = 8
MAX_ACTIONS = 6
MAX_GROWTH = 1_000_000
DAY_S = 86_400

_KEY_RE = r"^[a-z][a-z0-9_]{0,31}$"


def _name(default: str | None = None) -> fields.String:
    extra = {"required": True} if default is None else {"load_default": default}
    return fields.String(validate=validate.Length(min=1, max=20), **extra)


def default_stages() -> list[dict]:
    """Return the built-in stages of a fruit-tea tree; the client draws each one."""
    return [{"name": name, "threshold": threshold, "image": ""} for name, threshold in (
        ("种子", 0), ("发芽", 30), ("幼苗", 120), ("抽枝", 300), ("开花", 520), ("结果", 800))]


def default_actions() -> list[dict]:
    """Return the built-in daily care: water, sunshine and fertilizer."""
    return [
        {"key": "water", "name": "浇水", "growth": 10, "energy": 1, "cooldown_s": 1800,
         "daily_limit": 5},
        {"key": "sunshine", "name": "晒太阳", "growth": 5, "energy": 0, "cooldown_s": 600,
         "daily_limit": 3},
        {"key": "fertilize", "name": "施肥", "growth": 25, "energy": 3, "cooldown_s": 14400,
         "daily_limit": 2},
    ]


class StageSchema(Schema):
    """One stage of growth: reached when growth is at least ``threshold``."""

    name = _name()
    threshold = _int(None, 0, MAX_GROWTH)
    image = image()


class ActionSchema(Schema):
    """One care action: what it gives, what it costs, how often."""

    key = fields.String(required=True, validate=validate.Regexp(
        _KEY_RE, error="Lower-case letters, digits and _ (max 32)."))
    name = _name()
    growth = _int(None, 0, MAX_GROWTH)
    energy = _int(0, 0, 1000)
    cooldown_s = _int(0, 0, DAY_S)
    daily_limit = _int(1, 1, 100)


class NurtureParamsSchema(Schema):
    """Validate a campaign's nurture params and fill in the defaults."""

    theme = fields.String(load_default="鲜果茶树", validate=validate.Length(min=1, max=40))
    stages = fields.List(fields.Nested(StageSchema), load_default=default_stages,
                         validate=validate.Length(min=2, max=MAX_STAGES))
    actions = fields.List(fields.Nested(ActionSchema), load_default=default_actions,
                          validate=validate.Length(min=1, max=MAX_ACTIONS))
    energy_max = _int(10, 1, 1000)
    # growth added on a day's first action per consecutive day beyond the first (capped)
    streak_bonus = _int(5, 0, 10_000)
    # the sharer's boost of referral settings stored before boosts were a reward kind
    friend_boost = _int(30, 0, MAX_GROWTH)

    @validates_schema
    def check_consistency(self, data, **kwargs):
        """Refuse stages out of order, duplicate actions or costs above the energy bar."""
        thresholds = [s["threshold"] for s in data["stages"]]
        if thresholds[0] != 0 or any(b <= a for a, b in zip(thresholds, thresholds[1:],
                                                            strict=False)):
            raise ValidationError("Thresholds must start at 0 and increase.", "stages")
        keys = [a["key"] for a in data["actions"]]
        if len(set(keys)) != len(keys):
            raise ValidationError("Action keys must be unique.", "actions")
        if any(a["energy"] > data["energy_max"] for a in data["actions"]):
            raise ValidationError("An action costs more than energy_max.", "actions")
