"""``flask tags ...``: evaluate tag rules, install the default rule set."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from engine.extensions import db
from engine.models import Brand
from tags import defaults, evaluation

tags_cli = AppGroup("tags", help="User tags: evaluation and rule sets.")
_STEPS = ("metrics", "rules", "write")


def _brands(slug: str | None) -> list[Brand]:
    query = select(Brand).order_by(Brand.id)
    if slug:
        query = query.where(Brand.slug == slug)
    found = list(db.session.scalars(query))
    if slug and not found:
        raise click.ClickException(f"no brand {slug!r}")
    return found


@tags_cli.command("evaluate")
@click.option("--brand", "slug", help="Only this brand (slug); default: every brand.")
def evaluate(slug: str | None) -> None:
    """Evaluate every tag rule for every player (a full pass) and write the changes."""
    brands = _brands(slug)
    with click.progressbar(length=len(brands) * len(_STEPS), label="evaluating tags",
                           file=sys.stderr) as bar:
        for brand in brands:
            if defaults.install_defaults(brand.id):
                db.session.commit()
            outcome = evaluation.evaluate_brand(brand.id, progress=lambda _step: bar.update(1))
            click.echo(f"\n{brand.slug}: {outcome.players} players, {outcome.changes} changes "
                       f"in {outcome.seconds:.2f}s")


@tags_cli.command("install-defaults")
@click.option("--brand", "slug", help="Only this brand (slug); default: every brand.")
def install(slug: str | None) -> None:
    """Give brands without tag groups the default rule set."""
    for brand in _brands(slug):
        done = defaults.install_defaults(brand.id)
        db.session.commit()
        click.echo(f"{brand.slug}: {'installed' if done else 'has its own rules'}")


def register_tags_cli(app: Flask) -> None:
    """Attach ``flask tags``."""
    app.cli.add_command(tags_cli)
