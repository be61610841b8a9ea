"""Drive the console like a browser: read CSRF tokens, sign in, post forms."""

from __future__ import annotations

import re

from engine.extensions import db
from engine.models import BrandMember
from tests.factories import make_marketer

PASSWORD = "pw-123456"

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
META_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form (or the meta tag) in ``html``."""
    found = CSRF_RE.search(html) or META_RE.search(html)
    return found.group(1)


def sign_in(client, email: str, password: str, address: str = "127.0.0.1"):
    """Post the sign-in form as a browser at ``address`` would; return the response."""
    form = client.get("/admin/login").get_data(as_text=True)
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf": csrf_of(form)},
                       environ_base={"REMOTE_ADDR": address})


def post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    """Post ``data`` to ``path`` with the CSRF token read from ``page`` (default: path)."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf": csrf_of(html)}, **kwargs)


def api_csrf(client) -> str:
    """Return the session's CSRF token as the console's scripts read it."""
    return csrf_of(client.get("/admin/").get_data(as_text=True))


def signed_in_console(app, brand, role: str = "marketer"):
    """Return a client signed in to the console as a new ``role`` of ``brand``.

    Its ``marketer_email`` names the marketer.
    """
    marketer = make_marketer(brand, password=PASSWORD)
    db.session.execute(BrandMember.__table__.update().where(
        BrandMember.marketer_id == marketer.id).values(role=role))
    db.session.commit()
    client = app.test_client()
    sign_in(client, marketer.email, PASSWORD)
    client.marketer_email = marketer.email
    return client
