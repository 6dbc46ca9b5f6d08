"""In-app notices, and which deadline reminders were already sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Notice(db.Model):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the outbox (assessment/outbox.py): None = in-app only, "pending", "sent", "failed"
    email_status: Mapped[str | None] = mapped_column(String(12), index=True)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    email_error: Mapped[str | None] = mapped_column(String(300))
    email_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # not before


class ReminderSent(db.Model):
    """One row per (period, unit, days before): reminders are sent once, however often
    the reminder job runs."""
    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", "days", name="uq_reminder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    unit_code: Mapped[str] = mapped_column(String(16))
    days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
