"""Redis Cluster: boards, rate limits and caches on the cluster, queues on a plain Redis."""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster

from engine import create_app, jobs, keys
from engine.boards import standings
from engine.clock import utcnow
from engine.config import limiter_storage_uri
from engine.extensions import redis_store
from tests.factories import make_campaign

pytestmark = pytest.mark.cluster


def test_a_cluster_needs_a_plain_redis_for_the_queues(app_config):
    with pytest.raises(RuntimeError, match="QUEUE_REDIS_URL"):
        create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1", "REDIS_CLUSTER": True,
                    "QUEUE_REDIS_URL": ""})


def test_the_rate_limit_storage_names_the_cluster():
    assert limiter_storage_uri("redis://10.0.0.5:7000/0", cluster=True) == \
        "redis+cluster://10.0.0.5:7000"
    assert limiter_storage_uri("redis://h:1/2") == "redis://h:1/2"


def test_campaigns_spread_over_the_cluster_and_each_keeps_to_one_slot(app):
    if not app.config["REDIS_CLUSTER"]:
        pytest.skip("runs on the private cluster: HUDONG_TEST_CLUSTER=1 pytest -m cluster")
    assert isinstance(redis_store.r, RedisCluster)
    queue = jobs.connection()
    try:
        assert not isinstance(queue, RedisCluster) and queue.ping()
    finally:
        queue.close()
    nodes = set()
    for _ in range(12):
        campaign = make_campaign()
        standings.submit_score(campaign, 1, 10, utcnow())
        found = list(redis_store.r.scan_iter(match=keys.leaderboard_pattern(campaign.id)))
        assert found  # on the cluster, not on the queue's Redis
        assert len({redis_store.r.keyslot(k) for k in found}) == 1
        nodes.add(redis_store.r.get_node_from_key(found[0]).name)
    assert len(nodes) > 1  # a dozen campaigns do not all hash to one master
