"""The append-only audit log: who did what, when. Rows are never updated or deleted
(the ORM refuses, and database triggers refuse too)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONDict, UTCDateTime, utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(80), default="")
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(16), index=True)
    detail: Mapped[dict] = mapped_column(JSONDict, default=dict)

    user = relationship("User")


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_change(mapper, connection, target):
    raise PermissionError("the audit log is append-only")
