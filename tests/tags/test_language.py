"""The tag rule language: validation with field-level errors, vectorized evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from marshmallow import ValidationError

from tags.language import Evaluator, load_rule
from tags.metrics import DAY, Metrics

NOW = 2_000_000_000


def errors_of(rule) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_rule(rule)
    return caught.value.messages


def test_unknown_metric_wrong_operator_and_non_number_name_the_field():
    assert "metric" in errors_of({"metric": "height", "op": ">=", "value": 1})["rule"]
    assert "op" in errors_of({"metric": "plays", "op": "=>", "value": 1})["rule"]
    assert "value" in errors_of({"metric": "plays", "op": ">=", "value": "3"})["rule"]
    assert "value" in errors_of({"metric": "plays", "op": ">=", "value": True})["rule"]
    assert "value" in errors_of({"metric": "plays", "op": "between", "value": [5, 1]})["rule"]


def test_errors_nest_like_the_rule():
    messages = errors_of({"all": [{"metric": "plays", "op": ">=", "value": 1},
                                  {"not": {"event": "teleport", "within_days": 7}}]})
    assert "event" in messages["rule"]["all"][1]["not"]
    messages = errors_of({"any": [{"metric": "best_score", "op": ">", "value": 1}]})
    assert "campaign" in messages["rule"]["any"][0]
    assert errors_of({"all": []})["rule"] == {"all": ["需为非空列表"]}
    assert errors_of({"all": [1], "any": [1]})["rule"] == {"any": ["未知字段"]}
    assert errors_of("plays > 3")["rule"] == ["条件需为对象"]


def test_nesting_and_size_are_bounded():
    deep = {"metric": "plays", "op": ">=", "value": 1}
    for _ in range(12):
        deep = {"not": deep}
    assert errors_of(deep)
    wide = {"any": [{"metric": "plays", "op": ">=", "value": n} for n in range(150)]}
    assert errors_of(wide)


def test_a_valid_rule_comes_back_with_defaults():
    rule = load_rule({"event": "play_finished", "within_days": 7, "min_count": 3})
    assert rule == {"event": "play_finished", "within_days": 7, "min_count": 3}
    assert load_rule({"event": "visit", "within_days": 1})["min_count"] == 1


def _metrics() -> Metrics:
    ids = np.array([10, 11, 12, 13], np.int64)
    return Metrics(
        now=NOW, player_ids=ids,
        values={"plays": np.array([0.0, 3, 5, 9]),
                "last_active_days_ago": np.array([np.nan, 1, 10, 40])},
        per_campaign={"best_score": {1: np.array([np.nan, 10, 50, 90]),
                                     2: np.array([70.0, np.nan, np.nan, np.nan])},
                      "campaign_plays": {1: np.zeros(4), 2: np.zeros(4)}},
        top_pct={1: np.array([np.nan, 100, 66.7, 33.3]), 2: np.array([100.0, np.nan, np.nan,
                                                                      np.nan])},
        event_kinds=["play_finished", "visit"],
        event_player=np.array([1, 1, 1, 2, 2, 3], np.int64),
        event_kind=np.array([0, 0, 0, 0, 1, 0], np.int16),
        event_at=np.array([NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY, NOW - DAY, NOW,
                           NOW - 9 * DAY], np.int64))


def matched(rule) -> list[int]:
    m = _metrics()
    return m.player_ids[Evaluator(m).matches(load_rule(rule))].tolist()


def test_comparisons_in_between_and_nan_is_never_true():
    assert matched({"metric": "plays", "op": ">=", "value": 5}) == [12, 13]
    assert matched({"metric": "plays", "op": "in", "value": [0, 9]}) == [10, 13]
    assert matched({"metric": "plays", "op": "between", "value": [3, 5]}) == [11, 12]
    assert matched({"metric": "last_active_days_ago", "op": "<", "value": 7}) == [11]
    assert matched({"metric": "last_active_days_ago", "op": "!=", "value": 1}) == [12, 13]
    assert matched({"not": {"metric": "last_active_days_ago", "op": "<", "value": 7}}) == [
        10, 12, 13]


def test_all_any_and_per_campaign_metrics():
    assert matched({"all": [{"metric": "plays", "op": ">=", "value": 3},
                            {"metric": "plays", "op": "<", "value": 9}]}) == [11, 12]
    assert matched({"any": [{"metric": "plays", "op": "==", "value": 0},
                            {"metric": "plays", "op": "==", "value": 9}]}) == [10, 13]
    assert matched({"metric": "best_score", "op": ">=", "value": 60, "campaign": "any"}) == [
        10, 13]
    assert matched({"metric": "best_score", "op": ">=", "value": 60, "campaign": 1}) == [13]
    assert matched({"metric": "best_score", "op": ">=", "value": 60, "campaign": 99}) == []


def test_percentile_thresholds():
    assert matched({"metric": "best_score", "top_pct": 34, "campaign": 1}) == [13]
    assert matched({"metric": "best_score", "top_pct": 100, "campaign": "any"}) == [
        10, 11, 12, 13]


def test_event_windows_count_within_days():
    assert matched({"event": "play_finished", "within_days": 7, "min_count": 3}) == [11]
    assert matched({"event": "play_finished", "within_days": 2, "min_count": 1}) == [11, 12]
    assert matched({"event": "play_finished", "within_days": 30, "min_count": 1,
                    "max_count": 1}) == [12, 13]
    assert matched({"event": "visit", "within_days": 1}) == [12]
    assert matched({"event": "share", "within_days": 7}) == []
