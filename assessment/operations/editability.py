"""Who may change a unit's questionnaire until when: the one place for per-unit deadlines
(the period's closing time, extensions for everyone or one unit, the revision deadline of
a returned questionnaire), whether the questionnaire is editable now and why not, and the
optimistic lock on its version.

Versions: a unit with no submission yet is at version 1 (``get_or_create_submission``
creates it at 1); every save or submit raises it by one. Saves merge per indicator
(``merge``); submitting passes the version the person loaded, and a different current
version is a Conflict and nothing is changed.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import object_session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from ..formatting import datetime_in_zones
from ..models import Period, RevisionRequest, Submission, WorkUnit
from ..models.types import utcnow
from ..models.units import opening_day
from . import Closed, Conflict, Invalid, NotAllowed
from .merge import who_for_unit


# ---- deadlines ----------------------------------------------------------------------------

def closes_at_for(period: Period, unit_code: str | None) -> datetime:
    """The effective closing time for a unit: the latest of the period's own closing time,
    the newest extension for everyone and the newest extension for this unit."""
    closes = period.closes_at
    general = [e for e in period.extensions if e.unit_code is None]
    own = [e for e in period.extensions if unit_code and e.unit_code == unit_code]
    for group in (general, own):
        if group:
            closes = max(closes, group[-1].closes_at)
    return closes


def is_open_for(period: Period, unit_code: str | None, now: datetime | None = None) -> bool:
    """Whether the period is open for the unit (opened, and its closing time not reached)."""
    now = now or utcnow()
    return period.opens_at <= now < closes_at_for(period, unit_code)


def deadline_for(period: Period, unit_code: str, sub: Submission | None = None) -> datetime:
    """The unit's deadline now: the revision deadline of a returned questionnaire, otherwise
    the period's closing time with extensions."""
    request = revision_for(sub) if is_returned(sub) else None
    return request.closes_at if request is not None else closes_at_for(period, unit_code)


def verification_open(period: Period, now: datetime | None = None) -> bool:
    """Whether judges may still verify (and return questionnaires): no closing time, or
    before it."""
    closes = period.verification_closes_at
    return closes is None or (now or utcnow()) < closes


# ---- revision ---------------------------------------------------------------------------------

def is_returned(sub: Submission | None) -> bool:
    """Whether the submission is back with the unit (judges' verification is paused)."""
    return bool(sub is not None and sub.status == "returned")


def revision_for(sub: Submission | None, session=None) -> RevisionRequest | None:
    """The submission's one revision request, or None."""
    if sub is None or sub.id is None:
        return None
    session = session or object_session(sub)
    return session.scalars(select(RevisionRequest).where(
        RevisionRequest.submission_id == sub.id)).first()


def revision_refusal(request: RevisionRequest, zone: str = "WIB", now: datetime | None = None):
    """Why a returned questionnaire cannot be changed now (its revision deadline passed), or None."""
    if (now or utcnow()) >= request.closes_at:
        return Closed(_("The revision deadline passed on %(when)s; the questionnaire can no "
                        "longer be changed or resubmitted.",
                        when=datetime_in_zones(request.closes_at, zone)))
    return None


# ---- archived periods ---------------------------------------------------------------------------

def archived_refusal(period: Period) -> Closed | None:
    """Closed when the period is archived: nothing in it changes any more (questionnaires,
    verification, returns, objections, assignments, deadlines, the season's steps)."""
    if getattr(period, "archived_at", None) is not None:
        return Closed(_("%(period)s is archived; it can be read but no longer changed.",
                        period=period.title))
    return None


def check_not_archived(period: Period) -> None:
    problem = archived_refusal(period)
    if problem is not None:
        raise problem


# ---- editable now? --------------------------------------------------------------------------

def existed_when_opened(period: Period, unit: WorkUnit) -> bool:
    """Whether the unit was in the registry on the day the period opened (issue 14): the
    same test as the ``existing_on(opening_day(period.opens_at))`` filter with which
    rankings, progress and the not-submitted lists count a period's units."""
    return unit.existed_on(opening_day(period.opens_at))


def takes_part(period: Period, unit: WorkUnit | None) -> bool:
    """Whether the unit's level is one of the period's levels and it existed when the
    period opened."""
    return bool(unit and unit.active and unit.level in (period.levels or [])
                and existed_when_opened(period, unit))


