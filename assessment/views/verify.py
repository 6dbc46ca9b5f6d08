"""The judge's (penilai) verification workspace: assigned units with progress, one page per
aspect with the unit's answer, evidence and self-score beside the judge's verified value and
comment, completing and reopening a unit (the same through the JSON API: api/verifications.py).

Every page and API call checks ``permissions.can_verify`` (an active assignment and no
conflict of interest) on the server."""
from __future__ import annotations

from datetime import datetime

from flask import (Blueprint, abort, flash, get_template_attribute, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from .. import formatting
from ..extensions import db, login_manager
from ..formatting import local_time
from ..transaction import attempt
from ..forms.i18n import Form
from ..forms.questionnaire import FIELD_KINDS
from ..forms.verify import (COPY_ALL, base_texts, collect, comment_name, copy_data, dates_name,
                            initial_data, read_base, same_text, sign_base, value_name,
                            verify_form, SALT)
from ..models import Period, WorkUnit
from ..models.types import utcnow
from ..navigation import nav
from ..operations import Conflict, Invalid, OperationError
from ..operations import verification as ops
from ..operations.answers import pending_message
from ..operations.judging import active_assignment
from ..operations.monitor import measured_answers
from ..operations.questionnaire import get_submission
from ..permissions import can_judge, can_verify
from ..rubric_store import rubric_for
from .expired import PageExpired, autosave_logged_out, expiry_handler, kept_fields_page
from .lookups import period_or_404
from .questionnaire import _numbers, shown_value

bp = Blueprint("verify", __name__, url_prefix="/penilai")
nav("verify.workspace", _l("Verification"), roles=("judge",), order=20)

STATES = ("not_started", "started", "completed")
STATE_LABELS = {"not_started": _l("Not started"), "started": _l("In progress"),
                "completed": _l("Completed")}
SORTS = ("code", "name", "province", "progress", "state")


# ---- loading with permission checks ------------------------------------------------------

def _period(slug: str) -> Period:
    return period_or_404(slug)


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
    marks = ops.verification_marks(rubric, assignment)   # the marks and every count
    progress = {a.id: ops.progress(rubric, assignment, a.indicators, marks)
                for a in rubric.aspects}
    return {"period": period, "assignment": assignment, "unit": assignment.unit,
            "rubric": rubric, "numbers": _numbers(rubric), "aspect_progress": progress,
            "marks": marks, "overall": ops.progress(rubric, assignment, marks=marks),
            "state": ops.state_of(assignment),
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
                           missing_groups=groups, entry=_entry_rows(rubric, assignment),
                           **_context(period, assignment, rubric))


def _entry_rows(rubric, assignment) -> list[dict]:
    """The conditions of entry for the unit overview: each with its aspect, the judge's
    verified value (None: not yet) and comment."""
    rows = ops.rows_by_indicator(assignment)
    return [{"indicator": ind, "aspect": rubric.aspect(ind.aspect_id),
             "value": ops.verified_value(rows.get(ind.id)),
             "comment": rows[ind.id].comment if ind.id in rows else ""}
            for ind in rubric.entry_indicators]


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
def aspect(period_slug, code, aspect_id):
    if not current_user.is_authenticated:   # a page posted after its session ended is kept
        return kept_fields_page() if request.method == "POST" else login_manager.unauthorized()
    period = _period(period_slug)
    assignment = _assignment(period, code)
    aspect = _aspect(rubric_for(period), aspect_id)
    sampled = ops.sampled_for(assignment, aspect)
    form = verify_form(aspect, ops.rows_by_indicator(assignment),
                       posted=request.method == "POST", version=assignment.version,
                       sampled=sampled)
    if not form.validate_on_submit():
        return _aspect_page(period, assignment, aspect, form)
    answers = ops.unit_answers(db.session, period, assignment.unit_code)
    values, raw_pending, comments, checked, errors = collect(form, aspect, answers,
                                                             _choices(aspect))
    try:
        with attempt():
            kept = ops.save_verifications(db.session, assignment, values, raw_pending, comments,
                                          current_user, version=form.version.data,
                                          checked=checked)
    except OperationError as exc:
        conflicts = []
        if isinstance(exc, Invalid) and isinstance(exc.details, dict):   # shown at the field
            errors = errors | {ind.id: str(exc.details[ind.id]) for ind in aspect.indicators
                               if ind.id in exc.details}
        if isinstance(exc, Conflict):
            _rebase(form, aspect, assignment, set(values) | set(raw_pending) | set(comments)
                    | set(checked), sampled)
            conflicts = _conflict_rows(exc, aspect)
        return _aspect_page(period, assignment, aspect, form, errors, refused=exc,
                            conflicts=conflicts), exc.status
    _flash_saved(kept)
    return redirect(_after_save(period, assignment, aspect, form))


def _choices(aspect) -> dict:
    """How the judge settled the conflicts shown: indicator id -> "mine" | "theirs"."""
    return {ind.id: request.form.get(f"choice-{ind.id}") for ind in aspect.indicators
            if request.form.get(f"choice-{ind.id}") in ("mine", "theirs")}


def _rebase(form, aspect, assignment, mine: set, sampled: dict) -> None:
    """After a conflict the page is based on the current version: the indicators the judge
    changed keep what was typed, the others show what is stored now."""
    rows = ops.rows_by_indicator(assignment)
    current = initial_data(aspect, rows, sampled)
    form.version.data, form.base.data = str(assignment.version), sign_base(aspect, rows)
    for ind in aspect.indicators:
        if ind.id in mine:
            continue
        for name in (value_name(ind), comment_name(ind), dates_name(ind)):
            if name in current and name in form:
                form[name].data = current[name]


def _conflict_rows(exc: OperationError, aspect) -> list[dict]:
    """The conflicts of a refused save by indicator: [{indicator, parts: [{field, yours,
    theirs}]}], values as the page shows them."""
    by_id, rows = {ind.id: ind for ind in aspect.indicators}, {}
    details = exc.details if isinstance(exc.details, dict) else {}
    for item in details.get("conflicts", []):
        ind = by_id.get(item["indicator"])
        if ind is None:
            continue
        row = rows.setdefault(ind.id, {"indicator": ind, "parts": []})
        row["parts"].append({"field": item["field"],
                             "yours": _shown_part(ind, item["field"], item["yours"]),
                             "theirs": _shown_part(ind, item["field"], item["theirs"])})
    return list(rows.values())


def _shown_part(ind, field: str, value) -> str:
    if field == "comment":
        return value or "–"
    if field == "dates":
        return ", ".join(value) if value else "–"
    return shown_value(ind, value)


def _aspect_page(period, assignment, aspect, form, errors=None, refused=None, conflicts=()):
    rubric = rubric_for(period)
    rows = ops.rows_by_indicator(assignment)
    if errors is None:   # shown from what is kept: the same after a reload
        errors = _kept_errors(aspect, rows)
    context = _context(period, assignment, rubric)
    index = [a.id for a in rubric.aspects].index(aspect.id)
    evidence = {}
    for ev in (context["sub"].evidence if context["sub"] else []):
        evidence.setdefault(ev.indicator_id, []).append(ev)
    copies = {i.id: copy_data(i, context["answers"].get(i.id)) for i in aspect.judged_indicators}
    return render_template(
        "verify/aspect.html", form=form, aspect=aspect, errors=errors, refused=refused,
        evidence=evidence, copies=copies, rows=rows, copy_all=COPY_ALL, position=index + 1,
        conflicts={row["indicator"].id: row for row in conflicts},
        sampled=ops.sampled_for(assignment, aspect), day_label=day_label,
        measured=measured_answers(db.session, period, assignment.unit, aspect.indicators),
        previous=rubric.aspects[index - 1] if index else None,
        next=rubric.aspects[index + 1] if index + 1 < len(rubric.aspects) else None, **context)


def day_label(iso: str) -> str:
    """A sampled date for people: "3 Maret 2025"."""
    return formatting.date(datetime.fromisoformat(iso))


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


# ---- autosave ------------------------------------------------------------------------------

@bp.route("/<period_slug>/<code>/<aspect_id>/simpan-otomatis", methods=["POST"])
def autosave(period_slug, code, aspect_id):
    """The page's changed fields saved a few seconds after typing stops (static/autosave.js),
    through the same merge as the save button; answers the new version and signed base, the
    current value of every field another window saved since the page's base, and the page's
    marks and counts again (the same functions as the page)."""
    if not current_user.is_authenticated:
        return autosave_logged_out()
    period = _period(period_slug)
    assignment = _assignment(period, code)
    aspect = _aspect(rubric_for(period), aspect_id)
    sampled = ops.sampled_for(assignment, aspect)
    form = verify_form(aspect, ops.rows_by_indicator(assignment), posted=True, sampled=sampled)
    answers = ops.unit_answers(db.session, period, assignment.unit_code)
    values, raw_pending, comments, checked, errors = collect(form, aspect, answers)
    changed = bool(values or raw_pending or comments or checked)
    if changed:
        try:
            with attempt():
                ops.save_verifications(db.session, assignment, values, raw_pending, comments,
                                       current_user, version=form.version.data, checked=checked)
        except OperationError as exc:
            return jsonify(error=exc.code, message=exc.message,
                           details=exc.details if isinstance(exc, Conflict) else None), exc.status
    rows = ops.rows_by_indicator(assignment)
    fragments, marked = _fragments(period, assignment, aspect, rows)
    now = local_time(utcnow(), "WIB")
    return jsonify(saved=changed, version=assignment.version, base=sign_base(aspect, rows),
                   fields=_moved_fields(form, aspect, rows, sampled), invalid=len(errors),
                   fragments=fragments, marked=marked,
                   message=_("Saved automatically at %(time)s", time=now.strftime("%H.%M")))


def _moved_fields(form, aspect, rows, sampled) -> dict:
    """Field name -> current values of the fields that differ from what the page shows and
    that the page did not change (another window saved them since the page's base)."""
    current, base = base_texts(aspect, rows), read_base(form, SALT) or {}
    now, out = initial_data(aspect, rows, sampled), {}
    for ind in aspect.indicators:
        shown = {ind.id + ":comment": (form[comment_name(ind)].data or "").strip()}
        if ind.judged:
            shown[ind.id] = FIELD_KINDS[ind.type].raw(ind, form[value_name(ind)].data)
        if dates_name(ind) in form:
            shown[ind.id + ":dates"] = "\n".join(sorted(set(form[dates_name(ind)].data or [])))
        names = {ind.id: value_name(ind), ind.id + ":comment": comment_name(ind),
                 ind.id + ":dates": dates_name(ind)}
        for key, text in shown.items():
            if key not in base or not _same(ind, key, text, base[key]) \
                    or _same(ind, key, text, current[key]):
                continue
            data = now[names[key]]
            out[names[key]] = data if isinstance(data, list) else ([] if data is None else [data])
    return out


def _same(ind, key: str, a: str, b: str) -> bool:
    return same_text(ind, a, b) if ":" not in key else (a or "") == (b or "")


def _fragments(period, assignment, aspect, rows) -> tuple[dict, list]:
    """The page's marks and counts, rendered by the page's own macros from
    ``verification_marks`` (what blocks completing, which the unit page counts): {data-fragment
    name: HTML}, and the ids of the aspect's indicators marked. With each mark goes the text
    under its field ("error-<id>"): why the value kept there is not valid, as a reload shows
    it (``_kept_errors``), or nothing."""
    rubric = rubric_for(period)
    context = _context(period, assignment, rubric)
    marks = context["marks"]

    def macro(name):
        return get_template_attribute("verify/_parts.html", name)

    out = {"progress": macro("verified_progress")(context["aspect_progress"][aspect.id]),
           "scores": macro("score_pair")(context["scores"], aspect),
           "nav": macro("aspect_nav")(rubric, context["aspect_progress"], context["numbers"],
                                      aspect.id, period, assignment.unit)}
    for ind in aspect.judged_indicators:
        out[f"mark-{ind.id}"] = macro("indicator_mark")(marks.get(ind.id), context["scores"]
                                                        ["indicators"].get(ind.id, {}))
    for ind in aspect.scored_indicators:   # a condition of entry has no score
        out[f"score-{ind.id}"] = macro("verified_score")(ind, context["scores"]["indicators"]
                                                         .get(ind.id, {}))
    errors, shown = _kept_errors(aspect, rows), initial_data(aspect, rows)
    feedback = get_template_attribute("questionnaire/_parts.html", "invalid_feedback")
    for ind in aspect.judged_indicators:
        out[f"error-{ind.id}"] = feedback(ind, shown[value_name(ind)], errors.get(ind.id))
    return out, [ind.id for ind in aspect.judged_indicators if ind.id in marks]


def _kept_errors(aspect, rows) -> dict:
    """Indicator id -> why the value kept for it is not valid (typed, stored as typed), for
    the aspect's indicators that have one: the page shows it under the field."""
    return {i.id: pending_message(i, rows[i.id].value) for i in aspect.indicators
            if i.id in rows and ops.is_pending(rows[i.id].value)}


def _shown_again():
    period = _period(request.view_args["period_slug"])
    assignment = _assignment(period, request.view_args["code"])
    aspect = _aspect(rubric_for(period), request.view_args["aspect_id"])

    def render():
        form = verify_form(aspect, ops.rows_by_indicator(assignment), posted=True,
                           sampled=ops.sampled_for(assignment, aspect))
        answers = ops.unit_answers(db.session, period, assignment.unit_code)
        *_changes, errors = collect(form, aspect, answers)
        refused = PageExpired(_("The page had been open too long to be saved, so nothing was "
                                "saved. Everything you typed is still below: press Save again."))
        return _aspect_page(period, assignment, aspect, form, errors, refused=refused), 400
    return render


bp.register_error_handler(CSRFError, expiry_handler("verify.autosave", "verify.aspect",
                                                    _shown_again))
