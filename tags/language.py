"""The tag rule language: JSON conditions, validated by marshmallow, evaluated with numpy.

A condition is one of::

    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}
    {"metric": name, "op": ">=" | ">" | "<=" | "<" | "==" | "!=", "value": number}
    {"metric": name, "op": "in", "value": [number, ...]}
    {"metric": name, "op": "between", "value": [low, high]}        (inclusive)
    {"metric": "best_score", "top_pct": 10, "campaign": "any" | <campaign id>}
    {"event": kind, "within_days": 7, "min_count": 3, "max_count"?: n}

Per-campaign metrics (``tags.metrics.CAMPAIGN_METRICS``) need ``campaign``:
an id, or ``"any"`` (true when true in any campaign). Evaluation maps each
operator to a numpy function; nothing is ever ``eval``-ed. A comparison with
an unknown value (NaN, e.g. never active) is false.
"""

from __future__ import annotations

import numbers

import numpy as np
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tags.metrics import CAMPAIGN_METRICS, DAY, METRICS, Metrics

COMPARISONS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less,
               "==": np.equal, "!=": np.not_equal}
OPS = (*COMPARISONS, "in", "between")
# the event kinds a rule may count: engine.events records them
EVENT_KINDS = ("visit", "play_started", "play_finished", "play_rejected", "play_refused",
               "garden_action", "garden_matured", "share", "referral", "referred_play",
               "coupon_issued", "coupon_redeemed", "draw")
PERCENTILE_METRICS = ("best_score",)
MAX_DEPTH = 8
MAX_NODES = 100


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


class CampaignRef(fields.Field):
    """A campaign id, or "any"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "any" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            return value
        raise ValidationError('需为活动 id 或 "any"')


class ComparisonSchema(Schema):
    metric = fields.String(required=True)
    op = fields.String(required=True, validate=validate.OneOf(OPS))
    value = fields.Raw(required=True)
    campaign = CampaignRef()

    @validates_schema
    def _check(self, data, **kwargs):
        _check_metric(data)
        value, op = data["value"], data["op"]
        if op == "in" and not (isinstance(value, list) and 1 <= len(value) <= 100
                               and all(_is_number(v) for v in value)):
            raise ValidationError("in 需要 1-100 个数字的列表", "value")
        if op == "between" and not (isinstance(value, list) and len(value) == 2
                                    and all(_is_number(v) for v in value)
                                    and value[0] <= value[1]):
            raise ValidationError("between 需要 [下限, 上限] 两个数字", "value")
        if op in COMPARISONS and not _is_number(value):
            raise ValidationError("需为数字", "value")


def _check_metric(data: dict) -> None:
    metric = data["metric"]
    if metric in CAMPAIGN_METRICS:
        if "campaign" not in data:
            raise ValidationError(f"{metric} 按活动计算：需给出 campaign", "campaign")
    elif metric in METRICS:
        if "campaign" in data:
            raise ValidationError(f"{metric} 不按活动计算：去掉 campaign", "campaign")
    else:
        raise ValidationError(f"未知指标：{metric}", "metric")


class PercentileSchema(Schema):
    metric = fields.String(required=True, validate=validate.OneOf(PERCENTILE_METRICS))
    top_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100,
                                                                   min_inclusive=False))
    campaign = CampaignRef(required=True)


class EventSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    within_days = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=3650))
    min_count = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=0))
    max_count = fields.Integer(strict=True, validate=validate.Range(min=0))


def _load_node(node, depth: int, budget: list[int]):
    """Return a validated condition, or raise ValidationError with nested field messages."""
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise ValidationError(f"条件过多（最多 {MAX_NODES} 个）")
    if depth > MAX_DEPTH:
        raise ValidationError(f"嵌套过深（最多 {MAX_DEPTH} 层）")
    if not isinstance(node, dict):
        raise ValidationError("条件需为对象")
    for key in ("all", "any"):
        if key in node:
            return {key: _load_list(node, key, depth, budget)}
    if "not" in node:
        _only(node, "not")
        try:
            return {"not": _load_node(node["not"], depth + 1, budget)}
        except ValidationError as exc:
            raise ValidationError({"not": exc.messages}) from None
    if "event" in node:
        return EventSchema().load(node)
    if "top_pct" in node:
        return PercentileSchema().load(node)
    if "metric" in node:
        return ComparisonSchema().load(node)
    raise ValidationError("条件需含 all、any、not、metric 或 event 之一")


def _only(node: dict, key: str) -> None:
    extra = sorted(set(node) - {key})
    if extra:
        raise ValidationError({name: ["未知字段"] for name in extra})


def _load_list(node: dict, key: str, depth: int, budget: list[int]) -> list:
    _only(node, key)
    items = node[key]
    if not isinstance(items, list) or not items:
        raise ValidationError({key: ["需为非空列表"]})
    out, errors = [], {}
    for i, item in enumerate(items):
        try:
            out.append(_load_node(item, depth + 1, budget))
        except ValidationError as exc:
            errors[i] = exc.messages
    if errors:
        raise ValidationError({key: errors})
    return out


class RuleField(fields.Field):
    """A whole rule: validated node by node, errors nested like the rule itself."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _load_node(value, 1, [0])


