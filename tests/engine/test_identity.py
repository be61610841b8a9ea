"""Player identity through the play page: WeChat OAuth against a local fake, and cookies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from engine import create_app
from engine.access.wechat.login import safe_next
from engine.extensions import db
from engine.models import Event, Player, PlaySession
from tests.factories import make_brand, make_campaign
from tests.support.wechat_server import FakeWeChat, WeChatUser

APPID, SECRET = "wx123", "s3cret"
WECHAT_QUERY = "s=abc&from=timeline&isappinstalled=0"


@pytest.fixture
def fake():
    with FakeWeChat(APPID, SECRET) as server:
        yield server


@pytest.fixture
def wechat_app(app, app_config, fake):
    """Return the app with WeChat OAuth configured to talk to the fake."""
    wapp = create_app({**app_config, "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET,
                       "WECHAT_OAUTH_BASE": fake.url, "WECHAT_API_BASE": fake.url})
    with wapp.app_context():
        yield wapp
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def browser(wechat_app):
    return wechat_app.test_client()


def consent(resp) -> str:
    """Follow the play page's redirect through the fake's consent; return the callback."""
    assert resp.status_code == 302, resp.get_data(as_text=True)
    back = requests.get(resp.headers["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost",
                                                        "/wechat/oauth/callback")
    return f"{parts.path}?{parts.query}"


def sign_in(browser, path: str):
    """Open ``path`` in WeChat: consent, callback; return the callback's answer."""
    return browser.get(consent(browser.get(path)))


