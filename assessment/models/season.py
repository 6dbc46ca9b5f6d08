"""Waivers of the season's gates, one item at a time with a recorded reason: a unit
excluded from the ranking (shown as not assessed) and a disagreement flag accepted as it
stands. There is no global switch; the questionnaire window and the masa sanggah have
no waiver at all (operations/season.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONDict, UTCDateTime, utcnow


class UnitExclusion(db.Model):
    """A submitted unit the admin excluded from the period's ranking, with the reason: it is
    exported as not assessed, never ranked on its own claims."""
    __tablename__ = "unit_exclusion"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", name="uq_unit_exclusion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisagreementAcceptance(db.Model):
    """A disagreement flag accepted as it stands (the judges' values are kept), with the
    reason and the judges' values at that moment."""
    __tablename__ = "disagreement_acceptance"
    __table_args__ = (UniqueConstraint("period_id", "unit_code", "indicator_id",
                                       name="uq_disagreement_acceptance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"))
    indicator_id: Mapped[str] = mapped_column(String(80))
    values: Mapped[dict] = mapped_column(JSONDict, default=dict)   # {"J<id>": value}
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
