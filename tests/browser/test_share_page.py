"""Sharing on the play page: the WeChat card through the vendored JS-SDK, a sheet elsewhere."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.extensions import db
from engine.models import Event
from tests.browser.conftest import PHONE
from tests.conftest import server_env
from tests.factories import make_campaign
from tests.support.servers import LiveServer
from tests.support.wechat_server import FakeWeChat

pytestmark = pytest.mark.browser
APPID, SECRET = "wx-share-page", "share-secret"
# WeChat's in-app browser gives pages a native bridge; this stand-in records what the
# JS-SDK asks of it and answers ok, as the client does for a verified signature
BRIDGE = """
window.__wx = [];
window.WeixinJSBridge = {
  invoke: function (name, args, cb) {
    window.__wx.push({name: name, args: args});
    if (cb) setTimeout(function () { cb({err_msg: name + ':ok'}); }, 0);
  },
  on: function () {}, call: function () {}
};
"""


@pytest.fixture
def wechat():
    with FakeWeChat(APPID, SECRET) as server:
        yield server


@pytest.fixture
def wx_server(app, app_config, wechat):
    server = LiveServer(server_env(app_config, WECHAT_APPID=APPID, WECHAT_SECRET=SECRET,
                                   WECHAT_OAUTH_BASE=wechat.url,
                                   WECHAT_API_BASE=wechat.url)).start()
    yield server
    server.stop()


def test_inside_wechat_the_card_is_set_with_my_link_and_a_valid_signature(
        app, wx_server, wechat, browser):
    branding = {"share_title": "来挑战我的最高分", "share_desc": "合成大西瓜"}
    campaign = make_campaign(title="合成大西瓜挑战赛", branding=branding)
    context = browser.new_context(**PHONE)
    context.add_init_script(BRIDGE)
    page = context.new_page()
    page.goto(f"{wx_server.url}/c/{campaign.slug}?from=singlemessage&isappinstalled=0")
    expect(page.locator("html[data-wx-share='set']")).to_be_attached(timeout=15_000)
    calls = page.evaluate("window.__wx")
    verify = next(c["args"] for c in calls if c["name"] == "preVerifyJSAPI")
    (ticket,) = wechat.tickets
    href = page.evaluate("location.href.split('#')[0]")
    raw = (f"jsapi_ticket={ticket}&noncestr={verify['verifyNonceStr']}"
           f"&timestamp={verify['verifyTimestamp']}&url={href}")
    assert verify["verifyAppId"] == APPID
    assert verify["verifySignature"] == hashlib.sha1(raw.encode()).hexdigest()
    card = next(c["args"] for c in calls if c["name"] == "updateAppMessageShareData")
    timeline = next(c["args"] for c in calls if c["name"] == "updateTimelineShareData")
    assert card["title"] == timeline["title"] == "来挑战我的最高分"
    token = parse_qs(urlsplit(card["link"]).query)["s"][0]
    assert card["link"] == timeline["link"] and token
    # the JS-SDK and the fallback card image come by their content-hashed names, and exist
    sdk = page.locator("script[src*='jweixin']").get_attribute("src")
    assert re.fullmatch(r"/static/vendor/jweixin-1\.6\.5-[0-9a-f]{32}\.js", sdk)
    assert re.fullmatch(re.escape(wx_server.url) + r"/static/share-card-[0-9a-f]{32}\.png",
                        card["imgUrl"])
    assert card["imgUrl"] == timeline["imgUrl"]
    image = page.request.get(card["imgUrl"])
    assert (image.status, image.headers["content-type"]) == (200, "image/png")
    assert page.request.get(wx_server.url + sdk).status == 200
    # setting the card is not a share: nothing counted until the player taps 分享
    assert db.session.scalar(select(func.count()).select_from(Event)
                             .where(Event.kind == "share")) == 0
    page.locator("#share-btn").click()
    expect(page.locator("#share-sheet [data-share-hint]")).to_be_visible()
    assert db.session.scalar(select(func.count()).select_from(Event)
                             .where(Event.kind == "share")) == 1
    context.close()


def test_outside_wechat_a_sheet_offers_the_link_and_the_poster(app, live_server, browser,
                                                                tmp_path):
    campaign = make_campaign(title="合成大西瓜挑战赛")
    context = browser.new_context(**{**PHONE, "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone "
                                     "OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"})
    page = context.new_page()
    page.add_init_script("delete navigator.share;")
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    page.locator("#share-btn").click()
    sheet = page.locator("#share-sheet")
    expect(sheet).to_be_visible()
    url = sheet.locator("[data-share-url]").input_value()
    assert f"/c/{campaign.slug}?s=" in url
    expect(sheet.locator("[data-share-hint]")).to_be_hidden()
    poster = sheet.locator("[data-share-poster]").get_attribute("href")
    assert page.request.get(poster).headers["content-type"] == "image/png"
    page.screenshot(path=str(tmp_path / "share-sheet.png"))
    page.screenshot(path="/tmp/share-sheet.png")
    context.close()
