"""Encryption at rest: MultiFernet keys from DATA_ENCRYPTION_KEY, rotation, production refusal."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from engine import encryption
from engine.config import load_config
from engine.extensions import db
from engine.models import WeChatAccount
from tests.factories import make_brand

APPID = "wx0123456789abcdef"
SECRET = "0123456789abcdef0123456789abcdef"


def stored_secret(account_id: int) -> str:
    return db.session.execute(text("SELECT secret FROM wechat_accounts WHERE id = :i"),
                              {"i": account_id}).scalar_one()


def test_production_refuses_to_start_without_a_key():
    env = {"HUDONG_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32)}
    with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEY"):
        load_config(env)
    key = Fernet.generate_key().decode()
    assert load_config({**env, "DATA_ENCRYPTION_KEY": key})["DATA_ENCRYPTION_KEYS"] == [key]


def test_a_malformed_key_is_refused_naming_its_position():
    good = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        load_config({"DATA_ENCRYPTION_KEY": f"{good}, not-a-key"})


def test_development_derives_a_stable_key_from_the_secret(app):
    assert app.config["DATA_ENCRYPTION_KEYS"] == []
    token = encryption.encrypt("13800138000")
    assert "13800138000" not in token
    assert encryption.decrypt(token) == "13800138000"
    assert encryption.derived_key("a") == encryption.derived_key("a") != encryption.derived_key("b")


def test_secrets_are_ciphertext_in_the_table_and_clear_through_the_model(app):
    brand = make_brand()
    account = WeChatAccount(brand_id=brand.id, appid=APPID, secret=SECRET)
    db.session.add(account)
    db.session.commit()
    raw = stored_secret(account.id)
    assert SECRET not in raw and raw.startswith("gAAAA")
    db.session.expire_all()
    assert db.session.get(WeChatAccount, account.id).secret == SECRET


def test_rotation_reencrypts_everything_with_the_first_key(app, runner):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["DATA_ENCRYPTION_KEYS"] = [old]
    brands = [make_brand() for _ in range(3)]
    for brand in brands:
        db.session.add(WeChatAccount(brand_id=brand.id, appid=APPID, secret=SECRET))
    db.session.commit()
    app.config["DATA_ENCRYPTION_KEYS"] = [new, old]
    result = runner.invoke(args=["encryption", "reencrypt", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 values" in result.output
    app.config["DATA_ENCRYPTION_KEYS"] = [new]  # the old key dropped: all still readable
    db.session.expire_all()
    assert [a.secret for a in db.session.scalars(db.select(WeChatAccount))] == [SECRET] * 3
    app.config["DATA_ENCRYPTION_KEYS"] = [old]  # and the old key alone opens none of them
    db.session.expire_all()
    with pytest.raises(encryption.DecryptionFailed):
        db.session.scalars(db.select(WeChatAccount)).all()
    db.session.rollback()


def test_generate_key_prints_a_usable_key(runner):
    result = runner.invoke(args=["encryption", "generate-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip())
