"""Command-line groups: ``flask leaderboards ...``, ``flask demo ...``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from engine import jobs
from engine.boards import period_close, standings
from engine.campaigns.demo import DEMO_EMAIL, seed_demo
from engine.extensions import db
from engine.models import Campaign

leaderboards = AppGroup("leaderboards", help="Leaderboard maintenance.")
demo = AppGroup("demo", help="The demo brand.")
jobs_cli = AppGroup("jobs", help="Background jobs (rq).")


@leaderboards.command("rebuild")
@click.option("--campaign", "slug", help="Only this campaign (slug); default: all.")
def rebuild(slug: str | None) -> None:
    """Rebuild every leaderboard from the database (after a Redis flush)."""
    query = select(Campaign).order_by(Campaign.id)
    if slug:
        query = query.where(Campaign.slug == slug)
    found = list(db.session.scalars(query))
    if slug and not found:
        raise click.ClickException(f"no campaign {slug!r}")
    for campaign in found:
        def progress(done: int, total: int, name=campaign.slug) -> None:
            click.echo(f"  {name}: {done}/{total} scores", err=True)
        count = standings.rebuild_standings(campaign, progress)
        click.echo(f"rebuilt {campaign.slug}: {count} scores")


@leaderboards.command("close")
@click.option("--campaign", "slug", help="Only this campaign (slug).")
@click.option("--period", type=click.Choice(["daily", "weekly", "all"]),
              help="Close this one period (with --key) even if not yet due.")
@click.option("--key", help="The period key, e.g. 2026-11-23 or 2026-W48.")
def close(slug: str | None, period: str | None, key: str | None) -> None:
    """Freeze final standings of ended periods and award rank prizes (idempotent)."""
    def report(campaign, period, key, row) -> None:
        click.echo(f"closed {campaign.slug} {period} {key}: {row.players} players, "
                   f"{row.awarded} prizes")
    if period:
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == (slug or "")))
        if campaign is None:
            raise click.ClickException("--period needs --campaign")
        row = period_close.close_period(campaign, period, key or "all")
        report(campaign, period, key or "all", row)
        return
    closed = period_close.close_due(progress=report)
    click.echo(f"{len(closed)} periods closed")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an rq worker (with the scheduler) inside the app."""
    if not burst:
        jobs.schedule_close()
    jobs.run_worker(burst=burst)


@jobs_cli.command("close-periods")
def enqueue_close() -> None:
    """Enqueue the period close job now."""
    job = jobs.schedule_close()
    click.echo(f"enqueued {job.id}")


@demo.command("seed")
@click.option("--base-url", default="http://127.0.0.1:5000", help="Where the app is served.")
def seed(base_url: str) -> None:
    """Create the demo brand with a live campaign per game type; print URLs and login."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or base_url).rstrip("/")
    brand, campaigns, password = seed_demo()
    click.echo(f"Demo brand: {brand.name} ({brand.slug})")
    for campaign in campaigns:
        click.echo(f"  play {campaign.game_type:<10} {base}/c/{campaign.slug}")
    click.echo(f"Console login: {DEMO_EMAIL} / {password}  ({base}/admin)")


def register_cli(app: Flask) -> None:
    """Add the command groups to ``flask``."""
    app.cli.add_command(leaderboards)
    app.cli.add_command(demo)
    app.cli.add_command(jobs_cli)
