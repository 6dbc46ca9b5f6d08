"""Assessment periods: opening them, extending or shortening their deadlines, editing their
title and dates, archiving and deleting them (each unit's deadline is read in
``operations.editability``). Every change is in the audit log.

A closing time moved earlier needs a reason, and is refused (``WouldClose``) when it would
close, now, a questionnaire a unit has started and not submitted, unless ``confirm``.
Archived periods change no more; a period is deleted only while no unit has a questionnaire
in it, and then only hidden (the append-only audit log refers to it): see models/periods.py."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from .. import audit
from ..formatting import datetime_in_zones
from ..models import DeadlineExtension, Period, Submission, User, WorkUnit
from ..models.types import utcnow
from ..progress import participating_units
from . import Conflict, Invalid
from .editability import check_not_archived, closes_at_for
from .notices import notify_deadline_changed

SHOWN_UNITS = 5


class WouldClose(Conflict):
    """The change would close questionnaires that units are filling in now; ``details``
    lists them. Repeated with ``confirm=True`` it goes through."""
    code = "would_close"


# ---- what a change of dates would close -------------------------------------------------------

def _new_close(period: Period, code: str, general: datetime | None, unit_code: str | None,
               unit_close: datetime | None) -> datetime:
    """A unit's closing time after the change (as ``closes_at_for`` would compute it)."""
    if unit_code is not None:
        return unit_close if code == unit_code else closes_at_for(period, code)
    own = [e for e in period.extensions if e.unit_code == code]
    return max([general] + ([own[-1].closes_at] if own else []))


def would_close(session, period: Period, now: datetime, *, opens_at: datetime | None = None,
                general: datetime | None = None, unit_code: str | None = None,
                unit_close: datetime | None = None) -> list[WorkUnit]:
    """The units with a started, unsubmitted questionnaire that is open now and would be
    closed now by the new opening time, closing time for everyone, or one unit's closing."""
    opens_at = opens_at or period.opens_at
    general = general or closes_at_for(period, None)
    drafts = set(session.scalars(select(Submission.unit_code).where(
        Submission.period_id == period.id, Submission.status == "draft")))
    closing = []
    for unit in participating_units(session, period):
        if unit.code not in drafts or not period.opens_at <= now < closes_at_for(period, unit.code):
            continue
        if not opens_at <= now < _new_close(period, unit.code, general, unit_code, unit_close):
            closing.append(unit)
    return closing


def _check_would_close(units: list[WorkUnit], confirm: bool) -> None:
    if units and not confirm:
        names = ", ".join(u.name for u in units[:SHOWN_UNITS])
        more = len(units) - SHOWN_UNITS
        raise WouldClose(ngettext(
            "This would close at once the questionnaire that %(num)d unit is filling in now "
            "(%(units)s). Confirm to change it anyway.",
            "This would close at once the questionnaires that %(num)d units are filling in now "
            "(%(units)s). Confirm to change it anyway.", len(units),
            units=names + (" " + _("and %(count)d more", count=more) if more > 0 else "")),
            details={"units": [u.code for u in units]})


def _reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(message)
    return reason


# ---- deadlines ----------------------------------------------------------------------------------

def extend_deadline(session, period: Period, closes_at: datetime, reason: str, user,
                    unit_code: str | None = None, *, confirm: bool = False,
                    now: datetime | None = None) -> DeadlineExtension:
    """Record a new closing time for everyone or one unit, with its reason: later, or
    earlier (see the module docstring). A unit's closing time is never earlier than
    everyone's."""
    check_not_archived(period)
    reason = _reason(reason, _("A reason is required to change a deadline."))
    now = now or utcnow()
    current = closes_at_for(period, unit_code)
    if closes_at == current:
        raise Invalid(_("The new closing time is the current one."))
    if unit_code is not None and closes_at < closes_at_for(period, None):
        raise Invalid(_("A unit's closing time cannot be earlier than everyone's "
                        "(%(when)s).", when=_wib(closes_at_for(period, None))))
    if closes_at <= period.opens_at:
        raise Invalid(_("The closing time must be after the opening time."))
    if closes_at < current:
        general = closes_at if unit_code is None else None
        _check_would_close(would_close(session, period, now, general=general, unit_code=unit_code,
                                       unit_close=closes_at), confirm)
    codes = [unit_code] if unit_code else [u.code for u in participating_units(session, period)]
    before = {code: closes_at_for(period, code) for code in codes}
    ext = DeadlineExtension(period_id=period.id, unit_code=unit_code, closes_at=closes_at,
                            reason=reason, created_by=getattr(user, "id", None))
    session.add(ext)
    period.extensions.append(ext)
    if unit_code is None and closes_at < period.closes_at:
        period.closes_at = closes_at      # everyone's closing time is never later than this
    session.flush()
    audit.record("period.extend" if closes_at > current else "period.shorten", period, user=user,
                 period_id=period.id, unit_code=unit_code, closes_at=closes_at.isoformat(),
                 previous=current.isoformat(), reason=reason, confirmed=confirm)
    notify_deadline_changed(session, period, before, reason)
    return ext


