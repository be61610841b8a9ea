"""The rules of racing (竞速): a lane runner on a course that speeds up.

Pure functions and integers only, the seeded PRNG passed in (through a
``Track``). ``static/games/racing/rules.js`` is the same simulation tick for
tick; golden vectors in ``tests/golden/racing.json`` prove it.

The course is cut into rows 10 m apart; row ``r`` sits at ``r * ROW_MM``
millimetres. Positions are in mm, speeds in mm/s, and the distance covered
is kept as ``scaled = sum of speeds`` so that ``pos = scaled // tick_rate`` is
exact at any tick rate. Every row's content is drawn from the PRNG in row
order, so the course is a function of the seed alone, never of the input.
The car speeds up linearly from ``start_speed`` by ``acceleration`` m/s per
second up to ``max_speed``; the ramp counts the ticks it has been speeding
up. On each tick ``k`` the steer logged at ``k`` (if any) moves the car one
lane, then the car advances at the ramp's speed, then every row it crossed
on this tick (``old_pos < r * ROW_MM <= pos``) is checked in the car's lane:
an obstacle costs a life and drops the car back to start speed (the ramp
restarts) unless the car is still invulnerable from an earlier hit; a
pick-up is collected. The race is over when lives reach 0, at the time
limit (``duration_s``), or, in "time" mode, at the finish line
(``course_length`` m).

Scores: "distance" mode scores metres covered plus ``pickup_points`` per
pick-up (higher is better). "time" mode scores the finish time in ms (lower
is better); a race that does not finish (lives out or time limit) scores
``duration_s * 1000 + 1 + metres short of the finish``: worse than every
finisher, and the closer a non-finisher got, the better.
"""

from __future__ import annotations

from typing import Any

from games.base import TIMING_SLACK_MS, MoveRejected, ReplayResult
from games.prng import Prng

ACTIONS = ("L", "R")
EMPTY, OBSTACLE, PICKUP = 0, 1, 2
MM_PER_M = 1000
ROW_M = 10
ROW_MM = ROW_M * MM_PER_M
# the first rows are empty: this many seconds at the start speed to get going
SAFE_S = 2
# after a hit the car passes through obstacles for this long
INVULNERABLE_MS = 1000
# no hand steers more often than this in any one-second window
MAX_INPUTS_PER_S = 12


def speed_at(params: dict[str, Any], ramp: int) -> int:
    """Return the speed in mm/s after ``ramp`` ticks of speeding up, capped at max_speed."""
    start = params["start_speed"] * MM_PER_M
    gained = params["acceleration"] * MM_PER_M * ramp // params["tick_rate"]
    return min(params["max_speed"] * MM_PER_M, start + gained)


def max_ticks(params: dict[str, Any]) -> int:
    """Return the tick count of the time limit: no race lasts longer."""
    return params["duration_s"] * params["tick_rate"]


def finish_tick(params: dict[str, Any]) -> int | None:
    """Return the tick count to cover the "time" course without a crash, or None if too long."""
    goal = params["course_length"] * MM_PER_M * params["tick_rate"]
    scaled = 0
    # without a crash the ramp is the tick number (speed_at caps it at max_speed)
    for k in range(max_ticks(params)):
        scaled += speed_at(params, k)
        if scaled >= goal:
            return k + 1
    return None


def first_row(params: dict[str, Any]) -> int:
    """Return the index of the first row that may hold obstacles or pick-ups."""
    return params["start_speed"] * SAFE_S // ROW_M + 1


def make_row(prng: Prng, params: dict[str, Any]) -> list[int]:
    """Return one row's cells drawn from ``prng``; at least one lane is always open."""
    lanes = params["lanes"]
    cells = []
    for _ in range(lanes):
        hit = prng.next_int(100) < params["obstacle_density"]
        bonus = prng.next_int(100) < params["pickup_density"]
        cells.append(OBSTACLE if hit else PICKUP if bonus else EMPTY)
    if all(cell == OBSTACLE for cell in cells):
        cells[prng.next_int(lanes)] = EMPTY
    return cells


