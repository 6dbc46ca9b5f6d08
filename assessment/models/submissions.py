"""A unit's questionnaire for a period, its evidence and its history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONDict, UTCDateTime, utcnow

STATUSES = ("draft", "submitted", "returned")


class Submission(db.Model):
    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", name="uq_submission_period_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # answers in the exchange format: {indicator id: value}
    answers: Mapped[dict] = mapped_column(JSONDict, default=dict)
    # what was typed but is not a valid answer yet: {indicator id: {"raw": text, "error": text}}
    pending: Mapped[dict] = mapped_column(JSONDict, default=dict)
    # an evidence link refused as invalid, kept until fixed: {indicator id: {"raw", "error"}}
    pending_links: Mapped[dict | None] = mapped_column(JSONDict, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # per indicator, when its answer or evidence last changed: {id: {"version": n, "by": user id}}
    # (saves merge per indicator: operations/merge.py)
    changed: Mapped[dict | None] = mapped_column(JSONDict, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    head_name: Mapped[str] = mapped_column(String(200), default="")
    head_position: Mapped[str] = mapped_column(String(200), default="")
    head_nip: Mapped[str] = mapped_column(String(32), default="")

    __mapper_args__ = {"version_id_col": version}

    period = relationship("Period")
    unit = relationship("WorkUnit")
    evidence = relationship("Evidence", back_populates="submission", order_by="Evidence.id")


class SubmissionSnapshot(db.Model):
    """A copy of the answers at a moment that matters (submit, return), never changed."""
    __tablename__ = "submission_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict] = mapped_column(JSONDict)
    evidence: Mapped[list] = mapped_column(JSONDict, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Evidence(db.Model):
    """A link or an uploaded file supporting one indicator's answer."""
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(8))           # link | file
    url: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(255), default="")   # as uploaded, for display
    stored_name: Mapped[str] = mapped_column(String(80), default="")  # generated, on disk
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    submission = relationship("Submission", back_populates="evidence")
