"""Per-brand WeChat service accounts: the CLI, the lookup, and OAuth through the brand's AppID."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select, text

from engine import create_app
from engine.access.wechat import credentials
from engine.extensions import db
from engine.models import Player
from tests.factories import make_brand, make_campaign
from tests.support.wechat_server import FakeWeChat

BRAND_APPID, BRAND_SECRET = "wx00112233445566ff", "brandsecret0123456789abcdef0123"
GLOBAL_APPID = "wxglobal"


@pytest.fixture
def fake():
    with FakeWeChat(BRAND_APPID, BRAND_SECRET) as server:
        yield server


def wechat_app(app_config, fake, appid=""):
    return create_app({**app_config, "WECHAT_APPID": appid, "WECHAT_SECRET": "g" * 32,
                       "WECHAT_OAUTH_BASE": fake.url, "WECHAT_API_BASE": fake.url})


def test_cli_sets_shows_and_clears_a_brands_account(app, runner):
    brand = make_brand("tea")
    result = runner.invoke(args=["brands", "wechat", "set", "tea", "--appid", BRAND_APPID],
                           input=BRAND_SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert BRAND_SECRET not in result.output
    raw = db.session.execute(text("SELECT secret FROM wechat_accounts")).scalar_one()
    assert BRAND_SECRET not in raw
    creds = credentials.for_brand(brand)
    assert (creds.appid, creds.secret, creds.source) == (BRAND_APPID, BRAND_SECRET, "brand")
    assert BRAND_SECRET not in repr(creds)
    shown = runner.invoke(args=["brands", "wechat", "show", "tea"])
    assert f"tea: {BRAND_APPID} (own service account)" in shown.output
    assert runner.invoke(args=["brands", "wechat", "clear", "tea"]).exit_code == 0
    assert credentials.for_brand(brand) is None
    assert "WeChat off" in runner.invoke(args=["brands", "wechat", "show", "tea"]).output


@pytest.mark.parametrize("appid, secret, field", [
    ("wx123", BRAND_SECRET, "appid"), ("gh_0123456789abcdef", BRAND_SECRET, "appid"),
    (BRAND_APPID, "short", "secret"), (BRAND_APPID, "has spaces in it 0123456", "secret")])
def test_cli_refuses_malformed_credentials(app, runner, appid, secret, field):
    make_brand("tea")
    result = runner.invoke(args=["brands", "wechat", "set", "tea", "--appid", appid,
                                 "--secret", secret])
    assert result.exit_code != 0 and f"{field}:" in result.output
    assert db.session.execute(text("SELECT COUNT(*) FROM wechat_accounts")).scalar_one() == 0


def test_global_appid_is_the_default_and_a_brands_own_wins(app, app_config, fake):
    with wechat_app(app_config, fake, GLOBAL_APPID).app_context():
        mine, other = make_brand(), make_brand()
        credentials.set_for_brand(mine, BRAND_APPID, BRAND_SECRET)
        db.session.commit()
        assert credentials.for_brand(mine.id).appid == BRAND_APPID
        assert credentials.for_brand(other).source == "global"
        assert credentials.for_brand(other).appid == GLOBAL_APPID
        db.session.remove()


def test_oauth_goes_through_the_brands_own_account(app, app_config, fake):
    """Without a global AppID, the brand's own one identifies its players; others stay anonymous."""
    wapp = wechat_app(app_config, fake)
    with wapp.app_context():
        brand, plain = make_brand(), make_brand()
        credentials.set_for_brand(brand, BRAND_APPID, BRAND_SECRET)
        db.session.commit()
        campaign, anonymous = make_campaign(brand), make_campaign(plain)
        browser = wapp.test_client()
        first = browser.get(f"/c/{campaign.slug}")
        assert first.status_code == 302
        query = parse_qs(urlsplit(first.headers["Location"]).query)
        assert query["appid"] == [BRAND_APPID]
        user = fake.next_user(openid="o-brand-own")
        back = requests.get(first.headers["Location"], allow_redirects=False, timeout=5)
        callback = urlsplit(back.headers["Location"])
        landed = browser.get(f"{callback.path}?{callback.query}")
        assert landed.status_code == 302, landed.get_data(as_text=True)
        [exchange] = fake.requests_to("/sns/oauth2/access_token")
        assert exchange.params["appid"] == BRAND_APPID
        assert exchange.params["secret"] == BRAND_SECRET
        player = db.session.scalar(select(Player).where(Player.brand_id == brand.id))
        assert player.openid == user.openid
        # a brand without an account (and no global one) plays with a cookie identity
        assert browser.get(f"/c/{anonymous.slug}").status_code == 200
        db.session.remove()
        db.engine.dispose()
