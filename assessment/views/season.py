"""The season after verification: provisional ranking, stage-two scores, masa sanggah objections."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..files import send_stored
from ..extensions import db
from ..transaction import attempt
from ..forms.fields import choices
from ..models import Evidence, Objection, Period, User, WorkUnit
from ..navigation import SEASON, nav
from ..operations import OperationError
from ..operations import objections as objection_ops
from ..operations import season_pages as pages
from ..operations import stage as stage_ops
from ..operations.judging import unwrap
from ..operations.editability import takes_part
from ..operations.runs import latest_run
from ..permissions import can_judge, is_admin, operator_unit
from ..progress import LEVEL_LABELS
from ..rubric_store import rubric_for
from ..text import ascii_int
from ..forms.season import (AssignForm, DecisionForm, ObjectionForm, ProvisionalForm,
                            criteria_typed, stage_score_form_class)
from .access import require_admin
from .lookups import period_or_404

bp = Blueprint("season", __name__, url_prefix="/musim")
nav("season.index", _l("Provisional ranking"), roles=("admin",), order=55, group=SEASON)
nav("season.judge_index", _l("Stage two and objections"), roles=("judge",), order=35)
nav("season.unit_index", _l("Provisional results"), roles=("operator",), order=30)


# ---- loading with permission checks --------------------------------------------------------


def _own_unit(period: Period) -> WorkUnit:
    unit = operator_unit(current_user)
    if unit is None or not takes_part(period, unit):
        abort(403)
    return unit


def _objection(objection_id: int) -> Objection:
    obj = db.session.get(Objection, objection_id) or abort(404)
    if not objection_ops.may_view_objection(db.session, current_user, obj):
        abort(403)
    return obj


def _max_bytes() -> int:
    return int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)


def _refused(exc: OperationError, target: str):
    flash(exc.message, "danger")
    return redirect(target)


def _refusal_page(exc: OperationError):
    """A refused action explained on an error page with the operation's own message."""
    title = _("Not allowed") if exc.status == 403 else _("Refused")
    return render_template("error.html", code=exc.status, title=title, message=exc.message), exc.status


# ---- landing pages (one per role) ----------------------------------------------------------

@bp.route("/")
@login_required
def index():
    require_admin()
    return render_template("season/index.html", rows=pages.admin_rows(db.session), role="admin")


@bp.route("/penilai")
@login_required
def judge_index():
    if not can_judge(current_user):
        abort(403)
    return render_template("season/index.html", rows=pages.judge_rows(db.session, current_user),
                           role="judge")


@bp.route("/satker")
@login_required
def unit_index():
    unit = operator_unit(current_user)
    if unit is None:
        abort(403)
    return render_template("season/index.html", rows=pages.unit_rows(db.session, unit),
                           role="operator")


# ---- provisional ranking (admin) -----------------------------------------------------------

@bp.route("/<period_slug>/peringkat", methods=["GET", "POST"])
@login_required
def ranking(period_slug):
    period = period_or_404(period_slug)
    require_admin()
    form = ProvisionalForm()
    if form.validate_on_submit():
        try:
            with attempt():
                run = stage_ops.compute_provisional(db.session, period, current_user,
                                                    form.note.data)
        except OperationError as exc:
            return _refused(exc, url_for(".ranking", period_slug=period.slug))
        flash(_("Provisional ranking computed (run %(num)d).", num=run.number), "success")
        return redirect(url_for(".run", period_slug=period.slug, number=run.number))
    return _ranking_page(period, latest_run(db.session, period, "provisional"), form)


@bp.route("/<period_slug>/peringkat/<int:number>")
@login_required
def run(period_slug, number):
    period = period_or_404(period_slug)
    require_admin()
    found = pages.run_by_number(db.session, period, number)
    return _ranking_page(period, found or abort(404), ProvisionalForm(formdata=None))


def _ranking_page(period, run, form):
    rubric = stage_ops.run_rubric(run) if run else rubric_for(period)
    creator = db.session.get(User, run.created_by) if run and run.created_by else None
    return render_template("season/ranking.html", period=period, run=run, form=form,
                           groups=stage_ops.ranking_by_category(run) if run else [],
                           runs=stage_ops.provisional_runs(db.session, period), rubric=rubric,
                           creator=creator, later=stage_ops.later_stage(period),
                           level_labels=LEVEL_LABELS)


# ---- stage-two scores ----------------------------------------------------------------------

