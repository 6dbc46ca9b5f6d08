"""Notices: in-app always, e-mail as well when SMTP is configured; deadline reminders
and the confirmation of a submission.

E-mail goes through the outbox (assessment/outbox.py): a notice is e-mailed only after the
transaction that created it commits, once; a mail server that is down never breaks the
action that caused the notice: the failure is kept on the notice and retried later."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext as _, ngettext
from sqlalchemy import bindparam, func, select
from werkzeug.routing import BuildError

from .. import audit, outbox
from ..formatting import datetime_in_zones, local_time
from ..models import JudgeAssignment, Notice, Period, ReminderSent, Submission, User, WorkUnit
from ..models.types import utcnow
from ..progress import current_periods, participating_units
from .season import period_state

log = logging.getLogger(__name__)

REMINDER_DAYS = (7, 3, 1)


def notify(session, users, kind: str, title: str, body: str, link: str = "") -> list[Notice]:
    """Add an in-app notice for each user and e-mail it when SMTP is configured."""
    users = list({u.id: u for u in users if u is not None}.values())
    notices = [Notice(user_id=u.id, kind=kind, title=title[:300], body=body, link=link[:300])
               for u in users]
    session.add_all(notices)
    session.flush()
    outbox.queue(session, [n for n, u in zip(notices, users) if outbox.wants_email(u)])
    return notices


def mark_read(session, notice: Notice, user) -> Notice:
    """Mark one of the user's notices read (reading twice keeps the first time)."""
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
        audit.record("notice.read", notice, user=user)
    return notice


def mark_all_read(session, user) -> int:
    unread = session.scalars(select(Notice).where(Notice.user_id == user.id,
                                                  Notice.read_at.is_(None))).all()
    now = utcnow()
    for notice in unread:
        notice.read_at = now
    session.flush()
    if unread:
        audit.record("notice.read_all", user, user=user, count=len(unread))
    return len(unread)


def notices_for(session, user, limit: int = 20) -> list[Notice]:
    """The user's notices, unread first, newest first within each group."""
    return session.scalars(select(Notice).where(Notice.user_id == user.id)
                           .order_by(Notice.read_at.is_not(None), Notice.created_at.desc(),
                                     Notice.id.desc()).limit(limit)).all()


def unread_count(session, user) -> int:
    """How many of the user's notices are unread (one COUNT, for the menu bar)."""
    return session.scalar(select(func.count(Notice.id)).where(
        Notice.user_id == user.id, Notice.read_at.is_(None))) or 0


def notice_list(user, show_all: bool = False):
    """The select() for the user's notices page, newest first: the unread ones, or all."""
    query = select(Notice).where(Notice.user_id == user.id)
    if not show_all:
        query = query.where(Notice.read_at.is_(None))
    return query.order_by(Notice.created_at.desc(), Notice.id.desc())


# built once: every submission sends it (the receipt to the unit's operators)
_OPERATORS = (select(User).where(User.role == "operator", User.active.is_(True),
                                 User.unit_code == bindparam("unit_code")).order_by(User.id))


def unit_operators(session, unit_code: str) -> list[User]:
    return session.scalars(_OPERATORS, {"unit_code": unit_code}).all()


def path_for(endpoint: str, **values) -> str:
    """A site-relative link, also outside a request (the reminder job runs from cron)."""
    try:
        if has_request_context():
            return url_for(endpoint, **values)
        with current_app.test_request_context("/"):
            return url_for(endpoint, **values)
    except BuildError:
        return "" if endpoint == "dashboard.home" else path_for("dashboard.home")


def _by_locale(users) -> dict[str, list[User]]:
    groups: dict[str, list[User]] = defaultdict(list)
    for user in users:
        groups[user.locale if user.locale in ("id", "en") else "id"].append(user)
    return groups


def notify_submitted(session, sub: Submission, user=None) -> list[Notice]:
    """Confirm a submission to the unit's operators (call after operations.questionnaire.submit)."""
    unit, period = sub.unit or session.get(WorkUnit, sub.unit_code), sub.period
    link = path_for("questionnaire.overview", period_slug=period.slug)
    notices = []
    for locale, users in _by_locale(unit_operators(session, sub.unit_code)).items():
        with force_locale(locale):
            title = _("Questionnaire submitted: %(period)s", period=period.title)
            body = _("%(unit)s submitted its questionnaire for %(period)s on %(when)s. "
                     "Head of the unit: %(head)s (%(position)s). The questionnaire is now locked; "
                     "keep this message as your receipt.",
                     unit=unit.name, period=period.title,
                     when=datetime_in_zones(sub.submitted_at or utcnow(), unit.time_zone),
                     head=sub.head_name or "-", position=sub.head_position or "-")
        notices += notify(session, users, "submitted", title, body, link)
    return notices


