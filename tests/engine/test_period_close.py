"""Closing periods: final standings frozen once, rank prizes awarded exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.boards import period_close, periods
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Coupon, FinalStanding, PeriodClose, PlaySession, RewardRule, Score
from engine.rewards import awards
from engine.rewards.coupons import create_batch
from tests.factories import make_campaign, make_player

SHANGHAI_MIDNIGHT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 2026-11-21 00:00 +08:00


def score(campaign, player, value, at):
    play = PlaySession(id=f"p{player.id}-{value}-{at.timestamp()}", campaign_id=campaign.id,
                       player_id=player.id, seed=1, status="finished",
                       day_key=at.strftime("%m%d%H%M%S"),
                       play_no=1, created_at=at, expires_at=at, finished_at=at, score=value)
    db.session.add(play)
    db.session.add(Score(campaign_id=campaign.id, player_id=player.id, session_id=play.id,
                         score=value, moves=1, duration_ms=1, created_at=at))
    db.session.commit()


def rank_rule(campaign, period, rank_from, rank_to, inventory=20):
    batch = create_batch(campaign.brand_id, campaign.id, inventory, title=f"{period} 前三",
                         valid_days=7, per_player_limit=10)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger="rank", period=period, rank_from=rank_from,
                              rank_to=rank_to, batch_id=batch.id))
    db.session.commit()
    return batch


def day_campaign():
    campaign = make_campaign(starts_at=SHANGHAI_MIDNIGHT - timedelta(days=3),
                             ends_at=SHANGHAI_MIDNIGHT + timedelta(days=3))
    players = [make_player(campaign.brand) for _ in range(5)]
    day = SHANGHAI_MIDNIGHT  # all of these fall on 2026-11-21 in Shanghai
    for i, (who, value) in enumerate([(0, 50), (1, 80), (2, 80), (3, 30), (4, 90), (0, 85)]):
        score(campaign, players[who], value, day + timedelta(hours=1, minutes=i))
    score(campaign, players[3], 999, day + timedelta(days=1, hours=1))  # the next day
    return campaign, players


def test_bounds_follow_the_campaign_timezone():
    start, end = periods.period_bounds("daily", "2026-11-21", "Asia/Shanghai")
    assert (start, end) == (SHANGHAI_MIDNIGHT, SHANGHAI_MIDNIGHT + timedelta(days=1))
    start, end = periods.period_bounds("weekly", "2026-W47", "Asia/Shanghai")
    assert start == datetime(2026, 11, 15, 16, tzinfo=UTC) and end - start == timedelta(days=7)


def test_daily_close_freezes_standings_with_the_tie_rule(app):
    campaign, players = day_campaign()
    close = period_close.close_period(campaign, "daily", "2026-11-21")
    rows = db.session.scalars(select(FinalStanding).where(FinalStanding.close_id == close.id)
                              .order_by(FinalStanding.rank)).all()
    # player 1 reached 80 before player 2; player 0's best is 85
    assert [(r.player_id, r.score) for r in rows] == [
        (players[4].id, 90), (players[0].id, 85), (players[1].id, 80), (players[2].id, 80),
        (players[3].id, 30)]
    assert close.status == "closed" and close.players == 5


def test_rank_prizes_once_even_when_run_twice(app):
    campaign, players = day_campaign()
    rank_rule(campaign, "daily", 1, 3)
    first = period_close.close_period(campaign, "daily", "2026-11-21")
    again = period_close.close_period(campaign, "daily", "2026-11-21")
    assert first.id == again.id and first.awarded == 3
    winners = db.session.scalars(select(Coupon.player_id).where(Coupon.source == "rank")).all()
    assert sorted(winners) == sorted([players[4].id, players[0].id, players[1].id])
    assert db.session.scalar(select(func.count()).select_from(PeriodClose)) == 1


def test_a_crash_halfway_resumes_without_double_awards(app, monkeypatch):
    campaign, players = day_campaign()
    rank_rule(campaign, "daily", 1, 5)
    real, calls = awards.award_once, []

    def crash_on_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(awards, "award_once", crash_on_third)
    with pytest.raises(RuntimeError):
        period_close.close_period(campaign, "daily", "2026-11-21")
    db.session.rollback()
    assert db.session.scalar(select(PeriodClose.status)) == "frozen"
    assert db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.source == "rank")) == 2
    monkeypatch.setattr(awards, "award_once", real)
    close = period_close.close_period(campaign, "daily", "2026-11-21")
    assert close.status == "closed"
    issued = db.session.scalars(select(Coupon.player_id).where(Coupon.source == "rank")).all()
    assert sorted(issued) == sorted(p.id for p in players)


def test_close_due_closes_ended_days_weeks_and_the_campaign(app, runner):
    campaign, _ = day_campaign()
    campaign.ends_at = SHANGHAI_MIDNIGHT + timedelta(days=2)
    db.session.commit()
    now = SHANGHAI_MIDNIGHT + timedelta(days=10)
    closed = period_close.close_due(now)
    got = sorted((c.period, c.period_key) for c in closed)
    assert got == [("all", "all"), ("daily", "2026-11-21"), ("daily", "2026-11-22"),
                   ("weekly", "2026-W47")]
    assert period_close.close_due(now) == []
    result = runner.invoke(args=["leaderboards", "close"])
    assert result.exit_code == 0 and "0 periods closed" in result.output


def test_current_day_is_not_due(app):
    campaign = make_campaign()
    score(campaign, make_player(campaign.brand), 10, utcnow())
    assert [p for p in period_close.due_periods(campaign, utcnow()) if p[0] == "daily"] == []


def test_close_cli_for_one_period(app, runner):
    campaign, _ = day_campaign()
    result = runner.invoke(args=["leaderboards", "close", "--campaign", campaign.slug,
                                 "--period", "daily", "--key", "2026-11-21"])
    assert result.exit_code == 0, result.output
    assert "5 players" in result.output
    bad = runner.invoke(args=["leaderboards", "close", "--period", "daily"])
    assert bad.exit_code != 0


def test_rq_worker_runs_the_close_job(app):
    from engine import jobs

    campaign, _ = day_campaign()
    rank_rule(campaign, "daily", 1, 1)
    job = jobs.schedule_close()
    assert jobs.schedule_close().id == job.id  # queued once, not twice
    assert jobs.run_worker(burst=True)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() >= 2
    assert db.session.scalar(select(func.count()).select_from(PeriodClose)
                             .where(PeriodClose.status == "closed")) >= 2
    # it scheduled its next run for the next hour
    nxt = jobs.queue().fetch_job(jobs.close_job_id(jobs.next_hour(utcnow())))
    assert nxt is not None and nxt.get_status(refresh=True) == "scheduled"


def test_marketer_reads_final_standings_over_the_api(app, client):
    from engine.access.auth import create_access_token
    from tests.factories import make_brand, make_marketer

    campaign, players = day_campaign()
    period_close.close_period(campaign, "daily", "2026-11-21")
    token, _ = create_access_token(make_marketer(campaign.brand))
    stranger, _ = create_access_token(make_marketer(make_brand()))
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    closes = client.get(f"/api/v1/admin/campaigns/{campaign.id}/standings", headers=auth)
    assert closes.get_json()["closes"][0]["period_key"] == "2026-11-21"
    url = f"/api/v1/admin/campaigns/{campaign.id}/standings/daily/2026-11-21?limit=2"
    body = client.get(url, headers=auth).get_json()
    assert [(e["rank"], e["score"]) for e in body["entries"]] == [(1, 90), (2, 85)]
    assert body["entries"][0]["player"]["id"] == players[4].id and body["status"] == "closed"
    first = body["entries"][0]
    assert first["player"]["nickname"] == players[4].display_name
    assert datetime.fromisoformat(first["reached_at"]).tzinfo is not None
    closed_at = closes.get_json()["closes"][0]["closed_at"]
    assert "T" in closed_at and datetime.fromisoformat(closed_at).tzinfo is not None
    missing = f"/api/v1/admin/campaigns/{campaign.id}/standings/daily/2026-11-22"
    assert client.get(missing, headers=auth).status_code == 404
    other = {"Authorization": f"Bearer {stranger}"}
    assert client.get(url, headers=other).status_code == 404
