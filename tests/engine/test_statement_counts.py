"""The hot paths send few SQL statements: a finish, a session start, a nurture action, a claim.

Each test warms the path once (per-process caches fill), then counts the
statements of the next request with SQLAlchemy's cursor event. The budgets
are the common case: no reward won, no referral to verify.
"""

from __future__ import annotations

from engine.extensions import db
from tests.engine.test_coupons import batch_for
from tests.factories import make_campaign
from tests.support.play import auto_moves
from tests.support.statements import counted

FAST = {"min_move_interval_ms": 0}
# one action without cooldown, so the counted tap is never refused
NURTURE = {"stages": [{"name": "种子", "threshold": 0}, {"name": "结果", "threshold": 1000}],
           "actions": [{"key": "sun", "name": "晒太阳", "growth": 1, "energy": 0,
                        "cooldown_s": 0, "daily_limit": 100}]}
FINISH_BUDGET = 6
# PostgreSQL: the session, then its close with the score, event and draw credit (one CTE)
FINISH_BUDGET_POSTGRES = 2
START_BUDGET = 4
ACTION_BUDGET = 5
# PostgreSQL: the campaign with the player, the state row locked, then the state's UPDATE
# with the event and the action kept (one CTE)
ACTION_BUDGET_POSTGRES = 3
# the campaign's version with the player, the batch, then issue_coupon's held count,
# savepoint, pick, take (UPDATE ... RETURNING), release and the coupon_issued event
CLAIM_BUDGET = 8


def _start(client, slug):
    resp = client.post(f"/api/v1/campaigns/{slug}/sessions", json={})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _finish(client, opened):
    moves, score = auto_moves(opened["seed"], FAST, count=200)
    resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves, "client_score": score})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _lottery_campaign():
    """Return a live synthesis campaign with a play limit and draws earned by play."""
    return make_campaign(game_params=FAST, plays_per_day=50,
                         draw_config={"per_day": 1, "per_play": 1})


def test_a_finish_sends_at_most_six_statements(client, is_postgres):
    slug = _lottery_campaign().slug
    _finish(client, _start(client, slug))
    opened = _start(client, slug)
    db.session.remove()
    with counted() as log:
        _finish(client, opened)
    budget = FINISH_BUDGET_POSTGRES if is_postgres else FINISH_BUDGET
    assert len(log) <= budget, f"{len(log)} statements:\n{log}"


def test_a_session_start_sends_at_most_four_statements(client):
    slug = _lottery_campaign().slug
    _start(client, slug)
    db.session.remove()
    with counted() as log:
        _start(client, slug)
    assert len(log) <= START_BUDGET, f"{len(log)} statements:\n{log}"


def test_a_nurture_action_sends_at_most_five_statements(client, is_postgres):
    slug = make_campaign(game_type="nurture", game_params=NURTURE).slug
    act = {"action": "sun"}
    url = f"/api/v1/campaigns/{slug}/garden/actions"
    assert client.post(url, json={**act, "idempotency_key": "tap-0001"}).status_code == 200
    db.session.remove()
    with counted() as log:
        resp = client.post(url, json={**act, "idempotency_key": "tap-0002"})
    assert resp.status_code == 200, resp.get_json()
    budget = ACTION_BUDGET_POSTGRES if is_postgres else ACTION_BUDGET
    assert len(log) <= budget, f"{len(log)} statements:\n{log}"


def test_a_coupon_claim_sends_at_most_eight_statements(client):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=3, claimable=True, per_player_limit=2)
    url = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{batch.id}/claim"
    assert client.post(url, json={}).status_code == 201  # the player is made, caches fill
    db.session.remove()
    with counted() as log:
        resp = client.post(url, json={})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["code"]
    assert len(log) <= CLAIM_BUDGET, f"{len(log)} statements:\n{log}"
