"""Nurture boost as a reward kind: growth given once to a game state by a referral reward."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.api.schemas import GameActionResultSchema
from engine.extensions import db
from engine.models import Campaign, GameAction, GameState, Player, ReferralReward
from engine.play import state
from engine.referral import rewards as referral_rewards
from tests.engine.test_admin_api import bearer
from tests.engine.test_game_state import PARAMS, act, growth_of, nurture
from tests.engine.test_referral_rewards import QUIET, chain, rewards_url, visit_id
from tests.factories import make_campaign, make_marketer
from tests.support.concurrency import run_together

PLAIN = {"min_move_interval_ms": 0}
BOOSTS = {"welcome": {"kind": "boost", "amount": 3},
          "levels": [{"kind": "boost", "amount": 20}, {"kind": "boost", "amount": 7}],
          "sharer_rewards_enabled": True, "acknowledge_risk": True}


def _boost_rows():
    return db.session.scalar(select(func.count()).select_from(GameAction).where(
        GameAction.action == state.FRIEND_BOOST))


def test_boosts_land_once_in_each_state_after_the_friends_verified_action(app, client):
    campaign = nurture(risk_config=QUIET)
    answer = client.put(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)),
                        json=BOOSTS)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["levels"][0] == {"kind": "boost", "amount": 20}
    (_, top), (_, sharer), (friend, friend_token) = chain(app, campaign, 3)
    top_id, sharer_id = visit_id(campaign, top), visit_id(campaign, sharer)
    friend_id = visit_id(campaign, friend_token)
    first = act(friend, campaign, "sun", "friend-0001")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["garden"]["growth"] == 1 + 3  # the welcome shows at once
    assert (growth_of(friend_id), growth_of(sharer_id), growth_of(top_id)) == (4, 20, 7)
    rows = db.session.scalars(select(ReferralReward).order_by(ReferralReward.level)).all()
    assert [(r.level, r.player_id, r.kind, r.status, r.detail["boost"]) for r in rows] == [
        (0, friend_id, "boost", "issued", 3), (1, sharer_id, "boost", "issued", 20),
        (2, top_id, "boost", "issued", 7)]
    # retries: the same request, a later action, the rewards given again
    assert act(friend, campaign, "sun", "friend-0001").get_json() == first.get_json()
    assert act(friend, campaign, "sun", "friend-0002").status_code == 200
    campaign = db.session.get(Campaign, campaign.id)
    for row in rows:
        referral_rewards.issue(campaign, row)
        assert row.detail["boost"] == 0
    db.session.commit()
    assert (growth_of(friend_id), growth_of(sharer_id), growth_of(top_id)) == (5, 20, 7)
    assert _boost_rows() == 3


def test_a_boost_counts_the_friend_among_the_sharers_helpers(app, client):
    campaign = nurture(risk_config=QUIET)
    client.put(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)), json={
        "levels": [{"kind": "boost", "amount": 9}], "sharer_rewards_enabled": True,
        "acknowledge_risk": True})
    (sharer, _), (friend, _) = chain(app, campaign, 2)
    act(friend, campaign, "sun", "friend-0001")
    garden = sharer.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()["garden"]
    assert (garden["growth"], garden["friends"]) == (9, 1)


def test_sharer_boosts_stay_off_until_the_risk_is_acknowledged(app, client):
    campaign = nurture(risk_config=QUIET)  # settings never stored: the compliance default
    shown = client.get(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)))
    cfg = shown.get_json()
    assert cfg["sharer_rewards_enabled"] is False and cfg["welcome"] is None
    assert cfg["levels"] == [{"kind": "boost", "amount": PARAMS["friend_boost"]}]
    (_, sharer), (friend, _) = chain(app, campaign, 2)
    act(friend, campaign, "sun", "friend-0001")
    sharer_state = select(GameState).where(GameState.player_id == visit_id(campaign, sharer))
    assert db.session.scalar(sharer_state) is None
    assert _boost_rows() == 0 and db.session.scalar(
        select(func.count()).select_from(ReferralReward)) == 0


def test_a_boost_is_refused_for_a_campaign_that_is_not_a_nurture_game(client):
    campaign = make_campaign(game_params=PLAIN)
    headers = bearer(make_marketer(campaign.brand))
    for body in ({"welcome": {"kind": "boost", "amount": 5}},
                 {"levels": [{"kind": "boost", "amount": 5}], "sharer_rewards_enabled": True,
                  "acknowledge_risk": True}):
        answer = client.put(rewards_url(campaign), headers=headers, json=body)
        assert answer.status_code == 422
        assert answer.get_json()["error"]["code"] == "no_game_state"
    assert db.session.get(Campaign, campaign.id).referral_config in (None, {})


@pytest.mark.parametrize("spec", [{"kind": "boost", "amount": 0},
                                  {"kind": "boost", "amount": 10_001},
                                  {"kind": "boost", "amount": "5"},
                                  {"kind": "plays", "amount": 11},
                                  {"kind": "draws", "amount": 11}])
def test_amounts_out_of_bounds_are_422(client, spec):
    campaign = nurture()
    answer = client.put(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)),
                        json={"welcome": spec})
    assert answer.status_code == 422, answer.get_json()


def test_a_large_boost_within_bounds_is_kept(client):
    campaign = nurture()
    answer = client.put(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)),
                        json={"welcome": {"kind": "boost", "amount": 10_000}})
    assert answer.status_code == 200
    assert answer.get_json()["welcome"] == {"kind": "boost", "amount": 10_000}


def test_racing_taps_of_friend_and_sharer_boost_once_and_lose_no_growth(app, client, pool_app):
    campaign = nurture(risk_config=QUIET)
    client.put(rewards_url(campaign), headers=bearer(make_marketer(campaign.brand)), json=BOOSTS)
    (_, top), (_, sharer), (_, friend) = chain(app, campaign, 3)
    top_id, sharer_id = visit_id(campaign, top), visit_id(campaign, sharer)
    friend_id = visit_id(campaign, friend)
    taps = [(who, f"{who}-{i:04d}") for i in range(8) for who in (friend_id, sharer_id)]

    def one(tap):
        player_id, key = tap
        return GameActionResultSchema().dump(state.perform(
            db.session.get(Campaign, campaign.id), db.session.get(Player, player_id), "sun", key))

    results = run_together(pool_app, taps, one, len(taps))
    assert all(isinstance(r, dict) for r in results), results
    # eight taps each, and each boost once: the friend's play gives the friend a welcome (3),
    # the sharer level 1 (20), the top level 2 (7); the sharer, referred by the top, gets a
    # welcome (3) and gives the top level 1 (20) by their own first tap
    assert (growth_of(friend_id), growth_of(sharer_id), growth_of(top_id)) == (
        8 + 3, 8 + 20 + 3, 7 + 20)
    assert _boost_rows() == 5
