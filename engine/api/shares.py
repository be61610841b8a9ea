"""Player API for sharing: share links, posters for Moments."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access import identity
from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.idempotency import idempotent
from engine.campaigns import lifecycle
from engine.errors import NotFound
from engine.referral import poster, shares
from engine.referral.attribution import sharer_of

blp = Blueprint("shares", __name__, url_prefix="/api/v1/campaigns",
                description="Share links and posters")


class ShareInSchema(Schema):
    channel = fields.String(validate=validate.OneOf(["friend", "timeline", "poster", "link"]),
                            metadata={"description": "where the player means to share it"})


class ShareLinkSchema(Schema):
    share_token = fields.String()
    url = fields.String(metadata={"description": "/c/<slug>?s=<share_token>; WeChat's appended "
                                                 "from= and isappinstalled= are ignored"})
    poster_url = fields.String(metadata={"description": "PNG for Moments, with the QR code"})


@blp.route("/<slug>/shares")
class SharesView(MethodView):
    @idempotent
    @blp.arguments(ShareInSchema)
    @blp.response(201, ShareLinkSchema)
    @limited("share")
    def post(self, body, slug):
        """Create my share link (a "share" in every report is this, never a WeChat callback)."""
        campaign = lifecycle.get_public_campaign(slug)
        return shares.create_share(campaign, identity.player_for_request(campaign),
                                   body.get("channel"))


@blp.route("/<slug>/posters/<token>.png")
class PosterView(MethodView):
    @blp.response(200, content_type="image/png", description="the poster PNG")
    def get(self, slug, token):
        """Draw the sharer's poster: brand, campaign, nickname, the QR code of the link."""
        campaign = lifecycle.get_public_campaign(slug)
        sharer = sharer_of(campaign, token)
        if sharer is None:
            raise NotFound("分享链接无效")
        link = shares.share_link_for(campaign, sharer)
        return Response(poster.poster_png(campaign, sharer, link.url), mimetype="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})
