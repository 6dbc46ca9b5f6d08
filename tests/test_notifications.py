"""Notices and e-mail, against a real SMTP server on loopback (aiosmtpd), never a mock;
deadline reminders across time zones."""
from __future__ import annotations

import email
import socket
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller

from assessment.models import AuditLog, DeadlineExtension, Notice, Period, ReminderSent, Submission
from assessment.operations.notices import (days_before, notify, notify_submitted,
                                           send_deadline_reminders)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from,
                              "subject": msg["Subject"],
                              "body": msg.get_payload(decode=True).decode().replace("\r\n", "\n")})
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; the app points at it."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="noreply@kpu.test",
                      PUBLIC_URL="https://bakohumas.kpu.test")
    yield collector
    controller.stop()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_notify_creates_notices_and_sends_mail(session, make_user, smtp):
    a = make_user("op-a", unit_code="33", email="a@kpu.test")
    b = make_user("op-b", unit_code="33", email="b@kpu.test")
    c = make_user("op-c", unit_code="33", email="")
    notices = notify(session, [a, b, c, a], "info", "Judul", "Isi pesan.\nBaris kedua.", "/dasbor/")
    session.commit()
    assert len(notices) == 3 and session.query(Notice).count() == 3
    assert sorted(m["to"][0] for m in smtp.messages) == ["a@kpu.test", "b@kpu.test"]
    first = smtp.messages[0]
    assert first["subject"] == "Judul" and first["from"] == "noreply@kpu.test"
    assert "Isi pesan.\nBaris kedua." in first["body"]
    assert "https://bakohumas.kpu.test/dasbor/" in first["body"]
    sent = {n.user_id: n.emailed_at for n in session.query(Notice)}
    assert sent[a.id] and sent[b.id] and sent[c.id] is None


def test_no_smtp_configured_means_in_app_only(app, session, make_user):
    assert not app.config.get("SMTP_HOST")
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul", "Isi")
    notice = session.query(Notice).one()
    assert notice.emailed_at is None and notice.user_id == user.id


def test_mail_server_down_keeps_the_notice_and_records_the_failure(app, session, make_user, smtp):
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul", "Isi")
    session.commit()
    notice = session.query(Notice).one()
    assert notice.emailed_at is None
    assert smtp.messages == []
    failure = session.query(AuditLog).filter_by(action="notice.email_failed").one()
    assert failure.object_id == str(notice.id) and failure.detail["recipient"] == "op-a"


def test_header_injection_in_subject_is_flattened(session, make_user, smtp):
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul\r\nBcc: victim@example.com", "Isi")
    session.commit()
    assert [m["to"] for m in smtp.messages] == [["a@kpu.test"]]
    assert "Bcc" in smtp.messages[0]["subject"]


def test_submission_confirmation(app, session, make_user, make_period, smtp):
    period = make_period()
    op = make_user("op-94.01", unit_code="94.01", email="nabire@kpu.test", locale="en")
    make_user("op-33", unit_code="33", email="jateng@kpu.test")
    sub = Submission(period_id=period.id, unit_code="94.01", status="submitted",
                     submitted_at=utc(2025, 8, 21, 16, 59), head_name="Yohanes", head_position="Ketua")
    session.add(sub)
    session.commit()
    with app.test_request_context():
        notify_submitted(session, sub, op)
    session.commit()
    assert [m["to"] for m in smtp.messages] == [["nabire@kpu.test"]]
    message = smtp.messages[0]
    assert message["subject"] == f"Questionnaire submitted: {period.title}"
    assert "KPU Kabupaten Nabire" in message["body"] and "Yohanes (Ketua)" in message["body"]
    assert "21 August 2025 23:59 WIB (22 August 2025 01:59 WIT)" in message["body"]
    notice = session.query(Notice).one()
    assert notice.user_id == op.id and notice.kind == "submitted" and notice.emailed_at


# ---- deadline reminders ------------------------------------------------------------------

@pytest.fixture
def reminder_period(session, make_user):
    """Closes 21 August 2025 23.59 WIB, which is 22 August 01.59 WIT."""
    period = Period(slug="p-2025", title="Penilaian 2025", rubric_id="bakohumas-2025",
                    opens_at=utc(2025, 8, 1), closes_at=utc(2025, 8, 21, 16, 59),
                    levels=["provinsi", "kabkota"])
    session.add(period)
    session.commit()
    for code in ("33.74", "94.01", "11.71"):
        make_user(f"op-{code}", unit_code=code, email=f"{code}@kpu.test", locale="en")
    session.add(Submission(period_id=period.id, unit_code="11.71", status="submitted"))
    session.commit()
    return period


