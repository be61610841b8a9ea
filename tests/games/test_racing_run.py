"""The locals-based race loop agrees with ``rules.step`` tick for tick, refusals included."""

import random

import pytest

from games.base import MoveRejected
from games.prng import Prng
from games.racing import RacingGame, rules

GAME = RacingGame()


def _reference(seed, params, parsed):
    """Run the race with ``rules.step``; return the final state or the refusal (index, reason)."""
    track = rules.Track(Prng(seed), params)
    state, i = rules.initial_state(params), 0
    while not state["over"]:
        action = parsed[i][1] if i < len(parsed) and parsed[i][0] == state["ticks"] else None
        after = rules.step(state, action, track, params)
        if after is None:
            return ("refused", i, "steer leaves the track")
        i += action is not None
        state = after
    if i < len(parsed):
        return ("refused", i, "move after the race ended")
    return state


def _fast(seed, params, parsed):
    try:
        return rules.run(seed, params, parsed)
    except MoveRejected as refused:
        return ("refused", refused.index, refused.reason)


@pytest.mark.parametrize("case", range(60))
def test_run_matches_step(case):
    rng = random.Random(case)
    params = GAME.validate_params({
        "lanes": rng.choice((3, 4, 5)), "tick_rate": rng.choice((20, 30, 60)),
        "duration_s": rng.choice((10, 20, 60)), "lives": rng.choice((1, 3, 5)),
        "obstacle_density": rng.choice((5, 20, 40)),
        **rng.choice(({}, {"score_mode": "time", "course_length": 150,
                           "acceleration": rng.choice((0, 1, 5))}))})
    seed = rng.randrange(2**32)
    ticks = sorted(rng.sample(range(params["duration_s"] * params["tick_rate"] + 4),
                              rng.choice((0, 3, 30, 120))))
    # half the logs wiggle about the middle lane (never off the track), half steer at random
    wiggle = rng.random() < 0.5
    parsed = [(k, "LR"[n % 2] if wiggle else rng.choice("LR")) for n, k in enumerate(ticks)]
    assert _fast(seed, params, parsed) == _reference(seed, params, parsed)
