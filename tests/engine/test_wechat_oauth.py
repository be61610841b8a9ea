"""The WeChat OAuth client against a local server speaking WeChat's API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from engine.access.wechat.oauth import SCOPE_BASE, SCOPE_USERINFO, WeChatError, WeChatOAuthClient
from tests.support.servers import free_port
from tests.support.wechat_server import FakeWeChat, WeChatUser

APPID, SECRET = "wx123", "s3cret"


@pytest.fixture
def fake():
    with FakeWeChat(APPID, SECRET) as server:
        yield server


def make_client(base: str, secret: str = SECRET, **kwargs) -> WeChatOAuthClient:
    return WeChatOAuthClient(APPID, secret, oauth_base=base, api_base=base, timeout=2,
                             session=requests.Session(), **kwargs)


@pytest.fixture
def wechat(fake):
    client = make_client(fake.url)
    yield client
    client.http.close()


def test_authorize_url_carries_documented_params(wechat, fake):
    url = wechat.authorize_url("https://h5.example.com/cb?b=1&next=%2Fc%2Fx", SCOPE_BASE, "st8")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == fake.url
    assert parts.path == "/connect/oauth2/authorize"
    assert parts.fragment == "wechat_redirect"
    assert parse_qs(parts.query) == {
        "appid": [APPID], "redirect_uri": ["https://h5.example.com/cb?b=1&next=%2Fc%2Fx"],
        "response_type": ["code"], "scope": ["snsapi_base"], "state": ["st8"]}


def test_fake_consent_appends_code_and_state_to_the_query(wechat, fake):
    user = fake.next_user(openid="o-consent")
    url = wechat.authorize_url("http://localhost/cb?b=1&next=%2Fc%2Fx%3Fs%3Dabc", SCOPE_BASE,
                               "st8")
    resp = requests.get(url, allow_redirects=False, timeout=2)
    assert resp.status_code == 302
    back = urlsplit(resp.headers["Location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "localhost", "/cb")
    query = parse_qs(back.query)
    assert query["b"] == ["1"] and query["next"] == ["/c/x?s=abc"]
    assert query["state"] == ["st8"] and len(query["code"]) == 1
    assert wechat.exchange_code(query["code"][0]).openid == user.openid


def test_fake_consent_refuses_an_unknown_scope(fake):
    resp = requests.get(fake.url + "/connect/oauth2/authorize", timeout=2, params={
        "appid": APPID, "redirect_uri": "http://localhost/cb", "response_type": "code",
        "scope": "snsapi_everything", "state": "x"}, allow_redirects=False)
    assert resp.status_code == 400


def test_exchange_code_returns_openid_and_scope(wechat, fake):
    user = WeChatUser(openid="o-base-1")
    grant = wechat.exchange_code(fake.issue_code(user))
    assert grant.openid == "o-base-1" and grant.scope == SCOPE_BASE
    assert grant.unionid is None and grant.is_snapshot is False
    assert grant.access_token
    sent = fake.requests_to("/sns/oauth2/access_token")[-1].params
    assert sent["appid"] == APPID and sent["secret"] == SECRET
    assert sent["grant_type"] == "authorization_code"


def test_exchange_code_carries_unionid(wechat, fake):
    grant = wechat.exchange_code(fake.issue_code(WeChatUser(unionid="u-42")))
    assert grant.unionid == "u-42"


def test_exchange_code_flags_a_snapshot_user(wechat, fake):
    grant = wechat.exchange_code(fake.issue_code(WeChatUser(snapshot=True), SCOPE_USERINFO))
    assert grant.is_snapshot is True


def test_userinfo_returns_profile_in_utf8(wechat, fake):
    user = WeChatUser(nickname="小红🌸", headimgurl="https://thirdwx.qlogo.cn/a/132",
                      unionid="u-7")
    grant = wechat.exchange_code(fake.issue_code(user, SCOPE_USERINFO))
    info = wechat.userinfo(grant.access_token, grant.openid)
    # WeChat sends JSON as text/plain without a charset: still decoded as UTF-8
    assert info.nickname == "小红🌸"
    assert info.avatar == "https://thirdwx.qlogo.cn/a/132"
    assert info.openid == user.openid and info.unionid == "u-7"
    assert fake.requests_to("/sns/userinfo")[-1].params["lang"] == "zh_CN"


def test_wrong_secret_is_40125(fake):
    client = make_client(fake.url, secret="wrong")
    with pytest.raises(WeChatError) as err:
        client.exchange_code(fake.issue_code())
    client.http.close()
    assert err.value.errcode == 40125 and err.value.errmsg == "invalid appsecret"


def test_unknown_code_is_40029(wechat):
    with pytest.raises(WeChatError) as err:
        wechat.exchange_code("never-issued")
    assert err.value.errcode == 40029


def test_reused_code_is_40163(wechat, fake):
    code = fake.issue_code()
    wechat.exchange_code(code)
    with pytest.raises(WeChatError) as err:
        wechat.exchange_code(code)
    assert err.value.errcode == 40163


def test_userinfo_with_base_scope_is_48001(wechat, fake):
    grant = wechat.exchange_code(fake.issue_code(scope=SCOPE_BASE))
    with pytest.raises(WeChatError) as err:
        wechat.userinfo(grant.access_token, grant.openid)
    assert err.value.errcode == 48001


def test_userinfo_with_invalid_token_is_40001(wechat):
    with pytest.raises(WeChatError) as err:
        wechat.userinfo("not-a-token", "o-x")
    assert err.value.errcode == 40001


def test_system_busy_is_retried_once(wechat, fake):
    fake.busy = 1
    grant = wechat.exchange_code(fake.issue_code(WeChatUser(openid="o-busy")))
    assert grant.openid == "o-busy"
    assert len(fake.requests_to("/sns/oauth2/access_token")) == 2


def test_system_busy_twice_gives_up(wechat, fake):
    fake.busy = 2
    with pytest.raises(WeChatError) as err:
        wechat.exchange_code(fake.issue_code())
    assert err.value.errcode == -1


def test_connection_refused_raises_after_the_retry(caplog):
    client = make_client(f"http://127.0.0.1:{free_port()}", retries=1)
    with pytest.raises(WeChatError) as err:
        client.exchange_code("any")
    client.http.close()
    assert err.value.errcode == -2 and "unreachable" in err.value.errmsg
    attempts = [r for r in caplog.records if "attempt" in r.getMessage()]
    assert len(attempts) == 2
