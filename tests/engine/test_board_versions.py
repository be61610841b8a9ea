"""Boards by game version: rules edited after plays start new boards, the old ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine.boards import leaderboard, period_close, standings
from engine.campaigns import admin
from engine.clock import utcnow
from engine.extensions import db, redis_store
from engine.models import Coupon, PeriodClose, PlaySession, RewardRule, Score
from engine.rewards.coupons import create_batch
from tests.factories import make_campaign, make_player
from tests.support.play import auto_moves

FAST = {"min_move_interval_ms": 0}
SHANGHAI_MIDNIGHT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 2026-11-21 00:00 +08:00


def open_session(client, slug):
    client.get(f"/c/{slug}")
    resp = client.post(f"/api/v1/campaigns/{slug}/sessions", json={})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def finish(client, opened, params, count):
    moves, score = auto_moves(opened["seed"], params, count=count)
    resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves})
    assert resp.status_code == 200, resp.get_json()
    return score


def bump(campaign, params):
    admin.pause(campaign)
    admin.update_campaign(campaign, {"game_params": params})
    admin.publish(campaign)
    db.session.refresh(campaign)


def players_on(board):
    return {entry.player_id for entry in leaderboard.top(board, 100)}


def test_a_bump_starts_new_boards_and_the_old_ones_stay(app):
    campaign = make_campaign(game_params=FAST)
    early, late, newcomer = app.test_client(), app.test_client(), app.test_client()
    finish(early, open_session(early, campaign.slug), FAST, 30)
    pending = open_session(late, campaign.slug)  # opened under version 1, finished after
    bump(campaign, {**FAST, "spawn_high_pct": 30})
    assert campaign.game_version == 2
    finish(newcomer, open_session(newcomer, campaign.slug), {**FAST, "spawn_high_pct": 30}, 30)
    finish(late, pending, FAST, 30)  # scored by the rules it was opened with

    versions = dict(db.session.execute(select(Score.session_id, Score.game_version)).all())
    assert versions[pending["session_id"]] == 1 and sorted(versions.values()) == [1, 1, 2]
    by_session = dict(db.session.execute(select(PlaySession.id, PlaySession.player_id)).all())
    late_player = by_session[pending["session_id"]]
    now = utcnow()
    current = standings.boards_at(campaign, now)
    old = standings.boards_at(campaign, now, game_version=1)
    assert all(b.key.startswith(f"hd:{{c{campaign.id}}}:") for b in (*current.values(),
                                                                     *old.values()))
    for period in ("all", "daily", "weekly"):
        assert len(players_on(current[period])) == 1, period  # only the newcomer
        assert late_player in players_on(old[period]) and len(players_on(old[period])) == 2
    body = newcomer.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard").get_json()
    assert [e["player"]["id"] for e in body["entries"]] == list(players_on(current["all"]))

    before = {k: redis_store.r.zrange(k, 0, -1, withscores=True)
              for b in (*current.values(), *old.values()) for k in [b.key]}
    redis_store.r.flushdb()  # our own database only
    assert standings.rebuild_standings(campaign) == 3
    assert {k: redis_store.r.zrange(k, 0, -1, withscores=True) for k in before} == before


def score(campaign, player, value, at, version):
    play = PlaySession(id=f"v{version}p{player.id}-{value}", campaign_id=campaign.id,
                       player_id=player.id, seed=1, status="finished", day_key=f"{version}",
                       play_no=player.id, game_version=version, created_at=at,
                       expires_at=at, finished_at=at, score=value)
    db.session.add(play)
    db.session.add(Score(campaign_id=campaign.id, player_id=player.id, session_id=play.id,
                         score=value, moves=1, duration_ms=1, game_version=version,
                         created_at=at))
    db.session.commit()


def test_periods_close_per_version_and_old_standings_stay_readable(app, client):
    from engine.access.auth import create_access_token
    from tests.factories import make_marketer

    campaign = make_campaign(starts_at=SHANGHAI_MIDNIGHT - timedelta(days=3),
                             ends_at=SHANGHAI_MIDNIGHT + timedelta(days=30))
    players = [make_player(campaign.brand) for _ in range(4)]
    hour = SHANGHAI_MIDNIGHT + timedelta(hours=1)
    score(campaign, players[0], 90, hour, 1)
    score(campaign, players[1], 50, hour, 1)
    campaign.game_version = 2  # the rules were edited at noon of the same day
    db.session.commit()
    score(campaign, players[2], 40, hour + timedelta(hours=11), 2)
    score(campaign, players[3], 30, hour + timedelta(hours=12), 2)
    for period, rank_to in (("daily", 1), ("all", 2)):
        batch = create_batch(campaign.brand_id, campaign.id, 10, title=f"{period} 冠军",
                             valid_days=7, per_player_limit=5)
        db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                                  trigger="rank", period=period, rank_from=1, rank_to=rank_to,
                                  batch_id=batch.id))
    db.session.commit()

    closed = period_close.close_due(SHANGHAI_MIDNIGHT + timedelta(days=10))
    got = sorted((c.game_version, c.period, c.period_key, c.players) for c in closed)
    # each version's day and week is its own board; only the superseded version's
    # all-time board is over (the current one ends with the campaign)
    assert got == [(1, "all", "all", 2), (1, "daily", "2026-11-21", 2),
                   (1, "weekly", "2026-W47", 2), (2, "daily", "2026-11-21", 2),
                   (2, "weekly", "2026-W47", 2)]
    coupons = db.session.execute(select(Coupon.player_id, Coupon.award_key)
                                 .where(Coupon.source == "rank")).all()
    # each day's winner got the daily prize; the old all-time board awards nothing
    assert sorted(p for p, _ in coupons) == [players[0].id, players[2].id]
    assert any(":v2:" in key for _, key in coupons)
    assert all(c.status == "closed" for c in closed)
    assert period_close.close_due(SHANGHAI_MIDNIGHT + timedelta(days=10)) == []

    token, _ = create_access_token(make_marketer(campaign.brand))
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/admin/campaigns/{campaign.id}/standings"
    closes = client.get(base, headers=auth).get_json()["closes"]
    assert sorted(c["game_version"] for c in closes) == [1, 1, 1, 2, 2]
    old = client.get(f"{base}/all/all?game_version=1", headers=auth).get_json()
    assert [(e["rank"], e["player"]["id"]) for e in old["entries"]] == [
        (1, players[0].id), (2, players[1].id)]
    assert old["game_version"] == 1
    today = client.get(f"{base}/daily/2026-11-21", headers=auth).get_json()
    assert today["game_version"] == 2 and today["entries"][0]["player"]["id"] == players[2].id
    assert client.get(f"{base}/all/all", headers=auth).status_code == 404  # not over yet
    assert client.get(f"{base}/all/all?game_version=0", headers=auth).status_code == 422
    assert db.session.scalar(select(PeriodClose).where(PeriodClose.game_version == 1,
                                                       PeriodClose.period == "all")).awarded == 0


def test_a_held_score_approved_after_a_bump_joins_the_boards_it_was_played_for(app, client):
    from engine.risk import review
    from tests.engine.test_risk_scores import _cheat_campaign, _flags, _play

    campaign = _cheat_campaign()
    _, _, _, score = _play(client, campaign)  # held for review under version 1
    bump(campaign, {**FAST, "spawn_high_pct": 30})
    (flag,) = _flags()
    review.review(campaign.brand_id, flag.id, "approve", "reviewer@example.com", "录像正常")
    stored = db.session.scalar(select(Score).where(Score.score == score))
    assert stored.game_version == 1
    now = utcnow()
    assert leaderboard.top(standings.boards_at(campaign, now, game_version=1)["all"], 1)[0] \
        .score == score
    assert leaderboard.top(standings.boards_at(campaign, now)["all"], 1) == []
