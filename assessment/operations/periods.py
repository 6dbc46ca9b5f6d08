"""Assessment periods: opening them and extending their deadlines (each unit's deadline is
read in ``operations.editability``)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from .. import audit
from ..models import DeadlineExtension, Period
from . import Invalid
from .editability import closes_at_for


def extend_deadline(session, period: Period, closes_at: datetime, reason: str, user,
                    unit_code: str | None = None) -> DeadlineExtension:
    """Record a later closing time for everyone or one unit, with its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("A reason is required to extend a deadline."))
    current = closes_at_for(period, unit_code)
    if closes_at <= current:
        raise Invalid(_("The new closing time must be later than the current one."))
    ext = DeadlineExtension(period_id=period.id, unit_code=unit_code, closes_at=closes_at,
                            reason=reason, created_by=getattr(user, "id", None))
    session.add(ext)
    period.extensions.append(ext)
    session.flush()
    audit.record("period.extend", period, user=user, period_id=period.id, unit_code=unit_code,
                 closes_at=closes_at.isoformat(), previous=current.isoformat(), reason=reason)
    return ext


def open_period(session, *, slug: str, title: str, rubric_id: str, opens_at: datetime,
                closes_at: datetime, levels: list[str], user=None) -> Period:
    """Create a period for a stored rubric edition."""
    if closes_at <= opens_at:
        raise Invalid(_("The closing time must be after the opening time."))
    if session.query(Period).filter_by(slug=slug).first():
        raise Invalid(_("A period with the slug \u201c%(slug)s\u201d already exists.", slug=slug))
    period = Period(slug=slug, title=title, rubric_id=rubric_id, opens_at=opens_at,
                    closes_at=closes_at, levels=list(levels))
    session.add(period)
    session.flush()
    audit.record("period.open", period, user=user, period_id=period.id, title=title,
                 rubric=rubric_id, opens_at=opens_at.isoformat(), closes_at=closes_at.isoformat())
    return period
