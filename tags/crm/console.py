"""Console page for a brand's CRM endpoints and their dead letters, with a redeliver button.

A blueprint nested in the console's (``engine/routes.py`` nests it), so the
console's sign-in, CSRF check and error pages apply. Forms are read by the
admin API's own schema (``EndpointInSchema``) and saved by the same services
(``tags.crm.endpoints``, ``tags.crm.delivery_log``). A secret is never shown
back: a generated one is shown once, on the page that created it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from marshmallow import ValidationError

from engine.access import auth
from engine.api.errors import status_of
from engine.errors import DomainError, NotFound
from engine.models.crm import DELIVERY_STATES, KINDS
from tags import admin as tag_admin
from tags.crm import delivery_log, endpoints
from tags.crm.api import EndpointInSchema

bp = Blueprint("crm", __name__)
LOG_SHOWN = 50


def body_of(form) -> dict:
    """Return the endpoint form as the admin API's body (empty fields left out)."""
    body = {k: (form.get(k) or "").strip() for k in ("kind", "name", "url", "corp_id", "secret")}
    body = {k: v for k, v in body.items() if v or k == "name"}
    groups = [g for g in form.getlist("tag_groups") if g.strip()]
    if groups:  # none ticked: every group's changes go there
        body["tag_groups"] = groups
    return body


def _page(brand, *, errors: dict | None = None, created=None, secret: str | None = None,
          shown=None, log_status: str | None = "dead", outcome: dict | None = None,
          form: dict | None = None, status: int = 200):
    active = endpoints.endpoints_of(brand)
    log = delivery_log.log_of(shown, LOG_SHOWN, log_status) if shown is not None else []
    return render_template(
        "console/crm.html", brand=brand, tab="crm", endpoints=active,
        counts=delivery_log.status_counts(active), groups=tag_admin.groups_of(brand.id),
        kinds=KINDS, states=DELIVERY_STATES, errors=errors or {}, created=created,
        secret=secret, shown=shown, log=log, log_status=log_status, outcome=outcome,
        form=form or {}), status


def _log_status() -> str | None:
    status = request.args.get("status", "dead")
    return status if status in DELIVERY_STATES else None


@bp.get("/brands/<slug>/crm")
def crm_page(slug: str):
    """List the brand's CRM endpoints; with ``?log=<endpoint id>`` its delivery log (dead first)."""
    brand = auth.owned_brand(slug)
    shown = None
    if (endpoint_id := request.args.get("log", type=int)) is not None:
        shown = endpoints.endpoint_of(brand, endpoint_id)
    return _page(brand, shown=shown, log_status=_log_status())


@bp.post("/brands/<slug>/crm")
def create_crm_endpoint(slug: str):
    """Add a webhook (a secret generated unless given, shown once) or a WeCom corp."""
    brand = auth.owned_brand(slug)
    body = body_of(request.form)
    shown = {k: v for k, v in body.items() if k != "secret"}  # a secret is never shown back
    try:
        created = endpoints.create_endpoint(brand, EndpointInSchema().load(body))
    except ValidationError as exc:
        return _page(brand, errors=exc.messages, form=shown, status=422)
    except DomainError as exc:
        return _page(brand, errors=(exc.fields or {}) | {"_schema": [exc.message]}, form=shown,
                     status=status_of(exc))
    return _page(brand, created=created.endpoint, secret=created.generated_secret)


@bp.post("/brands/<slug>/crm/<int:endpoint_id>/remove")
def remove_crm_endpoint(slug: str, endpoint_id: int):
    """Stop delivering to an endpoint (its log is kept)."""
    brand = auth.owned_brand(slug)
    endpoints.remove_endpoint(brand, endpoint_id)
    return _page(brand)


@bp.post("/brands/<slug>/crm/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
def redeliver(slug: str, endpoint_id: int, delivery_id: int):
    """Send a dead letter again with the same batch id; show the log with the outcome."""
    brand = auth.owned_brand(slug)
    endpoint = endpoints.endpoint_of(brand, endpoint_id)
    try:
        delivery = delivery_log.retry_dead(endpoint, delivery_id)
    except NotFound:
        raise
    except DomainError as exc:  # not dead (any more)
        return _page(brand, shown=endpoint, outcome={"ok": False, "id": delivery_id,
                                                     "message": exc.message},
                     status=status_of(exc))
    return _page(brand, shown=endpoint, log_status=None,  # the row, now pending, stays in view
                 outcome={"ok": True, "id": delivery.id})
