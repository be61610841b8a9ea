"""Schemas shared by several API modules."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class QuerySchema(Schema):
    """Query arguments: unknown ones are ignored (WeChat appends its own)."""

    class Meta:
        unknown = EXCLUDE


class PlayerPublicSchema(Schema):
    id = fields.Integer()
    nickname = fields.String()
    avatar = fields.String()


class LeaderboardEntrySchema(Schema):
    rank = fields.Integer()
    score = fields.Integer()
    player = fields.Nested(PlayerPublicSchema)


class MyRankSchema(Schema):
    rank = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
