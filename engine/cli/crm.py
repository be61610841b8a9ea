"""Command-line groups for brands' data: ``flask brands wechat ...``, ``flask encryption ...``.

Secrets given here are encrypted at rest (``DATA_ENCRYPTION_KEY``) and never
printed back.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from engine import encryption
from engine.access.wechat import credentials
from engine.cli.access import brands
from engine.extensions import db
from engine.models import Brand

wechat = AppGroup("wechat", help="A brand's own WeChat service account (服务号).")
encryption_cli = AppGroup("encryption", help="Encryption at rest (DATA_ENCRYPTION_KEY).")


def _brand(slug: str) -> Brand:
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise click.ClickException(f"no brand {slug!r}")
    return brand


@wechat.command("set")
@click.argument("slug")
@click.option("--appid", required=True, help="The service account's AppID (wx...).")
@click.option("--secret", help="The AppSecret; prompted (hidden) when not given.")
def set_wechat(slug: str, appid: str, secret: str | None) -> None:
    """Use the brand SLUG's own service account for its players' WeChat login."""
    brand = _brand(slug)
    if secret is None:
        secret = click.prompt("AppSecret", hide_input=True)
    try:
        credentials.set_for_brand(brand, appid, secret)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{brand.slug}: WeChat service account {appid.strip()} set (secret encrypted)")


@wechat.command("show")
@click.argument("slug")
def show_wechat(slug: str) -> None:
    """Say which AppID the brand SLUG's players are identified through."""
    creds = credentials.for_brand(_brand(slug))
    if creds is None:
        click.echo(f"{slug}: WeChat off (no own account, no global WECHAT_APPID)")
        return
    origin = "own service account" if creds.source == "brand" else "global WECHAT_APPID"
    click.echo(f"{slug}: {creds.appid} ({origin})")


@wechat.command("clear")
@click.argument("slug")
def clear_wechat(slug: str) -> None:
    """Remove the brand SLUG's own account: back to the global WECHAT_APPID."""
    removed = credentials.clear_for_brand(_brand(slug))
    db.session.commit()
    click.echo(f"{slug}: own service account removed" if removed
               else f"{slug}: had no own service account")


@encryption_cli.command("reencrypt")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
def reencrypt(batch: int) -> None:
    """Re-encrypt every stored secret and personal field with the first key.

    Put a new key first in DATA_ENCRYPTION_KEY (keep the old ones after it),
    run this, then drop the old keys.
    """
    def progress(table: str, done: int) -> None:
        click.echo(f"  {table}: {done} values", err=True)
    total = encryption.reencrypt_all(db.session, db.metadata, batch=batch, progress=progress)
    click.echo(f"re-encrypted {total} values with the first key")


@encryption_cli.command("generate-key")
def generate_key() -> None:
    """Print a new Fernet key for DATA_ENCRYPTION_KEY."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


def register_crm_cli(app: Flask) -> None:
    """Add the brand-data command groups to ``flask``."""
    brands.add_command(wechat)
    app.cli.add_command(encryption_cli)