def edit_query(url: str, **changes) -> str:
    """Return ``url`` with query parameters replaced (None drops one)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


def players() -> list[Player]:
    db.session.expire_all()
    return list(db.session.scalars(select(Player).order_by(Player.id)))


def visits() -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.kind == "visit")
                                   .order_by(Event.id)))


def start(client, slug):
    return client.post(f"/api/v1/campaigns/{slug}/sessions", json={})


# (1) the share link round trip --------------------------------------------------

def test_share_link_round_trip_lands_on_the_exact_page(browser, fake):
    campaign = make_campaign()
    page = f"/c/{campaign.slug}?{WECHAT_QUERY}"
    user = fake.next_user(openid="o-share-1")
    first = browser.get(page)
    assert first.status_code == 302
    auth = urlsplit(first.headers["Location"])
    assert f"{auth.scheme}://{auth.netloc}{auth.path}" == fake.url + "/connect/oauth2/authorize"
    params = {k: v[0] for k, v in parse_qs(auth.query).items()}
    assert params["appid"] == APPID and params["scope"] == "snsapi_base"
    assert params["response_type"] == "code" and len(params["state"]) >= 16
    back = urlsplit(params["redirect_uri"])
    assert back.path == "/wechat/oauth/callback"
    assert parse_qs(back.query) == {"b": [str(campaign.brand_id)], "next": [page]}
    assert visits() == []  # nothing is recorded before the visitor is known

    landed = browser.get(consent(first))
    assert landed.status_code == 302
    assert landed.headers["Location"] == page
    exchange = fake.requests_to("/sns/oauth2/access_token")
    assert len(exchange) == 1 and exchange[0].params["secret"] == SECRET

    shown = browser.get(landed.headers["Location"])
    assert shown.status_code == 200
    assert "snapshot-notice" not in shown.get_data(as_text=True)
    [player] = players()
    assert player.openid == user.openid and player.brand_id == campaign.brand_id
    [visit] = visits()
    assert visit.player_id == player.id and visit.campaign_id == campaign.id
    assert visit.props["share_token"] == "abc"


def test_signed_in_player_is_not_sent_to_wechat_again(browser, fake):
    campaign = make_campaign()
    sign_in(browser, f"/c/{campaign.slug}")
    again = browser.get(f"/c/{campaign.slug}?from=singlemessage")
    assert again.status_code == 200
    assert len(fake.requests_to("/connect/oauth2/authorize")) == 1
    assert start(browser, campaign.slug).status_code == 201


# (2) userinfo scope --------------------------------------------------------------

def test_require_userinfo_asks_for_the_profile_and_stores_it(browser, fake):
    campaign = make_campaign(require_userinfo=True)
    fake.next_user(openid="o-profile", unionid="u-profile", nickname="小红🌸",
                   headimgurl="https://thirdwx.qlogo.cn/mmopen/abc/132")
    first = browser.get(f"/c/{campaign.slug}")
    assert parse_qs(urlsplit(first.headers["Location"]).query)["scope"] == ["snsapi_userinfo"]
    assert browser.get(consent(first)).status_code == 302
    [player] = players()
    assert (player.openid, player.unionid) == ("o-profile", "u-profile")
    assert player.nickname == "小红🌸"
    assert player.avatar == "https://thirdwx.qlogo.cn/mmopen/abc/132"
    [info] = fake.requests_to("/sns/userinfo")
    assert info.params["openid"] == "o-profile"


def test_base_scope_never_calls_userinfo(browser, fake):
    campaign = make_campaign()
    fake.next_user(unionid="u-base")
    sign_in(browser, f"/c/{campaign.slug}")
    assert fake.requests_to("/sns/userinfo") == []
    assert players()[0].unionid == "u-base"


# (3) one player per (brand, openid) --------------------------------------------

def test_same_openid_in_a_new_browser_is_the_same_player(wechat_app, fake):
    campaign = make_campaign()
    user = WeChatUser(openid="o-twice", nickname="old")
    for _ in range(2):
        fake.next_user(user)
        assert sign_in(wechat_app.test_client(), f"/c/{campaign.slug}").status_code == 302
    [player] = players()
    assert player.openid == "o-twice"


def test_same_openid_at_another_brand_is_another_player(browser, fake):
    first, second = make_campaign(), make_campaign(make_brand())
    user = WeChatUser(openid="o-two-brands")
    for campaign in (first, second):
        fake.next_user(user)
        sign_in(browser, f"/c/{campaign.slug}")
        assert browser.get(f"/c/{campaign.slug}").status_code == 200
    found = players()
    assert [p.brand_id for p in found] == [first.brand_id, second.brand_id]
    assert {p.openid for p in found} == {"o-two-brands"}


def test_refresh_updates_the_profile(wechat_app, fake):
    campaign = make_campaign(require_userinfo=True)
    fake.next_user(openid="o-rename", nickname="旧名")
    sign_in(wechat_app.test_client(), f"/c/{campaign.slug}")
    fake.next_user(openid="o-rename", nickname="新名")
    sign_in(wechat_app.test_client(), f"/c/{campaign.slug}")
    [player] = players()
    assert player.nickname == "新名"


# (4) snapshot mode ----------------------------------------------------------------

def test_snapshot_user_sees_a_read_only_page_and_gets_no_player(browser, fake):
    campaign = make_campaign(require_userinfo=True)
    fake.next_user(snapshot=True)
    page = f"/c/{campaign.slug}?s=abc"
    landed = sign_in(browser, page)
    assert landed.status_code == 302 and landed.headers["Location"] == page
    shown = browser.get(page)
    assert shown.status_code == 200
    assert 'id="snapshot-notice"' in shown.get_data(as_text=True)
    refused = start(browser, campaign.slug)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "snapshot_user"
    assert players() == []
    assert fake.requests_to("/sns/userinfo") == []  # a virtual openid has no real profile
    [visit] = visits()
    assert visit.player_id is None and visit.props["snapshot"] is True
    assert db.session.scalar(select(func.count()).select_from(PlaySession)) == 0


# (5) refused callbacks --------------------------------------------------------------

def assert_refused(resp, next_path: str) -> None:
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert f'href="{next_path}"' in resp.get_data(as_text=True)
    assert players() == []


@pytest.mark.parametrize("state", ["forged", "", None])
def test_callback_with_a_wrong_or_missing_state_is_400(browser, fake, state):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    assert_refused(browser.get(edit_query(callback, state=state)), f"/c/{campaign.slug}")
    # the code was never spent on a callback this browser did not start
    assert fake.requests_to("/sns/oauth2/access_token") == []


def test_callback_for_another_brand_is_400(browser, fake):
    campaign, other = make_campaign(), make_brand()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    assert_refused(browser.get(edit_query(callback, b=str(other.id))), f"/c/{campaign.slug}")


def test_callback_with_a_refused_code_is_400(browser, fake):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    assert_refused(browser.get(edit_query(callback, code="not-issued")), f"/c/{campaign.slug}")
    assert len(fake.requests_to("/sns/oauth2/access_token")) == 1


def test_callback_without_code_is_400(browser, fake):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    assert_refused(browser.get(edit_query(callback, code=None)), f"/c/{campaign.slug}")


def test_replayed_callback_is_400(browser, fake):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    assert browser.get(callback).status_code == 302
    replay = browser.get(callback)
    assert replay.status_code == 400 and "Location" not in replay.headers
    assert len(players()) == 1


def test_wechat_unreachable_is_400(browser, fake):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    fake.stop()
    assert_refused(browser.get(callback), f"/c/{campaign.slug}")


def test_after_a_failed_login_the_page_starts_a_fresh_attempt(browser, fake):
    campaign = make_campaign()
    first = browser.get(f"/c/{campaign.slug}")
    callback = consent(first)
    assert browser.get(edit_query(callback, code="not-issued")).status_code == 400
    retry = browser.get(f"/c/{campaign.slug}")
    assert retry.status_code == 302
    old_state = parse_qs(urlsplit(first.headers["Location"]).query)["state"]
    assert parse_qs(urlsplit(retry.headers["Location"]).query)["state"] != old_state
    assert browser.get(consent(retry)).status_code == 302
    assert len(players()) == 1


# (6) open redirects ------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x",
                                    "/\\evil.example", "/\t/evil.example", "evil.example"])
def test_next_off_site_ends_on_root(browser, fake, target):
    campaign = make_campaign()
    callback = consent(browser.get(f"/c/{campaign.slug}"))
    landed = browser.get(edit_query(callback, next=target))
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/"


@pytest.mark.parametrize(("target", "expected"), [
    ("/c/x?s=abc&from=timeline&isappinstalled=0", "/c/x?s=abc&from=timeline&isappinstalled=0"),
    ("/", "/"), (None, "/"), ("", "/"), ("//evil.example/x", "/"),
    ("https://evil.example/x", "/"), ("/\\\\evil.example", "/"), ("/\\evil.example", "/"),
    ("/\n/evil.example", "/"), ("javascript:alert(1)", "/"), ("c/x", "/"),
])
def test_safe_next(target, expected):
    assert safe_next(target) == expected


# (7) anonymous cookie identity -----------------------------------------------------

def test_without_wechat_the_cookie_alone_keeps_one_player(client):
    campaign = make_campaign()
    assert client.get(f"/c/{campaign.slug}").status_code == 200
    assert client.get(f"/c/{campaign.slug}?s=abc").status_code == 200
    [player] = players()
    assert player.openid is None
    assert [v.player_id for v in visits()] == [player.id, player.id]
    opened = start(client, campaign.slug)
    assert opened.status_code == 201
    play = db.session.get(PlaySession, opened.get_json()["session_id"])
    assert play.player_id == player.id
    with client.session_transaction() as cookie:
        assert cookie["players"] == {str(campaign.brand_id): player.id}


def test_without_wechat_another_browser_is_another_player(app, client):
    campaign = make_campaign()
    client.get(f"/c/{campaign.slug}")
    app.test_client().get(f"/c/{campaign.slug}")
    assert len(players()) == 2


def test_with_wechat_player_api_without_identity_is_401(browser):
    campaign = make_campaign()
    refused = start(browser, campaign.slug)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "not_authenticated"
    assert browser.get(f"/api/v1/campaigns/{campaign.slug}").status_code == 200
    assert players() == []


def test_with_wechat_a_forged_cookie_names_no_player(browser, wechat_app):
    campaign = make_campaign()
    with browser.session_transaction() as cookie:
        cookie["players"] = {str(campaign.brand_id): 12345}
    assert start(browser, campaign.slug).status_code == 401
    assert browser.get(f"/c/{campaign.slug}").status_code == 302


def test_a_snapshot_visitor_who_opens_the_full_service_becomes_a_player(browser, fake):
    campaign = make_campaign()
    fake.next_user(snapshot=True)
    page = f"/c/{campaign.slug}"
    sign_in(browser, page)
    assert 'id="snapshot-notice"' in browser.get(page).get_data(as_text=True)
    assert start(browser, campaign.slug).get_json()["error"]["code"] == "snapshot_user"
    # 使用完整服务: WeChat loads the page again in the full browser
    fake.next_user(openid="o-full-service")
    again = browser.get(page)
    assert again.status_code == 302 and "/connect/oauth2/authorize" in again.headers["Location"]
    landed = browser.get(consent(again))
    assert landed.status_code == 302 and landed.headers["Location"] == page
    shown = browser.get(page).get_data(as_text=True)
    assert 'id="snapshot-notice"' not in shown
    [player] = players()
    assert player.openid == "o-full-service"
    assert start(browser, campaign.slug).status_code == 201