@bp.route("/<period_slug>/tahap-dua")
@login_required
def stage(period_slug):
    period = period_or_404(period_slug)
    if is_admin(current_user):
        return render_template("season/stage_admin.html", period=period,
                               **stage_ops.stage_scores_page(db.session, period))
    if not can_judge(current_user):
        abort(403)
    return _judge_stage_page(period)


def _judge_stage_page(period, errors=None, typed=None):
    stage = stage_ops.later_stage(period)
    return render_template("season/stage_judge.html", period=period,
                           rows=stage_ops.judge_shortlist(db.session, current_user, period),
                           stage=stage, criteria=stage_ops.criteria_rows(stage),
                           run=latest_run(db.session, period, "provisional"),
                           closed=stage_ops.scoring_closed(db.session, period),
                           errors=errors or {}, typed=typed or {})


@bp.route("/<period_slug>/tahap-dua/<unit_code>", methods=["POST"])
@login_required
def save_stage(period_slug, unit_code):
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, unit_code) or abort(404)
    try:
        with attempt():
            stage_ops.check_may_score(db.session, current_user, period, unit)
    except OperationError as exc:
        return _refusal_page(exc)
    stage = stage_ops.later_stage(period)
    form = stage_score_form_class(stage)()
    with_criteria = stage is not None and bool(stage.criteria)
    criteria = criteria_typed(form, stage) if with_criteria else None
    try:
        with attempt():
            stage_ops.save_stage_score(db.session, period, unit, current_user,
                                       None if with_criteria else form.score.data,
                                       form.notes.data, criteria=criteria)
    except OperationError as exc:
        typed = {unit.code: {"score": None if with_criteria else form.score.data,
                             "criteria": criteria or {}, "notes": form.notes.data,
                             "problems": exc.details if isinstance(exc.details, dict) else {}}}
        return _judge_stage_page(period, {unit.code: exc.message}, typed), exc.status
    flash(_("Stage score for %(unit)s saved.", unit=unit.name), "success")
    return redirect(url_for(".stage", period_slug=period.slug) + f"#unit-{unit.code}")


# ---- masa sanggah: the unit's provisional results and its objections -----------------------

@bp.route("/<period_slug>/hasil-sementara")
@login_required
def results(period_slug):
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    return _results_page(period, unit, ObjectionForm(formdata=None))


def _results_page(period, unit, form, errors=None, failed=None):
    visible = objection_ops.results_visible(period)
    data = objection_ops.provisional_results(db.session, period, unit) if visible else None
    return render_template("season/results.html", period=period, unit=unit, data=data,
                           visible=visible, state=objection_ops.window_state(period), form=form,
                           errors=errors or {}, failed=failed,
                           max_upload_mb=float(current_app.config["MAX_UPLOAD_MB"]))


@bp.route("/<period_slug>/hasil-sementara/<indicator_id>/sanggah", methods=["POST"])
@login_required
def file_objection(period_slug, indicator_id):
    period = period_or_404(period_slug)
    unit = _own_unit(period)
    form = ObjectionForm()
    storage = request.files.get("file")
    upload = None
    if storage is not None and storage.filename:
        upload = (storage.filename, storage.stream.read(_max_bytes() + 1))
    try:
        with attempt():
            objection_ops.file_objection(db.session, period, unit, indicator_id, form.reason.data,
                                         current_user, url=form.url.data or "", upload=upload,
                                         upload_dir=current_app.config["UPLOAD_DIR"],
                                         max_bytes=_max_bytes())
    except OperationError as exc:
        return _results_page(period, unit, form, {indicator_id: exc.message}, indicator_id), exc.status
    flash(_("Your objection has been filed. You will be notified of the decision."), "success")
    return redirect(url_for(".results", period_slug=period.slug) + f"#ind-{indicator_id}")


# ---- objections: the admin's list and assignment, the reviewer's decision -------------------

@bp.route("/<period_slug>/sanggahan")
@login_required
def objections(period_slug):
    period = period_or_404(period_slug)
    if is_admin(current_user):
        rows = objection_ops.period_objections(db.session, period)
    elif can_judge(current_user):
        rows = objection_ops.period_objections(db.session, period, current_user)
    else:
        abort(403)
    forms = {o.id: _assign_form(o) for o in rows if is_admin(current_user) and o.status == "pending"}
    return render_template("season/objections.html", period=period, rows=rows, forms=forms,
                           rubric=rubric_for(period),
                           load=objection_ops.reviewer_load(db.session, period),
                           judges=pages.judges_by_id(db.session))


