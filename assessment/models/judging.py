"""The central bureau's side of a season: judge assignments, verified values, moderation,
returns for revision, stage-two scores, objections (masa sanggah), frozen scoring runs,
publication and the good-practice library.

Scores are never stored here: a scoring run keeps the exchange-format input and the
result JSON that ``scoring.score`` produced from it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONDict, UTCDateTime, utcnow


class JudgeAssignment(db.Model):
    """One judge (penilai) assigned to verify one unit's submission in a period.

    A judge who drops out is ended (``active`` False, ``ended_at``); values they already
    gave stay stored. Only active assignments count towards the verified values."""
    __tablename__ = "judge_assignment"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", "judge_id",
                                       name="uq_assignment_period_unit_judge"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)    # first value saved
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(Text, default="")
    # the version of the judge's saves, and per indicator ("<id>" its value, "<id>:comment")
    # when it last changed: {key: {"version": n, "by": user id}} (saves merge per indicator)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    changed: Mapped[dict | None] = mapped_column(JSONDict, default=dict)

    period = relationship("Period")
    unit = relationship("WorkUnit")
    judge = relationship("User", foreign_keys=[judge_id])
    verifications = relationship("Verification", back_populates="assignment",
                                 order_by="Verification.id")


class Verification(db.Model):
    """A judge's verified value of one indicator (same form as the unit's answer) and comment."""
    __tablename__ = "verification"
    __table_args__ = (UniqueConstraint("assignment_id", "indicator_id",
                                       name="uq_verification_assignment_indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("judge_assignment.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(80))
    # the value in the exchange format, wrapped as {"v": value} so that JSON null is "none yet"
    value: Mapped[dict | None] = mapped_column(JSONDict)
    comment: Mapped[str] = mapped_column(Text, default="")
    # how the value came about: "copied" (the unit's answer accepted unchanged) or "typed"
    # (the judge's own value); NULL before migration 0007
    origin: Mapped[str | None] = mapped_column(String(8))
    # for an indicator with ``sample``: {"dates": ["YYYY-MM-DD", ...]}, the sampled dates the
    # judge checked, recorded with the value (NULL before migration 0013 or when not sampled)
    checked: Mapped[dict | None] = mapped_column(JSONDict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment = relationship("JudgeAssignment", back_populates="verifications")


class Moderation(db.Model):
    """A moderated value that replaces the judges' values of one indicator (disagreement
    resolved, or an objection accepted with a new value). Rows are history: the latest
    one for (period, unit, indicator) counts."""
    __tablename__ = "moderation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[dict] = mapped_column(JSONDict)          # {"v": value}
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="disagreement")  # | objection
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objection.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevisionRequest(db.Model):
    """A submission sent back once for revision: a reason per indicator and a new deadline."""
    __tablename__ = "revision_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    reasons: Mapped[dict] = mapped_column(JSONDict)        # {indicator id: reason}
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission = relationship("Submission")


class StageScore(db.Model):
    """A judge's 0-100 score of a shortlisted unit in a later stage (presentasi), with notes.
    ``score`` is the decimal as text ("87.50"), so it stays exact on every database. For a
    stage with criteria, ``criteria`` holds each criterion's mark ({id: "80.00"}) and
    ``score`` their weighted total (``scoring.stage_score``) in cents, for showing; the
    exchange document carries the marks. None for a stage without criteria."""
    __tablename__ = "stage_score"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", "stage_id", "judge_id",
                                       name="uq_stage_score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    stage_id: Mapped[str] = mapped_column(String(40))
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    score: Mapped[str] = mapped_column(String(12))
    criteria: Mapped[dict | None] = mapped_column(JSONDict, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    judge = relationship("User")


OBJECTION_STATUSES = ("pending", "accepted", "rejected")


class Objection(db.Model):
    """A unit's objection (sanggahan) to one indicator's provisional verified value."""
    __tablename__ = "objection"
    # one pending objection per unit and indicator, enforced by the database (parallel posts)
    __table_args__ = (Index("uq_objection_pending", "period_id", "unit_code", "indicator_id",
                            unique=True, sqlite_where=text("status = 'pending'"),
                            postgresql_where=text("status = 'pending'")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    # an uploaded file, stored like Evidence files (generated name outside the web root)
    filename: Mapped[str] = mapped_column(String(255), default="")
    stored_name: Mapped[str] = mapped_column(String(80), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    new_value: Mapped[dict | None] = mapped_column(JSONDict)   # {"v": value} when accepted
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("WorkUnit")
    reviewer = relationship("User", foreign_keys=[reviewer_id])


RUN_KINDS = ("provisional", "final")


class ScoringRun(db.Model):
    """A frozen scoring run: the rubric edition (source and SHA-256), the exchange-format
    input exactly as exported, and the result ``scoring.score`` gave. Never changed
    (the ORM refuses, database triggers refuse); a correction is a new run with a reason."""
    __tablename__ = "scoring_run"
    __table_args__ = (UniqueConstraint("period_id", "number", name="uq_scoring_run_number"),
                      # where a period stands reads its runs' kinds and times from the index
                      # alone (on SQLite they sit after the run's megabytes of text)
                      Index("ix_scoring_run_period_kind_created", "period_id", "kind",
                            "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    rubric_id: Mapped[str] = mapped_column(String(80))
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    # the three texts are large (megabytes for a national season): loaded when first read,
    # not with every run a page lists (what reads them keeps what it makes per process)
    rubric_source: Mapped[str] = mapped_column(Text, deferred=True)
    exchange: Mapped[str] = mapped_column(Text, deferred=True)             # JSON text
    exchange_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text, deferred=True)  # JSON text, the score command's shape
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period = relationship("Period")
    creator = relationship("User")


class Publication(db.Model):
    """Publishing a final run: the latest publication of a period is what the public sees."""
    __tablename__ = "publication"
    __table_args__ = (Index("uq_publication_run", "run_id", unique=True),)  # once per run

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_run.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    run = relationship("ScoringRun")


@event.listens_for(ScoringRun, "before_update")
@event.listens_for(ScoringRun, "before_delete")
@event.listens_for(Publication, "before_update")
@event.listens_for(Publication, "before_delete")
def _refuse_change(mapper, connection, target):
    raise PermissionError(f"{type(target).__name__} rows are never changed")


class GoodPractice(db.Model):
    """A unit's narrative and evidence for one indicator, published by the admin to the
    good-practice library (withdrawn_at set when taken down)."""
    __tablename__ = "good_practice"
    __table_args__ = (UniqueConstraint("period_id", "indicator_id", "unit_code",
                                       name="uq_good_practice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(80), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"))
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("WorkUnit")


class PracticeOptOut(db.Model):
    """A unit that withholds its material from the good-practice library of a period."""
    __tablename__ = "practice_opt_out"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", name="uq_practice_opt_out"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
