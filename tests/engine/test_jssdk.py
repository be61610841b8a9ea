"""WeChat JS-SDK config: stable token + jsapi_ticket cached in Redis, refreshed once, signed."""

from __future__ import annotations

import hashlib
import threading

import pytest

from engine import create_app
from engine.access.wechat import credentials, jssdk
from engine.extensions import db
from tests.factories import make_campaign
from tests.support.wechat_server import FakeWeChat

APPID, SECRET = "wx-jssdk-test", "jssdk-secret"


@pytest.fixture
def wechat():
    with FakeWeChat(APPID, SECRET) as server:
        yield server


@pytest.fixture
def wx_app(app_config, migrated, app, wechat):
    """Return an app signing with the fake's AppID (players stay anonymous: no OAuth)."""
    config = {**app_config, "WECHAT_API_BASE": wechat.url, "WECHAT_SECRET": SECRET}
    wx = create_app(config)
    wx.config["WECHAT_APPID"] = APPID
    with wx.app_context():
        yield wx


PAGE = "http://localhost/c/demo?s=abc.def&from=timeline&isappinstalled=0"


def config_of(client, url=PAGE):
    return client.get("/api/v1/wechat/jssdk-config", query_string={"url": url})


def test_the_signature_is_wechats_sha1_over_the_page_url_up_to_the_hash(wx_app, wechat):
    answer = config_of(wx_app.test_client(), PAGE + "#share")
    assert answer.status_code == 200
    cfg = answer.get_json()
    (ticket,) = wechat.tickets
    raw = (f"jsapi_ticket={ticket}&noncestr={cfg['nonceStr']}&timestamp={cfg['timestamp']}"
           f"&url={PAGE}")
    assert cfg["appId"] == APPID
    assert cfg["signature"] == hashlib.sha1(raw.encode()).hexdigest()
    # WeChat's documented example (JS-SDK appendix 1)
    assert jssdk.signature(
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value",
    ) == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_credentials_are_cached_in_redis_and_refreshed_once_across_processes(
        wx_app, wechat, app_config):
    wechat.delay_s = 0.3  # a slow WeChat: every process asks while the first one waits
    apps = [wx_app] + [create_app({**wx_app.config}) for _ in range(3)]
    answers, errors = [], []

    def ask(each):
        try:
            for _ in range(3):
                answers.append(config_of(each.test_client()).status_code)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(a,)) for a in apps for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and answers == [200] * 24
    assert len(wechat.requests_to("/cgi-bin/stable_token")) == 1
    assert len(wechat.requests_to("/cgi-bin/ticket/getticket")) == 1


def test_a_revoked_token_is_refreshed_with_force_refresh_once(wx_app, wechat):
    client = wx_app.test_client()
    assert config_of(client).status_code == 200
    wechat.revoke_server_tokens()
    from engine import keys
    from engine.extensions import redis_store
    redis_store.r.delete(keys.jsapi_credential("jsapi_ticket", APPID))  # the ticket expired
    assert config_of(client).status_code == 200
    posts = wechat.requests_to("/cgi-bin/stable_token")
    assert [p.params["force_refresh"] for p in posts] == ["False", "True"]


def test_another_sites_url_and_junk_are_422_and_no_appid_is_404(wx_app, app):
    client = wx_app.test_client()
    assert config_of(client, "https://evil.example.com/c/demo").status_code == 422
    assert config_of(client, "javascript:alert(1)").status_code == 422
    assert config_of(client, "http://[::1/c/demo").status_code == 422
    assert config_of(app.test_client()).get_json()["error"]["code"] == "wechat_not_configured"


def test_wechat_errors_are_a_502_not_a_500(wx_app, wechat):
    wechat.secret = "rotated"
    answer = config_of(wx_app.test_client())
    assert answer.status_code == 502


def test_a_brand_with_its_own_account_signs_its_pages_with_its_appid(wx_app, wechat):
    brand_appid, brand_secret = "wx0123456789abcdef", "brandsecret0123456789"
    campaign = make_campaign()
    credentials.set_for_brand(campaign.brand, brand_appid, brand_secret)
    db.session.commit()
    client = wx_app.test_client()
    wechat.appid, wechat.secret = brand_appid, brand_secret  # WeChat knows only the brand's
    answer = config_of(client, f"http://localhost/c/{campaign.slug}?s=abc.def")
    assert answer.status_code == 200
    assert answer.get_json()["appId"] == brand_appid
    wechat.appid, wechat.secret = APPID, SECRET  # a page of no such brand: the global AppID
    assert config_of(client).get_json()["appId"] == APPID