def _assign_form(obj: Objection) -> AssignForm:
    form = AssignForm(formdata=None, prefix=f"o{obj.id}")
    form.reviewer.choices = choices([("auto", _("Assign automatically (least loaded)"))] + [
        (str(j.id), f"{j.name or j.username} ({j.username})")
        for j in objection_ops.eligible_reviewers(db.session, obj)])
    return form


@bp.route("/sanggahan/<int:objection_id>/penelaah", methods=["POST"])
@login_required
def assign(objection_id):
    obj = _objection(objection_id)
    require_admin()
    choice = request.form.get(f"o{obj.id}-reviewer") or request.form.get("reviewer") or "auto"
    target = url_for(".objections", period_slug=_obj_period(obj).slug) + f"#obj-{obj.id}"
    try:
        with attempt():
            if choice == "auto":
                objection_ops.auto_assign(db.session, obj, current_user)
            else:
                judge_id = ascii_int(choice)   # "²".isdigit() is True, int("²") raises
                judge = db.session.get(User, judge_id) if judge_id and judge_id > 0 else None
                objection_ops.assign_reviewer(db.session, obj, judge, current_user)
    except OperationError as exc:
        return _refused(exc, target)
    flash(_("Reviewer assigned."), "success")
    return redirect(target)


@bp.route("/<period_slug>/sanggahan/tugaskan-otomatis", methods=["POST"])
@login_required
def assign_all(period_slug):
    period = period_or_404(period_slug)
    require_admin()
    done, left = objection_ops.auto_assign_all(db.session, period, current_user)
    flash(_("%(done)d objections assigned; %(left)d without an eligible judge.", done=done, left=left),
          "success" if not left else "warning")
    return redirect(url_for(".objections", period_slug=period.slug))


def _obj_period(obj: Objection) -> Period:
    return db.session.get(Period, obj.period_id)


@bp.route("/sanggahan/<int:objection_id>", methods=["GET", "POST"])
@login_required
def objection(objection_id):
    obj = _objection(objection_id)
    reviewer = objection_ops.may_review(db.session, current_user, obj)
    form = DecisionForm()
    if request.method == "POST":
        if not reviewer:
            abort(403)
        if form.decision.data not in ("accept", "reject"):
            return _objection_page(obj, form, _("Choose whether to accept or reject the objection.")), 422
        try:
            with attempt():
                objection_ops.decide(db.session, obj, current_user, form.decision.data == "accept",
                                     _typed_value(obj), form.reason.data)
        except OperationError as exc:
            return _objection_page(obj, form, exc.message), exc.status
        flash(_("Decision recorded."), "success")
        return redirect(url_for(".objection", objection_id=obj.id))
    return _objection_page(obj, form)


def _typed_value(obj: Objection):
    values = request.form.getlist("value")
    indicator = rubric_for(_obj_period(obj)).indicator(obj.indicator_id)
    if indicator.type == "choice":
        return "\n".join(values) if values else None
    return values[0] if values else None


def _objection_page(obj, form, error=None):
    reviewer = objection_ops.may_review(db.session, current_user, obj)
    context = objection_ops.review_context(db.session, obj) if (reviewer or is_admin(current_user)) else {
        "period": _obj_period(obj), "indicator": rubric_for(_obj_period(obj)).indicator(obj.indicator_id)}
    return render_template("season/objection.html", obj=obj, form=form, error=error,
                           reviewer=reviewer, admin=is_admin(current_user),
                           new_value=unwrap(obj.new_value), typed=request.form.getlist("value"),
                           **context)


@bp.route("/sanggahan/<int:objection_id>/berkas")
@login_required
def objection_file(objection_id):
    obj = _objection(objection_id)
    if not obj.stored_name:
        abort(404)
    return send_stored(obj.stored_name, obj.content_type, obj.filename or f"sanggahan-{obj.id}")


@bp.route("/sanggahan/<int:objection_id>/bukti/<int:evidence_id>")
@login_required
def review_evidence(objection_id, evidence_id):
    """The unit's own evidence for the objected indicator, for the reviewer (and admin)."""
    obj = _objection(objection_id)
    if not (is_admin(current_user) or objection_ops.may_review(db.session, current_user, obj)):
        abort(403)
    ev = db.session.get(Evidence, evidence_id) or abort(404)
    sub = ev.submission
    if (ev.kind != "file" or sub.unit_code != obj.unit_code or sub.period_id != obj.period_id
            or ev.indicator_id != obj.indicator_id):
        abort(404)
    return send_stored(ev.stored_name, ev.content_type, ev.filename or f"bukti-{ev.id}")
