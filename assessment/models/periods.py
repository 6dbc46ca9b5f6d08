"""Rubric editions as loaded, assessment periods and deadline extensions."""
from __future__ import annotations

import weakref
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Session, with_loader_criteria
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONDict, UTCDateTime, utcnow


class RubricEdition(db.Model):
    """The exact YAML of an edition, so every period scores with what it was opened with."""
    __tablename__ = "rubric_edition"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Period(db.Model):
    __tablename__ = "period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(300))
    rubric_id: Mapped[str] = mapped_column(ForeignKey("rubric_edition.id"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    levels: Mapped[list] = mapped_column(JSONDict, default=lambda: ["provinsi", "kabkota"])
    # judging parameters: judges_per_unit, judge_cap, conflict_same_province,
    # disagreement_threshold, min_shared_indicators (defaults in operations.judging)
    settings: Mapped[dict] = mapped_column(JSONDict, default=dict)
    # the season after the questionnaire: verification until, then masa sanggah
    verification_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # archived: no reminders, nothing in it changes any more (operations.periods)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_by: Mapped[int | None] = mapped_column(Integer)
    # deleted: kept for the audit log's references, left out of every ORM query (below)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rubric_edition = relationship("RubricEdition")
    extensions = relationship("DeadlineExtension", back_populates="period",
                              order_by="DeadlineExtension.id")


class DeadlineExtension(db.Model):
    """A later closing time for everyone (unit_code NULL) or for one unit, with a reason."""
    __tablename__ = "deadline_extension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("work_unit.code"))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period = relationship("Period", back_populates="extensions")


_NOT_DELETED = with_loader_criteria(Period, lambda cls: cls.deleted_at.is_(None),
                                    include_aliases=True)
# statement -> the same with _NOT_DELETED: a statement built once (a module's constant, as on
# the API's paths) is given the option once, and SQLAlchemy keeps the new statement's cache
# key; adding it per execution made a new statement, key and option each time
_WITHOUT_DELETED = weakref.WeakKeyDictionary()


@event.listens_for(Session, "do_orm_execute")
def _without_deleted_periods(state):
    """Every ORM query (lists, lookups by slug, joins, ``session.get``) leaves deleted
    periods out; ``execution_options(with_deleted=True)`` is the one way to see them."""
    if (state.is_select and not state.is_column_load and not state.is_relationship_load
            and not state.execution_options.get("with_deleted", False)):
        statement = state.statement
        criteria = _WITHOUT_DELETED.get(statement)
        if criteria is None:
            criteria = _WITHOUT_DELETED[statement] = statement.options(_NOT_DELETED)
        state.statement = criteria
