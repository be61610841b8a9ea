"""Share links and posters; share opens recorded for the sharer; bad tokens refused."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import select

from engine.extensions import db
from engine.models import Event, Referral
from engine.referral.poster import qr_image
from engine.referral.tokens import share_token_for
from tests.factories import make_brand, make_campaign, make_player


def events(kind):
    db.session.expire_all()
    return db.session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)).all()


def share(client, campaign, **headers):
    return client.post(f"/api/v1/campaigns/{campaign.slug}/shares", json={"channel": "friend"},
                       headers=headers)


def test_a_share_is_a_link_created_and_its_url_survives_wechats_parameters(app, client):
    campaign = make_campaign()
    client.get(f"/c/{campaign.slug}")
    made = share(client, campaign)
    assert made.status_code == 201
    link = made.get_json()
    assert link["url"].endswith(f"/c/{campaign.slug}?s={link['share_token']}")
    assert [e.props["channel"] for e in events("share")] == ["friend"]
    friend = app.test_client()
    path = urlsplit(link["url"])
    opened = friend.get(f"{path.path}?{path.query}&from=timeline&isappinstalled=0")
    assert opened.status_code == 200
    (referral,) = db.session.scalars(select(Referral)).all()
    assert referral.depth == 1 and referral.address == "127.0.0.1"
    opens = events("share_open")
    assert len(opens) == 1 and opens[0].player_id == referral.referrer_id


def test_an_open_by_someone_not_new_is_reach_not_a_referral(app, client):
    campaign = make_campaign()
    client.get(f"/c/{campaign.slug}")
    token = share(client, campaign).get_json()["share_token"]
    friend = app.test_client()
    friend.get(f"/c/{campaign.slug}")  # the friend was here before the share
    friend.get(f"/c/{campaign.slug}?s={token}")
    client.get(f"/c/{campaign.slug}?s={token}")  # my own link: nothing
    assert len(events("share_open")) == 1
    assert db.session.scalars(select(Referral)).all() == []


def test_forged_foreign_and_other_brand_tokens_are_refused_but_the_visit_works(app, client):
    campaign = make_campaign()
    other_campaign = make_campaign(campaign.brand)
    stranger = make_player(make_brand())
    for token in ("forged.token", share_token_for(other_campaign, stranger),
                  share_token_for(campaign, stranger)):
        assert app.test_client().get(f"/c/{campaign.slug}?s={token}").status_code == 200
    assert len(events("attribution_refused")) == 3
    assert events("share_open") == [] and db.session.scalars(select(Referral)).all() == []
    assert len(events("visit")) == 3


def test_the_poster_is_a_png_with_the_links_qr_code_and_is_cached(app, client):
    campaign = make_campaign()
    client.get(f"/c/{campaign.slug}")
    link = share(client, campaign).get_json()
    got = client.get(urlsplit(link["poster_url"]).path)
    assert got.status_code == 200 and got.mimetype == "image/png"
    image = Image.open(io.BytesIO(got.data)).convert("RGB")
    assert image.size == (750, 1334)
    # the QR code drawn on the poster is the one of the share link, module for module
    expected = qr_image(link["url"], 420)
    drawn = image.crop((165, 500, 585, 920))
    assert drawn.tobytes() == expected.tobytes()
    again = client.get(urlsplit(link["poster_url"]).path)
    assert again.data == got.data
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/posters/nope.png").status_code == 404


def test_share_with_the_same_idempotency_key_counts_once(app, client):
    campaign = make_campaign()
    client.get(f"/c/{campaign.slug}")
    first = share(client, campaign, **{"Idempotency-Key": "share-key-0001"})
    again = share(client, campaign, **{"Idempotency-Key": "share-key-0001"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(events("share")) == 1
    bad = share(client, campaign, **{"Idempotency-Key": "x"})
    assert bad.status_code in (400, 422)
