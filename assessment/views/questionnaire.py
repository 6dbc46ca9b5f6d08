"""The questionnaire pages: an overview per period, one page per aspect, submission, and a
read-only view of a unit's questionnaire for the bureau and provincial monitors."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, get_template_attribute, jsonify,
                   redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from .. import scores, uploads
from ..extensions import db, login_manager
from ..transaction import attempt
from ..formatting import local_time, number
from ..models.types import utcnow
from ..forms.questionnaire import (FIELD_KINDS, SubmitForm, answer_name, aspect_form,
                                   base_texts, collect, deleted_evidence, emptied_links,
                                   initial_data,
                                   link_name, new_evidence, read_base, same_text, sign_base)
from ..models import Period, User, WorkUnit
from ..navigation import nav
from ..operations import Conflict, OperationError
from ..operations.answers import pending_message
from ..operations.editability import takes_part
from ..operations.evidence import link_message
from ..operations.monitor import measured_answers
from ..operations.season import period_state
from ..operations.questionnaire import get_or_create_submission, get_submission, save_page, self_scores
from ..operations.submission import submit
from ..permissions import can_view_unit, operator_unit
from ..completeness import aspect_completeness, indicator_marks
from ..progress import periods_for_unit, remaining
from ..rubric_store import rubric_for
from .expired import PageExpired, autosave_logged_out, expiry_handler, kept_fields_page
from .lookups import period_or_404

bp = Blueprint("questionnaire", __name__, url_prefix="/kuesioner")
nav("questionnaire.overview", _l("Questionnaire"), roles=("operator",), order=20)


# ---- loading with permission checks ------------------------------------------------------


def _own_unit(period: Period) -> WorkUnit:
    """The operator's own unit, when it takes part in the period (403 otherwise)."""
    unit = operator_unit(current_user)
    if unit is None:
        abort(403)
    if not takes_part(period, unit):
        abort(403, description=_("Your work unit does not take part in %(period)s.",
                                 period=period.title))
    return unit


def _viewable_unit(code: str) -> WorkUnit:
    unit = db.session.get(WorkUnit, code) or abort(404)
    if not can_view_unit(current_user, unit):
        abort(403)
    return unit


def _aspect(rubric, aspect_id: str):
    try:
        return rubric.aspect(aspect_id)
    except KeyError:
        abort(404)


def _max_bytes() -> int:
    return int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)


# ---- page context --------------------------------------------------------------------------

def _page(period, unit, sub, readonly: bool = False) -> dict:
    """What every questionnaire page shows: status, deadline, progress, self-score."""
    rubric = rubric_for(period)
    window = period_state(period).unit(unit, sub)   # extensions and a return's deadline included
    closes, problem = window.until, window.refusal
    marks = indicator_marks(rubric, sub)   # the page's marks and every count come from these
    missing = [(key, mark["reason"]) for key, mark in marks.items()]
    progress = {row["id"]: row for row in aspect_completeness(rubric, sub, marks)}
    groups = []
    for aspect in rubric.aspects:
        items = [(ind.id, marks[ind.id]["reason"]) for ind in aspect.indicators if ind.id in marks]
        if items:
            groups.append((aspect, items))
    return {"period": period, "unit": unit, "sub": sub, "rubric": rubric, "closes_at": closes,
            "remaining": remaining(closes), "refusal": problem, "missing": missing,
            "missing_groups": groups, "marks": marks,
            "readonly": readonly or problem is not None, "viewer_only": readonly,
            "progress": progress, "scores": self_scores(rubric, sub),
            "numbers": question_numbers(rubric), "submitter": _user(sub.submitted_by if sub else None),
            "status": sub.status if sub else "not_started"}


def question_numbers(rubric) -> dict:
    """Display numbers: aspect 3 -> "3", its second indicator -> "3.2"."""
    out = {}
    for a, aspect in enumerate(rubric.aspects, 1):
        out[aspect.id] = str(a)
        for i, ind in enumerate(aspect.indicators, 1):
            out[ind.id] = f"{a}.{i}"
    return out