def reminded(session, days):
    return sorted(r.unit_code for r in session.query(ReminderSent).filter_by(days=days))


def test_days_before_counts_calendar_days_in_the_units_zone():
    closes = utc(2025, 8, 21, 16, 59)
    assert days_before(closes, utc(2025, 8, 20, 3, 0), "WIB") == 1
    assert days_before(closes, utc(2025, 8, 20, 3, 0), "WIT") == 2
    assert days_before(closes, utc(2025, 8, 20, 15, 30), "WIB") == 1   # 22.30 WIB
    assert days_before(closes, utc(2025, 8, 20, 15, 30), "WIT") == 1   # 00.30 WIT on the 21st
    assert days_before(closes, utc(2025, 8, 20, 17, 0), "WIB") == 0    # 00.00 WIB on the 21st
    assert days_before(closes, utc(2025, 8, 20, 15, 59), "WITA") == 2   # 23.59 WITA; closes 00.59 on the 22nd
    assert days_before(closes, utc(2025, 8, 20, 16, 0), "WITA") == 1


def test_reminders_across_time_zones_once_and_not_to_submitted(session, reminder_period, smtp):
    # 20 Aug 10.00 WIB / 12.00 WIT: the WIB unit is 1 day before; the WIT unit is 2 days
    # before and never had its 3-day reminder (the job first runs now): it gets it, late
    assert send_deadline_reminders(session, utc(2025, 8, 20, 3, 0)) == 2
    session.commit()
    assert reminded(session, 1) == ["33.74"] and reminded(session, 3) == ["94.01"]
    subjects = {m["to"][0]: m for m in smtp.messages}
    assert subjects["33.74@kpu.test"]["subject"] == "Reminder: 1 day left to submit Penilaian 2025"
    assert "21 August 2025 23:59 WIB" in subjects["33.74@kpu.test"]["body"]
    assert subjects["94.01@kpu.test"]["subject"] == "Reminder: 2 days left to submit Penilaian 2025"
    # 20 Aug 22.30 WIB = 21 Aug 00.30 WIT: now the WIT unit is 1 day before
    assert send_deadline_reminders(session, utc(2025, 8, 20, 15, 30)) == 1
    session.commit()
    assert reminded(session, 1) == ["33.74", "94.01"]
    assert "22 August 2025 01:59 WIT" in smtp.messages[2]["body"]
    # the job runs hourly: nothing is sent twice
    assert send_deadline_reminders(session, utc(2025, 8, 20, 16, 30)) == 0
    assert send_deadline_reminders(session, utc(2025, 8, 20, 15, 30)) == 0
    session.commit()
    assert len(smtp.messages) == 3
    assert session.query(Notice).filter_by(kind="reminder").count() == 3
    assert "11.71" not in reminded(session, 1) + reminded(session, 3)
    assert session.query(AuditLog).filter_by(action="notice.reminder").count() == 3


def test_seven_and_three_day_reminders(session, reminder_period, smtp):
    assert send_deadline_reminders(session, utc(2025, 8, 14, 3, 0)) == 1       # WIB: 7, WIT: 8
    assert send_deadline_reminders(session, utc(2025, 8, 14, 17, 30)) == 1     # WIB: 6, WIT: 7
    assert send_deadline_reminders(session, utc(2025, 8, 16, 3, 0)) == 0       # 5 and 6 days
    assert send_deadline_reminders(session, utc(2025, 8, 18, 3, 0)) == 1       # WIB: 3
    session.commit()
    assert reminded(session, 7) == ["33.74", "94.01"]
    assert reminded(session, 3) == ["33.74"]
    assert "7 days left" in smtp.messages[0]["subject"]


def test_nothing_after_the_deadline_or_before_opening(session, reminder_period, smtp):
    assert send_deadline_reminders(session, utc(2025, 8, 22, 3, 0)) == 0
    reminder_period.opens_at = utc(2025, 8, 19)
    session.commit()
    assert send_deadline_reminders(session, utc(2025, 8, 18, 3, 0)) == 0
    assert smtp.messages == []


