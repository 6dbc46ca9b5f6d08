"""The judge's (penilai) verification workspace: assigned units with progress, one page per
aspect with the unit's answer, evidence and self-score beside the judge's verified value and
comment, completing and reopening a unit (the same through the JSON API: api/verifications.py).

Every page and API call checks ``permissions.can_verify`` (an active assignment and no
conflict of interest) on the server."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..extensions import db
from ..transaction import attempt
from ..forms.i18n import Form
from ..forms.verify import COPY_ALL, collect, copy_data, verify_form
from ..models import Period, WorkUnit
from ..navigation import nav
from ..operations import OperationError
from ..operations import verification as ops
from ..operations.answers import pending_message
from ..operations.judging import active_assignment
from ..operations.monitor import measured_answers
from ..operations.questionnaire import get_submission
from ..permissions import can_judge, can_verify
from ..rubric_store import rubric_for
from .questionnaire import _numbers

bp = Blueprint("verify", __name__, url_prefix="/penilai")
nav("verify.workspace", _l("Verification"), roles=("judge",), order=20)

STATES = ("not_started", "started", "completed")
STATE_LABELS = {"not_started": _l("Not started"), "started": _l("In progress"),
                "completed": _l("Completed")}
SORTS = ("code", "name", "province", "progress", "state")


# ---- loading with permission checks ------------------------------------------------------

def _period(slug: str) -> Period:
    return db.session.query(Period).filter_by(slug=slug).first() or abort(404)


def _assignment(period: Period, code: str):
    """The current judge's active assignment for the unit: 404 unknown unit, 403 otherwise."""
    unit = db.session.get(WorkUnit, code) or abort(404)
    if not can_verify(db.session, current_user, period, unit):
        abort(403)
    return active_assignment(db.session, period, unit.code, current_user)


def _aspect(rubric, aspect_id: str):
    try:
        return rubric.aspect(aspect_id)
    except KeyError:
        abort(404)


def _judge_only():
    if not can_judge(current_user):
        abort(403)


# ---- workspace list ------------------------------------------------------------------------

@bp.route("/", defaults={"period_slug": None})
@bp.route("/<period_slug>")
@login_required
def workspace(period_slug):
    _judge_only()
    periods = ops.judge_periods(db.session, current_user)
    if period_slug is None:
        if periods:
            return redirect(url_for(".workspace", period_slug=periods[0].slug))
        return render_template("verify/workspace.html", period=None, periods=[], rows=[],
                               counts={}, blocked=0, args={}, states=STATES, labels=STATE_LABELS)
    period = _period(period_slug)
    rubric = rubric_for(period)
    rows = [_row(rubric, a) for a in ops.judge_assignments(db.session, current_user, period)]
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    args = {"q": request.args.get("q", "").strip(), "state": request.args.get("state", ""),
            "sort": request.args.get("sort", "code")}
    return render_template("verify/workspace.html", period=period, periods=periods,
                           rows=_filtered(rows, **args), counts=counts, total=len(rows),
                           blocked=ops.conflicted_count(db.session, current_user, period),
                           args=args, states=STATES, labels=STATE_LABELS, sorts=SORTS)


def _row(rubric, assignment) -> dict:
    unit = assignment.unit
    sub = get_submission(db.session, assignment.period, unit.code)
    return {"assignment": assignment, "unit": unit, "state": ops.state_of(assignment),
            "progress": ops.progress(rubric, assignment),
            "status": sub.status if sub else "not_started"}


def _filtered(rows: list[dict], q: str, state: str, sort: str) -> list[dict]:
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in r["unit"].code.casefold()
                or needle in r["unit"].name.casefold()
                or needle in (r["unit"].province_name or "").casefold()]
    if state in STATES:
        rows = [r for r in rows if r["state"] == state]
    keys = {"code": lambda r: r["unit"].code, "name": lambda r: r["unit"].name.casefold(),
            "province": lambda r: ((r["unit"].province_name or "").casefold(), r["unit"].code),
            "progress": lambda r: (r["progress"]["verified"] / (r["progress"]["scored"] or 1),
                                   r["unit"].code),
            "state": lambda r: (STATES.index(r["state"]), r["unit"].code)}
    return sorted(rows, key=keys.get(sort, keys["code"]))


# ---- one unit ------------------------------------------------------------------------------

def _context(period, assignment, rubric) -> dict:
    values = ops.values_of(assignment)
    answers = ops.unit_answers(db.session, period, assignment.unit_code)
    progress = {a.id: ops.progress(rubric, assignment, a.indicators) for a in rubric.aspects}
    return {"period": period, "assignment": assignment, "unit": assignment.unit,
            "rubric": rubric, "numbers": _numbers(rubric), "aspect_progress": progress,
            "overall": ops.progress(rubric, assignment), "state": ops.state_of(assignment),
            "labels": STATE_LABELS, "refusal": ops.refusal(assignment),
            "closed": ops.closed_refusal(period),
            "sub": get_submission(db.session, period, assignment.unit_code),
            "scores": ops.fractions(rubric, assignment.unit_code, answers, values),
            "answers": answers}