class Track:
    """Hold the course's rows, drawn lazily and in order from the seeded PRNG."""

    def __init__(self, prng: Prng, params: dict[str, Any]):
        self.prng = prng
        self.params = params
        self.first = first_row(params)
        self.rows: list[list[int]] = []

    def row(self, r: int) -> list[int]:
        """Return the cells of row ``r`` (one per lane)."""
        if r < self.first:
            return [EMPTY] * self.params["lanes"]
        while len(self.rows) <= r - self.first:
            self.rows.append(make_row(self.prng, self.params))
        return self.rows[r - self.first]


def initial_state(params: dict[str, Any]) -> dict[str, Any]:
    """Return the state before tick 0: middle lane, full lives, nothing covered."""
    return {"ticks": 0, "scaled": 0, "pos": 0, "ramp": 0, "lane": params["lanes"] // 2,
            "lives": params["lives"], "crashes": 0, "pickups": 0, "invulnerable_until": 0,
            "over": False, "finished": False}


def _cross(state: dict[str, Any], cell: int, k: int, params: dict[str, Any]) -> None:
    """Apply crossing ``cell`` on tick ``k`` to the fresh ``state`` in place."""
    if cell == OBSTACLE and k >= state["invulnerable_until"]:
        state["lives"] -= 1
        state["crashes"] += 1
        state["ramp"] = 0
        state["invulnerable_until"] = k + params["tick_rate"] * INVULNERABLE_MS // 1000
    elif cell == PICKUP:
        state["pickups"] += 1


