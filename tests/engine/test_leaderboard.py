"""Leaderboards in Redis: tie rule, queries, periods, rebuild after a flush."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import keys
from engine.boards import leaderboard, periods, standings
from engine.boards.leaderboard import Board
from engine.clock import to_ms, utcnow
from engine.extensions import db, redis_store
from engine.models import Player, PlaySession, Score
from tests.factories import make_campaign, make_player
from tests.support.redis_calls import counted_round_trips

# these run again on a Redis Cluster in CI (HUDONG_TEST_CLUSTER=1 pytest -m cluster)
pytestmark = pytest.mark.cluster


def test_best_score_per_player_and_earlier_wins_ties(app):
    board = Board(1, "all", "all")
    assert leaderboard.rank_member(board, 7, 100, reached_ms=1_000).changed
    assert leaderboard.rank_member(board, 8, 100, reached_ms=2_000).rank == 2
    assert leaderboard.rank_member(board, 9, 100, reached_ms=500).rank == 1
    worse = leaderboard.rank_member(board, 7, 90, reached_ms=3_000)  # worse: kept best
    assert (worse.changed, worse.rank, worse.best) == (False, 2, 100)
    assert not leaderboard.rank_member(board, 9, 100, reached_ms=9_000).changed  # kept earlier
    assert [(e.player_id, e.score) for e in leaderboard.top(board, 10)] == [
        (9, 100), (7, 100), (8, 100)]
    assert leaderboard.rank_member(board, 8, 101, reached_ms=4_000).changed
    assert [e.player_id for e in leaderboard.top(board, 10)] == [8, 9, 7]
    assert leaderboard.rank_for(board, 7) == 3 and leaderboard.score_for(board, 8) == 101
    assert leaderboard.total_members(board) == 3
    assert leaderboard.rank_for(board, 12345) is None


def test_lower_is_better_board(app):
    board = Board(1, "all", "all", ascending=True)
    leaderboard.rank_member(board, 1, 30_000, 10)
    leaderboard.rank_member(board, 2, 25_000, 20)
    leaderboard.rank_member(board, 3, 25_000, 15)
    assert not leaderboard.rank_member(board, 1, 31_000, 30).changed
    assert leaderboard.rank_member(board, 1, 20_000, 40).changed
    assert [e.player_id for e in leaderboard.top(board, 3)] == [1, 3, 2]


def test_scores_beyond_2_pow_32_stay_exact(app):
    board = Board(1, "all", "all")
    big = 2**52 + 1
    leaderboard.rank_member(board, 1, big, 1)
    leaderboard.rank_member(board, 2, big - 1, 1)
    assert [(e.player_id, e.score) for e in leaderboard.top(board, 2)] == [(1, big), (2, big - 1)]


def test_a_campaign_pipeline_loads_a_script_the_server_lost_and_runs_the_rest_once(app):
    """Scripts ride a pipeline by sha alone (no SCRIPT EXISTS round trip first); a
    server without the script (restarted, failed over) gets it, and only the refused
    call runs again."""
    counter = keys.finish_result(1, f"counter-{uuid.uuid4().hex}")  # in campaign 1's slot
    # a script no server has seen yet: the first EVALSHA is refused with NOSCRIPT
    script = f"-- {uuid.uuid4().hex}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])"

    warm = redis_store.campaign_pipeline(1)  # the connection's handshake is not counted
    warm.exists(counter)
    warm.execute()

    def run() -> tuple[list, int]:
        pipe = redis_store.campaign_pipeline(1)
        pipe.incr(counter)
        redis_store.queue_script(pipe, script, [counter], [10])
        pipe.incr(counter)
        with counted_round_trips() as log:
            replies = redis_store.execute(pipe)
        return replies, len(log)

    # loaded, and the refused call run again after the rest, which ran once
    assert run() == ([1, 12, 2], 2)
    assert run() == ([13, 23, 24], 1)  # known now: one round trip
    assert int(redis_store.r.get(counter)) == 24
    redis_store.r.delete(counter)


def test_around_me_leaders_and_percentile(app):
    board = Board(2, "all", "all")
    for pid in range(1, 21):
        leaderboard.rank_member(board, pid, pid * 10, pid)
    around = leaderboard.around_me(board, 10, 5)  # player 10 ranks 11th
    assert [e.rank for e in around] == [9, 10, 11, 12, 13]
    assert around[2].player_id == 10
    assert [e.rank for e in leaderboard.around_me(board, 20, 5)] == [1, 2, 3, 4, 5]
    assert [e.rank for e in leaderboard.leaders(board, 2, page_size=5)] == [6, 7, 8, 9, 10]
    assert leaderboard.percentile_for(board, 20) == 100.0
    assert leaderboard.around_me(board, 999, 5) == []


def test_period_keys_follow_the_campaign_timezone():
    # 2026-11-22 16:30 UTC is already Monday 2026-11-23 00:30 in Shanghai
    moment = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert periods.period_key("daily", moment, "Asia/Shanghai") == "2026-11-23"
    assert periods.period_key("daily", moment, "UTC") == "2026-11-22"
    assert periods.period_key("weekly", moment, "Asia/Shanghai") == "2026-W48"
    assert periods.period_key("weekly", moment, "UTC") == "2026-W47"
    assert periods.period_key("all", moment, "UTC") == "all"


def _score(campaign, player, value, at):
    play = PlaySession(id=f"s{player.id}x{value}x{to_ms(at)}", campaign_id=campaign.id,
                       player_id=player.id, seed=1, status="finished", day_key="d",
                       play_no=to_ms(at) % 1_000_000_007,
                       created_at=at, expires_at=at, finished_at=at, score=value)
    db.session.add(play)
    db.session.add(Score(campaign_id=campaign.id, player_id=player.id, session_id=play.id,
                         score=value, moves=1, duration_ms=1, created_at=at))
    db.session.commit()
    standings.submit_score(campaign, player.id, value, at)


def _snapshot(campaign_id):
    r = redis_store.r
    keys = sorted(r.scan_iter(match=f"hd:{{c{campaign_id}}}:lb*"))
    return {k: (r.zrange(k, 0, -1, withscores=True) if r.type(k) == "zset" else r.hgetall(k))
            for k in keys}


def test_rebuild_after_flushdb_is_identical(app, runner):
    campaign = make_campaign()
    players = [make_player(campaign.brand) for _ in range(6)]
    start = utcnow() - timedelta(days=9)
    values = [50, 80, 80, 20, 80, 65, 90, 10, 80, 55, 70, 80]
    for i, value in enumerate(values):
        _score(campaign, players[i % 6], value, start + timedelta(days=i % 10, minutes=i))
    before = _snapshot(campaign.id)
    assert len(before) > 6  # all-time, several days and weeks, each a zset and a hash
    redis_store.r.flushdb()  # our own database only: the Redis may be shared
    assert _snapshot(campaign.id) == {}
    result = runner.invoke(args=["leaderboards", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"rebuilt {campaign.slug}: 12 scores" in result.output
    assert _snapshot(campaign.id) == before
    all_time = standings.boards_at(campaign, utcnow())["all"]
    top = leaderboard.top(all_time, 10)
    # four players reached 80; the one who reached it first ranks first among them
    assert top[0].score == 90


def test_rebuild_one_campaign_and_unknown(app, runner):
    campaign = make_campaign()
    result = runner.invoke(args=["leaderboards", "rebuild", "--campaign", campaign.slug])
    assert result.exit_code == 0 and "0 scores" in result.output
    result = runner.invoke(args=["leaderboards", "rebuild", "--campaign", "nope"])
    assert result.exit_code != 0 and "no campaign" in result.output


def test_leaderboard_api_top_around_and_me(app, client):
    campaign = make_campaign(game_params={"min_move_interval_ms": 0})
    others = [make_player(campaign.brand, nickname=f"玩家{i}") for i in range(30)]
    now = utcnow()
    for i, player in enumerate(others):
        standings.submit_score(campaign, player.id, (i + 1) * 10, now)
    others[28].avatar = "https://thirdwx.qlogo.cn/a.png"
    db.session.commit()
    resp = client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard?limit=3")
    assert resp.get_json() == {"period": "all", "period_key": "all", "me": None, "entries": [
        {"rank": 1, "score": 300, "player": {"id": others[29].id, "nickname": "玩家29",
                                             "avatar": ""}},
        {"rank": 2, "score": 290, "player": {"id": others[28].id, "nickname": "玩家28",
                                             "avatar": "https://thirdwx.qlogo.cn/a.png"}},
        {"rank": 3, "score": 280, "player": {"id": others[27].id, "nickname": "玩家27",
                                             "avatar": ""}}]}
    opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
    client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                json={"token": opened["token"], "moves": []})
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard"
                      "?period=daily&limit=2&around=me&from=singlemessage").get_json()
    assert set(body) == {"period", "period_key", "entries", "me"}
    assert (body["period"], body["period_key"]) == (
        "daily", periods.period_key("daily", now, campaign.timezone))
    assert body["me"] == {"rank": 31, "score": 0}
    assert [e["rank"] for e in body["entries"]] == [27, 28, 29, 30, 31]
    me = body["entries"][-1]["player"]  # no nickname: a stable anonymous name
    assert me == {"id": me["id"], "nickname": f"玩家{me['id']:05d}", "avatar": ""}
    bad = client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard?period=monthly")
    assert bad.status_code == 422 and "period" in bad.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard?limit=0").status_code == 422


def test_a_ranked_player_without_a_row_shows_by_id_with_empty_names(app, client):
    campaign = make_campaign()
    gone = db.session.scalar(select(db.func.max(Player.id))) or 0
    standings.submit_score(campaign, gone + 1000, 50, utcnow())
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard").get_json()
    assert body["entries"] == [{"rank": 1, "score": 50,
                                "player": {"id": gone + 1000, "nickname": "", "avatar": ""}}]