_numbers = question_numbers   # the name views/verify.py imports


def _user(user_id):
    return db.session.get(User, user_id) if user_id else None


def _measured(period, unit, aspect) -> dict:
    """Measures of the unit's channels for the aspect's ``measured_by`` indicators."""
    return measured_answers(db.session, period, unit, aspect.indicators)


def _prefill(measured: dict) -> dict:
    return {key: m.value for key, m in measured.items() if m.value is not None}


def _fill_page(period, unit, sub, aspect, form, errors=None, problems=None, refused=None,
               readonly=False, measured=None, conflicts=()):
    context = _page(period, unit, sub, readonly)
    rubric = context["rubric"]
    if errors is None:   # shown from what is kept: the same after a reload
        errors = _kept_errors(aspect, sub)
    refused_evidence = bool(problems)   # this save's files or links were not all added
    problems = dict(problems or {})
    for key, entry in ((sub.pending_links if sub else None) or {}).items():
        # a kept invalid link: marked in its field from what is stored (after a reload too)
        problems.setdefault(f"link-{key}", [f"{(entry.get('raw') or '')[:200]}: {link_message(entry)}"])
    index = [a.id for a in rubric.aspects].index(aspect.id)
    evidence = {}
    for ev in (sub.evidence if sub else []):
        evidence.setdefault(ev.indicator_id, []).append(ev)
    return render_template(
        "questionnaire/aspect.html", form=form, aspect=aspect, errors=errors,
        problems=problems, refused_evidence=refused_evidence, refused=refused, evidence=evidence,
        conflicts={row["indicator"].id: row for row in conflicts},
        measured=_measured(period, unit, aspect) if measured is None else measured,
        previous=rubric.aspects[index - 1] if index else None,
        next=rubric.aspects[index + 1] if index + 1 < len(rubric.aspects) else None,
        position=index + 1, max_upload_mb=float(current_app.config["MAX_UPLOAD_MB"]), **context)


# ---- operator pages ------------------------------------------------------------------------

@bp.route("/", defaults={"period_slug": None})
@bp.route("/<period_slug>")
@login_required
def overview(period_slug):
    if period_slug is None:
        return _choose_period()
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    sub = get_submission(db.session, period, unit.code)
    form = SubmitForm(formdata=None, data={"version": str(sub.version if sub else 1)})
    return render_template("questionnaire/overview.html", form=form, **_page(period, unit, sub))


def _choose_period():
    if operator_unit(current_user) is None:
        abort(403)
    periods = periods_for_unit(db.session, current_user.unit)
    if len(periods) == 1:
        return redirect(url_for(".overview", period_slug=periods[0].slug))
    return render_template("questionnaire/choose.html", periods=periods, unit=current_user.unit)


@bp.route("/<period_slug>/<aspect_id>", methods=["GET", "POST"])
def fill(period_slug, aspect_id):
    if not current_user.is_authenticated:   # a page posted after its session ended is kept
        return kept_fields_page() if request.method == "POST" else login_manager.unauthorized()
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    aspect = _aspect(rubric_for(period), aspect_id)
    sub = get_submission(db.session, period, unit.code)
    measured = _measured(period, unit, aspect)
    form = aspect_form(aspect, sub, posted=request.method == "POST", prefill=_prefill(measured))
    if not form.validate_on_submit():
        return _fill_page(period, unit, sub, aspect, form, measured=measured)
    answers, raw_pending, errors = collect(form, aspect, _choices(aspect))
    outcome = _save(period, unit, aspect, form, answers, raw_pending)
    if isinstance(outcome, OperationError):
        sub = get_submission(db.session, period, unit.code)
        if isinstance(outcome, Conflict):
            _rebase(form, aspect, sub, set(answers) | set(raw_pending))
        return _fill_page(period, unit, sub, aspect, form, errors=errors, refused=outcome,
                          conflicts=_conflict_rows(outcome, aspect)), outcome.status
    sub, problems = outcome
    if problems:
        form = _refused_links_kept(form, aspect, sub, problems)
        return _fill_page(period, unit, sub, aspect, form, problems=problems), 422
    _flash_saved(raw_pending)
    return redirect(_after_save(period, aspect, form))


