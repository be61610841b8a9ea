"""Register every blueprint, namespace and CLI group on the app."""

from __future__ import annotations

from flask import Flask

from engine.access.wechat.views import bp as wechat_bp
from engine.api import admin_award_failures as admin_award_failures_api
from engine.api import admin_campaigns as admin_campaigns_api
from engine.api import admin_referral as admin_referral_api
from engine.api import admin_rewards as admin_rewards_api
from engine.api import admin_standings as admin_standings_api
from engine.api import campaigns as campaigns_api
from engine.api import crm as crm_api
from engine.api import garden as garden_api
from engine.api import profile as profile_api
from engine.api import reports as reports_api
from engine.api import rewards as rewards_api
from engine.api import sessions as sessions_api
from engine.api import shares as shares_api
from engine.api import wechat as wechat_api
from engine.api.schemas import LIVE_EVENTS
from engine.boards import reconcile
from engine.boards.live import NAMESPACE, LiveNamespace
from engine.cli.access import register_access_cli
from engine.cli.crm import register_crm_cli
from engine.cli.operations import register_cli
from engine.cli.risk import register_risk_cli
from engine.events import on_committed
from engine.extensions import api, socketio
from engine.jobs import add_ticker
from engine.referral import report_cache
from engine.web import assets
from engine.web.apidocs import bp as apidocs_bp
from engine.web.console import bp as console_bp
from engine.web.media import bp as media_bp
from engine.web.pages import bp as pages_bp
from engine.web.reports import bp as reports_page_bp
from tags import admin_api as tags_admin_api
from tags import consent_api as tags_consent_api
from tags import crm_api as tags_crm_api
from tags import jobs as tags_jobs
from tags.cli import register_tags_cli
from tags.console import bp as tags_console_bp
from tags.crm import api as crm_admin_api
from tags.crm import jobs as crm_jobs
from tags.crm import players_api as crm_players_api
from tags.crm.cli import register_crm_sync_cli
from tags.crm.console import bp as crm_console_bp

# the tags/ and CRM console pages live with their services (the engine never imports
# tags/): nested in the console's blueprint, the console's sign-in, CSRF check and
# error pages apply to them. Nested once, at import: an app is built from it many times.
console_bp.register_blueprint(tags_console_bp)
console_bp.register_blueprint(crm_console_bp)


def register(app: Flask) -> None:
    """Attach the API, the pages, WeChat's callback, ``/live`` and the CLI."""
    api.register_blueprint(campaigns_api.blp)
    api.register_blueprint(sessions_api.blp)
    api.register_blueprint(rewards_api.blp)
    api.register_blueprint(crm_api.blp)
    api.register_blueprint(tags_crm_api.blp)
    api.register_blueprint(tags_admin_api.blp)
    api.register_blueprint(tags_consent_api.blp)
    api.register_blueprint(garden_api.blp)
    api.register_blueprint(profile_api.blp)
    api.register_blueprint(admin_campaigns_api.blp)
    api.register_blueprint(admin_rewards_api.blp)
    api.register_blueprint(admin_standings_api.blp)
    api.register_blueprint(crm_admin_api.blp)
    api.register_blueprint(crm_players_api.blp)
    api.register_blueprint(admin_award_failures_api.blp)
    api.register_blueprint(shares_api.blp)
    api.register_blueprint(wechat_api.blp)
    api.register_blueprint(admin_referral_api.blp)
    api.register_blueprint(reports_api.blp)
    app.register_blueprint(pages_bp)
    assets.register(app)
    app.register_blueprint(console_bp)
    app.register_blueprint(apidocs_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(reports_page_bp)
    app.register_blueprint(wechat_bp)
    socketio.on_namespace(LiveNamespace(NAMESPACE))
    for schema in LIVE_EVENTS.values():  # the live events' bodies, named in the OpenAPI document
        api.spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    register_cli(app)
    register_access_cli(app)
    register_risk_cli(app)
    register_tags_cli(app)
    # committed events re-evaluate the tags of the players they concern (coalesced rq jobs)
    on_committed(tags_jobs.events_committed)
    on_committed(report_cache.events_committed)
    register_crm_cli(app)
    register_crm_sync_cli(app)
    # every long-running worker asks for a CRM sync every CRM_POLL_S seconds
    add_ticker(app, crm_jobs.start_ticker)
    add_ticker(app, reconcile.start_ticker)
