"""Play the synthesis game honestly from a seed, as a client would: the one player
for tests and the bench.

The player keeps to one corner: of L, D, R, U it plays the first that moves
something, so its games run the whole length a person's do (hundreds to
thousands of moves on a 4x4 board). It probes and plays through the same line
tables the server replays with, so a full game takes milliseconds; the log's
score is the server's replay of it.
"""

from __future__ import annotations

from games.prng import Prng
from games.synthesis import SynthesisGame, lines, rules
from games.synthesis.schema import MAX_MOVES

ORDER = ("L", "D", "R", "U")
GAME = SynthesisGame()


def auto_moves(seed: int, params: dict | None = None, count: int | None = None,
               interval_ms: int = 0, start_ms: int = 0) -> tuple[list[dict], int]:
    """Return an input log of up to ``count`` effective moves and its true score.

    Without ``count`` the game runs until it is over (or the longest log a
    session may send). Move ``i`` is stamped ``start_ms + i * interval_ms``.
    """
    params = GAME.validate_params(params or {})
    limit = MAX_MOVES if count is None else min(count, MAX_MOVES)
    prng = Prng(seed)
    opening = rules.initial_state(prng, params)["board"]
    board = lines.encode_board(opening)
    wheres, highs = lines.spawn_draws(prng, limit, params["spawn_high_pct"])
    max_level = len(params["levels"])
    directions: list[str] = []
    over = not lines.can_move(board, max_level)
    while not over and len(directions) < limit:
        d = next(d for d in ORDER if lines.slide(board, d, max_level) != board)
        n = len(directions)
        board, over = lines.run_lines(board, [d], wheres[n:n + 1], highs[n:n + 1], max_level)
        directions.append(d)
    moves = [{"d": d, "t": start_ms + i * interval_ms} for i, d in enumerate(directions)]
    values = lines.tile_values(rules.level_points(params))
    score = (lines.board_score(lines.decode_board(board), values, sum(highs[:len(moves)]))
             - lines.board_score(opening, values, 0))
    return moves, score
