"""The campaign editor: create from a game type, generated game form, uploads, status."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select, update

from engine.extensions import db
from engine.models import BrandMember, Campaign, Upload
from games import GAME_TYPES
from tests.factories import make_brand, make_marketer
from tests.support.console import csrf_of, sign_in

PASSWORD = "pw-123456"


def png(width=64, height=64, color=(220, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def brand(app):
    return make_brand("alpha", "阿尔法")


@pytest.fixture
def signed_in(client, brand):
    marketer = make_marketer(brand, email="mk@example.com", password=PASSWORD)
    sign_in(client, marketer.email, PASSWORD)
    return marketer


def game_form(page: str) -> dict:
    """Return the generated game form's fields as the page fills them."""
    form = dict(re.findall(
        r'<input type="(?:number|text|hidden)" name="(p\.[^"]+)" value="([^"]*)"', page))
    form.update(re.findall(r'<select name="(p\.[^"]+)"><option value="([^"]+)" selected', page))
    return form


def create(client, game_type: str, slug: str) -> Campaign:
    page = client.get("/admin/brands/alpha/campaigns/new").get_data(as_text=True)
    resp = client.post("/admin/brands/alpha/campaigns/new", data={
        "csrf": csrf_of(page), "game_type": game_type, "title": f"{game_type} 活动",
        "slug": slug})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


