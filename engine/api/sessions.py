"""Player API for a play session: finishing it."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.guards import BIGINT_MAX, MOVES_BODY_BYTES, limit_body
from engine.api.schemas import Kept, RewardSchema
from engine.play import sessions
from games.fields import RawList

blp = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions",
                description="Finishing a play session")


class FinishSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512))
    # items are checked by the game type's own moves schema (422 invalid_moves)
    moves = RawList(required=True, validate=validate.Length(max=20000))
    client_score = fields.Integer(allow_none=True,
                                  validate=validate.Range(min=-BIGINT_MAX - 1, max=BIGINT_MAX))


class FinishResultSchema(Schema):
    """The server's score of a finished session, the ranks it reached, what it won."""

    score = fields.Integer()
    best = fields.Integer(allow_none=True)
    rank = fields.Integer(allow_none=True)
    period_ranks = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                               metadata={"description": "rank by period: all, daily, weekly"})
    rewards = fields.List(Kept(RewardSchema), metadata={
        "description": "coupons the score won (a retry answers those kept with the score)"})
    under_review = fields.Boolean(metadata={
        "description": "true: the score is far beyond the campaign's others and waits for a "
                       "marketer's review; it is not on the boards and earns nothing until "
                       "approved (best, rank null)"})


@blp.route("/<session_id>/finish")
@limit_body(MOVES_BODY_BYTES)
class FinishView(MethodView):
    @blp.arguments(FinishSchema())  # an instance: webargs builds a class anew per request
    @blp.response(200, FinishResultSchema)
    @limited("session_finish")
    def post(self, body, session_id):
        """Replay the input log; the server's score is the score."""
        return sessions.finish_session(session_id, body["token"], body["moves"],
                                       body.get("client_score"), request.get_data(cache=True))
