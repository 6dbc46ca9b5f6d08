"""Loading the object a URL names, or 404: shared by the blueprints."""
from __future__ import annotations

from flask import abort

from ..extensions import db
from ..models import Period


def period_or_404(slug: str) -> Period:
    """The period with this slug; 404 when there is none."""
    return db.session.query(Period).filter_by(slug=slug).first() or abort(404)
