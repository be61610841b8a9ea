"""Rate limits: per player, loose per address, 429 with Retry-After, shared in Redis."""

from __future__ import annotations

import pytest

from engine import create_app
from engine.config import RATE_LIMITS, limiter_storage_uri, rate_limits
from tests.factories import make_campaign

# these run again on a Redis Cluster in CI (HUDONG_TEST_CLUSTER=1 pytest -m cluster)
pytestmark = pytest.mark.cluster


@pytest.fixture
def tight_app(app_config, migrated, app):
    """Return an app whose draw limit is 3 a minute and address limit 5 a minute."""
    limits = {**RATE_LIMITS, "draw": "3/minute", "address": "5/minute"}
    tight = create_app({**app_config, "RATE_LIMITS": limits})
    with tight.app_context():
        yield tight


def _player(app, slug):
    """Return a client whose browser already is a player (the play page made one)."""
    client = app.test_client()
    assert client.get(f"/c/{slug}").status_code == 200
    return client


def _draw(client, slug):
    return client.post(f"/api/v1/campaigns/{slug}/draws", json={})


def test_a_player_past_the_limit_gets_429_with_retry_after(tight_app):
    campaign = make_campaign(draw_config={"per_day": 100})
    client = _player(tight_app, campaign.slug)
    answers = [_draw(client, campaign.slug) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    refused = answers[3]
    assert refused.status_code == 429
    # Flask-Limiter reports a window's reset as int(reset + 1): up to 61 s for a minute
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and error["fields"] == {}
    assert error["retry_after"] == int(refused.headers["Retry-After"])


def test_limits_are_per_player_and_loose_per_address(tight_app):
    campaign = make_campaign(draw_config={"per_day": 100})
    first, second = _player(tight_app, campaign.slug), _player(tight_app, campaign.slug)
    assert [_draw(first, campaign.slug).status_code for _ in range(3)] == [200] * 3
    # another player on the same address still draws: the address allows 5
    assert _draw(second, campaign.slug).status_code == 200
    assert _draw(second, campaign.slug).status_code == 200
    # the sixth request from this address is refused, whoever sends it
    assert _draw(tight_app.test_client(), campaign.slug).status_code == 429


def test_counts_live_in_redis_so_every_process_shares_them(tight_app, app_config):
    campaign = make_campaign(draw_config={"per_day": 100})
    client = _player(tight_app, campaign.slug)
    assert [_draw(client, campaign.slug).status_code for _ in range(3)] == [200] * 3
    # a second app (another process's view) sees the same counts for the same cookie
    other = create_app({**app_config, "RATE_LIMITS": tight_app.config["RATE_LIMITS"]})
    other_client = other.test_client()
    other_client.set_cookie("session", client.get_cookie("session").value)
    assert _draw(other_client, campaign.slug).status_code == 429


def test_storage_uri_follows_the_apps_redis():
    assert limiter_storage_uri("unix:///tmp/r.sock") == "redis+unix:///tmp/r.sock"
    assert limiter_storage_uri("redis://127.0.0.1:6379/4") == "redis://127.0.0.1:6379/4"


def test_rate_limits_env_overrides_and_refuses_unknown_names():
    assert rate_limits("draw=1/second; claim=2/minute")["draw"] == "1/second"
    with pytest.raises(RuntimeError):
        rate_limits("nonsense=1/second")