def refusal(period: Period, unit: WorkUnit, sub: Submission | None = None,
            now: datetime | None = None):
    """Why the unit's questionnaire cannot be changed now (Closed or NotAllowed), or None."""
    now = now or utcnow()
    zone = unit.time_zone if unit else "WIB"
    if archived_refusal(period) is not None:
        return archived_refusal(period)
    if sub is not None and sub.status == "submitted":
        return Closed(_("This questionnaire was submitted on %(when)s and is locked.",
                        when=datetime_in_zones(sub.submitted_at, zone)))
    request = revision_for(sub) if is_returned(sub) else None
    if request is not None:   # editable until the revision deadline, not the period's
        return revision_refusal(request, zone, now)
    if not takes_part(period, unit):
        return NotAllowed(_("This work unit does not take part in %(period)s.", period=period.title))
    if now < period.opens_at:
        return Closed(_("The questionnaire opens on %(when)s.",
                        when=datetime_in_zones(period.opens_at, zone)))
    closes = closes_at_for(period, unit.code)
    if now >= closes:
        return Closed(_("The questionnaire closed on %(when)s; answers can no longer be "
                        "changed or submitted.", when=datetime_in_zones(closes, zone)))
    return None


def check_editable(sub: Submission, now: datetime | None = None) -> None:
    """Raise Closed (or NotAllowed) unless the questionnaire may be changed now."""
    problem = refusal(sub.period, sub.unit, sub, now)
    if problem is not None:
        raise problem


def is_editable(sub: Submission, now: datetime | None = None) -> bool:
    return refusal(sub.period, sub.unit, sub, now) is None


# ---- the version the person loaded ---------------------------------------------------------------

def check_version(session, sub: Submission, version) -> None:
    """Raise Invalid for a missing version and Conflict for one that is not current."""
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise Invalid(_("The form is missing its version number; reload the page."),
                      details={"version": "missing"}) from None
    if version != sub.version:
        raise version_conflict(session, sub, version)


def version_conflict(session, sub: Submission, version: int) -> Conflict:
    """The Conflict for a save of ``version`` when someone else saved after it."""
    who = who_for_unit(session, sub.updated_by, sub.unit_code)
    zone = sub.unit.time_zone if sub.unit else "WIB"
    return Conflict(_("Someone else (%(who)s) saved this questionnaire on %(when)s, after you "
                      "opened it. Your changes were NOT saved, so that theirs are not overwritten. "
                      "Copy what you typed if you need it, then reload the page to see the "
                      "current answers.", who=who, when=datetime_in_zones(sub.updated_at, zone)),
                    details={"current_version": sub.version, "your_version": version})


# ---- the row lock ------------------------------------------------------------------------------

_ROW_LOCKS = "submission_row_locks"


def lock_taken(session, sub: Submission) -> None:
    """Note that ``sub`` was read with ``SELECT ... FOR UPDATE`` in the current transaction
    (or savepoint): until it ends no other transaction can change the row, so its versioned
    UPDATE cannot lose a race (``versioned_change`` needs no savepoint then). Only where the
    database has row locks (PostgreSQL); SQLite ignores FOR UPDATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.info.setdefault(_ROW_LOCKS, {})[sub.id] = _innermost(session)


def holds_lock(session, sub: Submission) -> bool:
    """Whether the row lock ``lock_taken`` noted for ``sub`` is still held: the transaction
    or savepoint that took it is active and still one of the current ones (a savepoint
    rolled back releases the locks taken after it)."""
    taken = session.info.get(_ROW_LOCKS, {}).get(sub.id)
    current = _innermost(session) if taken is not None else None
    while current is not None:
        if current is taken:
            return taken.is_active
        current = current.parent
    return False


def _innermost(session):
    if isinstance(session, scoped_session):   # db.session: this thread's Session
        session = session()
    return session.get_nested_transaction() or session.get_transaction()


@contextmanager
def versioned_change(session, sub: Submission, version: int):
    """Change ``sub`` inside the block and flush it as one versioned UPDATE (``WHERE version
    = the version read``).

    When this transaction holds the row's lock (``lock_taken``: the API reads the
    questionnaire it saves with ``SELECT ... FOR UPDATE``) nobody can have changed the row
    since it was read: a concurrent save waited for the lock, then read the new version and
    was merged or refused by ``check_conflicts`` / ``check_version``; the UPDATE is sent
    as it is (two round trips fewer). Otherwise it is flushed in a savepoint, so when a
    concurrent save of the same version wins the race only this change is undone (the
    request's transaction stays usable) and Conflict names who saved."""
    if holds_lock(session, sub):
        try:
            with session.no_autoflush:
                yield
            session.flush()
        except StaleDataError:   # not expected under the lock; the transaction is lost
            raise Conflict(_("Someone else changed this at the same moment: reload the page "
                             "(or read it again) and retry.")) from None
        return
    try:
        with session.begin_nested():
            with session.no_autoflush:
                yield
            session.flush()
    except StaleDataError:
        session.expire(sub)   # forget our change: the Conflict shows the saved one
        raise version_conflict(session, sub, version) from None
