"""The audit log page's data: the entries filtered by action, person, unit, period and WIB
dates, the actions to filter by, and the names of the people, units and periods a page of
entries mentions (fetched together, never one query per row). Reads only."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..models import AuditLog, User, WorkUnit
from ..models.units import WIB


def audit_actions(session) -> list[str]:
    """Every action the log holds, alphabetically."""
    return session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()


def _wib_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WIB).astimezone(timezone.utc)


def audit_entries(*, action: str = "", username: str = "", unit: str = "",
                  period_id: int | None = None, date_from: date | None = None,
                  date_to: date | None = None):
    """The select() for the log, newest first, narrowed by whichever filters are given; the
    dates are WIB calendar days, both included."""
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        query = query.where(AuditLog.action == action)
    if username:
        query = query.join(User, AuditLog.user_id == User.id).where(User.username == username.strip())
    if unit:
        query = query.where(AuditLog.unit_code == unit.strip())
    if period_id is not None:
        query = query.where(AuditLog.period_id == period_id)
    if date_from:
        query = query.where(AuditLog.at >= _wib_midnight(date_from))
    if date_to:
        query = query.where(AuditLog.at < _wib_midnight(date_to + timedelta(days=1)))
    return query


def audit_names(session, entries) -> tuple[dict[int, User], dict[str, str]]:
    """(user id -> the user, unit code -> its name) for the people and units ``entries``
    mention, in two queries."""
    people = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({e.user_id for e in entries if e.user_id})))}
    units = {u.code: u.name for u in session.scalars(select(WorkUnit).where(
        WorkUnit.code.in_({e.unit_code for e in entries if e.unit_code})))}
    return people, units
