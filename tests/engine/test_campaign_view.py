"""The public campaign view and the play page."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.campaigns.demo import seed_demo
from engine.extensions import db
from engine.models import Event, Player
from games import GAME_TYPES
from tests.factories import make_campaign


def test_public_view_has_game_branding_schedule_and_plays(client):
    campaign = make_campaign(plays_per_day=3, branding={"primary_color": "#123456"},
                             rules_text="规则")
    body = client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()
    assert body["game"]["type"] == "synthesis" and body["game"]["params"]["cols"] == 4
    assert body["branding"]["primary_color"] == "#123456"
    assert body["schedule"]["timezone"] == "Asia/Shanghai"
    assert body["schedule"]["starts_at"].endswith("+00:00")
    assert body["live"] is True and body["plays_left"] == 3 and body["rules_text"] == "规则"
    assert client.get("/api/v1/campaigns/missing").status_code == 404


def test_play_page_records_a_visit_with_the_share_token(client):
    campaign = make_campaign()
    page = client.get(f"/c/{campaign.slug}?s=tok123&from=groupmessage&isappinstalled=0")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert campaign.title in html  # the client script, under its content-hashed name
    assert re.search(r"games/synthesis/client(-[0-9a-f]{32})?\.js", html)
    visit = db.session.scalar(select(Event).where(Event.kind == "visit"))
    assert visit.props["share_token"] == "tok123" and visit.player_id is not None
    client.get(f"/c/{campaign.slug}")
    assert db.session.scalar(select(db.func.count()).select_from(Player)) == 1


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/c/nope")
    assert resp.status_code == 404 and "活动不存在" in resp.get_data(as_text=True)


def test_demo_seed_is_idempotent_and_live(app, runner):
    result = runner.invoke(args=["demo", "seed", "--base-url", "http://127.0.0.1:5000"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/c/demo-synthesis" in result.output
    assert "Console login:" in result.output
    _, campaigns, _ = seed_demo()
    assert {c.game_type for c in campaigns} == set(GAME_TYPES)
    assert all(c.status == "live" for c in campaigns)


def test_marketer_chooses_which_boards_players_see(app, client):
    from engine.access.auth import create_access_token
    from tests.factories import make_brand, make_marketer

    brand = make_brand()
    token, _ = create_access_token(make_marketer(brand))
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    body = {"slug": "weekly-only", "title": "周赛", "game_type": "synthesis",
            "boards": ["weekly", "all"]}
    created = client.post(f"/api/v1/admin/brands/{brand.slug}/campaigns", json=body,
                          headers=auth)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["boards"] == ["weekly", "all"]
    campaign_id = created.get_json()["id"]
    client.post(f"/api/v1/admin/campaigns/{campaign_id}/publish", headers=auth, json={})
    assert client.get("/api/v1/campaigns/weekly-only").get_json()["boards"] == ["weekly", "all"]
    bad = client.patch(f"/api/v1/admin/campaigns/{campaign_id}", headers=auth,
                       json={"boards": ["daily", "daily"]})
    assert bad.status_code == 422 and "boards" in bad.get_json()["error"]["fields"]
    bad = client.patch(f"/api/v1/admin/campaigns/{campaign_id}", headers=auth,
                       json={"boards": ["monthly"]})
    assert bad.status_code == 422