def _save(period, unit, aspect, form, answers, raw_pending):
    """(submission, evidence problems) of one page's save, or the OperationError refusing it."""
    files, links = new_evidence(form, aspect, _max_bytes())
    try:
        with attempt():
            sub = get_or_create_submission(db.session, period, unit.code, current_user)
            problems = save_page(db.session, sub, answers, raw_pending, form.version.data,
                                 current_user, files=files, links=links,
                                 delete=deleted_evidence(form),
                                 emptied_links=emptied_links(form, aspect),
                                 upload_dir=current_app.config["UPLOAD_DIR"],
                                 max_bytes=_max_bytes())
    except OperationError as exc:
        return exc
    return sub, problems


def _refused_links_kept(posted, aspect, sub, problems: dict):
    """The form of the saved questionnaire with every refused link still in its field, marked
    (like any invalid value): nothing typed is thrown away."""
    form = aspect_form(aspect, sub, posted=False)
    for ind in aspect.indicators:
        if link_name(ind) in problems:   # an added link is saved: not offered again
            form[link_name(ind)].data = posted[link_name(ind)].data
    return form


def _choices(aspect) -> dict:
    """How the person settled the conflicts shown: indicator id -> "mine" | "theirs"."""
    return {ind.id: request.form.get(f"choice-{ind.id}") for ind in aspect.indicators
            if request.form.get(f"choice-{ind.id}") in ("mine", "theirs")}


def _rebase(form, aspect, sub, mine: set) -> None:
    """After a conflict the page is based on the current version: the fields the person
    changed keep what they typed, the others show the current answers."""
    current = initial_data(aspect, sub)
    form.version.data, form.base.data = current["version"], current["base"]
    for ind in aspect.indicators:
        if ind.id not in mine:
            form[answer_name(ind)].data = current[answer_name(ind)]


def _conflict_rows(exc: OperationError, aspect) -> list[dict]:
    """The conflicts of a refused save as rows for the page: question, yours, theirs."""
    by_id = {ind.id: ind for ind in aspect.indicators}
    rows = []
    for row in (exc.details or {}).get("conflicts", []) if isinstance(exc.details, dict) else []:
        ind = by_id.get(row["indicator"])
        if ind is not None:
            rows.append({"indicator": ind, "yours": shown_value(ind, row["yours"]),
                         "theirs": shown_value(ind, row["theirs"])})
    return rows


def shown_value(ind, value) -> str:
    """An answer as the page shows it (a kept invalid text as typed)."""
    if value is None or value == []:
        return _("Not answered") if value is None else _("None of these")
    if isinstance(value, str) and ind.type != "text":
        return value
    if ind.type == "yesno":
        return _("Yes") if value else _("No")
    if ind.type == "scale" and isinstance(value, int) and 0 <= value < len(ind.levels):
        return f"{value + 1}. {ind.levels[value].label}"
    if ind.type == "number" and isinstance(value, (int, float)):
        return f"{number(value, 0 if value == int(value) else 2)} {ind.unit or ''}".strip()
    if ind.type == "choice" and isinstance(value, list):
        return "; ".join(value)
    return str(value)


def _flash_saved(raw_pending: dict) -> None:
    if raw_pending:
        flash(ngettext("Saved. %(num)d answer is not valid yet: it is kept as typed and marked "
                       "below. Correct it before submitting.",
                       "Saved. %(num)d answers are not valid yet: they are kept as typed and marked "
                       "below. Correct them before submitting.", len(raw_pending)), "warning")
    else:
        flash(_("Saved."), "success")


def _after_save(period, aspect, form) -> str:
    rubric = rubric_for(period)
    ids = [a.id for a in rubric.aspects]
    if form.save_next.data:
        index = ids.index(aspect.id) + 1
        if index < len(ids):
            return url_for(".fill", period_slug=period.slug, aspect_id=ids[index])
        return url_for(".overview", period_slug=period.slug)
    return url_for(".fill", period_slug=period.slug, aspect_id=aspect.id)


