"""Access: ``flask brands|users|tokens|apikeys`` and the credentials they make, at the API."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from engine.access.auth import create_access_token, create_api_key
from engine.clock import utcnow
from engine.extensions import db
from engine.models import AccessToken, ApiKey, Brand, BrandMember, Marketer
from engine.rewards import coupons
from tests.factories import make_brand, make_campaign, make_marketer, make_player

REDEEM = "/api/v1/crm/coupons/redeem"


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def members(email):
    marketer = db.session.scalar(select(Marketer).where(Marketer.email == email))
    return sorted(db.session.scalars(select(Brand.slug).join(
        BrandMember, BrandMember.brand_id == Brand.id).where(
        BrandMember.marketer_id == marketer.id)))


def sha256(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def test_brands_create(runner):
    ok(run(runner, "brands", "create", "tea-house", "茶饮屋"))
    brand = db.session.scalar(select(Brand).where(Brand.slug == "tea-house"))
    assert brand.name == "茶饮屋"
    assert "exists" in run(runner, "brands", "create", "tea-house", "又一个").output
    assert run(runner, "brands", "create", "tea-house", "x").exit_code == 1
    assert run(runner, "brands", "create", "Bad Slug", "x").exit_code == 1


def test_users_create_with_password_and_add_to_another_brand(runner):
    make_brand("alpha")
    make_brand("beta")
    ok(run(runner, "users", "create", "--email", "Li@Example.com", "--password", "s3cret-pw",
           "--brand", "alpha", "--name", "小李"))
    marketer = db.session.scalar(select(Marketer))
    assert marketer.email == "li@example.com" and marketer.name == "小李"
    assert marketer.check_password("s3cret-pw") and "s3cret-pw" not in marketer.password_hash
    ok(run(runner, "users", "create", "--email", "li@example.com", "--brand", "beta"))
    assert members("li@example.com") == ["alpha", "beta"]
    again = ok(run(runner, "users", "create", "--email", "li@example.com", "--brand", "beta"))
    assert "already a member" in again.output
    assert db.session.scalar(select(Marketer)).check_password("s3cret-pw")


def test_users_create_prompts_for_a_hidden_confirmed_password(runner):
    make_brand("alpha")
    result = ok(run(runner, "users", "create", "--email", "wang@example.com", "--brand",
                    "alpha", input="long-password\nlong-password\n"))
    assert "long-password" not in result.output  # hidden input is not echoed
    assert db.session.scalar(select(Marketer)).check_password("long-password")
    mismatch = run(runner, "users", "create", "--email", "zhao@example.com", "--brand", "alpha",
                   input="first-pass\nsecond-pass\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "x@example.com", "--password", "long-enough", "--brand", "nope"], "no brand"),
    (["--email", "not-an-email", "--password", "long-enough", "--brand", "alpha"], "e-mail"),
    (["--email", "x@example.com", "--password", "short", "--brand", "alpha"], "password"),
])
def test_users_create_refusals(runner, args, message):
    make_brand("alpha")
    result = run(runner, "users", "create", *args)
    assert result.exit_code == 1 and message in result.output
    assert db.session.scalar(select(Marketer)) is None


def test_token_printed_once_stored_hashed_works_and_revokes(runner, client):
    brand = make_brand("alpha")
    marketer = make_marketer(brand, email="li@example.com")
    result = ok(run(runner, "tokens", "create", "--email", "li@example.com", "--name", "脚本"))
    secret = result.stdout.strip()
    assert secret.startswith("hdp_") and result.output.count(secret) == 1
    row = db.session.scalar(select(AccessToken))
    assert (row.marketer_id, row.name, row.token_hash) == (marketer.id, "脚本", sha256(secret))
    assert secret not in (row.prefix, row.token_hash) and secret.startswith(row.prefix)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/admin/brands/alpha/campaigns", headers=headers).status_code == 200
    listed = ok(run(runner, "tokens", "list", "--email", "li@example.com")).output
    assert row.prefix in listed and secret not in listed
    ok(run(runner, "tokens", "revoke", row.prefix))
    db.session.expire_all()
    assert db.session.get(AccessToken, row.id).revoked_at is not None
    assert client.get("/api/v1/admin/brands/alpha/campaigns", headers=headers).status_code == 401
    assert run(runner, "tokens", "revoke", row.prefix).exit_code == 1


def test_token_for_unknown_user_fails(runner):
    result = run(runner, "tokens", "create", "--email", "ghost@example.com", "--name", "x")
    assert result.exit_code == 1 and db.session.scalar(select(AccessToken)) is None


def test_apikey_printed_once_stored_hashed_redeems_and_revokes(runner, client):
    brand = make_brand("alpha")
    batch = coupons.create_batch(brand.id, make_campaign(brand).id, 1, title="券", valid_days=9)
    code = coupons.issue_coupon(batch, make_player(brand).id, source="test").code
    db.session.commit()
    result = ok(run(runner, "apikeys", "create", "--brand", "alpha",
                    "--scopes", "coupons:redeem, tags:read", "--name", "POS"))
    secret = result.stdout.strip()
    assert secret.startswith("hdk_") and result.output.count(secret) == 1
    key = db.session.scalar(select(ApiKey))
    assert (key.brand_id, key.scopes, key.key_hash) == (brand.id, ["coupons:redeem", "tags:read"],
                                                         sha256(secret))
    headers = {"Authorization": f"Bearer {secret}"}
    redeem = client.post(REDEEM, json={"code": code}, headers=headers)
    assert redeem.status_code == 200
    assert secret not in ok(run(runner, "apikeys", "list", "--brand", "alpha")).output
    ok(run(runner, "apikeys", "revoke", key.prefix))
    redeem = client.post(REDEEM, json={"code": code}, headers=headers)
    assert redeem.status_code == 401


@pytest.mark.parametrize("scopes", ["coupons:redeem,admin:all", "", " , "])
def test_apikey_refuses_unknown_or_no_scopes(runner, scopes):
    make_brand("alpha")
    result = run(runner, "apikeys", "create", "--brand", "alpha", "--scopes", scopes)
    assert result.exit_code == 1 and "scopes" in result.output
    assert db.session.scalar(select(ApiKey)) is None


def test_revoke_needs_an_unambiguous_prefix(runner):
    brand = make_brand("alpha")
    for name in ("a", "b"):
        ok(run(runner, "apikeys", "create", "--brand", brand.slug, "--scopes", "tags:read",
               "--name", name))
    first, second = db.session.scalars(select(ApiKey).order_by(ApiKey.id))
    first.prefix, second.prefix = "hdk_AAAAAA", "hdk_AAAAAB"  # force a shared start
    db.session.commit()
    assert "at least" in run(runner, "apikeys", "revoke", "hdk_").output
    assert "longer prefix" in run(runner, "apikeys", "revoke", "hdk_AAAAA").output
    assert "no active" in run(runner, "apikeys", "revoke", "hdk_zzzzzz").output
    assert all(k.revoked_at is None for k in db.session.scalars(select(ApiKey)))
    ok(run(runner, "apikeys", "revoke", "hdk_AAAAAB"))
    db.session.expire_all()
    assert [k.revoked_at is None for k in db.session.scalars(
        select(ApiKey).order_by(ApiKey.id))] == [True, False]


# the credentials at the API: error shape, revocation, brand and scope of a key


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], dict)


@pytest.mark.parametrize("header", [None, "Bearer hdp_not-a-real-token", "Bearer ", "Basic x"])
def test_missing_or_invalid_token_is_401(client, header):
    make_brand("alpha")
    headers = {"Authorization": header} if header is not None else {}
    resp = client.get("/api/v1/admin/brands/alpha/campaigns", headers=headers)
    assert_error(resp, 401, "not_authenticated")


def test_revoked_token_is_401(client):
    secret, token = create_access_token(make_marketer(make_brand("alpha")))
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/admin/brands", headers=headers).status_code == 200
    token.revoked_at = utcnow()
    db.session.commit()
    assert_error(client.get("/api/v1/admin/brands", headers=headers), 401, "not_authenticated")


def test_api_key_redeems_only_its_own_brand_and_needs_the_scope(client):
    codes = {}
    for slug in ("alpha", "beta"):
        brand = make_brand(slug)
        batch = coupons.create_batch(brand.id, make_campaign(brand).id, 2, title="券",
                                     valid_days=9)
        codes[slug] = coupons.issue_coupon(batch, make_player(brand).id, source="test").code
    alpha = db.session.scalar(select(Brand).where(Brand.slug == "alpha"))
    key, _ = create_api_key(alpha, ["coupons:redeem"])
    tags_only, _ = create_api_key(alpha, ["tags:read"])
    db.session.commit()

    def redeem(secret, code):
        return client.post(REDEEM, json={"code": code},
                           headers={"Authorization": f"Bearer {secret}"})

    assert_error(redeem(key, codes["beta"]), 404, "not_found")
    assert_error(redeem(tags_only, codes["alpha"]), 403, "missing_scope")
    assert_error(redeem("hdk_unknown", codes["alpha"]), 401, "not_authenticated")
    assert redeem(key, codes["alpha"]).status_code == 200
