"""Create every extension unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_static_digest import FlaskStaticDigest
from sqlalchemy import MetaData

from engine.access.rate_limits import player_key
from engine.api.base import Api
from engine.keys import RATE_LIMIT_PREFIX
from engine.redis_store import RedisStore

# constraint names fixed so Alembic migrations are identical on SQLite and PostgreSQL
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
api = Api()
redis_store = RedisStore()
socketio = SocketIO()
# the one rate limiter, on the app's Redis so every process counts together
# (engine.access.rate_limits says whom each limit counts)
limiter = Limiter(key_func=player_key, key_prefix=RATE_LIMIT_PREFIX)
babel = Babel()
# gzip / brotli on every text response; static files under content-hashed names
compress = Compress()
static_digest = FlaskStaticDigest()


def tune_sqlite(dbapi_connection, _record) -> None:
    """Use WAL on SQLite: readers never block the writer, commits skip a sync."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