@bp.route("/<period_slug>/<aspect_id>/simpan-otomatis", methods=["POST"])
def autosave(period_slug, aspect_id):
    """The page's changed fields saved a few seconds after typing stops (static/questionnaire.js),
    through the same merge as the save button; answers the new version and signed base, and
    the current value of every field someone else changed since the page's base, so the
    page stays in step. Evidence is added by the save button only."""
    if not current_user.is_authenticated:
        return autosave_logged_out()
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    aspect = _aspect(rubric_for(period), aspect_id)
    sub = get_submission(db.session, period, unit.code)
    form = aspect_form(aspect, sub, posted=True)
    answers, raw_pending, errors = collect(form, aspect)
    if answers or raw_pending:
        try:
            with attempt():
                sub = get_or_create_submission(db.session, period, unit.code, current_user)
                save_page(db.session, sub, answers, raw_pending, form.version.data, current_user,
                          upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=_max_bytes())
        except OperationError as exc:
            return jsonify(error=exc.code, message=exc.message), exc.status
    if sub is None:
        return jsonify(saved=False, version=1, base=form.base.data, fields={})
    now = local_time(utcnow(), unit.time_zone)
    fragments, marked = _fragments(period, unit, sub, aspect)
    return jsonify(saved=bool(answers or raw_pending), version=sub.version,
                   base=sign_base(aspect, sub), fields=_moved_fields(form, aspect, sub),
                   invalid=len(errors), fragments=fragments, marked=marked,
                   message=_("Saved automatically at %(time)s", time=now.strftime("%H.%M")))


def _fragments(period, unit, sub, aspect) -> tuple[dict, list]:
    """The page's marks and counts after an autosave, rendered by the page's own macros from
    ``_page`` (``completeness.indicator_marks``, the overview's counts): {data-fragment
    name: HTML}, and the ids of the aspect's incomplete indicators."""
    context = _page(period, unit, sub)
    marks, progress = context["marks"], context["progress"]

    def macro(name):
        return get_template_attribute("questionnaire/_parts.html", name)

    def link(aspect_id):
        return url_for(".fill", period_slug=period.slug, aspect_id=aspect_id)

    out = {"progress": macro("aspect_progress")(progress[aspect.id], aspect, marks, True),
           "scores": macro("score_box")(context["scores"], aspect),
           "nav": macro("aspect_list")(context["rubric"], progress, context["numbers"],
                                       context["scores"], aspect.id, link)}
    for ind in aspect.indicators:
        out[f"mark-{ind.id}"] = macro("incomplete_mark")(marks[ind.id]) if ind.id in marks else ""
    # with each mark, the text under its field: why the answer kept there is not valid, as a
    # reload shows it, or nothing
    errors, shown = _kept_errors(aspect, sub), initial_data(aspect, sub)
    for ind in aspect.indicators:
        out[f"error-{ind.id}"] = macro("invalid_feedback")(ind, shown.get(answer_name(ind)),
                                                           errors.get(ind.id))
    return out, [ind.id for ind in aspect.indicators if ind.id in marks]


def _kept_errors(aspect, sub) -> dict:
    """Indicator id -> why the answer kept for it is not valid (typed, stored as typed in
    ``sub.pending``): the page shows it under the field."""
    pending = (sub.pending if sub else None) or {}
    return {ind.id: pending_message(ind, pending[ind.id])
            for ind in aspect.indicators if ind.id in pending}


def _moved_fields(form, aspect, sub) -> dict:
    """Field name -> current values of the answers that differ from what the page shows and
    that the page did not change (someone else saved them since the page's base)."""
    current, base = base_texts(aspect, sub), read_base(form) or {}
    now, out = initial_data(aspect, sub), {}
    for ind in aspect.indicators:
        kind = FIELD_KINDS[ind.type]
        shown = kind.raw(ind, form[answer_name(ind)].data)
        if ind.id in base and same_text(ind, shown, base[ind.id]) \
                and not same_text(ind, shown, current[ind.id]):
            data = now[answer_name(ind)]
            out[answer_name(ind)] = data if isinstance(data, list) else ([] if data is None else [data])
    return out


