"""Play sessions through the HTTP API: start, finish, every refusal."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from sqlalchemy import select

from engine.clock import utcnow
from engine.extensions import db, redis_store
from engine.models import DrawCredit, Event, PlaySession, Score
from engine.play import answers
from games.synthesis import SynthesisGame, rules
from tests.factories import make_campaign
from tests.support.concurrency import run_together
from tests.support.play import auto_moves

FAST = {"min_move_interval_ms": 0}


def start(client, slug):
    return client.post(f"/api/v1/campaigns/{slug}/sessions", json={})


def finish(client, opened, moves, **extra):
    return client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves, **extra})


def no_op_direction(seed, moves):
    """Return a direction that would change nothing after ``moves``, if there is one."""
    params = SynthesisGame().validate_params(FAST)
    board = SynthesisGame().replay(seed, FAST, moves).state["board"]
    return next((d for d in "UDLR"
                 if rules.apply_move(board, d, rules.level_points(params))[0] == board), None)


def reasons():
    return [e.props.get("reason") for e in db.session.scalars(
        select(Event).where(Event.kind == "play_rejected").order_by(Event.id))]


def test_start_returns_seed_token_and_game(client):
    campaign = make_campaign(game_params=FAST)
    resp = start(client, campaign.slug)
    assert resp.status_code == 201
    body = resp.get_json()
    opened = db.session.get(PlaySession, body["session_id"])
    assert body == {"session_id": opened.id, "seed": opened.seed, "token": body["token"],
                    "game": {"type": "synthesis", "params": campaign.game_params},
                    "expires_at": opened.expires_at.isoformat()}
    assert body["game"]["params"]["rows"] == 4 and opened.game_params == campaign.game_params
    assert 0 <= body["seed"] < 2**32
    assert body["expires_at"].endswith("+00:00")
    assert finish(client, body, []).status_code == 200  # the token finishes the session
    # the OpenAPI document says what is sent, no more and no less
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["SessionOpened"]["properties"]) == set(body)
    assert set(schemas["SessionGame"]["properties"]) == set(body["game"])


def test_finish_scores_by_replay_and_ranks(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=40)
    resp = finish(client, opened, moves, client_score=score)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["score"] == score and body["best"] == score and body["rank"] == 1
    assert body["period_ranks"] == {"all": 1, "daily": 1, "weekly": 1}
    stored = db.session.scalar(select(Score))
    assert stored.score == score and stored.moves == 40
    assert db.session.get(PlaySession, opened["session_id"]).status == "finished"


def test_client_score_is_never_used(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=30)
    resp = finish(client, opened, moves, client_score=score + 1000)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "replay_mismatch"
    assert db.session.scalar(select(Score)) is None
    assert reasons() == ["replay_mismatch"]


def test_identical_finish_again_gets_the_first_answer_a_different_body_409(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10)
    first = finish(client, opened, moves, client_score=score)
    assert first.status_code == 200
    # someone else overtakes: the retry still answers the first result word for word
    again = finish(client, opened, moves, client_score=score)
    assert again.status_code == 200 and again.data == first.data
    # the same moves with the score left out is a different body
    other = finish(client, opened, moves)
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "already_finished"
    assert db.session.scalar(select(db.func.count()).select_from(Score)) == 1


def test_identical_json_is_the_identical_body(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10)
    url = f"/api/v1/sessions/{opened['session_id']}/finish"
    body = {"token": opened["token"], "moves": moves, "client_score": score}
    compact = json.dumps(body, separators=(",", ":"))
    first = client.post(url, data=compact, content_type="application/json")
    assert first.status_code == 200
    again = client.post(url, data=compact, content_type="application/json")
    assert again.status_code == 200 and again.data == first.data
    # the same JSON written otherwise (spaces, key order) is the same body
    spaced = client.post(url, data=json.dumps(body, sort_keys=True, indent=1),
                         content_type="application/json")
    assert spaced.status_code == 200 and spaced.data == first.data
    # another score claimed is another body, however it is written
    other = dict(body, client_score=score + 1)
    assert client.post(url, data=json.dumps(other),
                       content_type="application/json").status_code == 409


def test_a_session_closed_with_the_canonical_digest_still_knows_its_retry(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10)
    first = finish(client, opened, moves, client_score=score)
    assert first.status_code == 200
    # as a session finished before digests were taken of the request's bytes
    play = db.session.get(PlaySession, opened["session_id"])
    play.finish_digest = answers.canonical_digest(opened["token"], moves, score)
    db.session.commit()
    again = finish(client, opened, moves, client_score=score)
    assert again.status_code == 200 and again.data == first.data
    assert finish(client, opened, moves).status_code == 409


def test_identical_finish_after_redis_lost_the_answer_rebuilds_it(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=12)
    first = finish(client, opened, moves, client_score=score).get_json()
    redis_store.r.flushdb()  # the kept answer and the boards are gone
    again = finish(client, opened, moves, client_score=score)
    assert again.status_code == 200 and again.get_json() == first
    # and the score is back on the board
    board = client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard").get_json()
    assert board["me"] == {"rank": 1, "score": score}


def test_identical_retry_of_a_refused_finish_gets_the_same_refusal(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10)
    first = finish(client, opened, moves, client_score=score + 1)
    again = finish(client, opened, moves, client_score=score + 1)
    assert first.status_code == again.status_code == 422
    assert again.get_json()["error"]["code"] == "replay_mismatch"
    assert finish(client, opened, moves, client_score=score).status_code == 409


def test_invalid_move_is_422_and_recorded(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    # play until the board has a direction that changes nothing, then swipe that way
    for count in range(5, 200):
        moves, _ = auto_moves(opened["seed"], FAST, count=count)
        idle = no_op_direction(opened["seed"], moves)
        if idle:
            break
    moves = moves + [{"d": idle, "t": moves[-1]["t"]}]
    resp = finish(client, opened, moves)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "invalid_moves"
    assert reasons() == ["invalid_moves"]
    assert finish(client, opened, moves[:5]).status_code == 409


def test_inhuman_timing_is_422(client):
    campaign = make_campaign(game_params={"min_move_interval_ms": 80})
    opened = start(client, campaign.slug).get_json()
    moves, _ = auto_moves(opened["seed"], {}, count=10, interval_ms=5)
    resp = finish(client, opened, moves)
    assert resp.status_code == 422
    assert reasons() == ["inhuman_timing"]


def test_log_longer_than_wall_clock_is_422(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, _ = auto_moves(opened["seed"], FAST, count=10, interval_ms=1000)
    resp = finish(client, opened, moves)
    assert resp.status_code == 422
    assert reasons() == ["inhuman_timing"]


def test_malformed_moves_are_422_not_500(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    resp = finish(client, opened, [{"d": "X", "t": "soon"}, 7, None])
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "invalid_moves"
    assert "moves" in resp.get_json()["error"]["fields"]


def _age(opened, **delta):
    """Move a session's opening and expiry into the past by ``delta``."""
    play = db.session.get(PlaySession, opened["session_id"])
    play.created_at -= timedelta(**delta)
    play.expires_at -= timedelta(**delta)
    db.session.commit()


