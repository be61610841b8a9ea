"""The flask-smorest ``Api`` with Hudong's one error shape and its request guards.

Every error, whether a domain error, a schema validation failure, a
malformed body or a plain HTTP error, leaves as
``{"error": {"code", "message", "fields"}}`` (API.md), built in
``engine/api/errors.py``; the OpenAPI document declares that shape.
"""

from __future__ import annotations

import flask_smorest
from flask import Request
from marshmallow import Schema, fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from engine.api import errors, guards


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine code"})
    message = fields.String(required=True, metadata={"description": "human text"})
    fields_ = fields.Dict(required=True, data_key="fields",
                          metadata={"description": "messages per field"})
    retry_after = fields.Integer(metadata={"description": "seconds to wait (429)"})


class ErrorSchema(Schema):
    """The error shape of API.md."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Parser(FlaskParser):
    """Read JSON through the guards; report schema failures as 422 ``validation_error``."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw.strip():
            return core.missing
        return guards.load_json(raw)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose ``arguments`` read bodies through the guards."""

    ARGUMENTS_PARSER = Parser()


class GuardedRequest(Request):
    """A request whose ``get_json`` refuses deep nesting and control characters."""

    json_module = guards.GuardedJSON


class Api(flask_smorest.Api):
    """Register the one error handler, the request guards and bounded path ids."""

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *args, **kwargs):
        """Bind to ``app``: guards first, so every route registered later has them."""
        app.request_class = GuardedRequest
        app.url_map.converters["int"] = guards.ColumnIdConverter
        app.before_request(guards.guard_request)
        super().init_app(app, *args, **kwargs)
        self.register_converter(guards.ColumnIdConverter, guards.column_id_schema)

    def _register_error_handlers(self):
        errors.register_error_handlers(self._app)