@bp.route("/<period_slug>/<code>")
@login_required
def unit(period_slug, code):
    period = _period(period_slug)
    assignment = _assignment(period, code)
    rubric = rubric_for(period)
    missing = ops.missing_verifications(rubric, assignment)
    groups = []
    for a in rubric.aspects:
        ids = {ind.id for ind in a.indicators}
        items = [(key, reason) for key, reason in missing if key in ids]
        if items:
            groups.append((a, items))
    return render_template("verify/unit.html", form=Form(), missing=missing,
                           missing_groups=groups, **_context(period, assignment, rubric))


@bp.route("/<period_slug>/<code>/selesai", methods=["POST"])
@login_required
def complete(period_slug, code):
    period = _period(period_slug)
    assignment = _assignment(period, code)
    return _done(period, code, lambda: ops.complete(db.session, assignment, current_user),
                 _("The verification of this unit is complete. Thank you."))


@bp.route("/<period_slug>/<code>/buka-kembali", methods=["POST"])
@login_required
def reopen(period_slug, code):
    period = _period(period_slug)
    assignment = _assignment(period, code)
    return _done(period, code, lambda: ops.reopen(db.session, assignment, current_user),
                 _("The verification of this unit is open again."))


def _done(period, code, action, message):
    if not Form().validate_on_submit():
        abort(400)
    try:
        with attempt():
            action()
    except OperationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".unit", period_slug=period.slug, code=code) + "#missing")
    flash(message, "success")
    return redirect(url_for(".unit", period_slug=period.slug, code=code))


# ---- one aspect ----------------------------------------------------------------------------

@bp.route("/<period_slug>/<code>/<aspect_id>", methods=["GET", "POST"])
@login_required
def aspect(period_slug, code, aspect_id):
    period = _period(period_slug)
    assignment = _assignment(period, code)
    aspect = _aspect(rubric_for(period), aspect_id)
    form = verify_form(aspect, ops.rows_by_indicator(assignment), posted=request.method == "POST")
    if not form.validate_on_submit():
        return _aspect_page(period, assignment, aspect, form)
    answers = ops.unit_answers(db.session, period, assignment.unit_code)
    values, raw_pending, comments, errors = collect(form, aspect, answers)
    try:
        with attempt():
            kept = ops.save_verifications(db.session, assignment, values, raw_pending, comments,
                                          current_user)
    except OperationError as exc:
        return _aspect_page(period, assignment, aspect, form, errors, refused=exc), exc.status
    _flash_saved(kept)
    return redirect(_after_save(period, assignment, aspect, form))


def _aspect_page(period, assignment, aspect, form, errors=None, refused=None):
    rubric = rubric_for(period)
    rows = ops.rows_by_indicator(assignment)
    if errors is None:   # shown from what is kept: the same after a reload
        errors = {i.id: pending_message(i, rows[i.id].value) for i in aspect.indicators
                  if i.id in rows and ops.is_pending(rows[i.id].value)}
    context = _context(period, assignment, rubric)
    index = [a.id for a in rubric.aspects].index(aspect.id)
    evidence = {}
    for ev in (context["sub"].evidence if context["sub"] else []):
        evidence.setdefault(ev.indicator_id, []).append(ev)
    copies = {i.id: copy_data(i, context["answers"].get(i.id)) for i in aspect.scored_indicators}
    return render_template(
        "verify/aspect.html", form=form, aspect=aspect, errors=errors, refused=refused,
        evidence=evidence, copies=copies, rows=rows, copy_all=COPY_ALL, position=index + 1,
        measured=measured_answers(db.session, period, assignment.unit, aspect.indicators),
        previous=rubric.aspects[index - 1] if index else None,
        next=rubric.aspects[index + 1] if index + 1 < len(rubric.aspects) else None, **context)


def _flash_saved(kept: dict) -> None:
    if kept:
        flash(ngettext("Saved. %(num)d value is not valid yet: it is kept as typed and marked "
                       "below. Correct it before completing the unit.",
                       "Saved. %(num)d values are not valid yet: they are kept as typed and "
                       "marked below. Correct them before completing the unit.", len(kept)),
              "warning")
    else:
        flash(_("Saved."), "success")


def _after_save(period, assignment, aspect, form) -> str:
    ids = [a.id for a in rubric_for(period).aspects]
    here = url_for(".aspect", period_slug=period.slug, code=assignment.unit_code,
                   aspect_id=aspect.id)
    if form.save_next.data:
        index = ids.index(aspect.id) + 1
        if index < len(ids):
            return url_for(".aspect", period_slug=period.slug, code=assignment.unit_code,
                           aspect_id=ids[index])
        return url_for(".unit", period_slug=period.slug, code=assignment.unit_code)
    target = form.copy.data if form.copy.data not in ("", COPY_ALL) else form.clear.data
    return here + (f"#ind-{target}" if target else "")
