"""Admin API for a brand's CRM endpoints and their delivery logs.

``/api/v1/admin/brands/<brand>/crm-endpoints``: create (201), list, read,
remove; ``.../<id>/deliveries`` the log; ``.../deliveries/<did>/retry``
sends a dead letter again. Secrets are never returned (a generated one is
shown once, on creation).
"""

from __future__ import annotations

import re

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from engine.access.auth import marketer_required, owned_brand
from engine.api.base import Blueprint
from engine.api.guards import INT_MAX
from engine.api.schemas import Count, QuerySchema
from engine.models.crm import DELIVERY_STATES, KINDS
from tags.crm import delivery_log, endpoints

blp = Blueprint("admin_crm", __name__, url_prefix="/api/v1/admin",
                description="Brands' CRM endpoints (webhook, WeCom) and delivery logs")

GROUP_NAME = validate.Length(min=1, max=64)
CORP_ID_RE = re.compile(r"^[A-Za-z0-9]{6,32}$")


class EndpointInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.String(load_default="", validate=validate.Length(max=80))
    url = fields.String(validate=validate.Length(min=1, max=2048))
    corp_id = fields.String(validate=validate.Regexp(CORP_ID_RE, error="企业 ID 格式不正确"))
    secret = fields.String(validate=validate.Length(min=16, max=256))
    tag_groups = fields.List(fields.String(validate=GROUP_NAME), allow_none=True,
                             validate=validate.Length(min=1, max=100))

    @validates_schema
    def fields_of_kind(self, data, **_):
        """Require what each kind needs and refuse what belongs to the other."""
        need = {"webhook": ("url",), "wecom": ("corp_id", "secret")}.get(data.get("kind"), ())
        other = {"webhook": ("corp_id",), "wecom": ("url",)}.get(data.get("kind"), ())
        errors = {name: ["此类型必填"] for name in need if not data.get(name)}
        errors.update({name: ["此类型不接受该字段"] for name in other if name in data})
        if errors:
            raise ValidationError(errors)


class EndpointSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    url = fields.String(allow_none=True)
    corp_id = fields.String(allow_none=True)
    tag_groups = fields.List(fields.String(), allow_none=True)
    created_at = fields.DateTime()


class CreatedEndpointSchema(EndpointSchema):
    """A new endpoint (dumps ``endpoints.CreatedEndpoint``): its row, and a generated secret.

    ``EndpointSchema``'s fields read the endpoint row; ``secret`` is left out
    when the caller chose one.
    """

    secret = fields.String(attribute="generated_secret", dump_only=True, metadata={
        "description": "only when generated: shown once, never again"})

    def get_attribute(self, obj, attr, default):
        if attr == "generated_secret":
            return obj.generated_secret or missing
        return super().get_attribute(obj.endpoint, attr, default)


class EndpointsSchema(Schema):
    endpoints = fields.List(fields.Nested(EndpointSchema))


class DeliverySchema(Schema):
    """One batch of changes for an endpoint and how its sending went (dumps a ``Delivery``)."""

    id = fields.Integer()
    batch_id = fields.String()
    status = fields.String(metadata={"description": " | ".join(DELIVERY_STATES)})
    changes = Count(attribute="change_ids", dump_only=True, metadata={
        "description": "how many tag changes the batch carries"})
    first_change_id = fields.Function(
        lambda d: min(d.change_ids) if d.change_ids else None, allow_none=True,
        metadata={"type": "integer", "description": "the lowest change id in the batch"})
    last_change_id = fields.Function(
        lambda d: max(d.change_ids) if d.change_ids else None, allow_none=True,
        metadata={"type": "integer", "description": "the highest change id in the batch"})
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String()
    latency_ms = fields.Integer(allow_none=True)
    next_attempt_at = fields.DateTime()
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveriesQuerySchema(QuerySchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.Integer(validate=validate.Range(min=1, max=INT_MAX),
                            metadata={"description": "only deliveries with a smaller id"})


class DeliveriesSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema))


@blp.route("/brands/<brand>/crm-endpoints")
class EndpointsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, EndpointsSchema)
    def get(self, brand):
        """List the brand's CRM endpoints (secrets are never returned)."""
        return {"endpoints": endpoints.endpoints_of(owned_brand(brand))}

    @blp.arguments(EndpointInSchema, error_status_code=422)
    @blp.response(201, CreatedEndpointSchema)
    def post(self, body, brand):
        """Add a webhook (secret generated if omitted, shown once) or a WeCom corp."""
        return endpoints.create_endpoint(owned_brand(brand), body)


@blp.route("/brands/<brand>/crm-endpoints/<int:endpoint_id>")
class EndpointView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, EndpointSchema)
    def get(self, brand, endpoint_id):
        """Read one endpoint."""
        return endpoints.endpoint_of(owned_brand(brand), endpoint_id)

    @blp.response(204)
    def delete(self, brand, endpoint_id):
        """Stop delivering to the endpoint (its delivery log is kept)."""
        endpoints.remove_endpoint(owned_brand(brand), endpoint_id)


@blp.route("/brands/<brand>/crm-endpoints/<int:endpoint_id>/deliveries")
class DeliveriesView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(DeliveriesQuerySchema, location="query", error_status_code=422)
    @blp.response(200, DeliveriesSchema)
    def get(self, args, brand, endpoint_id):
        """The delivery log, newest first: attempts, status, latency, last error."""
        endpoint = endpoints.endpoint_of(owned_brand(brand), endpoint_id)
        return {"deliveries": delivery_log.log_of(endpoint, **args)}


@blp.route("/brands/<brand>/crm-endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
class RetryView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, DeliverySchema)
    def post(self, brand, endpoint_id, delivery_id):
        """Send a dead delivery again, with the same batch id (409 unless dead)."""
        endpoint = endpoints.endpoint_of(owned_brand(brand), endpoint_id)
        return delivery_log.retry_dead(endpoint, delivery_id)
