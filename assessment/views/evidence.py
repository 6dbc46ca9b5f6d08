"""Evidence files and links: download (to whoever may see the submission), and upload,
link and delete for the unit's operator while the questionnaire is editable.

The aspect pages add and delete evidence together with the answers (one save); these
routes serve downloads and single evidence changes (scripts, the read-only pages)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..files import INLINE_TYPES, send_stored
from ..extensions import db
from ..transaction import attempt
from ..models import Evidence
from ..operations import OperationError
from ..operations import evidence as evidence_ops
from ..operations.editability import takes_part
from ..operations.questionnaire import get_or_create_submission
from ..permissions import can_edit_submission, can_view_submission, judge_may_see, operator_unit
from ..rubric_store import rubric_for
from .lookups import period_or_404

bp = Blueprint("evidence", __name__, url_prefix="/bukti")


def _evidence(evidence_id: int) -> Evidence:
    ev = db.session.get(Evidence, evidence_id) or abort(404)
    sub = ev.submission
    if not (can_view_submission(current_user, sub)
            or judge_may_see(db.session, current_user, sub.period, sub.unit)):
        abort(403)
    return ev


def _back_to(period, indicator_id: str) -> str:
    aspect_id = rubric_for(period).indicator(indicator_id).aspect_id
    return url_for("questionnaire.fill", period_slug=period.slug, aspect_id=aspect_id) \
        + f"#ind-{indicator_id}"


@bp.route("/<int:evidence_id>/unduh")
@login_required
def download(evidence_id):
    ev = _evidence(evidence_id)
    if ev.kind != "file":
        abort(404)
    return send_stored(ev.stored_name, ev.content_type, ev.filename or f"bukti-{ev.id}")


@bp.route("/<int:evidence_id>/lihat")
@login_required
def view(evidence_id):
    """An image or PDF shown in the browser (typed from its content at upload), under a
    restrictive Content-Security-Policy; anything else is only ever a download."""
    ev = _evidence(evidence_id)
    if ev.kind != "file" or ev.content_type not in INLINE_TYPES:
        abort(404)
    return send_stored(ev.stored_name, ev.content_type, ev.filename or f"bukti-{ev.id}", inline=True)


def _own_unit(period_slug: str, indicator_id: str):
    period = period_or_404(period_slug)
    unit = operator_unit(current_user)
    if unit is None or not takes_part(period, unit):
        abort(403)
    if not rubric_for(period).has_indicator(indicator_id):
        abort(404)
    return period, unit


def _submission(period, unit):
    """The unit's questionnaire, created inside the operation's savepoint so that a refused
    upload or link leaves no new questionnaire (or its audit entry) behind."""
    return get_or_create_submission(db.session, period, unit.code, current_user)


def _done(period, indicator_id, action):
    """Run one evidence operation, commit, flash, and go back to the question."""
    try:
        with attempt():
            action()
    except OperationError as exc:
        flash(exc.message, "danger")
        return redirect(_back_to(period, indicator_id))
    flash(_("Evidence saved."), "success")
    return redirect(_back_to(period, indicator_id))


@bp.route("/<period_slug>/<indicator_id>/berkas", methods=["POST"])
@login_required
def upload(period_slug, indicator_id):
    period, unit = _own_unit(period_slug, indicator_id)
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        abort(400)
    max_bytes = int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    data = storage.stream.read(max_bytes + 1)
    return _done(period, indicator_id, lambda: evidence_ops.add_file(
        db.session, _submission(period, unit), indicator_id, storage.filename, data, current_user,
        upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=max_bytes))


@bp.route("/<period_slug>/<indicator_id>/tautan", methods=["POST"])
@login_required
def add_link(period_slug, indicator_id):
    period, unit = _own_unit(period_slug, indicator_id)
    url = request.form.get("url", "")
    return _done(period, indicator_id, lambda: evidence_ops.add_link(
        db.session, _submission(period, unit), indicator_id, url, current_user))


@bp.route("/<int:evidence_id>/hapus", methods=["POST"])
@login_required
def delete(evidence_id):
    ev = _evidence(evidence_id)
    if not can_edit_submission(current_user, ev.submission):
        abort(403)
    period, indicator_id = ev.submission.period, ev.indicator_id
    return _done(period, indicator_id,
                 lambda: evidence_ops.delete_evidence(db.session, ev, current_user))
