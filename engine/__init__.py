"""The Hudong platform: ``create_app`` assembles it, nothing more."""

from __future__ import annotations

import os

import flask_babel
from flask import Flask
from socketio import RedisManager
from sqlalchemy import event

from engine.config import configure, limiter_storage_uri


def _socketio_async_mode() -> str:
    # gunicorn's gevent worker patches the stdlib before loading us
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app from the environment, overridden by ``test_config``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, static_folder=os.path.join(root, "static"),
                template_folder=os.path.join(root, "templates"),
                instance_path=os.path.join(root, "instance"))
    configure(app, test_config)
    app.json.ensure_ascii = False  # Chinese text as UTF-8: a third of the bytes

    from engine import (
        headers,
        models,  # noqa: F401  (tables for Alembic)
    )
    from engine.access import rate_limits
    from engine.extensions import (
        api,
        babel,
        compress,
        db,
        limiter,
        migrate,
        redis_store,
        socketio,
        static_digest,
        tune_sqlite,
    )
    from engine.web.locale import select_locale

    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", tune_sqlite)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"),
                     render_as_batch=True, compare_type=True)
    redis_store.init_app(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = limiter_storage_uri(redis_store.url,
                                                                   redis_store.cluster)
    limiter.init_app(app)
    rate_limits.init_app(app)
    compress.init_app(app)
    static_digest.init_app(app)
    api.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(root, "translations"))
    # each request picks its language again (tests reuse one app context across requests)
    app.before_request(flask_babel.refresh)
    # built here rather than from a URL: Flask-SocketIO only maps redis:// itself,
    # and the embedded Redis listens on a unix socket; never a cluster (see redis_store)
    queue = RedisManager(redis_store.queue_url, channel=app.config["LIVE_CHANNEL"])
    socketio.init_app(app, client_manager=queue, async_mode=_socketio_async_mode())

    from engine.routes import register

    register(app)
    if app.config["SQL_STATEMENT_HEADER"]:
        from engine import statement_count

        statement_count.init_app(app)
    headers.init_app(app)  # last: the API browser's route must exist
    return app