def step(state: dict[str, Any], action: str | None, track: Track,
         params: dict[str, Any]) -> dict[str, Any] | None:
    """Return the state one tick later, steering ``action`` first.

    Returns None when the race is over or the steer would leave the track.
    """
    lane = state["lane"] + {None: 0, "L": -1, "R": 1}[action]
    if state["over"] or not 0 <= lane < params["lanes"]:
        return None
    k = state["ticks"]
    speed = speed_at(params, state["ramp"])
    scaled = state["scaled"] + speed
    new = {**state, "ticks": k + 1, "scaled": scaled, "lane": lane,
           "pos": scaled // params["tick_rate"],
           "ramp": state["ramp"] + int(speed < params["max_speed"] * MM_PER_M)}
    for r in range(state["pos"] // ROW_MM + 1, new["pos"] // ROW_MM + 1):
        _cross(new, track.row(r)[lane], k, params)
    at_finish = (new["ticks"] >= max_ticks(params) if params["score_mode"] == "distance"
                 else new["pos"] >= params["course_length"] * MM_PER_M)
    new["finished"] = new["lives"] > 0 and at_finish
    new["over"] = new["lives"] == 0 or at_finish or new["ticks"] >= max_ticks(params)
    return new


def distance_m(state: dict[str, Any]) -> int:
    """Return the whole metres covered."""
    return state["pos"] // MM_PER_M


def duration_ms(state: dict[str, Any], params: dict[str, Any]) -> int:
    """Return the race time so far in ms."""
    return state["ticks"] * 1000 // params["tick_rate"]


def score_of(state: dict[str, Any], params: dict[str, Any]) -> int:
    """Return the score of ``state`` by the campaign's score mode (see the module doc)."""
    if params["score_mode"] == "distance":
        return distance_m(state) + state["pickups"] * params["pickup_points"]
    if state["finished"]:
        return duration_ms(state, params)
    short = max(0, params["course_length"] - distance_m(state))
    return params["duration_s"] * 1000 + 1 + short


def public_state(state: dict[str, Any]) -> dict[str, int]:
    """Return what a result reports: distance (m), lives, pick-ups, crashes, ticks."""
    return {"distance": distance_m(state), "lives": state["lives"],
            "pickups": state["pickups"], "crashes": state["crashes"], "ticks": state["ticks"]}


def new_state(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON-able start of a session: the public state, lane, first rows."""
    track = Track(Prng(seed), params)
    start = initial_state(params)
    rows = [track.row(r) for r in range(track.first + 8)]
    return {**public_state(start), "lane": start["lane"], "over": False, "rows": rows}


def parse_moves(moves: list[Any]) -> list[tuple[int, str]]:
    """Return the log as ``(tick, action)`` pairs in order.

    Raises MoveRejected("invalid_moves") on a malformed move, a tick going
    backwards or two inputs on one tick.
    """
    parsed: list[tuple[int, str]] = []
    for i, move in enumerate(moves):
        k = move.get("k") if isinstance(move, dict) else None
        a = move.get("a") if isinstance(move, dict) else None
        if a not in ACTIONS or not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise MoveRejected("invalid_moves", "malformed move", i)
        if parsed and k < parsed[-1][0]:
            raise MoveRejected("invalid_moves", "tick goes backwards", i)
        if parsed and k == parsed[-1][0]:
            raise MoveRejected("invalid_moves", "two inputs on one tick", i)
        parsed.append((k, a))
    return parsed


def check_pace(ticks: list[int], params: dict[str, Any]) -> None:
    """Raise MoveRejected("inhuman_timing") if the inputs come faster than a hand's."""
    n = MAX_INPUTS_PER_S
    for i, k in enumerate(ticks):
        if i and k - ticks[i - 1] < params["min_input_gap_ticks"]:
            raise MoveRejected("inhuman_timing", "inputs come too fast", i)
        if i >= n and k - ticks[i - n] < params["tick_rate"]:
            raise MoveRejected("inhuman_timing", "too many inputs in one second", i)


def run(seed: int, params: dict[str, Any], parsed: list[tuple[int, str]]) -> dict[str, Any]:
    """Simulate the whole race with the ordered log ``parsed``; return the final state.

    The race runs on without input after the log ends, until it is over. This
    is ``step`` tick for tick with the state in local variables (a dict per
    tick costs more than the tick); tests hold the two to each other.
    """
    track = Track(Prng(seed), params)
    lanes, rate, max_t = params["lanes"], params["tick_rate"], max_ticks(params)
    start, top = params["start_speed"] * MM_PER_M, params["max_speed"] * MM_PER_M
    gain = params["acceleration"] * MM_PER_M
    distance_mode = params["score_mode"] == "distance"
    course = params["course_length"] * MM_PER_M
    hit_ticks = rate * INVULNERABLE_MS // 1000
    s = initial_state(params)
    lane, lives, crashes, pickups = s["lane"], s["lives"], 0, 0
    k = scaled = pos = ramp = safe_until = i = 0
    steers = [(tick, -1 if a == "L" else 1) for tick, a in parsed] + [(-1, 0)]
    next_k, shift = steers[0]
    over = at_finish = False
    while not over:
        if k == next_k:
            lane += shift
            if not 0 <= lane < lanes:
                raise MoveRejected("invalid_moves", "steer leaves the track", i)
            i += 1
            next_k, shift = steers[i]
        speed = min(top, start + gain * ramp // rate)
        scaled += speed
        old_row, pos = pos // ROW_MM, scaled // rate
        ramp += speed < top
        for r in range(old_row + 1, pos // ROW_MM + 1):
            cell = track.row(r)[lane]
            if cell == OBSTACLE and k >= safe_until:
                lives, crashes, ramp, safe_until = lives - 1, crashes + 1, 0, k + hit_ticks
            elif cell == PICKUP:
                pickups += 1
        k += 1
        at_finish = k >= max_t if distance_mode else pos >= course
        over = lives == 0 or at_finish or k >= max_t
    if i < len(parsed):
        raise MoveRejected("invalid_moves", "move after the race ended", i)
    return {**s, "ticks": k, "scaled": scaled, "pos": pos, "ramp": ramp, "lane": lane,
            "lives": lives, "crashes": crashes, "pickups": pickups,
            "invulnerable_until": safe_until, "over": True,
            "finished": lives > 0 and at_finish}


def replay(seed: int, params: dict[str, Any], moves: list[Any],
           elapsed_ms: int | None = None) -> ReplayResult:
    """Replay ``moves`` from the seeded start and return the outcome.

    Raises MoveRejected: ``invalid_moves`` for a malformed or out-of-order
    move, a steer off the track or a move after the race ended;
    ``inhuman_timing`` for inputs faster than a hand or a race longer than
    the session the server saw.
    """
    parsed = parse_moves(moves)
    check_pace([k for k, _ in parsed], params)
    state = run(seed, params, parsed)
    ms = duration_ms(state, params)
    if elapsed_ms is not None and ms > elapsed_ms + TIMING_SLACK_MS:
        raise MoveRejected("inhuman_timing", "race is longer than the session")
    return ReplayResult(score=score_of(state, params), moves=len(parsed), over=True,
                        duration_ms=ms, state=public_state(state))
