"""Lottery draws: odds honoured, stock and caps respected, pacing, earned draws."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.clock import local_day, utcnow
from engine.errors import NoDrawsLeft
from engine.extensions import db
from engine.models import Draw, DrawCredit, Event, Prize, PrizeDay
from engine.rewards import draws
from engine.rewards.coupons import create_batch
from tests.factories import make_campaign, make_player
from tests.support.play import auto_moves


def prize(campaign, name, ppm, **fields):
    row = Prize(brand_id=campaign.brand_id, campaign_id=campaign.id, name=name,
                probability_ppm=ppm, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def test_choose_honours_the_odds_chi_square():
    odds = [("一等奖", 10_000), ("二等奖", 90_000), ("三等奖", 300_000)]
    prizes = [Prize(id=i + 1, name=n, probability_ppm=p) for i, (n, p) in enumerate(odds)]
    rolls = random.Random(20261123)
    trials = 200_000
    counts = {p.name: 0 for p in prizes} | {None: 0}
    for _ in range(trials):
        won = draws.choose(prizes, rolls.randrange(draws.MILLION))
        counts[won.name if won else None] += 1
    expected = {n: trials * p / draws.MILLION for n, p in odds}
    expected[None] = trials - sum(expected.values())
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    assert chi2 < 16.27  # 3 degrees of freedom, p = 0.001


def test_draws_through_the_service_follow_the_odds(app):
    campaign = make_campaign(draw_config={"per_day": 100})
    prize(campaign, "谢谢参与券", 250_000)
    players = [make_player(campaign.brand) for _ in range(20)]
    wins = sum(draws.draw(campaign, p).prize is not None for p in players for _ in range(100))
    # 2000 draws at p = 0.25: mean 500, sd ≈ 19.4; 5 sd either side
    assert abs(wins - 500) < 5 * math.sqrt(2000 * 0.25 * 0.75)


def test_out_of_stock_prize_is_never_drawn_and_others_keep_their_odds(app):
    campaign = make_campaign(draw_config={"per_day": 10})
    rare = prize(campaign, "限量", 500_000, stock=2)
    common = prize(campaign, "常规", 500_000)
    player = make_player(campaign.brand)
    results = [draws.draw(campaign, player, roll=r).prize for r in (0, 1, 2, 3, 600_000)]
    assert [p.name if p else None for p in results] == ["限量", "限量", None, None, "常规"]
    db.session.refresh(rare)
    assert rare.awarded == 2 and common.awarded == 1


def _a_day_passes(campaign) -> None:
    """Move the campaign's draws and caps to the local day before: today starts afresh."""
    today = local_day(utcnow(), campaign.timezone).isoformat()
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    for table in (Draw.__table__, DrawCredit.__table__):
        db.session.execute(table.update().where(table.c.campaign_id == campaign.id,
                                                table.c.day_key == today)
                           .values(day_key=yesterday))
    db.session.execute(PrizeDay.__table__.update().where(PrizeDay.day_key == today)
                       .values(day_key=yesterday))
    db.session.commit()


def test_daily_cap_resets_each_day(app):
    campaign = make_campaign(draw_config={"per_day": 10})
    capped = prize(campaign, "每日限1", 1_000_000, daily_cap=1)
    player = make_player(campaign.brand)
    assert draws.draw(campaign, player).prize.id == capped.id
    assert draws.draw(campaign, player).prize is None  # today's one is gone
    _a_day_passes(campaign)
    assert draws.draw(campaign, player).prize.id == capped.id  # the next day has its own
    assert draws.draw(campaign, player).prize is None
    assert db.session.scalar(select(func.count()).select_from(PrizeDay)) == 2


def test_pacing_spreads_stock_over_the_days(app):
    now = utcnow()
    campaign = make_campaign(draw_config={"per_day": 50}, starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(days=9, hours=1))
    paced = prize(campaign, "均匀发放", 1_000_000, stock=100, paced=True)
    limit = draws.paced_limit(paced, campaign, now)
    assert 1 <= limit <= 10  # within the first of ten or eleven local days
    players = [make_player(campaign.brand) for _ in range(3)]
    won = sum(draws.draw(campaign, p).prize is not None for p in players for _ in range(10))
    assert won == min(limit, 30)
    assert draws.paced_limit(paced, campaign, now + timedelta(days=30)) == 100


