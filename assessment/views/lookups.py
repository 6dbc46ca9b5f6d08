"""Loading the object a URL names, or 404: shared by the blueprints."""
from __future__ import annotations

from flask import abort

from ..extensions import db
from ..models import Period
from ..operations.periods import period_by_slug


def period_or_404(slug: str) -> Period:
    """The period with this slug; 404 when there is none."""
    return period_by_slug(db.session, slug) or abort(404)
