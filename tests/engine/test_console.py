"""The marketer's console: sign in, see my brands' campaigns, sign out."""

from __future__ import annotations

import re

from tests.factories import make_brand, make_campaign, make_marketer


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, email, password):
    form = client.get("/admin/login").get_data(as_text=True)
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf": csrf_of(form)})


def test_sign_in_shows_only_my_brands_campaigns(app, client):
    mine, theirs = make_brand(name="我的品牌"), make_brand(name="别人的品牌")
    make_campaign(mine, title="我的活动")
    make_campaign(theirs, title="别人的活动")
    marketer = make_marketer(mine, email="me@example.com", password="s3cret-pass")
    assert client.get("/admin/").status_code == 302  # not signed in
    assert sign_in(client, marketer.email, "wrong").status_code == 401
    resp = sign_in(client, marketer.email, "s3cret-pass")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/")
    page = client.get("/admin/").get_data(as_text=True)
    assert "我的活动" in page and "别人的活动" not in page and "运营后台" in page
    # the console session also works for the admin API
    assert client.get("/api/v1/admin/brands").status_code == 200
    csrf = csrf_of(page)
    assert client.post("/admin/logout", data={}).status_code == 400
    assert client.post("/admin/logout", data={"csrf": csrf}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_console_speaks_english_when_asked(app, client):
    page = client.get("/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in page.get_data(as_text=True)
    assert "登录" in client.get("/admin/login").get_data(as_text=True)


def test_login_without_csrf_or_with_junk_is_refused(app, client):
    make_marketer(make_brand(), email="x@example.com", password="pw-123456")
    resp = client.post("/admin/login", data={"email": "x@example.com", "password": "pw-123456"})
    assert resp.status_code == 400
    client.get("/admin/login")
    resp = client.post("/admin/login", data={"email": "x@example.com", "password": "pw-123456",
                                             "csrf": "forged"})
    assert resp.status_code == 400
    assert client.get("/admin/").status_code == 302