def days_before(closes_at: datetime, now: datetime, zone: str) -> int:
    """Calendar days from now until the closing time, counted in the unit's own zone."""
    return (local_time(closes_at, zone).date() - local_time(now, zone).date()).days


def due_threshold(days_left: int) -> int | None:
    """The reminder (7, 3 or 1 days before) that is due with ``days_left`` calendar days to
    go: the nearest one reached. 5 days left -> the 7-day reminder, so one missed on its own
    day (cron down) still goes out at the next run, while it is before the deadline."""
    reached = [d for d in REMINDER_DAYS if d >= days_left]
    return min(reached) if reached else None


def send_deadline_reminders(session, now: datetime | None = None) -> int:
    """Remind the operators of every unit that has not submitted, 7, 3 and 1 calendar days
    (in the unit's zone) before its own closing time; each reminder once. A run that finds
    a reminder's day passed (the job did not run then) sends it now, saying the days that
    are really left, as long as the deadline has not passed. Archived periods send none.
    Returns how many (unit, reminder) pairs were sent. The caller commits."""
    now = now or utcnow()
    sent = 0
    for period in current_periods(session, now):
        if getattr(period, "archived_at", None) is not None:
            continue
        done = {(code, days) for code, days in session.execute(
            select(ReminderSent.unit_code, ReminderSent.days).where(ReminderSent.period_id == period.id))}
        submitted = set(session.scalars(select(Submission.unit_code).where(
            Submission.period_id == period.id, Submission.status == "submitted")))
        state = period_state(period, now)
        for unit in participating_units(session, period):
            closes = state.closes_for(unit.code)
            days = days_before(closes, now, unit.time_zone)
            threshold = due_threshold(days)
            if (unit.code in submitted or closes <= now or threshold is None
                    or (unit.code, threshold) in done):
                continue
            operators = unit_operators(session, unit.code)
            if not operators:
                continue
            session.add(ReminderSent(period_id=period.id, unit_code=unit.code, days=threshold))
            _remind(session, period, unit, closes, days, operators, threshold)
            sent += 1
    session.flush()
    return sent


def _remind(session, period: Period, unit: WorkUnit, closes: datetime, days: int, operators,
            threshold: int | None = None, manual_by=None) -> None:
    link = path_for("questionnaire.overview", period_slug=period.slug)
    for locale, users in _by_locale(operators).items():
        with force_locale(locale):
            if days <= 0:
                title = _("Reminder: %(period)s closes today", period=period.title)
            else:
                title = ngettext("Reminder: %(num)d day left to submit %(period)s",
                                 "Reminder: %(num)d days left to submit %(period)s",
                                 days, period=period.title)
            body = _("The questionnaire of %(unit)s for %(period)s has not been submitted yet. "
                     "It closes on %(when)s. Unsubmitted questionnaires are not assessed.",
                     unit=unit.name, period=period.title,
                     when=datetime_in_zones(closes, unit.time_zone))
        notify(session, users, "reminder", title, body, link)
    if manual_by is not None:    # "Kirim pengingat" from the progress list
        audit.record("notice.manual_reminder", period, user=manual_by, period_id=period.id,
                     unit_code=unit.code, days_left=days, recipients=len(operators))
        return
    threshold = days if threshold is None else threshold
    audit.record("notice.reminder", period, user=None, period_id=period.id,
                 unit_code=unit.code, days=threshold, days_left=days,
                 late=days != threshold, recipients=len(operators))


def notify_assigned(session, period: Period, rows) -> list[Notice]:
    """Tell each judge which units were just assigned to them (one notice per judge)."""
    by_judge: dict[int, list] = defaultdict(list)
    for row in rows:
        by_judge[row.judge_id].append(row)
    link = path_for("verify.workspace", period_slug=period.slug)
    notices = []
    for judge_id, held in by_judge.items():
        judge = session.get(User, judge_id)
        units = [session.get(WorkUnit, r.unit_code) for r in held]
        names = ", ".join(u.name for u in units[:10]) + (" …" if len(units) > 10 else "")
        with force_locale(judge.locale if judge.locale in ("id", "en") else "id"):
            title = ngettext("%(num)d unit assigned to you for verification: %(period)s",
                             "%(num)d units assigned to you for verification: %(period)s",
                             len(units), period=period.title)
            body = _("You have been assigned to verify %(units)s in %(period)s. Verification "
                     "closes on %(when)s.", units=names, period=period.title,
                     when=datetime_in_zones(period.verification_closes_at, "WIB")
                     if period.verification_closes_at else _("(no closing date set yet)"))
        notices += notify(session, [judge], "assigned", title, body, link)
    return notices


