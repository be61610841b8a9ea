"""Migrations build the schema the models describe; config refuses unsafe starts."""

from __future__ import annotations

import secrets

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import UniqueConstraint, inspect

from engine import create_app
from engine.config import DEV_SECRET, load_config, normalize_database_url
from engine.extensions import db
from engine.models import DrawCredit, PlayCredit
from engine.models.reward import EarnedCredit


def test_models_and_migrations_agree(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def _shape(table):
    """Return a table's columns and unique keys without its name."""
    columns = {(c.name, repr(c.type), c.nullable, c.primary_key, c.index,
                tuple(sorted(fk.target_fullname for fk in c.foreign_keys))) for c in table.c}
    uniques = {tuple(c.name for c in u.columns) for u in table.constraints
               if isinstance(u, UniqueConstraint)}
    return columns, uniques


def test_earned_credits_have_one_definition():
    # draws and plays earned once per source key: one mixin holds columns and key
    assert issubclass(DrawCredit, EarnedCredit) and issubclass(PlayCredit, EarnedCredit)
    assert _shape(DrawCredit.__table__) == _shape(PlayCredit.__table__)
    assert _shape(PlayCredit.__table__)[1] == {("campaign_id", "player_id", "source_key")}


def test_empty_sqlite_upgrades_to_head_and_back(tmp_path, app_config):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"brands", "campaigns", "players", "play_sessions", "scores", "events",
                "marketers", "brand_members"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_production_refuses_the_default_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config({"HUDONG_ENV": "production"})
    with pytest.raises(RuntimeError):
        load_config({"HUDONG_ENV": "production", "SECRET_KEY": DEV_SECRET})
    cfg = load_config({"HUDONG_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
                       "DATA_ENCRYPTION_KEY": "A" * 43 + "="})
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_settings_come_from_the_environment():
    cfg = load_config({"DATABASE_URL": "postgres://u@h/db", "REDIS_URL": "redis://h:1/2",
                       "WECHAT_APPID": "wx1", "WECHAT_SECRET": "s"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["REDIS_URL"] == "redis://h:1/2" and cfg["WECHAT_APPID"] == "wx1"
    defaults = load_config({})
    assert defaults["SQLALCHEMY_DATABASE_URI"] == "" and defaults["REDIS_URL"] == ""
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"
