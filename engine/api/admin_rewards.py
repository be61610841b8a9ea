"""Admin API for rewards: coupon batches and their codes, prizes, reward rules."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import UnsupportedMediaType

from engine.access.auth import marketer_required, owned, owned_campaign
from engine.api.base import Blueprint
from engine.api.guards import INT_MAX
from engine.api.schemas import Count, Moment
from engine.boards.periods import PERIODS
from engine.errors import ValidationFailed
from engine.models import CouponBatch, Prize, RewardRule
from engine.rewards import admin
from engine.rewards.awards import REPEATS
from engine.rewards.draws import MILLION

blp = Blueprint("admin_rewards", __name__, url_prefix="/api/v1/admin",
                description="Coupon batches, prizes and reward rules (marketer)")


class CouponBatchInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    value_text = fields.String(load_default="", validate=validate.Length(max=60))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    valid_from = fields.AwareDateTime(allow_none=True)
    valid_until = fields.AwareDateTime(allow_none=True)
    valid_days = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=3650))
    per_player_limit = fields.Integer(strict=True, load_default=1,
                                      validate=validate.Range(min=1, max=1000))
    claimable = fields.Boolean(load_default=False)
    inventory = fields.Integer(strict=True, validate=validate.Range(min=1, max=100_000),
                               metadata={"description": "generate this many codes"})
    codes_csv = fields.String(validate=validate.Length(max=admin.MAX_CSV_BYTES),
                              metadata={"description": "or import these codes (CSV text)"})


class RejectedCodeSchema(Schema):
    """One CSV row the import refused, and why."""

    row = fields.Integer()
    code = fields.String()
    reason = fields.String()


class CodeImportReportSchema(Schema):
    """What a code import kept and what it refused, row by row."""

    accepted = Count(metadata={"description": "how many codes were added"})
    rejected = fields.List(fields.Nested(RejectedCodeSchema))


class CouponBatchSchema(Schema):
    """A coupon batch with its code counts (and, just created, its import report)."""

    id = fields.Integer(attribute="batch.id")
    campaign_id = fields.Integer(attribute="batch.campaign_id", allow_none=True)
    title = fields.String(attribute="batch.title")
    value_text = fields.String(attribute="batch.value_text")
    description = fields.String(attribute="batch.description")
    valid_from = Moment(attribute="batch.valid_from", allow_none=True)
    valid_until = Moment(attribute="batch.valid_until", allow_none=True)
    valid_days = fields.Integer(attribute="batch.valid_days", allow_none=True)
    per_player_limit = fields.Integer(attribute="batch.per_player_limit")
    claimable = fields.Boolean(attribute="batch.claimable")
    code_source = fields.String(attribute="batch.code_source")
    created_at = Moment(attribute="batch.created_at")
    inventory = fields.Integer()
    available = fields.Integer()
    issued = fields.Integer()
    redeemed = fields.Integer()
    import_report = fields.Nested(CodeImportReportSchema, allow_none=True)


class CouponBatchesSchema(Schema):
    batches = fields.List(fields.Nested(CouponBatchSchema))


class CodesImportedSchema(CodeImportReportSchema):
    batch = fields.Nested(CouponBatchSchema)


class CsvBodySchema(Schema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=admin.MAX_CSV_BYTES))


class PrizeInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    image = fields.String(load_default="", validate=validate.Length(max=500))
    batch_id = fields.Integer(strict=True, allow_none=True,
                              validate=validate.Range(min=1, max=INT_MAX))
    probability_ppm = fields.Integer(strict=True, load_default=0,
                                     validate=validate.Range(min=0, max=MILLION))
    stock = fields.Integer(strict=True, allow_none=True,
                           validate=validate.Range(min=0, max=INT_MAX))
    daily_cap = fields.Integer(strict=True, allow_none=True,
                               validate=validate.Range(min=0, max=INT_MAX))
    paced = fields.Boolean(load_default=False)
    position = fields.Integer(strict=True, load_default=0,
                              validate=validate.Range(min=-INT_MAX - 1, max=INT_MAX))


class PrizePatchSchema(PrizeInSchema):
    """Any of the fields of a new prize (loaded with ``partial=True``)."""


class AdminPrizeSchema(Schema):
    """A lottery prize with its odds, stock and how many went out."""

    id = fields.Integer()
    campaign_id = fields.Integer()
    name = fields.String()
    image = fields.String()
    batch_id = fields.Integer(allow_none=True)
    probability_ppm = fields.Integer()
    stock = fields.Integer(allow_none=True)
    awarded = fields.Integer()
    daily_cap = fields.Integer(allow_none=True)
    paced = fields.Boolean()
    position = fields.Integer()


class AdminPrizesSchema(Schema):
    prizes = fields.List(fields.Nested(AdminPrizeSchema))


class RewardRuleInSchema(Schema):
    trigger = fields.String(required=True,
                            validate=validate.OneOf(["score", "rank", "goal_reached", "maturity"]),
                            metadata={"description": "maturity: the old name of goal_reached"})
    threshold = fields.Integer(strict=True, allow_none=True,
                               validate=validate.Range(min=-INT_MAX - 1, max=INT_MAX))
    period = fields.String(allow_none=True, validate=validate.OneOf(PERIODS))
    rank_from = fields.Integer(strict=True, allow_none=True,
                               validate=validate.Range(min=1, max=INT_MAX))
    rank_to = fields.Integer(strict=True, allow_none=True,
                             validate=validate.Range(min=1, max=INT_MAX))
    batch_id = fields.Integer(strict=True, required=True,
                              validate=validate.Range(min=1, max=INT_MAX))
    title = fields.String(load_default="", validate=validate.Length(max=120))
    repeat = fields.String(validate=validate.OneOf(REPEATS), metadata={
        "description": "once: one coupon per player; per_period: one per period won "
                       "(default for rank rules; score rules need a period)"})


class RewardRuleSchema(Schema):
    """A reward rule: what triggers it and which batch it gives."""

    id = fields.Integer()
    campaign_id = fields.Integer()
    trigger = fields.String()
    threshold = fields.Integer(allow_none=True)
    period = fields.String(allow_none=True)
    rank_from = fields.Integer(allow_none=True)
    rank_to = fields.Integer(allow_none=True)
    batch_id = fields.Integer()
    title = fields.String()
    repeat = fields.String()
    created_at = Moment()


class RewardRulesSchema(Schema):
    rules = fields.List(fields.Nested(RewardRuleSchema))


def uploaded_csv() -> str:
    """Return the CSV of this request: multipart ``file``, a text/csv body or ``{"csv"}``."""
    if (request.content_length or 0) > admin.MAX_CSV_BYTES + 64 * 1024:
        raise admin.ImportTooLarge()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(fields={"file": ["缺少文件字段 file"]})
        return admin.decode_csv(upload.stream.read(admin.MAX_CSV_BYTES + 1))
    if request.mimetype in ("text/csv", "text/plain"):
        return admin.decode_csv(request.stream.read(admin.MAX_CSV_BYTES + 1))
    if request.is_json:
        try:
            return CsvBodySchema().load(request.get_json(silent=True) or {})["csv"]
        except ValidationError as exc:
            raise ValidationFailed(fields=exc.messages) from None
    raise UnsupportedMediaType("请上传 CSV 文件（file 字段），或发送 text/csv 或 JSON {\"csv\"}")


@blp.route("/campaigns/<int:campaign_id>/coupon-batches")
class BatchesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, CouponBatchesSchema)
    def get(self, campaign_id):
        """List the campaign's coupon batches with inventory, available, issued, redeemed."""
        return {"batches": admin.batches_of(owned_campaign(campaign_id))}

    @blp.arguments(CouponBatchInSchema)
    @blp.response(201, CouponBatchSchema)
    def post(self, body, campaign_id):
        """Create a batch: ``inventory`` generated codes, or codes imported from ``codes_csv``."""
        return admin.create_batch(owned_campaign(campaign_id), body)


