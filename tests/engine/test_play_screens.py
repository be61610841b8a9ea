"""The player's screens over HTTP: landing states, rules page, wallet, 404, compression, caching."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from engine.campaigns.demo import seed_demo
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Campaign
from engine.web import palette
from tests.factories import make_campaign


def demo(slug: str = "demo-synthesis") -> Campaign:
    seed_demo()
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


@pytest.mark.parametrize(("status", "shift", "words", "button"), [
    ("paused", None, "活动暂停中，请稍后再来", "活动暂停中"),
    ("ended", None, "活动已结束", "活动已结束"),
    ("live", "future", "开始", "活动未开始"),
    ("live", "past", "活动已结束", "活动已结束"),
])
def test_landing_says_why_a_campaign_cannot_be_played(client, status, shift, words, button):
    fields = {}
    if shift == "future":
        fields["starts_at"] = utcnow() + timedelta(days=2)
    if shift == "past":
        fields["ends_at"] = utcnow() - timedelta(minutes=1)
    campaign = make_campaign(status=status, **fields)
    html = client.get(f"/c/{campaign.slug}").get_data(as_text=True)
    state = re.search(r'id="state-text"[^>]*>([^<]*)<', html).group(1)
    assert words in state
    start = re.search(r'<button id="start"[^>]*>([^<]*)<', html)
    assert "disabled" in start.group(0) and start.group(1).strip() == button
    assert "未开始或已结束" not in html


def test_live_landing_has_how_to_play_prizes_end_date_and_rules_link(client):
    campaign = demo()
    campaign.ends_at = utcnow() + timedelta(days=10)
    db.session.commit()
    html = client.get("/c/demo-synthesis").get_data(as_text=True)
    assert "两个相同的水果相撞会合成更大的水果" in html
    assert 'id="prizes-glance"' in html and "日榜前三" in html and "抽奖" in html
    assert re.search(r'id="ends-at">\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d<', html)
    assert "/c/demo-synthesis/rules" in html
    assert re.search(r'<button id="start"[^>]*>开始游戏<', html)


def test_nurture_gets_a_landing_that_promises_no_rank_prize(client):
    demo("demo-nurture")
    html = client.get("/c/demo-nurture").get_data(as_text=True)
    landing = re.search(r'<section id="landing".*?</section>', html, re.S).group(0)
    assert "hidden" not in landing.split(">", 1)[0]  # shown first, like the other games
    assert "浇水、晒太阳、施肥" in landing and "茶树结果礼" in landing
    assert "日榜前三" not in landing  # no board, so no rank prize at a glance
    assert re.search(r'<button id="start"[^>]*>开始养成<', landing)
    assert re.search(r'<section id="stage" class="stage" hidden>', html)


def test_rules_page_is_built_from_the_configuration(client):
    campaign = demo()
    html = client.get("/c/demo-synthesis/rules").get_data(as_text=True)
    assert campaign.brand.name in html
    assert "个人信息处理者" in html and f"{campaign.brand.name}是本活动的个人信息处理者" in html
    assert "先达到该成绩者排名在前" in html  # the demo has a rank reward
    odds = re.search(r'<table class="odds" id="prize-odds">(.*?)</table>', html, re.S).group(1)
    assert "%" in odds and "份" in odds
    assert "每人每天可玩" in html or campaign.plays_per_day == 0
    assert "优惠券使用说明" in html and "有效" in html
    assert "分享活动不会获得任何额外奖励" in html
    assert client.get("/c/nope/rules").status_code == 404


def test_missing_campaign_gets_the_branded_404(client):
    resp = client.get("/c/no-such-campaign")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "活动不存在或已下线" in html and 'class="card lost-card"' in html


def test_wallet_shows_qr_code_status_and_a_way_back(client):
    demo()
    client.get("/c/demo-synthesis")
    batch = re.search(r'data-claim="(\d+)"', client.get("/c/demo-synthesis").get_data(as_text=True))
    assert client.post(f"/api/v1/campaigns/demo-synthesis/coupon-batches/{batch.group(1)}/claim",
                       json={}).status_code in (200, 201)
    html = client.get("/me/coupons?c=demo-synthesis").get_data(as_text=True)
    assert html.count('<li class="ticket issued"') == 1
    assert '<div class="qr"><svg role="img" aria-label="券码二维码"' in html
    assert re.search(r'<p class="code" aria-label="券码">[A-Z0-9-]{4,}</p>', html)
    assert "可使用" in html and "到店结账时出示此券" in html and "返回游戏" in html
    assert "鲜果茶饮" in html  # the brand's header


def test_socket_io_loads_only_where_a_board_is_shown(client):
    seed_demo()
    assert "socket.io" in client.get("/c/demo-synthesis").get_data(as_text=True)
    assert "socket.io" not in client.get("/c/demo-nurture").get_data(as_text=True)


def test_text_responses_are_compressed(client):
    seed_demo()
    page = client.get("/c/demo-synthesis", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    api = client.get("/api/openapi.json", headers={"Accept-Encoding": "br, gzip"})
    assert api.headers["Content-Encoding"] == "br"


def test_static_files_have_hashed_names_cached_for_a_year(client):
    seed_demo()  # the session's app compiled the hashed copies (tests/conftest.py)
    html = client.get("/c/demo-synthesis").get_data(as_text=True)
    scripts = re.findall(r'<script src="(/static/[^"]+)"', html)
    assert scripts and all(re.search(r"-[0-9a-f]{32}\.js$", s) for s in scripts)
    with client.get(scripts[-1]) as resp:
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/js/play.js") as plain:
        assert "immutable" not in plain.headers.get("Cache-Control", "")
    assert re.search(r'<link rel="icon" href="/static/favicon-[0-9a-f]{32}\.svg"', html)


def test_the_share_cards_fallback_image_is_a_png_as_wechat_needs(client):
    # WeChat's share card (updateAppMessageShareData's imgUrl) shows JPG or PNG, not SVG
    seed_demo()
    html = client.get("/c/demo-synthesis").get_data(as_text=True)
    url = re.search(r'<script id="share-js"[^>]* data-share-image="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/static/share-card-[0-9a-f]{32}\.png", url)
    with client.get(url) as resp:
        assert (resp.status_code, resp.mimetype) == (200, "image/png")
        image = Image.open(io.BytesIO(resp.data))
        assert image.format == "PNG" and min(image.size) >= 200


@pytest.mark.parametrize("color", ["#e8474c", "#ffd43b", "#00b050", "#ff7a1a", "#1e90ff", "#222"])
def test_brand_colour_is_darkened_until_white_text_reads_at_4_5(color):
    theme = palette.theme({"primary_color": color})
    white = (255, 255, 255)
    assert palette.contrast(palette.parse_hex(theme["brand"], ""), white) >= 4.5
    # no darker than needed: a colour that already passes is kept
    if palette.contrast(palette.parse_hex(color, ""), white) >= 4.5:
        assert theme["brand"] == palette.to_hex(palette.parse_hex(color, ""))


def test_page_text_on_a_dark_background_switches_to_white():
    assert palette.theme({"background": "#101820"})["ink"] == "#ffffff"
    assert palette.theme({"background": "#fff7e6"})["ink"] == "#222222"
