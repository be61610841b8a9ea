"""Console accounts and safety: sessions on the server, CSRF, roles, invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.access.auth import create_access_token
from engine.clock import utcnow
from engine.extensions import db
from engine.models import BrandMember, Campaign, ConsoleSession, Marketer
from tests.factories import make_brand, make_campaign, make_marketer
from tests.support.console import api_csrf, csrf_of, post_form, sign_in

PASSWORD = "pw-123456"


def member(brand, role: str, email: str) -> Marketer:
    marketer = make_marketer(brand, email=email, password=PASSWORD)
    db.session.execute(update(BrandMember).where(BrandMember.marketer_id == marketer.id)
                       .values(role=role))
    db.session.commit()
    return marketer


@pytest.fixture
def brand(app):
    return make_brand("alpha", "阿尔法")


@pytest.fixture
def owner(brand):
    return member(brand, "owner", "owner@example.com")


def test_logout_revokes_a_copied_cookie(app, client, owner):
    assert sign_in(client, owner.email, PASSWORD).status_code == 302
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/admin/").status_code == 200
    assert thief.get("/api/v1/admin/brands").status_code == 200
    csrf = api_csrf(client)
    assert client.post("/admin/logout", data={"csrf": csrf}).status_code == 302
    assert thief.get("/admin/").status_code == 302
    assert thief.get("/api/v1/admin/brands").status_code == 401
    assert db.session.scalar(select(ConsoleSession.revoked_at)) is not None


@pytest.mark.parametrize("column", ["expires_at", "last_seen_at"])
def test_sign_in_expires_and_idles_out(app, client, owner, column):
    sign_in(client, owner.email, PASSWORD)
    assert client.get("/admin/").status_code == 200
    past = utcnow() - timedelta(hours=app.config["CONSOLE_SESSION_HOURS"] + 1)
    db.session.execute(update(ConsoleSession).values({column: past}))
    db.session.commit()
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_cookie_writes_to_the_api_need_the_csrf_header(client, brand, owner):
    campaign = make_campaign(brand, status="live")
    sign_in(client, owner.email, PASSWORD)
    url = f"/api/v1/admin/campaigns/{campaign.id}/pause"
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        resp = client.post(url, json={}, headers=headers)
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "csrf_failed"
        assert db.session.get(Campaign, campaign.id, populate_existing=True).status == "live"
    # reads need no token; the right token lets the write through
    assert client.get(f"/api/v1/admin/campaigns/{campaign.id}").status_code == 200
    resp = client.post(url, json={}, headers={"X-CSRF-Token": api_csrf(client)})
    assert resp.status_code == 200 and resp.get_json()["status"] == "paused"


def test_a_bearer_token_needs_no_csrf_header(app, brand, owner):
    campaign = make_campaign(brand, status="live")
    secret, _ = create_access_token(owner)
    db.session.commit()
    resp = app.test_client().post(f"/api/v1/admin/campaigns/{campaign.id}/pause", json={},
                                  headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200


def test_every_console_form_refuses_a_post_without_its_token(client, brand, owner):
    sign_in(client, owner.email, PASSWORD)
    for path in ("/admin/logout", "/admin/account", "/admin/brands/alpha/team"):
        for data in ({}, {"csrf": "forged"}):
            resp = client.post(path, data={**data, "email": "x@example.com", "role": "owner"})
            assert resp.status_code == 400, path
    assert client.get("/admin/").status_code == 200  # still signed in: logout was refused


def test_an_analyst_reads_but_cannot_change(client, brand):
    analyst = member(brand, "analyst", "analyst@example.com")
    campaign = make_campaign(brand, status="live", title="原标题")
    sign_in(client, analyst.email, PASSWORD)
    assert client.get(f"/api/v1/admin/campaigns/{campaign.id}").status_code == 200
    headers = {"X-CSRF-Token": api_csrf(client)}
    for method, path, body in (("patch", "", {"title": "改"}), ("post", "/pause", {})):
        resp = getattr(client, method)(f"/api/v1/admin/campaigns/{campaign.id}{path}",
                                       json=body, headers=headers)
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "read_only_role"
    resp = client.post("/api/v1/admin/brands/alpha/campaigns", headers=headers,
                       json={"slug": "new-one", "title": "x", "game_type": "synthesis"})
    assert resp.status_code == 403
    campaign = db.session.get(Campaign, campaign.id, populate_existing=True)
    assert (campaign.title, campaign.status) == ("原标题", "live")
    page = client.get("/admin/").get_data(as_text=True)
    assert "分析师" in page


def test_owner_invites_with_a_one_time_link(app, client, brand, owner):
    sign_in(client, owner.email, PASSWORD)
    resp = post_form(client, "/admin/brands/alpha/team",
                     {"email": "New@Example.com", "role": "analyst"})
    assert resp.status_code == 200
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', resp.get_data(as_text=True))
    path = link.group(1).split("localhost", 1)[1]
    guest = app.test_client()
    page = guest.get(path).get_data(as_text=True)
    assert "new@example.com" in page
    short = guest.post(path, data={"csrf": csrf_of(page), "name": "新人", "password": "short"})
    assert short.status_code == 422
    resp = guest.post(path, data={"csrf": csrf_of(page), "name": "新人",
                                  "password": "a-long-password"})
    assert resp.status_code == 302
    joined = db.session.scalar(select(Marketer).where(Marketer.email == "new@example.com"))
    role = db.session.scalar(select(BrandMember.role).where(BrandMember.marketer_id == joined.id))
    assert role == "analyst"
    assert guest.get("/admin/").status_code == 200  # signed in as the new analyst
    again = app.test_client()
    assert again.get(path).status_code == 404  # the link worked once


def test_only_an_owner_invites_or_changes_roles(client, brand, owner):
    marketer = member(brand, "marketer", "mk@example.com")
    sign_in(client, marketer.email, PASSWORD)
    page = client.get("/admin/brands/alpha/team").get_data(as_text=True)
    assert "invite-link" not in page and 'name="role"' not in page
    csrf = csrf_of(page)
    resp = client.post("/admin/brands/alpha/team",
                       data={"csrf": csrf, "email": "x@example.com", "role": "owner"})
    assert resp.status_code == 403
    resp = client.post("/admin/brands/alpha/team/role",
                       data={"csrf": csrf, "marketer_id": marketer.id, "role": "owner"})
    assert resp.status_code == 403
    assert db.session.scalar(select(BrandMember.role).where(
        BrandMember.marketer_id == marketer.id)) == "marketer"


def test_the_last_owner_stays_owner(client, brand, owner):
    sign_in(client, owner.email, PASSWORD)
    other = member(brand, "marketer", "mk@example.com")
    post_form(client, "/admin/brands/alpha/team/role",
              {"marketer_id": other.id, "role": "owner"}, page="/admin/brands/alpha/team")
    post_form(client, "/admin/brands/alpha/team/role",
              {"marketer_id": owner.id, "role": "analyst"}, page="/admin/brands/alpha/team")
    assert db.session.scalar(select(BrandMember.role).where(
        BrandMember.marketer_id == owner.id)) == "analyst"  # allowed: another owner remains
    db.session.execute(update(BrandMember).where(BrandMember.marketer_id == owner.id)
                       .values(role="owner"))
    db.session.execute(update(BrandMember).where(BrandMember.marketer_id == other.id)
                       .values(role="marketer"))
    db.session.commit()
    post_form(client, "/admin/brands/alpha/team/role",
              {"marketer_id": owner.id, "role": "analyst"}, page="/admin/brands/alpha/team")
    assert db.session.scalar(select(BrandMember.role).where(
        BrandMember.marketer_id == owner.id)) == "owner"


def test_password_change_ends_other_sign_ins(app, client, owner):
    sign_in(client, owner.email, PASSWORD)
    laptop = app.test_client()
    sign_in(laptop, owner.email, PASSWORD)
    wrong = post_form(client, "/admin/account",
                      {"current_password": "nope", "new_password": "another-long-one"})
    assert wrong.status_code == 422
    resp = post_form(client, "/admin/account",
                     {"current_password": PASSWORD, "new_password": "another-long-one"})
    assert resp.status_code == 200 and 'id="password-changed"' in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200
    assert laptop.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), owner.email, "another-long-one").status_code == 302


def test_sign_in_redirects_only_inside_the_console(client, owner):
    form = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login?next=https://evil.example/", data={
        "email": owner.email, "password": PASSWORD, "csrf": csrf_of(form)})
    assert resp.headers["Location"].endswith("/admin/")


def _console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and ({"slug", "campaign_id"} & rule.arguments):
            yield rule


def test_another_brands_pages_are_404_on_every_console_route(app, client, brand, owner):
    theirs = make_brand("beta", "贝塔")
    campaign = make_campaign(theirs, status="draft", title="B 的活动")
    sign_in(client, owner.email, PASSWORD)
    csrf = api_csrf(client)
    values = {"slug": "beta", "campaign_id": campaign.id, "batch_id": 1, "item_id": 1,
              "failure_id": 1, "flag_id": 1, "rule_id": 1, "endpoint_id": 1, "delivery_id": 1}
    checked = 0
    for rule in _console_rules(app):
        args = {}
        for name in rule.arguments:
            choices = getattr(rule._converters[name], "items", None)  # an any(...) segment
            args[name] = sorted(choices)[0] if choices else values[name]
        url = rule.build(args)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method, data={"csrf": csrf})
            assert resp.status_code == 404, (method, url)
            checked += 1
    assert checked >= 20
    assert db.session.get(Campaign, campaign.id, populate_existing=True).title == "B 的活动"


def test_ten_failed_sign_ins_lock_the_account_for_a_while(app, client, owner):
    for _ in range(10):
        assert sign_in(client, owner.email, "wrong-password").status_code == 401
    resp = sign_in(client, owner.email, PASSWORD)  # even the right password now waits
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in resp.get_data(as_text=True)
    # the lock is per account: another account from elsewhere still signs in
    other = member(make_brand("beta"), "owner", "other@example.com")
    far = app.test_client()
    assert sign_in(far, other.email, PASSWORD, address="10.9.9.9").status_code == 302


def test_ten_failures_from_one_address_lock_the_address(app, client, owner):
    for i in range(10):
        assert sign_in(client, f"nobody{i}@example.com", "x").status_code == 401
    assert sign_in(client, owner.email, PASSWORD).status_code == 429
    assert sign_in(app.test_client(), owner.email, PASSWORD,
                   address="10.1.2.3").status_code == 302


def test_successful_sign_ins_do_not_count(client, owner):
    for _ in range(12):
        assert sign_in(client, owner.email, PASSWORD).status_code == 302
