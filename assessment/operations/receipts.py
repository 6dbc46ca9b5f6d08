"""The data of a unit's receipt (tanda terima): its latest submitted snapshot with who sent
it and the head's signature block, as reports/receipt.py draws it. Reads only."""
from __future__ import annotations

from sqlalchemy import select

from reports.receipt import snapshot_sha256

from ..models import Period, Submission, SubmissionSnapshot, User, WorkUnit


def latest_submitted(session, sub: Submission) -> SubmissionSnapshot | None:
    """The questionnaire's latest snapshot taken at a submission (first or after a return)."""
    return session.scalars(select(SubmissionSnapshot).where(
        SubmissionSnapshot.submission_id == sub.id,
        SubmissionSnapshot.kind.in_(("submit", "resubmit")))
        .order_by(SubmissionSnapshot.id.desc()).limit(1)).first()


def receipt_data(session, period: Period, unit: WorkUnit) -> dict | None:
    """What the receipt shows; None when the unit has never submitted in the period."""
    sub = session.scalars(select(Submission).filter_by(period_id=period.id,
                                                       unit_code=unit.code)).first()
    snapshot = latest_submitted(session, sub) if sub else None
    if snapshot is None:
        return None
    sender = session.get(User, snapshot.created_by) if snapshot.created_by else None
    return {"unit_code": unit.code, "unit_name": unit.name, "time_zone": unit.time_zone,
            "period_title": period.title, "submitted_at": snapshot.created_at,
            "submitted_by": sender.name or sender.username if sender else "",
            "head_name": sub.head_name, "head_position": sub.head_position,
            "head_nip": sub.head_nip, "answers": snapshot.answers, "evidence": snapshot.evidence,
            "version": snapshot.version,
            "sha256": snapshot_sha256(snapshot.answers, snapshot.evidence)}
