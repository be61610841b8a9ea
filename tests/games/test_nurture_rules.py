"""Unit tests of the nurture rules, schema and plugin: pure, no app needed."""

import copy

import pytest
from marshmallow import ValidationError

from games import GAME_TYPES, get_game_type
from games.base import ActionRefused, Moment
from games.nurture import NurtureGame, rules
from games.nurture.schema import NurtureParamsSchema

GAME = NurtureGame()
DAY = 86_400
DAY0 = 739_000  # a local day number (date.toordinal())
T0 = 1_800_000_000  # a Unix second at the start of DAY0 (the zone does not matter here)


def at(seconds: int) -> Moment:
    """Return the moment ``seconds`` after the start of DAY0, with its day and midnight."""
    days = seconds // DAY
    return Moment(ts=T0 + seconds, day=DAY0 + days, day_end=T0 + (days + 1) * DAY)


def params(**changes):
    base = {"stages": [{"name": "种子", "threshold": 0}, {"name": "发芽", "threshold": 30},
                       {"name": "结果", "threshold": 100}],
            "actions": [{"key": "water", "name": "浇水", "growth": 10, "energy": 2,
                         "cooldown_s": 60, "daily_limit": 3},
                        {"key": "sun", "name": "晒太阳", "growth": 1, "energy": 0,
                         "cooldown_s": 0, "daily_limit": 100}],
            "energy_max": 5, "streak_bonus": 4, "friend_boost": 20}
    base.update(changes)
    return NurtureParamsSchema().load(base)


def refused(state, p, key, now) -> ActionRefused:
    with pytest.raises(ActionRefused) as info:
        rules.act(state, p, key, now)
    return info.value


def test_registered_and_not_replayed():
    assert get_game_type("nurture") is GAME_TYPES["nurture"]
    assert GAME.replayed is False
    assert GAME.client_scripts == ("games/kit.js", "games/nurture/client.js")


def test_defaults_are_branded_and_consistent():
    p = GAME.default_params()
    assert p["theme"] == "鲜果茶树"
    assert [s["threshold"] for s in p["stages"]][0] == 0
    assert {a["key"] for a in p["actions"]} == {"water", "sunshine", "fertilize"}
    assert all(a["energy"] <= p["energy_max"] for a in p["actions"])


@pytest.mark.parametrize("bad", [
    {"stages": [{"name": "a", "threshold": 5}, {"name": "b", "threshold": 9}]},
    {"stages": [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 0}]},
    {"stages": [{"name": "a", "threshold": 0}]},
    {"actions": [{"key": "w", "name": "x", "growth": 1}, {"key": "w", "name": "y", "growth": 1}]},
    {"actions": [{"key": "w", "name": "x", "growth": 1, "energy": 11}]},
    {"actions": [{"key": "Water!", "name": "x", "growth": 1}]},
    {"energy_max": 0},
    {"colour": "red"},
    {"stages": [{"name": "a", "threshold": 0, "extra": 1}, {"name": "b", "threshold": 9}]},
    {"friend_boost": "10"},
])
def test_schema_refuses_bad_params(bad):
    with pytest.raises(ValidationError):
        GAME.validate_params(bad)


def test_growth_stage_and_purity():
    p = params()
    state = rules.new_state(p, at(0))
    before = copy.deepcopy(state)
    after, gained = rules.act(state, p, "water", at(10))
    assert state == before  # state in, state out: the input is untouched
    assert gained == 10 and after["growth"] == 10 and after["energy"] == 3
    assert after["stage"] == 0 and after["used"] == {"water": 1} and after["actions"] == 1
    after, _ = rules.act(after, p, "water", at(100))
    after, _ = rules.act(after, p, "sun", at(101))
    assert after["growth"] == 21
    view = rules.view(after, p, at(102))
    assert view["stage_name"] == "种子"
    assert view["next_stage"] == {"name": "发芽", "threshold": 30, "needed": 9}


def test_cooldown_refuses_with_seconds_left():
    p = params()
    state, _ = rules.act(rules.new_state(p, at(0)), p, "water", at(10))
    err = refused(state, p, "water", at(50))
    assert err.code == "cooldown" and err.retry_after == 20
    view = rules.view(state, p, at(50))
    water = next(a for a in view["actions"] if a["key"] == "water")
    assert water["ready"] is False and water["blocked"] == "cooldown" and water["ready_in"] == 20
    state, _ = rules.act(state, p, "water", at(70))  # cooled down
    assert state["used"]["water"] == 2


