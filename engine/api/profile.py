"""Profile form API: players answer with consent; marketers set the form and list answers.

Player: ``GET|POST /api/v1/campaigns/<slug>/profile``. Marketer:
``GET|PUT /api/v1/admin/campaigns/<id>/profile-form`` and
``GET /api/v1/admin/campaigns/<id>/profiles[?format=csv]`` (phones masked).
"""

from __future__ import annotations

import csv
import io
import json
import re

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.access import identity
from engine.access.auth import marketer_required, owned_campaign
from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.guards import INT_MAX
from engine.api.schemas import QuerySchema
from engine.campaigns import lifecycle
from engine.privacy import profile
from engine.privacy.phone import mask_phone

blp = Blueprint("profile", __name__, url_prefix="/api/v1",
                description="Data collection with consent (profile form)")

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class FieldSpecSchema(Schema):
    key = fields.String(required=True,
                        validate=validate.Regexp(KEY_RE, error="小写字母开头，最长 32 位"))
    type = fields.String(required=True, validate=validate.OneOf(profile.FIELD_TYPES))
    label = fields.String(required=True, validate=validate.Length(min=1, max=40))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                          validate=validate.Length(max=30))
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=500))

    @validates_schema
    def choice_needs_options(self, data, **_):
        """Require options for a choice and only for a choice."""
        if data.get("type") == "choice" and not data.get("options"):
            raise ValidationError({"options": ["选择题需要选项"]})


class FormInSchema(Schema):
    when = fields.String(load_default="after", validate=validate.OneOf(["before", "after"]))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))
    consent_version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    specs = fields.List(fields.Nested(FieldSpecSchema), required=True, data_key="fields",
                        validate=validate.Length(min=1, max=20))

    @validates_schema
    def distinct_keys(self, data, **_):
        """Refuse two fields with one key, and more than one phone or name field."""
        keys = [spec["key"] for spec in data.get("specs", [])]
        types = [spec["type"] for spec in data.get("specs", [])]
        if len(set(keys)) != len(keys):
            raise ValidationError({"fields": ["key 不能重复"]})
        if types.count("phone") > 1 or types.count("name") > 1:
            raise ValidationError({"fields": ["手机号和姓名各最多一项"]})


class FormSchema(Schema):
    """A campaign's profile form and who handles the answers (dumps ``profile.ShownForm``)."""

    when = fields.String(attribute="form.when")
    purpose = fields.String(attribute="form.purpose")
    consent_version = fields.String(attribute="form.consent_version")
    handler = fields.String(attribute="handler.name",
                            metadata={"description": "the brand: 个人信息处理者"})
    specs = fields.List(fields.Nested(FieldSpecSchema), data_key="fields",
                        attribute="form.fields")


class FormStateSchema(Schema):
    """The form, whether I answered it, and whether to ask me now (dumps ``profile.FormState``)."""

    form = fields.Nested(FormSchema, allow_none=True)
    submitted = fields.Boolean()
    due = fields.Boolean(metadata={"description": "true: show the form now"})


class ProfileInSchema(Schema):
    consent = fields.Boolean(required=True, metadata={"description": "must be true"})
    consent_version = fields.String(required=True, validate=validate.Length(max=40))
    age_confirmed = fields.Boolean(required=True, metadata={"description": "14 or older"})
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=32)),
                          values=fields.String(allow_none=True, validate=validate.Length(max=500)),
                          load_default=dict, validate=validate.Length(max=20), data_key="fields")


MASKED_PHONE = {"type": "string", "description": "the phone masked (138****8000), or null"}


class ProfileSavedSchema(Schema):
    """My answers, stored with my consent (dumps the ``PlayerProfile`` row)."""

    submitted = fields.Constant(True, metadata={"type": "boolean"})
    phone = fields.Function(lambda p: mask_phone(p.phone), allow_none=True, metadata=MASKED_PHONE)
    consent_version = fields.String()
    consented_at = fields.DateTime()


class ProfileRowSchema(Schema):
    id = fields.Integer()
    player_id = fields.Integer()
    phone = fields.Function(lambda p: mask_phone(p.phone), allow_none=True, metadata=MASKED_PHONE)
    name = fields.String(allow_none=True)
    answers = fields.Function(lambda p: json.loads(p.answers) if p.answers else {}, metadata={
        "type": "object", "additionalProperties": {"type": "string", "nullable": True},
        "description": "the answers by the form's field key (null: left empty)"})
    consent_version = fields.String()
    consented_at = fields.DateTime()


class ProfilesQuerySchema(QuerySchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before = fields.Integer(validate=validate.Range(min=1, max=INT_MAX))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


@blp.route("/campaigns/<slug>/profile")
class ProfileView(MethodView):
    @blp.response(200, FormStateSchema)
    def get(self, slug):
        """Show the campaign's form, whether I answered it, and whether to ask me now."""
        campaign = lifecycle.get_public_campaign(slug)
        return profile.state_for(campaign, identity.current_player(campaign.brand_id))

    @blp.arguments(ProfileInSchema, error_status_code=422)
    @blp.response(201, ProfileSavedSchema)
    @limited("profile")
    def post(self, body, slug):
        """Answer the form: 422 and nothing stored without consent, age or a valid phone."""
        campaign = lifecycle.get_public_campaign(slug)
        return profile.submit(campaign, identity.player_for_request(campaign), body)


@blp.route("/admin/campaigns/<int:campaign_id>/profile-form")
class AdminFormView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, FormStateSchema)
    def get(self, campaign_id):
        """Show the campaign's profile form (null: none)."""
        return profile.form_state(owned_campaign(campaign_id))

    @blp.arguments(FormInSchema, error_status_code=422)
    @blp.response(200, FormStateSchema)
    def put(self, body, campaign_id):
        """Set what the campaign asks players for, when, why, and the consent text's version."""
        return profile.set_form(owned_campaign(campaign_id), body)


class ProfilesSchema(Schema):
    profiles = fields.List(fields.Nested(ProfileRowSchema))


@blp.route("/admin/campaigns/<int:campaign_id>/profiles")
class AdminProfilesView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(ProfilesQuerySchema, location="query", error_status_code=422)
    @blp.response(200, ProfilesSchema)
    @blp.doc(responses={"200": {"description": "OK", "content": {
        "application/json": {"schema": ProfilesSchema},
        "text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args, campaign_id):
        """List answered forms, newest first; phones masked (``format=csv`` for a file)."""
        rows = profile.profiles_of(owned_campaign(campaign_id), args["limit"], args.get("before"))
        if args["format"] == "csv":
            return _csv(rows)
        return {"profiles": rows}


def _csv(rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["玩家ID", "手机号", "姓名", "其他信息", "同意版本", "同意时间"])
    for row in ProfileRowSchema(many=True).dump(rows):
        writer.writerow([row["player_id"], row["phone"] or "", row["name"] or "",
                         json.dumps(row["answers"], ensure_ascii=False), row["consent_version"],
                         row["consented_at"]])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=profiles.csv"})