def _wib(moment: datetime) -> str:
    return datetime_in_zones(moment, "WIB")


# ---- the period itself ------------------------------------------------------------------------

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


def edit_period(session, period: Period, user, *, title: str, opens_at: datetime,
                closes_at: datetime, reason: str = "", confirm: bool = False,
                now: datetime | None = None) -> dict:
    """Change the title, the opening time and everyone's closing time. A change of dates
    needs a reason; one that closes questionnaires being filled in now needs ``confirm``.
    Returns {field: [before, after]} of what changed."""
    check_not_archived(period)
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise Invalid(_("The title is required."), details={"title": "required"})
    if closes_at <= opens_at:
        raise Invalid(_("The closing time must be after the opening time."),
                      details={"closes_at": "before_opening"})
    general = closes_at_for(period, None)
    changes = {k: [str(old), str(new)] for k, old, new in (
        ("title", period.title, title), ("opens_at", period.opens_at, opens_at),
        ("closes_at", general, closes_at)) if old != new}
    if not changes:
        raise Invalid(_("Nothing was changed."))
    dates = {"opens_at", "closes_at"} & changes.keys()
    if dates:
        reason = _reason(reason, _("A reason is required to change the dates of a period."))
        _check_would_close(would_close(session, period, now, opens_at=opens_at, general=closes_at),
                           confirm)
    period.title, period.opens_at = title, opens_at
    if "closes_at" in changes:
        if any(e.unit_code is None for e in period.extensions):
            # everyone's closing time is the newest general extension: record a new one
            period.extensions.append(DeadlineExtension(
                period_id=period.id, unit_code=None, closes_at=closes_at, reason=reason,
                created_by=getattr(user, "id", None)))
            period.closes_at = min(period.closes_at, closes_at)
        else:
            period.closes_at = closes_at
    session.flush()
    audit.record("period.edit", period, user=user, period_id=period.id, changes=changes,
                 reason=reason.strip() if dates else "", confirmed=confirm)
    return changes


def archive_period(session, period: Period, reason: str, user) -> Period:
    """Archive a period: no reminders, nothing in it changes any more; it stays readable."""
    check_not_archived(period)
    reason = _reason(reason, _("A reason is required to archive a period."))
    period.archived_at, period.archived_by = utcnow(), getattr(user, "id", None)
    session.flush()
    audit.record("period.archive", period, user=user, period_id=period.id, reason=reason)
    return period


def unarchive_period(session, period: Period, reason: str, user) -> Period:
    """Take a period out of the archive (its dates decide again whether it is open)."""
    if period.archived_at is None:
        raise Conflict(_("This period is not archived."))
    reason = _reason(reason, _("A reason is required to take a period out of the archive."))
    period.archived_at = period.archived_by = None
    session.flush()
    audit.record("period.unarchive", period, user=user, period_id=period.id, reason=reason)
    return period


def period_by_slug(session, slug: str) -> Period | None:
    """The period a URL names by its slug, or None."""
    return session.query(Period).filter_by(slug=slug).first()


def periods_newest_first(session) -> list[Period]:
    """Every period, the latest to open first (the admin's lists and filters)."""
    return session.scalars(select(Period).order_by(Period.opens_at.desc())).all()


def extension_authors(session, period: Period) -> dict[int, str]:
    """User id -> username of whoever set the period's deadline extensions."""
    return {u.id: u.username for u in session.scalars(select(User).where(
        User.id.in_({e.created_by for e in period.extensions})))}


def questionnaire_count(session, period: Period) -> int:
    return session.scalar(select(func.count(Submission.id)).where(
        Submission.period_id == period.id)) or 0


def delete_period(session, period: Period, reason: str, user) -> None:
    """Delete a period in which no unit has a questionnaire (not even a draft); otherwise
    archive it. The row stays for the audit log's references, hidden from every query, and
    its slug is freed for a new period."""
    reason = _reason(reason, _("A reason is required to delete a period."))
    count = questionnaire_count(session, period)
    if count:
        raise Conflict(ngettext(
            "%(num)d unit has a questionnaire in this period, so it cannot be deleted; "
            "archive it instead.",
            "%(num)d units have a questionnaire in this period, so it cannot be deleted; "
            "archive it instead.", count))
    slug = period.slug
    audit.record("period.delete", period, user=user, period_id=period.id, slug=slug,
                 title=period.title, reason=reason)
    period.deleted_at = utcnow()
    period.slug = f"{slug}--deleted-{period.id}"[:80]
    session.flush()
    session.expunge(period)   # from now on the session does not know it either
