"""Referral: share tokens, first-touch attribution, depth, verified plays rewarded once."""

from __future__ import annotations

from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from engine.extensions import db
from engine.models import DrawCredit, Event, Referral
from engine.referral import (
    attribute_first_touch,
    depth_of,
    share_token_for,
    sharer_from_token,
    verified_play,
)
from tests.conftest import TEST_SECRET
from tests.factories import make_brand, make_campaign, make_player
from tests.support.play import auto_moves

# sharer rewards are off until a marketer acknowledges the risk (engine.referral.rewards)
SHARER_REWARDS_ON = {"sharer_rewards_enabled": True, "acknowledged_by": "m@example.com",
                     "acknowledged_at": "2026-11-23T00:00:00+00:00"}


def visit(client, campaign, token=None) -> str | None:
    """Open the play page (with ``?s=token``) and return my own share token."""
    url = f"/c/{campaign.slug}" + (f"?s={token}" if token else "")
    assert client.get(url).status_code == 200
    return client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["share_token"]


def referrals(campaign):
    db.session.expire_all()
    return db.session.scalars(select(Referral).where(Referral.campaign_id == campaign.id)
                              .order_by(Referral.id)).all()


def count(kind):
    return db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == kind))


def test_share_token_round_trip_and_junk(app):
    campaign, other = make_campaign(), make_campaign()
    player = make_player(campaign.brand)
    token = share_token_for(campaign, player)
    assert len(token) <= 128 and sharer_from_token(campaign, token) == player.id
    assert sharer_from_token(other, token) is None  # another campaign's share
    forged = URLSafeSerializer("not-our-secret", salt="share").dumps({"c": campaign.id, "p": 1})
    odd = URLSafeSerializer(TEST_SECRET, salt="share")
    for junk in (None, "", "abc", token[:-2], token + "x", "x" * 5000, forged,
                 odd.dumps({"c": campaign.id, "p": "1"}), odd.dumps({"c": campaign.id}),
                 odd.dumps([campaign.id, 1]), odd.dumps({"c": campaign.id, "p": True}),
                 URLSafeSerializer(TEST_SECRET, salt="play-session").dumps(
                     {"c": campaign.id, "p": player.id})):
        assert sharer_from_token(campaign, junk) is None


def test_first_touch_fixes_the_referrer_once(app):
    campaign = make_campaign()
    alice, bob, carol = app.test_client(), app.test_client(), app.test_client()
    alice_token = visit(alice, campaign)
    carol_token = visit(carol, campaign)
    bob_token = visit(bob, campaign, alice_token)
    visit(bob, campaign, carol_token)  # a later share never moves bob
    [found] = referrals(campaign)
    assert found.referrer_id == sharer_from_token(campaign, alice_token)
    assert found.player_id == sharer_from_token(campaign, bob_token)
    assert (found.depth, found.root_id) == (1, found.referrer_id)
    assert count("referral") == 1
    assert not db.session.scalars(select(DrawCredit)).all()  # sharing itself earns nothing


def test_a_player_who_visited_before_the_share_is_not_attributed(app):
    campaign = make_campaign()
    alice, bob = app.test_client(), app.test_client()
    alice_token = visit(alice, campaign)
    visit(bob, campaign)
    visit(bob, campaign, alice_token)
    assert referrals(campaign) == []


def test_self_referral_cycle_and_other_brands_are_refused(app):
    campaign = make_campaign()
    a, b = make_player(campaign.brand), make_player(campaign.brand)
    assert attribute_first_touch(campaign, a, share_token_for(campaign, a)) is None
    assert attribute_first_touch(campaign, b, share_token_for(campaign, a)) is not None
    # a has never touched the campaign, but b descends from a: a cycle
    assert attribute_first_touch(campaign, a, share_token_for(campaign, b)) is None
    stranger = make_player(make_brand())
    c = make_player(campaign.brand)
    assert attribute_first_touch(campaign, c, share_token_for(campaign, stranger)) is None
    db.session.commit()
    assert [(r.player_id, r.referrer_id) for r in referrals(campaign)] == [(b.id, a.id)]


def test_attribution_is_idempotent(app):
    campaign = make_campaign()
    a, b, c = (make_player(campaign.brand) for _ in range(3))
    assert attribute_first_touch(campaign, b, share_token_for(campaign, a)) is not None
    assert attribute_first_touch(campaign, b, share_token_for(campaign, a)) is None
    assert attribute_first_touch(campaign, b, share_token_for(campaign, c)) is None
    db.session.commit()
    assert len(referrals(campaign)) == 1 and count("referral") == 1


def test_depth_of_a_chain_fifteen_levels_deep(app):
    campaign = make_campaign()
    token = visit(app.test_client(), campaign)
    chain = [sharer_from_token(campaign, token)]
    for _ in range(15):
        token = visit(app.test_client(), campaign, token)
        chain.append(sharer_from_token(campaign, token))
    found = {r.player_id: r for r in referrals(campaign)}
    assert [depth_of(campaign, p) for p in chain] == list(range(16))
    for level, player_id in enumerate(chain[1:], start=1):
        assert found[player_id].referrer_id == chain[level - 1]
        assert found[player_id].root_id == chain[0]


def finish_one(client, campaign):
    opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
    moves, _ = auto_moves(opened["seed"], campaign.game_params, count=3)
    answer = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                         json={"token": opened["token"], "moves": moves})
    assert answer.status_code == 200


def test_a_friends_verified_play_rewards_the_direct_referrer_once(app):
    campaign = make_campaign(game_params={"min_move_interval_ms": 0},
                             draw_config={"per_friend": 1}, referral_config=SHARER_REWARDS_ON)
    alice, bob, carol = app.test_client(), app.test_client(), app.test_client()
    alice_token = visit(alice, campaign)
    bob_token = visit(bob, campaign, alice_token)
    visit(carol, campaign, bob_token)
    alice_id = sharer_from_token(campaign, alice_token)
    bob_id = sharer_from_token(campaign, bob_token)
    draws_url = f"/api/v1/campaigns/{campaign.slug}"
    assert alice.get(draws_url).get_json()["draws_left"] == 0
    finish_one(alice, campaign)  # alice was referred by nobody: no one is rewarded
    finish_one(bob, campaign)
    finish_one(bob, campaign)
    assert alice.get(draws_url).get_json()["draws_left"] == 1
    finish_one(carol, campaign)  # rewards bob only: never two levels up here
    credits = db.session.scalars(select(DrawCredit).order_by(DrawCredit.id)).all()
    assert [(c.player_id, c.source) for c in credits] == [(alice_id, "referral"),
                                                          (bob_id, "referral")]
    events = db.session.scalars(select(Event).where(Event.kind == "referred_play")
                                .order_by(Event.id)).all()
    assert [(e.props["referrer_id"], e.props["source"]) for e in events] == [
        (alice_id, "play"), (bob_id, "play")]
    bob_row = next(r for r in referrals(campaign) if r.player_id == bob_id)
    assert bob_row.verified_at is not None
    assert verified_play(campaign, bob_id, "play") is None  # once per friend
