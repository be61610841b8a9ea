"""Settings refuse to start wrong; every response carries the security headers."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from engine import create_app
from engine.access import signin
from engine.clock import utcnow
from engine.config import DEV_SECRET, load_config
from engine.extensions import db
from engine.models import ConsoleSession
from tests.factories import make_brand, make_campaign, make_marketer

STRONG = secrets.token_urlsafe(32)
FERNET = Fernet.generate_key().decode()


@pytest.mark.parametrize("mode", ["prod", "Production", "dev", "staging", ""])
def test_an_unknown_env_refuses_to_start(monkeypatch, app_config, mode):
    with pytest.raises(RuntimeError, match="HUDONG_ENV"):
        load_config({"HUDONG_ENV": mode})
    monkeypatch.setenv("HUDONG_ENV", mode)
    with pytest.raises(RuntimeError, match="HUDONG_ENV"):
        create_app(app_config)


@pytest.mark.parametrize("secret", ["", "x", DEV_SECRET, "a" * 64, "12" * 20, STRONG[:31]])
def test_production_refuses_a_weak_secret(app_config, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config({"HUDONG_ENV": "production", "SECRET_KEY": secret,
                     "DATA_ENCRYPTION_KEY": FERNET})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**app_config, "HUDONG_ENV": "production", "SECRET_KEY": secret})


@pytest.mark.parametrize("mode", ["development", "test", "production"])
def test_the_three_envs_start(app_config, mode):
    env = {"HUDONG_ENV": mode, "SECRET_KEY": STRONG, "DATA_ENCRYPTION_KEY": FERNET}
    assert load_config(env)["HUDONG_ENV"] == mode
    built = create_app({**app_config, "HUDONG_ENV": mode, "SECRET_KEY": STRONG})
    assert built.test_client().get("/").status_code == 200
    assert built.config["SESSION_COOKIE_SECURE"] is (mode == "production")
    with built.app_context():
        db.engine.dispose()


def _console_cookie(secret: str, marketer_id: int) -> str:
    """Return a cookie naming a real console sign-in of ``marketer_id``, signed with ``secret``."""
    sign_in = secrets.token_urlsafe(16)
    db.session.add(ConsoleSession(marketer_id=marketer_id,
                                  expires_at=utcnow() + timedelta(hours=1),
                                  token_hash=hashlib.sha256(sign_in.encode()).hexdigest()))
    db.session.commit()
    signer = Flask("forger")
    signer.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(signer).dumps(
        {signin.SESSION_KEY: sign_in})


def test_a_cookie_forged_with_the_public_key_is_refused_in_production(app, app_config):
    marketer = make_marketer(make_brand("alpha"))
    prod = create_app({**app_config, "HUDONG_ENV": "production", "SECRET_KEY": STRONG})
    client = prod.test_client()
    client.set_cookie("session", _console_cookie(DEV_SECRET, marketer.id))
    assert client.get("/api/v1/admin/brands").status_code == 401
    client.set_cookie("session", _console_cookie(STRONG, marketer.id))
    # the same cookie signed with the real key works: the refusal is the key's doing
    assert client.get("/api/v1/admin/brands").status_code == 200
    with prod.app_context():
        db.engine.dispose()


def _assert_headers(resp, hsts: bool = False) -> dict[str, str]:
    csp = resp.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d for d in (part.strip() for part in csp.split(";")) if d}
    assert directives["frame-ancestors"] == "frame-ancestors 'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert ("Strict-Transport-Security" in resp.headers) is hsts
    return directives


@pytest.mark.parametrize("path", ["/", "/c/{slug}", "/api/v1/campaigns/{slug}",
                                  "/api/v1/campaigns/nope", "/api/openapi.json",
                                  "/static/css/play.css", "/admin/login", "/c/%00"])
def test_every_response_carries_the_headers(client, path):
    campaign = make_campaign()
    resp = client.get(path.format(slug=campaign.slug))
    resp.close()  # a static file answers with an open file
    directives = _assert_headers(resp)
    img = directives["img-src"]
    assert "https://thirdwx.qlogo.cn" in img and "http://wx.qlogo.cn" in img


def test_the_asset_origin_and_hsts_in_production(app, app_config):
    prod = create_app({**app_config, "HUDONG_ENV": "production", "SECRET_KEY": STRONG,
                       "ASSET_ORIGIN": "https://cdn.brand.example"})
    client = prod.test_client()
    directives = _assert_headers(client.get("/", headers={"X-Forwarded-Proto": "https"}),
                                 hsts=True)
    assert "https://cdn.brand.example" in directives["img-src"]
    _assert_headers(client.get("/"), hsts=False)  # plain http: no HSTS to pin
    with prod.app_context():
        db.engine.dispose()


def test_the_api_browser_needs_no_inline_script(client):
    resp = client.get("/api/docs")  # Swagger UI from our own files, started by a static script
    assert resp.status_code == 200
    directives = {d.split()[0]: d for d in resp.headers["Content-Security-Policy"].split("; ")}
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "frame-ancestors 'self'"
