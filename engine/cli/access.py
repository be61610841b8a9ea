"""Command-line groups for access: ``flask brands|users|tokens|apikeys ...``.

Secrets (personal access tokens, API keys) are printed once, when created;
only their SHA-256 is stored (``engine.access.auth``), so a lost secret is revoked
by its prefix and a new one created.
"""

from __future__ import annotations

import re

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from engine.access.auth import SCOPES, create_access_token, create_api_key
from engine.clock import isoformat, utcnow
from engine.extensions import db
from engine.models import AccessToken, ApiKey, Brand, BrandMember, Marketer

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8

brands = AppGroup("brands", help="Brands (tenants).")
users = AppGroup("users", help="Marketers who log in to the console.")
tokens = AppGroup("tokens", help="Marketers' personal access tokens for the admin API.")
apikeys = AppGroup("apikeys", help="Brands' API keys for their CRM and POS.")


def _brand(slug: str) -> Brand:
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise click.ClickException(f"no brand {slug!r}")
    return brand


def _marketer(email: str) -> Marketer | None:
    return db.session.scalar(select(Marketer).where(Marketer.email == email.strip().lower()))


@brands.command("create")
@click.argument("slug")
@click.argument("name")
def create_brand(slug: str, name: str) -> None:
    """Create a brand with a URL-safe SLUG and a display NAME."""
    if not SLUG_RE.match(slug):
        raise click.ClickException("slug: 2-64 lowercase letters, digits or '-'")
    if db.session.scalar(select(Brand.id).where(Brand.slug == slug)):
        raise click.ClickException(f"brand {slug!r} exists already")
    db.session.add(Brand(slug=slug, name=name.strip() or slug))
    db.session.commit()
    click.echo(f"created brand {slug}")


@users.command("create")
@click.option("--email", required=True, help="Login e-mail.")
@click.option("--password", help="Prompted (hidden, twice) for a new user when not given.")
@click.option("--brand", "brand_slug", required=True, help="The brand the user works for.")
@click.option("--name", default="", help="Display name.")
def create_user(email: str, password: str | None, brand_slug: str, name: str) -> None:
    """Create a marketer for a brand, or add an existing one to another brand."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise click.ClickException(f"not an e-mail address: {email!r}")
    brand = _brand(brand_slug)
    marketer = _marketer(email)
    if marketer is None:
        marketer = _new_marketer(email, password, name)
        click.echo(f"created user {email}")
    elif password is not None:
        click.echo(f"user {email} exists: password left unchanged", err=True)
    if db.session.scalar(select(BrandMember.id).where(BrandMember.brand_id == brand.id,
                                                      BrandMember.marketer_id == marketer.id)):
        db.session.commit()
        click.echo(f"{email} is already a member of {brand.slug}")
        return
    db.session.add(BrandMember(brand_id=brand.id, marketer_id=marketer.id))
    db.session.commit()
    click.echo(f"added {email} to {brand.slug}")


def _new_marketer(email: str, password: str | None, name: str) -> Marketer:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"password: at least {MIN_PASSWORD} characters")
    marketer = Marketer(email=email, name=name)
    marketer.set_password(password)
    db.session.add(marketer)
    db.session.flush()
    return marketer


def _active(model, prefix: str) -> list:
    """Return the unrevoked rows of ``model`` whose prefix starts ``prefix`` (or the secret)."""
    prefix = prefix.strip()
    if len(prefix) < 5:
        raise click.ClickException("give at least the first 5 characters of the prefix")
    rows = db.session.scalars(select(model).where(model.revoked_at.is_(None)))
    return [row for row in rows if prefix.startswith(row.prefix) or row.prefix.startswith(prefix)]


def _revoke(model, prefix: str, what: str) -> None:
    found = _active(model, prefix)
    if not found:
        raise click.ClickException(f"no active {what} with prefix {prefix!r}")
    if len(found) > 1:
        raise click.ClickException(f"{len(found)} {what}s match {prefix!r}: give a longer prefix")
    found[0].revoked_at = utcnow()
    db.session.commit()
    click.echo(f"revoked {what} {found[0].prefix} ({found[0].name or 'unnamed'})")


@tokens.command("create")
@click.option("--email", required=True, help="Whose token.")
@click.option("--name", default="", help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create a personal access token and print it once."""
    marketer = _marketer(email)
    if marketer is None:
        raise click.ClickException(f"no user {email!r}")
    secret, row = create_access_token(marketer, name)
    db.session.commit()
    click.echo(f"token {row.prefix} for {marketer.email} (shown once, store it now):", err=True)
    click.echo(secret)


@tokens.command("revoke")
@click.argument("prefix")
def revoke_token(prefix: str) -> None:
    """Revoke the personal access token whose prefix is PREFIX."""
    _revoke(AccessToken, prefix, "token")


@tokens.command("list")
@click.option("--email", required=True)
def list_tokens(email: str) -> None:
    """List a user's tokens by prefix (the secrets are not stored)."""
    marketer = _marketer(email)
    if marketer is None:
        raise click.ClickException(f"no user {email!r}")
    _print_rows(db.session.scalars(select(AccessToken).where(
        AccessToken.marketer_id == marketer.id).order_by(AccessToken.id)))


def _parse_scopes(raw: str) -> list[str]:
    scopes = sorted({s.strip() for s in raw.split(",") if s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise click.ClickException(f"scopes: choose from {', '.join(SCOPES)}")
    return scopes


@apikeys.command("create")
@click.option("--brand", "brand_slug", required=True, help="The brand the key acts for.")
@click.option("--scopes", required=True, help=f"Comma-separated: {', '.join(SCOPES)}.")
@click.option("--name", default="", help="Who uses the key (CRM, POS...).")
def create_key(brand_slug: str, scopes: str, name: str) -> None:
    """Create a brand API key with some scopes and print it once."""
    brand = _brand(brand_slug)
    secret, row = create_api_key(brand, _parse_scopes(scopes), name)
    db.session.commit()
    click.echo(f"API key {row.prefix} for {brand.slug} [{','.join(row.scopes)}] "
               "(shown once, store it now):", err=True)
    click.echo(secret)


@apikeys.command("revoke")
@click.argument("prefix")
def revoke_key(prefix: str) -> None:
    """Revoke the API key whose prefix is PREFIX."""
    _revoke(ApiKey, prefix, "API key")


@apikeys.command("list")
@click.option("--brand", "brand_slug", required=True)
def list_keys(brand_slug: str) -> None:
    """List a brand's API keys by prefix (the secrets are not stored)."""
    brand = _brand(brand_slug)
    _print_rows(db.session.scalars(select(ApiKey).where(ApiKey.brand_id == brand.id)
                                   .order_by(ApiKey.id)))


def _print_rows(rows) -> None:
    for row in rows:
        state = f"revoked {isoformat(row.revoked_at)}" if row.revoked_at else "active"
        scopes = f" [{','.join(row.scopes)}]" if isinstance(row, ApiKey) else ""
        click.echo(f"{row.prefix}  {row.name or '-'}{scopes}  created {isoformat(row.created_at)}"
                   f"  last used {isoformat(row.last_used_at) or 'never'}  {state}")


def register_access_cli(app: Flask) -> None:
    """Add the access command groups to ``flask``."""
    for group in (brands, users, tokens, apikeys):
        app.cli.add_command(group)