def test_expired_session_past_the_grace_window_is_410(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    ttl, grace = app.config["PLAY_SESSION_TTL_S"], app.config["FINISH_GRACE_S"]
    _age(opened, seconds=ttl + grace + 1)
    resp = finish(client, opened, [])
    assert resp.status_code == 410
    assert resp.get_json()["error"]["code"] == "expired"
    assert reasons() == ["expired"]
    assert finish(client, opened, []).status_code == 410  # the identical retry: same answer


def test_late_finish_within_grace_counts_when_its_log_fits_the_session(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10, interval_ms=1000)
    ttl, grace = app.config["PLAY_SESSION_TTL_S"], app.config["FINISH_GRACE_S"]
    _age(opened, seconds=ttl + grace - 30)  # expired, still within grace
    resp = finish(client, opened, moves, client_score=score)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["score"] == score


def test_late_finish_whose_log_outlasts_the_session_is_422(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    ttl = app.config["PLAY_SESSION_TTL_S"]
    moves, _ = auto_moves(opened["seed"], FAST, count=10, interval_ms=1000)
    moves[-1]["t"] = (ttl + 60) * 1000  # the log claims time past the expiry
    _age(opened, seconds=ttl + 120)
    resp = finish(client, opened, moves)
    assert resp.status_code == 422
    assert reasons() == ["inhuman_timing"]


def test_finish_after_a_pause_still_counts(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=10)
    campaign.status = "paused"
    db.session.commit()
    resp = finish(client, opened, moves, client_score=score)
    assert resp.status_code == 200 and resp.get_json()["score"] == score


def test_forged_token_is_refused(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    payload, _, signature = opened["token"].rpartition(".")
    # change a character in the middle of the signature: every bit of it is signature data
    # (the last character carries base64 padding bits, so changing it may decode the same)
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    forged_sig = signature[:middle] + swapped + signature[middle + 1:]
    assert base64.urlsafe_b64decode(forged_sig + "==") != base64.urlsafe_b64decode(
        signature + "==")
    resp = finish(client, {**opened, "token": f"{payload}.{forged_sig}"}, [])
    assert resp.status_code == 403
    other = start(client, campaign.slug).get_json()
    assert finish(client, {**opened, "token": other["token"]}, []).status_code == 403


def test_another_browser_cannot_finish_my_session(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    stranger = app.test_client()
    start(stranger, campaign.slug)
    assert finish(stranger, opened, []).status_code == 403


def test_not_live_is_403(client):
    campaign = make_campaign(game_params=FAST, starts_at=utcnow() + timedelta(days=1))
    resp = start(client, campaign.slug)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "campaign_not_live"
    paused = make_campaign(game_params=FAST, status="paused")
    assert start(client, paused.slug).status_code == 403


def test_draft_is_404(client):
    campaign = make_campaign(status="draft")
    assert start(client, campaign.slug).status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").status_code == 404


def test_daily_limit_is_429_with_retry_after(client):
    campaign = make_campaign(game_params=FAST, plays_per_day=2)
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["plays_left"] == 2
    assert start(client, campaign.slug).status_code == 201
    assert start(client, campaign.slug).status_code == 201
    resp = start(client, campaign.slug)
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "no_plays_left"
    assert 0 < int(resp.headers["Retry-After"]) <= 86400
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["plays_left"] == 0
    refused = db.session.scalars(select(Event).where(Event.kind == "play_refused")).all()
    assert [e.props["reason"] for e in refused] == ["no_plays_left"]


def test_bad_bodies_get_the_error_shape(client):
    campaign = make_campaign(game_params=FAST)
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={"x": 1})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"x": ["Unknown field."]}
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", data="{not json",
                       content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "malformed_json"
    resp = client.post("/api/v1/sessions/nope/finish", json={"moves": []})
    assert resp.status_code == 422
    assert "token" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/sessions/nope/finish", json={"token": "t", "moves": []})
    assert resp.status_code == 404
    assert client.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"


def test_openapi_document_and_docs(client):
    doc = client.get("/api/openapi.json").get_json()
    assert "/api/v1/sessions/{session_id}/finish" in doc["paths"]
    assert "/api/v1/campaigns/{slug}/leaderboard" in doc["paths"]
    assert client.get("/api/docs").status_code == 200


def test_a_session_replays_with_the_params_it_was_opened_with(client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=20)
    campaign.game_params = {**campaign.game_params, "rows": 5, "cols": 5}
    db.session.commit()
    resp = finish(client, opened, moves, client_score=score)
    assert resp.status_code == 200 and resp.get_json()["score"] == score


def test_concurrent_identical_finishes_store_one_score_and_answer_alike(pool_app, client):
    campaign = make_campaign(game_params=FAST, draw_config={"per_play": 1})
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=20)
    cookies = {c.key: c.value for c in client._cookies.values()}

    def one(_):
        browser = pool_app.test_client()  # the same phone retrying: the same cookie
        for key, value in cookies.items():
            browser.set_cookie(key, value)
        resp = finish(browser, opened, moves, client_score=score)
        return resp.status_code, resp.get_json()

    answers = run_together(pool_app, range(8), one, 8)
    ok = [body for status, body in answers if status == 200]
    pending = [body for status, body in answers if status == 409]
    assert len(ok) + len(pending) == 8 and ok
    assert all(body["error"]["code"] == "finish_pending" for body in pending)
    assert all(body["score"] == score for body in ok)
    assert db.session.scalar(select(db.func.count()).select_from(Score)) == 1
    # the close's loser writes nothing: one event and one draw credit, as one score
    assert db.session.scalar(select(db.func.count()).select_from(Event).where(
        Event.kind == "play_finished")) == 1
    assert db.session.scalar(select(db.func.count()).select_from(DrawCredit)) == 1
