"""The e-mail outbox: notices are rows first, e-mail second.

``notify`` (operations/notices.py) marks a notice "pending" when SMTP is configured and
its user has an address, and asks for ``deliver`` after the commit that creates it; rows
the request does not commit are never mailed. ``run.py mail send`` (and ``run.py
reminders``) deliver whatever is due. Each delivery runs in a session of its own:

1. claim: a pending notice whose next attempt is due gets ``email_next_at = now + LEASE``
   in one conditional UPDATE, committed before talking to the server, so two senders (the
   request's hook and a cron job) never both send it;
2. send the claimed notices over one SMTP connection;
3. record: accepted by the server -> "sent" with ``emailed_at``; refused or server down ->
   the reason in ``email_error``, an audit entry, and the next attempt after a backoff
   (5 minutes doubling up to 6 hours); after MAX_ATTEMPTS it is "failed" for good.

A sender that dies between 2 and 3 leaves the claim to expire after LEASE, so the notice
may be sent again then: at least once, and exactly once unless the process is killed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import mail
from .account_links import reset_token
from .extensions import db
from .models import AuditLog, Notice, User
from .models.types import utcnow
from .transaction import after_commit

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 8
BATCH = 200


@dataclass
class Report:
    sent: int = 0
    failures: list[str] = field(default_factory=list)   # "notice 12 to op-33: reason"


def wants_email(user) -> bool:
    """Whether a notice to ``user`` goes to the outbox (SMTP configured, an active address)."""
    return bool(mail.settings_from(current_app.config) and user.email and user.active)


def queue(session, notices) -> None:
    """Mark the notices pending and deliver them once the current transaction commits."""
    if not notices:   # nobody to e-mail (no SMTP, no address): nothing to flush or deliver
        return
    for notice in notices:
        notice.email_status, notice.email_next_at = "pending", None
    session.flush()
    ids = [n.id for n in notices]
    app = current_app._get_current_object()
    after_commit(lambda: _deliver_and_note(app, ids), session)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def deliver(app, ids=None, now: datetime | None = None) -> Report:
    """Send the due pending notices (only ``ids`` when given); see the module docstring."""
    settings = mail.settings_from(app.config)
    report = Report()
    if settings is None:
        return report
    now = now or utcnow()
    with Session(db.engine) as session:   # never the request's session: it has committed
        while True:
            claimed = _claim(session, ids, now)
            if not claimed:
                return report
            _send(session, settings, app, claimed, now, report)
            if ids is not None:
                return report


def _claim(session, ids, now) -> list[int]:
    due = select(Notice.id).where(Notice.email_status == "pending",
                                  or_(Notice.email_next_at.is_(None), Notice.email_next_at <= now))
    if ids is not None:
        due = due.where(Notice.id.in_(ids))
    candidates = session.scalars(due.order_by(Notice.id).limit(BATCH)).all()
    claimed = []
    for notice_id in candidates:
        done = session.execute(
            update(Notice).where(Notice.id == notice_id, Notice.email_status == "pending",
                                 or_(Notice.email_next_at.is_(None), Notice.email_next_at <= now))
            .values(email_next_at=now + LEASE).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            claimed.append(notice_id)
    session.commit()
    return claimed


def _send(session, settings, app, claimed, now, report: Report) -> None:
    rows = session.execute(select(Notice, User).join(User, User.id == Notice.user_id)
                           .where(Notice.id.in_(claimed)).order_by(Notice.id)).all()
    base = (app.config.get("PUBLIC_URL") or "").rstrip("/")
    pairs = [(n, u) for n, u in rows if u.email and u.active]
    for notice, _user in rows:
        if (notice, _user) not in pairs:   # the address went away: in-app only after all
            notice.email_status, notice.email_next_at = None, None
    messages = [mail.build_message(settings, u.email, n.title, mail_body(n, base, app))
                for n, u in pairs]
    try:
        refused = mail.send(settings, messages) if messages else {}
    except mail.SEND_ERRORS as exc:
        refused = {u.email: f"{type(exc).__name__}: {exc}" for _n, u in pairs}
    for notice, user in pairs:
        error = refused.get(user.email)
        if error is None:
            notice.email_status, notice.emailed_at, notice.email_error = "sent", now, None
            notice.email_next_at = None
            report.sent += 1
        else:
            _failed(session, notice, user, error, now, report)
    session.commit()


def _failed(session, notice, user, error: str, now, report: Report) -> None:
    notice.email_attempts = (notice.email_attempts or 0) + 1
    notice.email_error = error[:300]
    if notice.email_attempts >= MAX_ATTEMPTS:
        notice.email_status, notice.email_next_at = "failed", None
    else:
        notice.email_next_at = now + backoff(notice.email_attempts)
    log.warning("e-mail of notice %s to user %s failed (attempt %d): %s", notice.id, user.id,
                notice.email_attempts, error)
    session.add(AuditLog(action="notice.email_failed", object_type="Notice",
                         object_id=str(notice.id), detail={
                             "kind": notice.kind, "recipient": user.username,
                             "error": error[:300], "attempt": notice.email_attempts}))
    report.failures.append(f"notice {notice.id} to {user.username}: {error[:300]}")


def mail_body(notice: Notice, base: str, app=None) -> str:
    link = f"{base}{notice.link}" if notice.link.startswith("/") else notice.link
    if notice.kind == "password_reset" and app is not None and link:
        # the link's secret is never stored: it is derived from the notice (account_links.py)
        token = reset_token(app.config["SECRET_KEY"], notice.id)
        link += ("&" if "?" in link else "?") + f"token={token}"
    return f"{notice.body}\n\n{link}\n" if link else f"{notice.body}\n"


def _deliver_and_note(app, ids) -> None:
    """The after-commit delivery; its failures are kept for a command to report."""
    report = deliver(app, ids)
    if report.failures and has_app_context():
        g.setdefault("mail_failures", []).extend(report.failures)
