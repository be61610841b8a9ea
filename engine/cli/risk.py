"""``flask risk``: the risk queue from the command line."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from engine.risk import review

risk = AppGroup("risk", help="The risk queue: flags held for a marketer's review.")


@risk.command("expire")
def expire_command() -> None:
    """Apply each campaign's default to every flag past its deadline."""
    click.echo(f"{review.expire_overdue()} overdue flag(s) decided by their campaign's default")


def register_risk_cli(app: Flask) -> None:
    """Add ``flask risk`` to the app."""
    app.cli.add_command(risk)