@pytest.mark.parametrize("game_type", sorted(GAME_TYPES))
def test_every_game_type_gets_a_form_from_its_schema(client, signed_in, game_type):
    campaign = create(client, game_type, f"new-{game_type}")
    assert campaign.status == "draft" and campaign.game_params
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    for name, value in campaign.game_params.items():
        if isinstance(value, int):
            assert f'name="p.{name}" value="{value}"' in page
    # posting the generated form back unchanged keeps the params
    resp = client.post(f"/admin/campaigns/{campaign.id}/game",
                       data={**game_form(page), "csrf": csrf_of(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    before = dict(campaign.game_params)
    db.session.refresh(campaign)
    assert campaign.game_params == before


def test_out_of_range_values_show_the_schemas_message_beside_the_field(client, signed_in):
    campaign = create(client, "synthesis", "bad-rows")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    resp = client.post(f"/admin/campaigns/{campaign.id}/game",
                       data={"csrf": csrf_of(page), "p.rows": "99", "p.cols": "abc"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-field="rows"' in html and 'data-field="cols"' in html
    assert 'name="p.rows" value="99"' in html  # what was typed stays in the form
    db.session.refresh(campaign)
    assert campaign.game_params["rows"] == 4


def test_a_level_picture_is_uploaded_checked_and_served_by_hash(client, signed_in):
    campaign = create(client, "synthesis", "pictures")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    image = png()
    resp = client.post(f"/admin/campaigns/{campaign.id}/game", data={
        **game_form(page), "csrf": csrf_of(page),
        "file.levels.0.image": (io.BytesIO(image), "cherry.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.refresh(campaign)
    url = campaign.game_params["levels"][0]["image"]
    assert re.fullmatch(r"/media/[0-9a-f]{64}\.png", url)
    served = client.get(url)
    assert served.data == image and served.mimetype == "image/png"
    assert served.cache_control.max_age == 365 * 24 * 3600 and served.cache_control.immutable
    again = client.get(url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert len(campaign.game_params["levels"]) == 11  # the blank row added nothing


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a not really", "不是可用的图片"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "不是可用的图片"),
    (png(5000, 10), "4096"),
])
def test_bad_uploads_are_refused_beside_the_field(client, signed_in, data, message):
    campaign = create(client, "synthesis", "bad-upload")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    resp = client.post(f"/admin/campaigns/{campaign.id}/branding", data={
        "csrf": csrf_of(page), "file.logo": (io.BytesIO(data), "logo.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert db.session.scalar(select(Upload)) is None


def test_an_upload_past_the_routes_body_limit_is_413(app, client, signed_in):
    campaign = create(client, "synthesis", "too-big")
    app.config["UPLOAD_FORM_MAX_BYTES"] = 50_000
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    resp = client.post(f"/admin/campaigns/{campaign.id}/branding", data={
        "csrf": csrf_of(page), "file.logo": (io.BytesIO(b"\0" * 60_000), "logo.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 413


def test_branding_warns_about_poor_contrast(client, signed_in):
    campaign = create(client, "racing", "colours")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    resp = client.post(f"/admin/campaigns/{campaign.id}/branding", data={
        "csrf": csrf_of(page), "primary_color": "#ffee00", "background": "#ffffff",
        "text_color": "#eeeeee", "share_title": "来赛车",
        "file.logo": (io.BytesIO(png()), "l.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert page.count("contrast-warning") == 2 and 'id="logo-thumb"' in page
    db.session.refresh(campaign)
    assert campaign.branding["share_title"] == "来赛车"
    assert campaign.branding["logo"].startswith("/media/")


def test_schedule_is_typed_in_the_campaigns_zone(client, signed_in):
    campaign = create(client, "nurture", "when")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    resp = client.post(f"/admin/campaigns/{campaign.id}/schedule", data={
        "csrf": csrf_of(page), "timezone": "Asia/Shanghai", "starts_at": "2030-03-01T09:00",
        "ends_at": "2030-03-31T21:00", "plays_per_day": "3", "boards": ["daily", "all"]})
    assert resp.status_code == 302
    db.session.refresh(campaign)
    assert campaign.starts_at.isoformat() == "2030-03-01T01:00:00+00:00"
    assert campaign.boards == ["all", "daily"] and campaign.plays_per_day == 3
    resp = client.post(f"/admin/campaigns/{campaign.id}/schedule", data={
        "csrf": csrf_of(page), "timezone": "Asia/Shanghai", "starts_at": "2030-03-31T09:00",
        "ends_at": "2030-03-01T21:00", "boards": ["all"]})
    assert resp.status_code == 422 and 'data-field="ends_at"' in resp.get_data(as_text=True)


def test_publish_pause_end(client, signed_in):
    campaign = create(client, "synthesis", "lifecycle")
    for action, status in (("publish", "live"), ("pause", "paused"), ("end", "ended")):
        page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
        assert f'id="{action}"' in page and "data-confirm" in page
        resp = client.post(f"/admin/campaigns/{campaign.id}/{action}",
                           data={"csrf": csrf_of(page)})
        assert resp.status_code == 302
        db.session.refresh(campaign)
        assert campaign.status == status
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'id="publish"' not in page
    resp = client.post(f"/admin/campaigns/{campaign.id}/publish", data={"csrf": csrf_of(page)})
    assert resp.status_code == 409 and 'id="status-error"' in resp.get_data(as_text=True)


def test_an_analyst_sees_the_editor_read_only_and_cannot_save(client, brand, signed_in):
    campaign = create(client, "synthesis", "read-only")
    analyst = make_marketer(brand, email="an@example.com", password=PASSWORD)
    db.session.execute(update(BrandMember).where(BrandMember.marketer_id == analyst.id)
                       .values(role="analyst"))
    db.session.commit()
    client.post("/admin/logout", data={"csrf": csrf_of(client.get("/admin/").get_data(
        as_text=True))})
    sign_in(client, analyst.email, PASSWORD)
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'id="read-only"' in page and "<fieldset class=\"card plain\" disabled>" in page
    assert 'id="publish"' not in page and "new-campaign-alpha" not in client.get(
        "/admin/").get_data(as_text=True)
    for section, data in (("basics", {"title": "改"}), ("publish", {}),
                          ("game", {"p.rows": "5"})):
        resp = client.post(f"/admin/campaigns/{campaign.id}/{section}",
                           data={**data, "csrf": csrf_of(page)})
        assert resp.status_code == 403, section
    db.session.refresh(campaign)
    assert (campaign.title, campaign.status) == ("synthesis 活动", "draft")


def test_new_rules_after_plays_keep_id_and_slug_and_raise_the_version(app, client, signed_in):
    campaign = create(client, "synthesis", "versioned")
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    form = {**game_form(page), "csrf": csrf_of(page)}
    client.post(f"/admin/campaigns/{campaign.id}/game", data={**form, "p.rows": "5"})
    db.session.refresh(campaign)
    assert (campaign.game_params["rows"], campaign.game_version) == (5, 1)  # nobody played
    client.post(f"/admin/campaigns/{campaign.id}/publish", data={"csrf": form["csrf"]})
    player = app.test_client()
    assert player.post("/api/v1/campaigns/versioned/sessions", json={}).status_code == 201
    refused = client.post(f"/admin/campaigns/{campaign.id}/game", data={**form, "p.rows": "6"})
    assert refused.status_code == 422 and "请先暂停" in refused.get_data(as_text=True)
    client.post(f"/admin/campaigns/{campaign.id}/pause", data={"csrf": form["csrf"]})
    client.post(f"/admin/campaigns/{campaign.id}/game", data={**form, "p.rows": "6"})
    db.session.refresh(campaign)
    assert (campaign.id, campaign.slug) == (campaign.id, "versioned")
    assert (campaign.game_params["rows"], campaign.game_version) == (6, 2)
    client.post(f"/admin/campaigns/{campaign.id}/branding",
                data={"csrf": form["csrf"], "share_title": "新标题"})
    db.session.refresh(campaign)
    assert campaign.game_version == 2 and campaign.branding["share_title"] == "新标题"
