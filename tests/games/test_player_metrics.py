"""Each game type's metrics for tags, through the plugin interface."""

from games import GAME_TYPES
from games.base import GameType


def test_the_default_contributes_nothing():
    assert GameType.player_metrics(GAME_TYPES["synthesis"], [], None) == {}
    for game in GAME_TYPES.values():
        assert game.player_metrics([], None) == {}


def test_racing_best_distance_fastest_finish_and_crashes():
    racing = GAME_TYPES["racing"]
    sessions = [
        {"score": 900, "moves": 5, "duration_ms": 60_000, "distance": 800, "crashes": 3,
         "time_ms": 60_000},
        {"score": 41_000, "moves": 9, "duration_ms": 41_000, "distance": 1500, "crashes": 1,
         "time_ms": 41_000, "finished": True},
        {"score": 39_500, "moves": 9, "duration_ms": 39_500, "distance": 1500, "crashes": 0,
         "time_ms": 39_500, "finished": True},
    ]
    assert racing.player_metrics(sessions, None) == {
        "plays": 3, "best_distance": 1500, "best_time_ms": 39_500, "crashes_total": 4}
    assert racing.player_metrics(sessions[:1], None)["best_time_ms"] is None


def test_racing_session_metrics_feed_player_metrics():
    racing = GAME_TYPES["racing"]
    params = racing.validate_params({"duration_s": 10})
    result = racing.replay(7, params, [])
    session = {"score": result.score, "moves": result.moves, "duration_ms": result.duration_ms,
               **racing.session_metrics(result)}
    found = racing.player_metrics([session], None)
    assert found["best_distance"] == result.state["distance"]
    assert found["crashes_total"] == result.state["crashes"]


def test_synthesis_best_score_and_max_level():
    synthesis = GAME_TYPES["synthesis"]
    params = synthesis.default_params()
    result = synthesis.replay(3, params, [])  # the starting tiles
    level = synthesis.session_metrics(result)["max_level"]
    assert level == max(max(row) for row in result.state["board"]) and level >= 1
    sessions = [{"score": 120, "moves": 10, "duration_ms": 9000, "max_level": 4},
                {"score": 300, "moves": 30, "duration_ms": 20000, "max_level": 3},
                {"score": 80, "moves": 8, "duration_ms": 7000}]
    assert synthesis.player_metrics(sessions, None) == {"plays": 3, "best_score": 300,
                                                        "max_level": 4}
