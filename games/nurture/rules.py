"""The rules of nurture (养成): care for a plant day by day until it matures.

Pure functions and integers only: state in, state out, the time passed in as
a ``Moment`` (Unix seconds, the campaign-local day, the next local midnight).
The server is the authority: every action is one call, checked here.

- Growth moves the plant through ``stages``; it matures when growth reaches
  the last stage's threshold (growth stops there).
- Each action gives growth, costs energy, then cools down for
  ``cooldown_s`` seconds, and may be done ``daily_limit`` times a local day.
- Energy refills to ``energy_max`` at local midnight (unused energy is lost).
- The streak counts consecutive local days with at least one action; a day's
  first action adds ``streak_bonus * (min(streak, STREAK_CAP) - 1)`` growth.
- A referral reward's boost adds growth (``boost``; given once per reward by
  the engine); it costs no energy and does not count as a day's activity.
  ``friend_boost`` is the level-1 boost of referral settings stored before
  boosts were a reward kind.
"""

from __future__ import annotations

from typing import Any

from games.base import ActionRefused, Moment

STREAK_CAP = 7


def new_state(params: dict[str, Any], now: Moment) -> dict[str, Any]:
    """Return a fresh plant: no growth, a full energy bar, no streak."""
    return {"growth": 0, "energy": params["energy_max"], "day": now.day, "used": {},
            "last": {}, "streak": 0, "active_day": None, "days_active": 0, "actions": 0,
            "friends": [], "stage": 0, "matured": False}


def roll_day(state: dict[str, Any], params: dict[str, Any], now: Moment) -> dict[str, Any]:
    """Return ``state`` as of ``now``: a new local day refills energy and daily counts."""
    if now.day == state["day"]:
        return state
    return {**state, "day": now.day, "energy": params["energy_max"], "used": {}}


def stage_index(growth: int, stages: list[dict[str, Any]]) -> int:
    """Return the index of the last stage whose threshold ``growth`` reached."""
    return max(i for i, stage in enumerate(stages) if growth >= stage["threshold"])


def goal(params: dict[str, Any]) -> int:
    """Return the growth at which the plant matures."""
    return params["stages"][-1]["threshold"]


def current_streak(state: dict[str, Any], now: Moment) -> int:
    """Return the streak still alive at ``now`` (0 once a whole day was missed)."""
    active = state["active_day"]
    return state["streak"] if active is not None and now.day - active <= 1 else 0


def find_action(params: dict[str, Any], key: str) -> dict[str, Any]:
    """Return the campaign's action ``key``, or raise ``ActionRefused`` unknown_action."""
    for action in params["actions"]:
        if action["key"] == key:
            return action
    raise ActionRefused("unknown_action", f"no action {key!r}")


def wait_for(state: dict[str, Any], params: dict[str, Any], key: str,
             now: Moment) -> ActionRefused | None:
    """Return why ``key`` cannot be done at ``now`` (with seconds to wait), or None."""
    action = find_action(params, key)
    state = roll_day(state, params, now)
    to_midnight = max(now.day_end - now.ts, 1)
    if state["matured"]:
        return ActionRefused("matured", "the plant has matured")
    if state["used"].get(key, 0) >= action["daily_limit"]:
        return ActionRefused("daily_limit", "daily limit reached", to_midnight)
    if state["energy"] < action["energy"]:
        return ActionRefused("no_energy", "not enough energy", to_midnight)
    last = state["last"].get(key)
    if action["cooldown_s"] and last is not None and now.ts < last + action["cooldown_s"]:
        return ActionRefused("cooldown", "cooling down", last + action["cooldown_s"] - now.ts)
    return None


def _grow(state: dict[str, Any], params: dict[str, Any], gained: int) -> int:
    """Add ``gained`` growth up to the goal; mark maturity; return the growth added."""
    added = min(gained, goal(params) - state["growth"])
    state["growth"] += added
    state["stage"] = stage_index(state["growth"], params["stages"])
    state["matured"] = state["growth"] >= goal(params)
    return added


def act(state: dict[str, Any], params: dict[str, Any], key: str,
        now: Moment) -> tuple[dict[str, Any], int]:
    """Return the state after doing ``key`` at ``now`` and the growth it gave.

    Raises ``ActionRefused`` (see ``wait_for``).
    """
    refused = wait_for(state, params, key, now)
    if refused is not None:
        raise refused
    action = find_action(params, key)
    new = roll_day(state, params, now)
    new = {**new, "used": {**new["used"], key: new["used"].get(key, 0) + 1},
           "last": {**new["last"], key: now.ts}, "energy": new["energy"] - action["energy"],
           "actions": new["actions"] + 1}
    gained = action["growth"]
    if new["active_day"] != now.day:  # the day's first action: the streak moves on
        kept = new["active_day"] is not None and now.day - new["active_day"] == 1
        new["streak"] = new["streak"] + 1 if kept else 1
        new["active_day"] = now.day
        new["days_active"] += 1
        gained += params["streak_bonus"] * (min(new["streak"], STREAK_CAP) - 1)
    return new, _grow(new, params, gained)


def boost(state: dict[str, Any], params: dict[str, Any], amount: int, now: Moment,
          friend_id: int | None = None) -> tuple[dict[str, Any], int]:
    """Return the state after a growth boost of ``amount`` (a referral reward), and the growth.

    ``friend_id`` is the referred friend whose play earned it, counted once
    among the plant's helpers; the caller gives each boost once.
    """
    new = roll_day(state, params, now)
    if friend_id is not None and friend_id not in new["friends"]:
        new = {**new, "friends": [*new["friends"], friend_id]}
    return new, _grow(new, params, amount)


def _action_view(state: dict[str, Any], params: dict[str, Any], action: dict[str, Any],
                 now: Moment) -> dict[str, Any]:
    refused = wait_for(state, params, action["key"], now)
    return {**action, "used_today": state["used"].get(action["key"], 0),
            "ready": refused is None, "blocked": refused.code if refused else None,
            "ready_in": (refused.retry_after or 0) if refused else 0}


def view(state: dict[str, Any], params: dict[str, Any], now: Moment) -> dict[str, Any]:
    """Return the plant as the player's page shows it at ``now``."""
    state = roll_day(state, params, now)
    stages = params["stages"]
    index = stage_index(state["growth"], stages)
    following = stages[index + 1] if index + 1 < len(stages) else None
    return {
        "theme": params["theme"], "growth": state["growth"], "goal": goal(params),
        "stage": index, "stage_name": stages[index]["name"], "stages": stages,
        "next_stage": None if following is None else {
            "name": following["name"], "threshold": following["threshold"],
            "needed": following["threshold"] - state["growth"]},
        "energy": min(state["energy"], params["energy_max"]), "energy_max": params["energy_max"],
        "refill_in": max(now.day_end - now.ts, 1), "streak": current_streak(state, now),
        "streak_bonus": params["streak_bonus"], "days_active": state["days_active"],
        "friends": len(state["friends"]), "friend_boost": params["friend_boost"],
        "matured": state["matured"],
        "actions": [_action_view(state, params, a, now) for a in params["actions"]],
    }


def metrics(state: dict[str, Any] | None) -> dict[str, Any]:
    """Return the tag metrics of a plant: stage reached, streak, days active, maturity."""
    if state is None:
        return {}
    return {"stage": state["stage"], "streak": state["streak"],
            "days_active": state["days_active"], "matured": state["matured"],
            "growth": state["growth"], "friends": len(state["friends"])}