def test_free_draws_then_earned_credits_then_429(app, client):
    params = {"min_move_interval_ms": 0}
    campaign = make_campaign(game_params=params,
                             draw_config={"per_day": 1, "per_play": 1,
                                          "max_play_credits_per_day": 2})
    prize(campaign, "券", 0)
    url = f"/api/v1/campaigns/{campaign.slug}/draws"
    view = client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()
    assert view["draws_left"] == 1 and view["prizes"][0]["name"] == "券"
    assert client.post(url, json={}).get_json() == {"prize": None, "draws_left": 0}
    refused = client.post(url, json={})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    for _ in range(3):  # three plays, but at most two credits a day
        opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
        moves, _ = auto_moves(opened["seed"], params, count=5)
        client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                    json={"token": opened["token"], "moves": moves})
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["draws_left"] == 2
    assert client.post(url, json={}).get_json()["draws_left"] == 1
    assert client.post(url, json={}).get_json()["draws_left"] == 0
    assert client.post(url, json={}).status_code == 429
    kinds = [e.kind for e in db.session.scalars(select(Event))]
    assert kinds.count("draw") == 3


def test_a_play_earning_two_credits_stops_at_the_days_cap(app, client):
    params = {"min_move_interval_ms": 0}
    campaign = make_campaign(game_params=params,
                             draw_config={"per_play": 2, "max_play_credits_per_day": 3})
    for _ in range(2):  # 2 credits, then 1: the cap counts the credits of the same finish
        opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
        moves, _ = auto_moves(opened["seed"], params, count=5)
        resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                           json={"token": opened["token"], "moves": moves})
        assert resp.status_code == 200
    keys = sorted(k.split(":")[2] for k in db.session.scalars(select(DrawCredit.source_key)))
    assert keys == ["0", "0", "1"]
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["draws_left"] == 3


def test_a_friends_verified_play_earns_one_credit_once(app):
    campaign = make_campaign(draw_config={"per_day": 0, "per_friend": 1})
    referrer, friend = make_player(campaign.brand), make_player(campaign.brand)
    assert draws.credit_for_friend(campaign, referrer.id, friend.id) == 1
    assert draws.credit_for_friend(campaign, referrer.id, friend.id) == 0
    db.session.commit()
    assert draws.draws_left(campaign, referrer.id) == 1
    draws.draw(campaign, referrer)
    with pytest.raises(NoDrawsLeft):
        draws.draw(campaign, referrer)


def test_coupon_prize_issues_a_coupon_and_shows_it(app, client):
    campaign = make_campaign(draw_config={"per_day": 2})
    batch = create_batch(campaign.brand_id, campaign.id, 1, title="奶茶半价", valid_days=3,
                         per_player_limit=5)
    prize(campaign, "奶茶半价券", 1_000_000, batch_id=batch.id)
    first = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={}).get_json()
    assert first["prize"]["name"] == "奶茶半价券"
    assert first["prize"]["coupon"]["status"] == "issued" and first["draws_left"] == 1
    # the batch had one code: the next draw lands on the prize but wins nothing
    second = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={}).get_json()
    assert second == {"prize": None, "draws_left": 0}
    codes = [c["code"] for c in client.get("/api/v1/me/coupons").get_json()["coupons"]]
    assert codes == [first["prize"]["coupon"]["code"]]


def test_draws_refused_when_campaign_not_live(app, client):
    campaign = make_campaign(status="paused", draw_config={"per_day": 3})
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={})
    assert resp.status_code == 403


def test_pacing_spreads_a_days_share_over_its_hours(app):
    start = datetime(2030, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    campaign = make_campaign(starts_at=start, ends_at=start + timedelta(days=9, hours=12),
                             status="draft")
    paced = prize(campaign, "均匀发放", 0, stock=100, paced=True)
    at = [draws.paced_limit(paced, campaign, start + timedelta(hours=h))
          for h in (0, 1, 6, 12, 24, 36, 240)]
    # ten days of ten: a tenth of a day's share per 2.4 hours, never all of it at midnight
    assert at == [1, 1, 3, 5, 10, 15, 100]


def test_pacing_without_a_schedule_is_refused(app, client):
    from tests.engine.test_admin_api import bearer
    from tests.factories import make_marketer

    campaign = make_campaign(status="draft", starts_at=None, ends_at=None)
    auth = bearer(make_marketer(campaign.brand))
    url = f"/api/v1/admin/campaigns/{campaign.id}/prizes"
    refused = client.post(url, headers=auth, json={"name": "限量", "stock": 10, "paced": True})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "pacing_needs_schedule"
    made = client.post(url, headers=auth, json={"name": "限量", "stock": 10})
    assert made.status_code == 201
    refused = client.patch(f"/api/v1/admin/prizes/{made.get_json()['id']}", headers=auth,
                           json={"paced": True})
    assert refused.get_json()["error"]["code"] == "pacing_needs_schedule"