@blp.route("/coupon-batches/<int:batch_id>")
class BatchView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, CouponBatchSchema)
    def get(self, batch_id):
        """Show a coupon batch with its counts."""
        return admin.show_batch(owned(CouponBatch, batch_id))


@blp.route("/coupon-batches/<int:batch_id>/codes")
class BatchCodesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, CodesImportedSchema)
    @blp.doc(requestBody={"content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}},
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object", "properties": {
            "csv": {"type": "string"}}}}}})
    def post(self, batch_id):
        """Import more codes from a CSV; report each refused row and why."""
        batch = owned(CouponBatch, batch_id)
        return admin.import_more(batch, uploaded_csv())


@blp.route("/campaigns/<int:campaign_id>/prizes")
class PrizesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, AdminPrizesSchema)
    def get(self, campaign_id):
        """List the campaign's prizes in drawing order."""
        return {"prizes": admin.prizes_of(owned_campaign(campaign_id))}

    @blp.arguments(PrizeInSchema)
    @blp.response(201, AdminPrizeSchema)
    def post(self, body, campaign_id):
        """Add a prize (422 when the campaign's odds would pass a million ppm)."""
        return admin.create_prize(owned_campaign(campaign_id), body)


@blp.route("/prizes/<int:prize_id>")
class PrizeView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(PrizePatchSchema(partial=True))
    @blp.response(200, AdminPrizeSchema)
    def patch(self, body, prize_id):
        """Change some of a prize's fields."""
        return admin.update_prize(owned(Prize, prize_id), body)

    @blp.response(204)
    def delete(self, prize_id):
        """Delete a prize nobody has won (409 once awarded)."""
        admin.delete_prize(owned(Prize, prize_id))


@blp.route("/campaigns/<int:campaign_id>/reward-rules")
class RulesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, RewardRulesSchema)
    def get(self, campaign_id):
        """List the campaign's reward rules."""
        return {"rules": admin.rules_of(owned_campaign(campaign_id))}

    @blp.arguments(RewardRuleInSchema)
    @blp.response(201, RewardRuleSchema)
    def post(self, body, campaign_id):
        """Add a rule: a score threshold, or a rank range of a period, awarding a batch."""
        return admin.create_rule(owned_campaign(campaign_id), body)


@blp.route("/reward-rules/<int:rule_id>")
class RuleView(MethodView):
    decorators = [marketer_required]

    @blp.response(204)
    def delete(self, rule_id):
        """Delete a reward rule."""
        admin.delete_rule(owned(RewardRule, rule_id))
