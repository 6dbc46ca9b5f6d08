"""Tanda terima: the receipt of a unit's submitted questionnaire as a PDF, built from the
latest submitted snapshot (reports/receipt.py), downloadable at any later time by whoever
may see the unit's questionnaire."""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from reports.receipt import receipt_pdf, snapshot_sha256

from ..extensions import db
from ..models import Submission, SubmissionSnapshot, User, WorkUnit
from ..permissions import can_view_unit
from ..rubric_store import rubric_for
from .lookups import period_or_404

bp = Blueprint("receipts", __name__, url_prefix="/kuesioner")


def latest_submitted(session, sub: Submission) -> SubmissionSnapshot | None:
    return session.scalars(select(SubmissionSnapshot).where(
        SubmissionSnapshot.submission_id == sub.id,
        SubmissionSnapshot.kind.in_(("submit", "resubmit")))
        .order_by(SubmissionSnapshot.id.desc()).limit(1)).first()


@bp.route("/<period_slug>/unit/<code>/tanda-terima.pdf")
@login_required
def receipt(period_slug, code):
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, code) or abort(404)
    if not can_view_unit(current_user, unit):
        abort(403)
    sub = db.session.scalars(select(Submission).filter_by(period_id=period.id, unit_code=code)).first()
    snapshot = latest_submitted(db.session, sub) if sub else None
    if snapshot is None:
        abort(404)
    sender = db.session.get(User, snapshot.created_by) if snapshot.created_by else None
    data = {"unit_code": unit.code, "unit_name": unit.name, "time_zone": unit.time_zone,
            "period_title": period.title, "submitted_at": snapshot.created_at,
            "submitted_by": sender.name or sender.username if sender else "",
            "head_name": sub.head_name, "head_position": sub.head_position,
            "head_nip": sub.head_nip, "answers": snapshot.answers, "evidence": snapshot.evidence,
            "version": snapshot.version,
            "sha256": snapshot_sha256(snapshot.answers, snapshot.evidence)}
    name = f"tanda-terima-{period.slug}-{unit.code}.pdf"
    return Response(receipt_pdf(data, rubric_for(period)), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<period_slug>/tanda-terima.pdf")
@login_required
def own_receipt(period_slug):
    """An operator's own unit's receipt."""
    if current_user.role != "operator" or not current_user.unit_code:
        abort(404)
    return receipt(period_slug, current_user.unit_code)
