"""Player API for WeChat's JS-SDK: the signed ``wx.config`` of a page."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.wechat import jssdk
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema

blp = Blueprint("wechat_api", __name__, url_prefix="/api/v1/wechat",
                description="WeChat JS-SDK configuration")


class JsSdkQuerySchema(QuerySchema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048), metadata={
        "description": "the page's location.href (up to #), WeChat's from= and "
                       "isappinstalled= included"})


class JsSdkConfigSchema(Schema):
    appId = fields.String()  # noqa: N815 (wx.config's field names)
    timestamp = fields.Integer()
    nonceStr = fields.String()  # noqa: N815
    signature = fields.String()


@blp.route("/jssdk-config")
class JsSdkConfigView(MethodView):
    @blp.arguments(JsSdkQuerySchema, location="query")
    @blp.response(200, JsSdkConfigSchema)
    def get(self, args):
        """Sign ``wx.config`` for one of our pages (422 for another site's URL)."""
        return jssdk.page_config(args["url"])
