"""Console pages for campaigns: the list of my brands' campaigns."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import select

from engine.campaigns import stats
from engine.extensions import db
from engine.models import Brand
from engine.web.console import bp


@bp.get("/")
def home():
    """List the campaigns of my brands with their headline numbers."""
    brands = list(db.session.scalars(select(Brand).where(Brand.id.in_(g.brand_ids))
                                     .order_by(Brand.slug)))
    rows = {b.id: stats.summaries(b.id) for b in brands}
    return render_template("console/home.html", brands=brands, rows=rows)