def load_rule(rule) -> dict:
    """Return ``rule`` validated; raise ValidationError with messages under ``rule``."""
    try:
        return _load_node(rule, 1, [0])
    except ValidationError as exc:
        raise ValidationError({"rule": exc.messages}) from None


def campaigns_named(rule: dict) -> set[int]:
    """Return the campaign ids a validated rule names."""
    found: set[int] = set()
    for key in ("all", "any"):
        for child in rule.get(key, ()):
            found |= campaigns_named(child)
    if "not" in rule:
        found |= campaigns_named(rule["not"])
    if isinstance(rule.get("campaign"), int):
        found.add(rule["campaign"])
    return found


class Evaluator:
    """Evaluate validated rules over one brand's metrics; event counts are shared."""

    def __init__(self, metrics: Metrics):
        self.m = metrics
        self._counts: dict[tuple[str, int], np.ndarray] = {}

    def matches(self, rule: dict) -> np.ndarray:
        """Return a boolean array: which players the rule matches."""
        n = len(self.m)
        if "all" in rule:
            return np.logical_and.reduce([self.matches(c) for c in rule["all"]]
                                         + [np.ones(n, bool)])
        if "any" in rule:
            return np.logical_or.reduce([self.matches(c) for c in rule["any"]]
                                        + [np.zeros(n, bool)])
        if "not" in rule:
            return ~self.matches(rule["not"])
        if "event" in rule:
            counts = self._event_counts(rule["event"], rule["within_days"])
            found = counts >= rule.get("min_count", 1)
            return found & (counts <= rule["max_count"]) if "max_count" in rule else found
        if "top_pct" in rule:
            return self._per_campaign(self.m.top_pct, rule["campaign"],
                                      lambda a: a <= rule["top_pct"])
        if rule["metric"] in CAMPAIGN_METRICS:
            return self._per_campaign(self.m.per_campaign[rule["metric"]], rule["campaign"],
                                      lambda a: self._compare(a, rule))
        return self._compare(self.m.values[rule["metric"]], rule)

    def _per_campaign(self, arrays: dict[int, np.ndarray], campaign, test) -> np.ndarray:
        chosen = arrays.values() if campaign == "any" else (
            [arrays[campaign]] if campaign in arrays else [])
        return np.logical_or.reduce([test(a) for a in chosen] + [np.zeros(len(self.m), bool)])

    @staticmethod
    def _compare(values: np.ndarray, rule: dict) -> np.ndarray:
        op, value = rule["op"], rule["value"]
        with np.errstate(invalid="ignore"):
            if op == "in":
                return np.isin(values, np.asarray(value, np.float64))
            if op == "between":
                return (values >= value[0]) & (values <= value[1])
            found = COMPARISONS[op](values, value)
        return found & ~np.isnan(values) if op == "!=" else found

    def _event_counts(self, kind: str, days: int) -> np.ndarray:
        key = (kind, days)
        if key not in self._counts:
            m = self.m
            code = m.event_kinds.index(kind) if kind in m.event_kinds else -1
            mask = ((m.event_kind == code) & (m.event_at >= m.now - days * DAY)
                    & (m.event_player >= 0))
            self._counts[key] = np.bincount(m.event_player[mask], minlength=len(m))
        return self._counts[key]
