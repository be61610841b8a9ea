"""Console page for a brand's risk queue: flagged referrals held for review.

Listing and deciding go through ``engine.risk.review`` (the admin API's
service): approving gives what the flag held, rejecting (with a reason the
marketer types) does not. Analysts read; they cannot decide.
"""

from __future__ import annotations

from flask import g, render_template, request
from marshmallow import Schema, ValidationError, fields, validate

from engine.access import auth
from engine.api.errors import status_of
from engine.errors import DomainError, NotFound
from engine.models.risk import FLAG_STATUSES
from engine.risk import review
from engine.web.console import bp

SHOWN = 100


class DecisionForm(Schema):
    """A decision on a flag: rejecting needs a reason the player's support can repeat."""

    action = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=255))


def _page(brand, status: str | None, errors: dict | None = None, decided=None,
          refused: str = "", code: int = 200):
    flags = review.flags_of(brand.id, status, None, SHOWN)
    return render_template("console/risk.html", brand=brand, flags=flags, status=status,
                           statuses=FLAG_STATUSES, errors=errors or {}, decided=decided,
                           refused=refused), code


def _status_arg() -> str | None:
    status = request.args.get("status", "pending")
    return status if status in FLAG_STATUSES else None


@bp.get("/brands/<slug>/risk")
def risk_queue(slug: str):
    """List the brand's flags (pending first by default), newest first."""
    return _page(auth.owned_brand(slug), _status_arg())


@bp.post("/brands/<slug>/risk/<int:flag_id>")
def decide_flag(slug: str, flag_id: int):
    """Approve or reject a flag; a rejection needs a reason."""
    brand = auth.owned_brand(slug)  # an analyst's decision is refused (403)
    try:
        form = DecisionForm().load({k: request.form.get(k, "") for k in ("action", "reason")})
        reason = form["reason"].strip()
        if form["action"] == "reject" and not reason:
            raise ValidationError({"reason": ["required"]})
        flag = review.review(brand.id, flag_id, form["action"], g.marketer.email, reason)
    except ValidationError as exc:
        return _page(brand, "pending", {flag_id: exc.messages}, code=422)
    except NotFound:
        raise
    except DomainError as exc:  # decided already (by someone else, or by the deadline)
        return _page(brand, "pending", refused=exc.message, code=status_of(exc))
    return _page(brand, "pending", decided=flag)