def test_unit_extension_moves_only_that_units_reminder(session, reminder_period, smtp):
    session.add(DeadlineExtension(period_id=reminder_period.id, unit_code="33.74",
                                  closes_at=utc(2025, 8, 28, 16, 59), reason="banjir"))
    session.commit()
    session.refresh(reminder_period)
    # 20 Aug: 33.74 is now 8 days before its own deadline (nothing), 94.01 2 (its 3-day one)
    assert send_deadline_reminders(session, utc(2025, 8, 20, 3, 0)) == 1
    assert send_deadline_reminders(session, utc(2025, 8, 21, 3, 0)) == 2   # 33.74: 7, 94.01: 1
    session.commit()
    assert reminded(session, 7) == ["33.74"] and reminded(session, 1) == ["94.01"]
    assert reminded(session, 3) == ["94.01"]


def test_reminders_survive_a_mail_server_that_is_down(app, session, reminder_period, smtp):
    app.config["SMTP_PORT"] = free_port()
    assert send_deadline_reminders(session, utc(2025, 8, 14, 3, 0)) == 1   # 33.74: 7 days, 94.01: 8
    session.commit()
    notice = session.query(Notice).filter_by(kind="reminder").one()
    assert notice.emailed_at is None
    assert session.query(AuditLog).filter_by(action="notice.email_failed").count() == 1


# ---- reminders that catch up -----------------------------------------------------------------

def test_a_missed_reminder_is_sent_at_the_next_run_once(session, reminder_period, smtp):
    # the job did not run on 14 Aug (7 days before for 33.74): on 16 Aug, 5 days before, it
    # sends that reminder, saying 5 days; the WIT unit's 7-day one (6 days left) as well
    assert send_deadline_reminders(session, utc(2025, 8, 16, 3, 0)) == 2
    session.commit()
    assert reminded(session, 7) == ["33.74", "94.01"]
    by_unit = {m["to"][0]: m["subject"] for m in smtp.messages}
    assert by_unit["33.74@kpu.test"] == "Reminder: 5 days left to submit Penilaian 2025"
    assert by_unit["94.01@kpu.test"] == "Reminder: 6 days left to submit Penilaian 2025"
    late = session.query(AuditLog).filter_by(action="notice.reminder", unit_code="33.74").one()
    assert late.detail["days"] == 7 and late.detail["days_left"] == 5 and late.detail["late"]
    # later runs the same day and the next: nothing again until the 3-day reminder is due
    for hour in (4, 10, 20):
        assert send_deadline_reminders(session, utc(2025, 8, 16, hour, 0)) == 0
    assert send_deadline_reminders(session, utc(2025, 8, 17, 3, 0)) == 0      # 4 and 5 days
    session.commit()
    assert len(smtp.messages) == 2


def test_a_long_outage_sends_one_reminder_not_every_missed_one(session, reminder_period, smtp):
    # cron down from 10 to 20 Aug: on 20 Aug the WIB unit (1 day left) gets one reminder,
    # not the 7-, 3- and 1-day ones together
    assert send_deadline_reminders(session, utc(2025, 8, 20, 3, 0)) == 2
    session.commit()
    assert [m["subject"] for m in smtp.messages if m["to"] == ["33.74@kpu.test"]] == [
        "Reminder: 1 day left to submit Penilaian 2025"]
    assert reminded(session, 7) == [] and reminded(session, 1) == ["33.74"]


def test_a_missed_last_reminder_goes_out_on_the_closing_day_but_not_after(session, reminder_period,
                                                                         smtp):
    # 21 Aug 08.00 WIB: the closing day, still before 23.59
    assert send_deadline_reminders(session, utc(2025, 8, 21, 1, 0)) == 2
    session.commit()
    subjects = sorted(m["subject"] for m in smtp.messages)
    assert "Reminder: Penilaian 2025 closes today" in subjects        # 33.74 (WIB)
    assert "Reminder: 1 day left to submit Penilaian 2025" in subjects  # 94.01 (WIT: 22 Aug)
    # after the deadline nothing is caught up any more
    session.query(ReminderSent).delete()
    session.commit()
    assert send_deadline_reminders(session, utc(2025, 8, 21, 17, 30)) == 0


def test_submitted_units_get_no_caught_up_reminder(session, reminder_period, smtp):
    session.add(Submission(period_id=reminder_period.id, unit_code="33.74", status="submitted"))
    session.commit()
    assert send_deadline_reminders(session, utc(2025, 8, 20, 3, 0)) == 1
    session.commit()
    assert [m["to"] for m in smtp.messages] == [["94.01@kpu.test"]]