def notify_judges_of_return(session, sub: Submission) -> list[Notice]:
    """Tell the unit's active judges that its questionnaire went back to the unit: their
    verification waits for the resubmission."""
    judges = session.scalars(select(User).join(JudgeAssignment, JudgeAssignment.judge_id == User.id)
                             .where(JudgeAssignment.period_id == sub.period_id,
                                    JudgeAssignment.unit_code == sub.unit_code,
                                    JudgeAssignment.active.is_(True))).all()
    link = path_for("verify.workspace", period_slug=sub.period.slug)
    notices = []
    for locale, users in _by_locale(judges).items():
        with force_locale(locale):
            title = _("Questionnaire returned to the unit: %(unit)s", unit=sub.unit.name)
            body = _("The questionnaire of %(unit)s for %(period)s was returned to the unit for "
                     "revision. Its verification is paused until the unit submits again; you "
                     "will get a notice then.", unit=sub.unit.name, period=sub.period.title)
        notices += notify(session, users, "returned_to_unit", title, body, link)
    return notices


def notify_deadline_changed(session, period: Period, before: dict[str, datetime],
                            reason: str) -> int:
    """Tell the operators of every unit whose closing time moved (``before``: unit code ->
    its closing time before the change) and that has not submitted: the new time in WIB and
    the unit's own zone, and the reason. Three queries whatever the number of units.
    Returns how many units were told."""
    state = period_state(period)
    submitted = set(session.scalars(select(Submission.unit_code).where(
        Submission.period_id == period.id, Submission.status == "submitted")))
    moved = {code: state.closes_for(code) for code in before
             if code not in submitted and state.closes_for(code) != before[code]}
    if not moved:
        return 0
    units = {u.code: u for u in session.scalars(select(WorkUnit).where(WorkUnit.code.in_(moved)))}
    operators: dict[str, list[User]] = defaultdict(list)
    for user in session.scalars(select(User).where(User.role == "operator", User.active.is_(True),
                                                   User.unit_code.in_(moved)).order_by(User.id)):
        operators[user.unit_code].append(user)
    link = path_for("questionnaire.overview", period_slug=period.slug)
    told = 0
    for code, closes in moved.items():
        if not operators.get(code):
            continue
        unit, later = units[code], closes > before[code]
        for locale, users in _by_locale(operators[code]).items():
            with force_locale(locale):
                title = (_("Deadline extended: %(period)s", period=period.title) if later
                         else _("Deadline moved earlier: %(period)s", period=period.title))
                body = _("The questionnaire of %(unit)s for %(period)s now closes on %(when)s "
                         "(before: %(before)s). Reason: %(reason)s",
                         unit=unit.name, period=period.title,
                         when=datetime_in_zones(closes, unit.time_zone),
                         before=datetime_in_zones(before[code], unit.time_zone), reason=reason)
            notify(session, users, "deadline", title, body, link)
        told += 1
    return told


def send_manual_reminders(session, period: Period, unit_codes, user) -> int:
    """"Kirim pengingat": remind the operators of these units (those not submitted), in-app
    and by e-mail, each unit in the audit log. Four queries whatever the number of units.
    Returns how many units were reminded (a unit without an operator account is not)."""
    codes = set(unit_codes)
    submitted = set(session.scalars(select(Submission.unit_code).where(
        Submission.period_id == period.id, Submission.status == "submitted",
        Submission.unit_code.in_(codes))))
    codes -= submitted
    units = {u.code: u for u in session.scalars(select(WorkUnit).where(WorkUnit.code.in_(codes)))}
    operators: dict[str, list[User]] = defaultdict(list)
    for account in session.scalars(select(User).where(User.role == "operator", User.active.is_(True),
                                                      User.unit_code.in_(codes)).order_by(User.id)):
        operators[account.unit_code].append(account)
    state, now = period_state(period), utcnow()
    reminded = 0
    for code in sorted(codes):
        if code not in units or not operators.get(code):
            continue
        closes = state.closes_for(code)
        _remind(session, period, units[code], closes, days_before(closes, now, units[code].time_zone),
                operators[code], manual_by=user)
        reminded += 1
    session.flush()
    return reminded