def test_daily_limit_waits_for_local_midnight():
    p = params(energy_max=100)
    state = rules.new_state(p, at(0))
    for i in range(3):
        state, _ = rules.act(state, p, "water", at(i * 60))
    err = refused(state, p, "water", at(DAY - 500))
    assert err.code == "daily_limit" and err.retry_after == 500
    state, _ = rules.act(state, p, "water", at(DAY + 1))  # a new local day
    assert state["used"] == {"water": 1}


def test_energy_runs_out_and_refills_to_max_at_local_midnight():
    p = params(energy_max=4)
    state = rules.new_state(p, at(0))
    state, _ = rules.act(state, p, "water", at(0))
    state, _ = rules.act(state, p, "water", at(100))
    assert state["energy"] == 0
    err = refused(state, p, "water", at(200))
    assert err.code == "no_energy" and err.retry_after == DAY - 200
    assert rules.act(state, p, "sun", at(200))[1] >= 1  # a free action still works
    assert rules.view(state, p, at(DAY - 1))["energy"] == 0
    assert rules.view(state, p, at(DAY))["energy"] == 4  # midnight refill
    state, _ = rules.act(state, p, "water", at(DAY + 5))
    assert state["energy"] == 2


def test_streak_counts_consecutive_local_days_and_adds_a_bonus():
    p = params(energy_max=100, stages=[{"name": "a", "threshold": 0},
                                       {"name": "b", "threshold": 10_000}])
    state = rules.new_state(p, at(0))
    gains = []
    for day in range(4):
        state, gained = rules.act(state, p, "sun", at(day * DAY + 10))
        gains.append(gained)
        state, gained = rules.act(state, p, "sun", at(day * DAY + 20))  # not the day's first
        assert gained == 1
    assert state["streak"] == 4 and state["days_active"] == 4
    assert gains == [1, 1 + 4, 1 + 8, 1 + 12]
    assert rules.view(state, p, at(4 * DAY + 5))["streak"] == 4  # today still counts
    assert rules.view(state, p, at(5 * DAY + 5))["streak"] == 0  # a missed day ends it
    state, gained = rules.act(state, p, "sun", at(6 * DAY))
    assert state["streak"] == 1 and gained == 1 and state["days_active"] == 5


def test_streak_bonus_is_capped():
    p = params(energy_max=100, stages=[{"name": "a", "threshold": 0},
                                       {"name": "b", "threshold": 10_000}])
    state = rules.new_state(p, at(0))
    for day in range(10):
        state, gained = rules.act(state, p, "sun", at(day * DAY))
    assert state["streak"] == 10 and gained == 1 + 4 * (rules.STREAK_CAP - 1)


def test_maturity_caps_growth_and_refuses_further_care():
    p = params(energy_max=100, actions=[{"key": "big", "name": "大", "growth": 70,
                                         "daily_limit": 5}])
    state = rules.new_state(p, at(0))
    state, gained = rules.act(state, p, "big", at(0))
    assert not state["matured"] and state["stage"] == 1
    state, gained = rules.act(state, p, "big", at(1))
    assert gained == 30 and state["growth"] == 100 and state["matured"]
    assert state["stage"] == 2 and rules.view(state, p, at(2))["next_stage"] is None
    assert refused(state, p, "big", at(3)).code == "matured"
    assert GAME.is_complete(state, p)


def test_a_boost_grows_and_counts_the_friend_once():
    p = params()
    state = rules.new_state(p, at(0))
    state, gained = rules.boost(state, p, 20, at(5), 42)
    assert gained == 20 and state["growth"] == 20 and state["energy"] == 5
    state, gained = rules.boost(state, p, 5, at(6), 42)  # a second reward: the same helper
    assert gained == 5 and state["friends"] == [42]
    state, gained = rules.boost(state, p, 15, at(7))  # a welcome or level 2: no helper
    assert state["growth"] == 40 and state["stage"] == 1 and state["friends"] == [42]
    assert state["streak"] == 0 and state["days_active"] == 0  # help is not one's own care


def test_unknown_action():
    p = params()
    assert refused(rules.new_state(p, at(0)), p, "dance", at(0)).code == "unknown_action"


def test_plugin_methods_and_metrics():
    stored = {"stages": [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 15}],
              "actions": [{"key": "sun", "name": "晒", "growth": 10, "daily_limit": 9}]}
    state = GAME.new_player_state(stored, at(0))
    state, _ = GAME.apply_action(state, stored, "sun", at(1))
    state, _ = GAME.apply_boost(state, stored, 5, at(2), 7)
    assert GAME.player_state_view(state, stored, at(3))["matured"] is True
    assert GAME.player_metrics([], state) == {"stage": 1, "streak": 1, "days_active": 1,
                                              "matured": True, "growth": 15, "friends": 1}
    assert GAME.player_metrics([], None) == {}
    assert GAME.legacy_friend_boost(stored) == 30  # the schema's default
