"""Migration 0006 renames garden tables to game states without losing a row, both ways."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from engine import create_app
from engine.extensions import db


def _seed_0004(conn) -> None:
    conn.execute(text("INSERT INTO gardens (id, campaign_id, player_id, state, version, "
                      "matured_at, created_at, updated_at) VALUES (7, 1, 2, '{\"growth\": 60}', "
                      "3, '2026-11-23 10:00:00', '2026-11-22 10:00:00', '2026-11-23 10:00:00')"))
    conn.execute(text("INSERT INTO garden_actions (id, garden_id, idempotency_key, action, "
                      "result, created_at) VALUES (9, 7, 'tap-0001', 'water', '{\"gained\": 10}', "
                      "'2026-11-23 10:00:00')"))


def test_gardens_become_game_states_and_back(tmp_path, app_config):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/g.db"})
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))  # rows only: no campaign needed
            _seed_0004(conn)
        upgrade(revision="0006")
        tables = set(inspect(db.engine).get_table_names())
        assert {"game_states", "game_actions"} <= tables and "gardens" not in tables
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, player_id, version, goal_reached_at "
                                     "FROM game_states")).one()[:3] == (7, 2, 3)
            assert conn.execute(text("SELECT game_state_id, idempotency_key FROM game_actions")
                                ).one() == (7, "tap-0001")
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT matured_at IS NOT NULL FROM gardens")).scalar() == 1
            assert conn.execute(text("SELECT garden_id FROM garden_actions")).scalar() == 7
        db.engine.dispose()
