"""Extra plays: a reward kind that raises a player's play allowance, spent past the daily limit."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.extensions import db
from engine.models import Campaign, PlayCredit, PlaySession, ReferralReward
from engine.referral import rewards as referral_rewards
from engine.rewards import plays
from tests.engine.test_admin_api import bearer
from tests.engine.test_referral import finish_one
from tests.engine.test_referral_rewards import QUIET, chain, rewards_url, visit_id
from tests.factories import make_campaign, make_marketer, make_player
from tests.support.concurrency import start_together

PLAIN = {"min_move_interval_ms": 0}
ON = {"sharer_rewards_enabled": True, "acknowledge_risk": True}


def _plays_left(client, campaign):
    return client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["plays_left"]


def _start(client, campaign):
    return client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={})


def test_a_welcome_of_extra_plays_raises_the_newcomers_plays_left(app, client):
    campaign = make_campaign(game_params=PLAIN, plays_per_day=2, risk_config=QUIET)
    headers = bearer(make_marketer(campaign.brand))
    answer = client.put(rewards_url(campaign), headers=headers, json={
        "welcome": {"kind": "plays", "amount": 2}})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["welcome"] == {"kind": "plays", "amount": 2}
    (_, _), (friend, _) = chain(app, campaign, 2)
    assert _plays_left(friend, campaign) == 2
    finish_one(friend, campaign)  # the verified play: the welcome gives two extra plays
    assert _plays_left(friend, campaign) == 1 + 2
    rows = db.session.scalars(select(ReferralReward)).all()
    assert [(r.level, r.kind, r.status, r.detail["plays"]) for r in rows] == [
        (0, "plays", "issued", 2)]
    assert _start(friend, campaign).status_code == 201  # the day's second free play
    assert _plays_left(friend, campaign) == 2
    assert _start(friend, campaign).status_code == 201  # past the limit: an extra play
    assert _start(friend, campaign).status_code == 201
    assert _plays_left(friend, campaign) == 0
    refused = _start(friend, campaign)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "no_plays_left"
    spent = db.session.scalars(select(PlaySession.play_no).where(
        PlaySession.credit_id.is_not(None)).order_by(PlaySession.play_no)).all()
    assert spent == [3, 4]


def test_sharers_at_both_levels_can_earn_extra_plays(app, client):
    campaign = make_campaign(game_params=PLAIN, plays_per_day=1, risk_config=QUIET)
    headers = bearer(make_marketer(campaign.brand))
    assert client.put(rewards_url(campaign), headers=headers, json={
        "levels": [{"kind": "plays", "amount": 3}, {"kind": "plays", "amount": 1}],
        **ON}).status_code == 200
    links = chain(app, campaign, 3)  # p0 <- p1 <- p2
    finish_one(links[2][0], campaign)
    assert _plays_left(links[1][0], campaign) == 1 + 3  # level 1
    assert _plays_left(links[0][0], campaign) == 1 + 1  # level 2
    assert _plays_left(links[2][0], campaign) == 0  # the friend: no welcome set
    credits = db.session.execute(select(PlayCredit.player_id, func.count())
                                 .group_by(PlayCredit.player_id)).all()
    ids = [visit_id(campaign, token) for _, token in links]
    assert dict(credits) == {ids[1]: 3, ids[0]: 1}


def test_granting_extra_plays_again_gives_nothing_more(app):
    campaign = make_campaign(game_params=PLAIN, plays_per_day=1)
    player = make_player(campaign.brand)
    assert plays.grant(campaign, player.id, "referral", "referral:7:level:0", 2) == 2
    assert plays.grant(campaign, player.id, "referral", "referral:7:level:0", 2) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PlayCredit)) == 2


def test_a_reward_row_issued_twice_grants_its_plays_once(app, client):
    campaign = make_campaign(game_params=PLAIN, plays_per_day=1, risk_config=QUIET,
                             referral_config={"welcome": {"kind": "plays", "amount": 1}})
    (_, _), (friend, _) = chain(app, campaign, 2)
    finish_one(friend, campaign)
    row = db.session.scalar(select(ReferralReward))
    referral_rewards.issue(db.session.get(Campaign, campaign.id), row)  # e.g. a retried approval
    db.session.commit()
    assert row.detail["plays"] == 0
    assert db.session.scalar(select(func.count()).select_from(PlayCredit)) == 1


def test_extra_plays_are_refused_where_plays_are_unlimited(app, client):
    unlimited = make_campaign(game_params=PLAIN, plays_per_day=0)
    nurture = make_campaign(unlimited.brand, game_type="nurture", plays_per_day=3)
    headers = bearer(make_marketer(unlimited.brand))
    for campaign in (unlimited, nurture):
        refused = client.put(rewards_url(campaign), headers=headers, json={
            "welcome": {"kind": "plays", "amount": 1}})
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "no_play_limit"
        assert db.session.get(Campaign, campaign.id).referral_config in ({}, None)


def test_a_third_level_of_extra_plays_is_refused_and_bad_amounts_are_422(app, client):
    campaign = make_campaign(game_params=PLAIN, plays_per_day=3)
    headers = bearer(make_marketer(campaign.brand))
    three = client.put(rewards_url(campaign), headers=headers, json={
        "levels": [{"kind": "plays"}] * 3, **ON})
    assert three.status_code == 422 and three.get_json()["error"]["code"] == "too_many_levels"
    for amount in (0, 11, "2"):
        bad = client.put(rewards_url(campaign), headers=headers, json={
            "welcome": {"kind": "plays", "amount": amount}})
        assert bad.status_code == 422, amount
        assert "amount" in str(bad.get_json()["error"]["fields"])


def test_a_burst_of_starts_spends_each_extra_play_once(pool_app):
    campaign = make_campaign(plays_per_day=5)
    player = make_player(campaign.brand)
    assert plays.grant(campaign, player.id, "referral", "burst", 3) == 3
    db.session.commit()
    results = start_together(pool_app, campaign.id, player.id, 40, workers=16)
    played = sorted(r for r in results if r != "no_plays_left")
    assert played == list(range(1, 9)) and results.count("no_plays_left") == 32
    spent = db.session.scalars(select(PlaySession.credit_id).where(
        PlaySession.player_id == player.id, PlaySession.credit_id.is_not(None))).all()
    assert len(spent) == len(set(spent)) == 3
