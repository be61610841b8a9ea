"""CRM API for a player's personal data (scope ``players:write``): export, erase, WeCom ids.

``GET /api/v1/crm/players/<id>`` the player's data as JSON; ``DELETE`` erases
the personal fields and passes the erasure on to every CRM endpoint;
``PUT .../wecom`` says which WeCom contact (and staff member) the player is.
"""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import api_key_required
from engine.api.base import Blueprint
from engine.api.schemas import Moment
from tags.crm import personal_data

blp = Blueprint("crm_players", __name__, url_prefix="/api/v1/crm",
                description="A player's personal data for the brand's CRM (API key)")


class ExportedPlayerSchema(Schema):
    """The player row: WeChat ids and what WeChat shared (dumps a ``Player``)."""

    id = fields.Integer()
    openid = fields.String(allow_none=True)
    unionid = fields.String(allow_none=True)
    nickname = fields.String()
    avatar = fields.String()
    created_at = Moment(allow_none=True)
    last_seen_at = Moment(allow_none=True)


class ExportedProfileSchema(Schema):
    """A campaign form the person filled in (dumps ``personal_data.ProfileHeld``)."""

    campaign = fields.String(metadata={"description": "the campaign's slug"})
    phone = fields.String(attribute="profile.phone", allow_none=True,
                          metadata={"description": "in clear: the person's own"})
    name = fields.String(attribute="profile.name", allow_none=True)
    answers = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "the form's other answers, by key"})
    consent_version = fields.String(attribute="profile.consent_version")
    consented_at = Moment(attribute="profile.consented_at")
    age_confirmed = fields.Boolean(attribute="profile.age_confirmed")


class ExportedPlaySchema(Schema):
    """A play session of the person's (dumps ``personal_data.PlayHeld``)."""

    campaign = fields.String(metadata={"description": "the campaign's slug"})
    session_id = fields.String(attribute="session.id")
    status = fields.String(attribute="session.status")
    score = fields.Integer(attribute="session.score", allow_none=True)
    started_at = Moment(attribute="session.created_at", allow_none=True)
    finished_at = Moment(attribute="session.finished_at", allow_none=True)


class ExportedCouponSchema(Schema):
    """A coupon the person holds or held (dumps a ``Coupon``)."""

    code = fields.String()
    status = fields.String()


class ExportedTagSchema(Schema):
    """A tag the person holds now (dumps a ``PlayerTag``)."""

    rule_id = fields.Integer()
    group_id = fields.Integer()
    set_at = Moment(allow_none=True)


class ExportedWeComSchema(Schema):
    """The WeCom contact the person is (dumps a ``PlayerWeCom``)."""

    corp_id = fields.String()
    external_userid = fields.String()
    userid = fields.String()


class ExportSchema(Schema):
    """Everything the brand holds about a person, section by section (dumps ``PersonalData``).

    The API answer and ``flask players export`` are this schema's dump.
    """

    player = fields.Nested(ExportedPlayerSchema)
    erased_at = Moment(allow_none=True, metadata={"description": "null unless erased"})
    profiles = fields.List(fields.Nested(ExportedProfileSchema))
    plays = fields.List(fields.Nested(ExportedPlaySchema))
    coupons = fields.List(fields.Nested(ExportedCouponSchema))
    tags = fields.List(fields.Nested(ExportedTagSchema))
    wecom = fields.List(fields.Nested(ExportedWeComSchema))


class ErasedSchema(Schema):
    player_id = fields.Integer()
    erased_at = fields.DateTime()


class WeComInSchema(Schema):
    corp_id = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "which corp; optional when the brand has one WeCom endpoint"})
    external_userid = fields.String(required=True, validate=validate.Length(min=1, max=128))
    userid = fields.String(required=True, validate=validate.Length(min=1, max=64))


class WeComSchema(Schema):
    player_id = fields.Integer()
    corp_id = fields.String()
    external_userid = fields.String()
    userid = fields.String()
    source = fields.String()


@blp.route("/players/<int:player_id>")
class PlayerDataView(MethodView):
    decorators = [api_key_required("players:write")]

    @blp.response(200, ExportSchema)
    def get(self, player_id):
        """Export everything the brand holds about the player (JSON, in clear)."""
        return personal_data.export_player(g.brand_id, player_id)

    @blp.response(200, ErasedSchema)
    def delete(self, player_id):
        """Erase the player's personal fields; every CRM endpoint receives a delete change."""
        return personal_data.erase_player(g.brand_id, player_id,
                                          requested_by=f"api key {g.api_key.prefix}")


@blp.route("/players/<int:player_id>/wecom")
class PlayerWeComView(MethodView):
    decorators = [api_key_required("players:write")]

    @blp.arguments(WeComInSchema, error_status_code=422)
    @blp.response(200, WeComSchema)
    def put(self, body, player_id):
        """Set the player's WeCom external contact and the staff member who has them."""
        return personal_data.set_wecom_contact(g.brand_id, player_id, body)