@bp.route("/<period_slug>/<aspect_id>/pratinjau", methods=["POST"])
@login_required
def preview(period_slug, aspect_id):
    """The self-score the page would give if saved now (computed by scoring, not saved)."""
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    rubric = rubric_for(period)
    aspect = _aspect(rubric, aspect_id)
    sub = get_submission(db.session, period, unit.code)
    answers, raw_pending, _errors = collect(aspect_form(aspect, sub, posted=True), aspect)
    merged = dict((sub.answers if sub else None) or {})
    merged.update(answers)
    for key in raw_pending:
        merged.pop(key, None)
    result = scores.self_scores_for(rubric, unit.code, merged)
    answered = sum(1 for ind in aspect.scored_indicators if merged.get(ind.id) is not None)
    return jsonify(aspect=number(result["aspects"][aspect.id]), total=number(result["total"]),
                   answered=answered, scored=len(aspect.scored_indicators))


@bp.route("/<period_slug>/kirim", methods=["POST"])
@login_required
def submit_questionnaire(period_slug):
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            with attempt():
                sub = get_or_create_submission(db.session, period, unit.code, current_user)
                submit(db.session, sub, form.version.data, form.head_name.data,
                       form.head_position.data, form.head_nip.data, form.agreed.data,
                       current_user)
        except OperationError as exc:
            _show_refusal(form, exc)
        else:
            flash(_("The questionnaire was submitted and is now locked. Thank you."), "success")
            return redirect(url_for(".overview", period_slug=period.slug))
    sub = get_submission(db.session, period, unit.code)
    return render_template("questionnaire/overview.html", form=form,
                           **_page(period, unit, sub)), 422


def _show_refusal(form, exc: OperationError) -> None:
    flash(exc.message, "danger")
    for name, message in (exc.details or {}).items() if isinstance(exc.details, dict) else ():
        if name in form and name != "version":
            form[name].errors = list(form[name].errors) + [message]


# ---- read-only views for the bureau and monitors -------------------------------------------

@bp.route("/<period_slug>/unit/<code>")
@login_required
def unit_overview(period_slug, code):
    period = period_or_404(period_slug)
    unit = _viewable_unit(code)
    sub = get_submission(db.session, period, unit.code)
    return render_template("questionnaire/overview.html", form=None,
                           **_page(period, unit, sub, readonly=True))


@bp.route("/<period_slug>/unit/<code>/<aspect_id>")
@login_required
def unit_aspect(period_slug, code, aspect_id):
    period = period_or_404(period_slug)
    unit = _viewable_unit(code)
    aspect = _aspect(rubric_for(period), aspect_id)
    sub = get_submission(db.session, period, unit.code)
    return _fill_page(period, unit, sub, aspect, aspect_form(aspect, sub, posted=False),
                      readonly=True)


# ---- a page that outlived its session or CSRF token -------------------------------------

def _shown_again():
    period = period_or_404(request.view_args["period_slug"])
    unit = _own_unit(period)
    aspect = _aspect(rubric_for(period), request.view_args["aspect_id"])

    def render():
        sub = get_submission(db.session, period, unit.code)
        form = aspect_form(aspect, sub, posted=True)
        _answers, _pending, errors = collect(form, aspect)
        refused = PageExpired(_("The page had been open too long to be saved, so nothing was "
                                "saved. Everything you typed is still below (files must be "
                                "chosen again): press Save again."))
        return _fill_page(period, unit, sub, aspect, form, errors=errors, refused=refused), 400
    return render


bp.register_error_handler(CSRFError, expiry_handler("questionnaire.autosave",
                                                    "questionnaire.fill", _shown_again))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _("The files sent at once are too large together (at most %(mb)s MB per save). "
                "Nothing was saved; go back and add the files a few at a time.",
                mb=uploads.megabytes(limit))
    return render_template("questionnaire/message.html", title=_("Too large"), message=message), 413
