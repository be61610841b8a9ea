"""Command line: ``flask crm sync|deliveries``, ``flask players export|delete``."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from engine.clock import isoformat
from engine.errors import NotFound
from engine.extensions import db
from engine.models import Brand, CrmEndpoint, Delivery
from tags.crm import personal_data
from tags.crm.players_api import ExportSchema
from tags.crm.sync import sync_all

crm = AppGroup("crm", help="Delivering tag changes to brands' CRM endpoints.")
players = AppGroup("players", help="A player's personal data: export and erase on request.")


def _brand_id(slug: str) -> int:
    brand_id = db.session.scalar(select(Brand.id).where(Brand.slug == slug))
    if brand_id is None:
        raise click.ClickException(f"no brand {slug!r}")
    return brand_id


@players.command("export")
@click.argument("player_id", type=int)
@click.option("--brand", "slug", required=True, help="The brand the player belongs to.")
def export(player_id: int, slug: str) -> None:
    """Print everything the brand holds about PLAYER_ID as JSON (in clear: handle with care)."""
    try:
        data = ExportSchema().dump(personal_data.export_player(_brand_id(slug), player_id))
    except NotFound:
        raise click.ClickException(f"no player {player_id} in {slug}") from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@players.command("delete")
@click.argument("player_id", type=int)
@click.option("--brand", "slug", required=True, help="The brand the player belongs to.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(player_id: int, slug: str, yes: bool) -> None:
    """Erase PLAYER_ID's personal fields and pass the erasure on to every CRM endpoint."""
    brand_id = _brand_id(slug)
    if not yes:
        click.confirm(f"Erase player {player_id}'s personal data in {slug}?", abort=True)
    try:
        erasure = personal_data.erase_player(brand_id, player_id, requested_by="cli")
    except NotFound:
        raise click.ClickException(f"no player {player_id} in {slug}") from None
    click.echo(f"erased player {player_id} at {isoformat(erasure.erased_at)}; "
               "a delete change goes to every CRM endpoint")


@crm.command("sync")
def sync() -> None:
    """Batch and send every endpoint's due changes once, here (the worker does it on its own)."""
    report = sync_all()
    click.echo(f"{report.batched} batches made, {report.delivered} delivered, "
               f"{report.failed} failed" + (f", dead: {report.dead}" if report.dead else ""))


@crm.command("deliveries")
@click.option("--endpoint", "endpoint_id", type=int, required=True)
@click.option("--limit", default=20, show_default=True)
def deliveries(endpoint_id: int, limit: int) -> None:
    """Show an endpoint's latest deliveries (the delivery log)."""
    if db.session.get(CrmEndpoint, endpoint_id) is None:
        raise click.ClickException(f"no endpoint {endpoint_id}")
    rows = db.session.scalars(select(Delivery).where(Delivery.endpoint_id == endpoint_id)
                              .order_by(Delivery.id.desc()).limit(limit))
    for d in rows:
        click.echo(f"{d.id} {d.batch_id} {d.status} changes={len(d.change_ids)} "
                   f"attempts={d.attempts} last_status={d.last_status} latency={d.latency_ms}ms "
                   f"next={isoformat(d.next_attempt_at)} {d.last_error}")


def register_crm_sync_cli(app: Flask) -> None:
    """Add ``flask crm`` and ``flask players`` to the app."""
    app.cli.add_command(crm)
    app.cli.add_command(players)
