"""Measure nurture actions per second through HTTP, many players tapping at once.

Each client is a player (its own cookie jar) tapping a campaign whose one
action has no cooldown, so every tap is a real, idempotent, locked update.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import requests

from bench.load import LoadResult, Sample, run_clients, timed_post
from engine import create_app
from engine.campaigns.lifecycle import create_campaign
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Brand

SLUG = "bench-nurture"
PARAMS = {
    "stages": [{"name": "种子", "threshold": 0}, {"name": "大树", "threshold": 1_000_000}],
    "actions": [{"key": "tap", "name": "点一下", "growth": 1, "energy": 0, "cooldown_s": 0,
                 "daily_limit": 100}],
}
_keys = itertools.count()


def seed_campaign(app_config: dict) -> None:
    """Create the live nurture campaign the bench taps."""
    app = create_app(app_config)
    with app.app_context():
        brand = db.session.query(Brand).filter_by(slug="bench").one()
        now = utcnow()
        create_campaign(brand, slug=SLUG, title="养成压测", game_type="nurture",
                        game_params=PARAMS, status="live", starts_at=now - timedelta(days=1),
                        ends_at=now + timedelta(days=30))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def tap_once(http: requests.Session, base_url: str) -> list[Sample]:
    """Tap once with a fresh idempotency key; a player at the daily limit starts anew."""
    url = f"{base_url}/api/v1/campaigns/{SLUG}/garden/actions"
    sample, _ = timed_post(http, "action", url,
                           {"action": "tap", "idempotency_key": f"k{next(_keys):09d}"})
    if sample.status == 429:  # this player's 100 taps of the day are done: a new player
        http.cookies.clear()
        return [Sample("limit", sample.ended, sample.seconds, 200)]
    return [sample]


def measure(base_url: str, clients: int, warmup_s: float, duration_s: float) -> LoadResult:
    """Run ``clients`` tapping players against the server and return the result."""
    return run_clients(lambda http: tap_once(http, base_url), clients, warmup_s, duration_s)
