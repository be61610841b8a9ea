"""A brand's CRM endpoints: create (secret generated if omitted), list, read, remove.

Secrets are encrypted at rest and never returned, except a generated one,
shown once in the answer that created it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from engine.errors import NotFound, Unprocessable
from engine.extensions import db
from engine.models import Brand, CrmEndpoint
from tags.crm.addresses import AddressRefused, check_destination

SECRET_PREFIX = "whsec_"
MAX_ID = 2**31 - 1  # ids past a 32-bit column cannot exist (PostgreSQL would refuse the query)


@dataclass(frozen=True)
class CreatedEndpoint:
    """A new endpoint and the secret generated for it (None when the caller gave one)."""

    endpoint: CrmEndpoint
    generated_secret: str | None


def create_endpoint(brand: Brand, data: dict) -> CreatedEndpoint:
    """Create an endpoint from validated ``data``; return it with the generated secret, if any.

    Raises ``Unprocessable`` naming ``url`` for an address that may not be called.
    """
    generated = None
    secret = data.get("secret")
    if data["kind"] == "webhook":
        try:
            check_destination(data["url"], current_app.config["CRM_ALLOW_PRIVATE_ADDRESSES"])
        except AddressRefused as exc:
            raise Unprocessable(str(exc), code="invalid_url", fields={"url": [str(exc)]}) from exc
        if not secret:
            secret = generated = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = CrmEndpoint(brand_id=brand.id, kind=data["kind"], name=data.get("name", ""),
                           url=data.get("url"), corp_id=data.get("corp_id"), secret=secret,
                           tag_groups=data.get("tag_groups"))
    # a new endpoint starts at the outbox's beginning: a CRM connected late learns every tag
    db.session.add(endpoint)
    db.session.commit()
    return CreatedEndpoint(endpoint, generated)


def endpoints_of(brand: Brand) -> list[CrmEndpoint]:
    """Return the brand's active endpoints, oldest first."""
    return list(db.session.scalars(select(CrmEndpoint).where(
        CrmEndpoint.brand_id == brand.id, CrmEndpoint.active.is_(True)).order_by(CrmEndpoint.id)))


def endpoint_of(brand: Brand, endpoint_id: int) -> CrmEndpoint:
    """Return the brand's endpoint ``endpoint_id``; 404 for another brand's or a removed one."""
    endpoint = db.session.get(CrmEndpoint, endpoint_id) if endpoint_id <= MAX_ID else None
    if endpoint is None or endpoint.brand_id != brand.id or not endpoint.active:
        raise NotFound()
    return endpoint


def remove_endpoint(brand: Brand, endpoint_id: int) -> None:
    """Stop delivering to an endpoint; its delivery log is kept."""
    endpoint_of(brand, endpoint_id).active = False
    db.session.commit()
