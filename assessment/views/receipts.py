"""Tanda terima: the receipt of a unit's submitted questionnaire as a PDF, built from the
latest submitted snapshot (reports/receipt.py), downloadable at any later time by whoever
may see the unit's questionnaire."""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

from reports.receipt import receipt_pdf

from ..extensions import db
from ..models import WorkUnit
from ..operations.receipts import receipt_data
from ..permissions import can_view_unit
from ..rubric_store import rubric_for
from .lookups import period_or_404

bp = Blueprint("receipts", __name__, url_prefix="/kuesioner")


@bp.route("/<period_slug>/unit/<code>/tanda-terima.pdf")
@login_required
def receipt(period_slug, code):
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, code) or abort(404)
    if not can_view_unit(current_user, unit):
        abort(403)
    data = receipt_data(db.session, period, unit) or abort(404)
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
