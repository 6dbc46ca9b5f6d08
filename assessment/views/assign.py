"""Judge assignment (admin): settings, automatic and manual assignment, drop-outs."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from reports.workbook import Column, table_workbook

from ..extensions import db
from ..transaction import attempt
from ..models import JudgeAssignment, Period, User, WorkUnit
from ..models.types import utcnow
from ..models.units import LEVELS
from ..navigation import SEASON, nav
from ..operations import Invalid, OperationError
from ..operations import assign as ops
from ..progress import LEVEL_LABELS
from ..forms.assign import AddJudgeForm, ReasonForm, SettingsForm
from ..forms.fields import choices
from ..spreadsheets import XLSX
from .admin import WIB, wib_to_utc
from .lookups import period_or_404
from .access import admins_only

bp = Blueprint("assign", __name__, url_prefix="/admin/judging")
admins_only(bp)
nav("assign.index", _l("Judge assignment"), roles=("admin",), order=62, group=SEASON)


def _refused(form, exc: OperationError, field: str):
    getattr(form, field).errors.append(exc.message)


@bp.route("/")
def index():
    return render_template("assign/index.html", periods=ops.periods_newest_first(db.session))


@bp.route("/<period_slug>/")
def overview(period_slug):
    period = period_or_404(period_slug)
    filters = _filters()
    return render_template("assign/overview.html", period=period, filters=filters,
                           level_labels=LEVEL_LABELS,
                           active_filters={k: v for k, v in filters.items() if v},
                           **ops.overview_page(db.session, period, filters))


def _filters() -> dict:
    level = request.args.get("level", "")
    return {"province": request.args.get("province", "").strip()[:16],
            "level": level if level in LEVELS else "",
            "unassigned": "1" if request.args.get("unassigned") else ""}


@bp.route("/<period_slug>/pengaturan", methods=["GET", "POST"])
def settings(period_slug):
    period = period_or_404(period_slug)
    form = SettingsForm(data=None if request.method == "POST" else _settings_data(period))
    form.lead_judges.choices = [(j.id, f"{j.name} ({j.username})")
                                for j in ops.all_judges(db.session) if j.active]
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in ops.judging_settings(period)}
        values |= {key: wib_to_utc(values[key]) if values[key] else None for key in ops.DATE_KEYS}
        try:
            with attempt():
                changes = ops.update_settings(db.session, period, current_user, **values)
        except OperationError as exc:
            for key, message in (exc.details or {}).items():
                getattr(form, key).errors.append(message)
            flash(exc.message, "danger")
        else:
            flash(_("Judging settings saved.") if changes else _("Nothing was changed."), "success")
            clashes = ops.conflicting(db.session, period)
            if clashes:
                flash(ngettext("%(num)d active assignment is now a conflict of interest: end it on "
                               "the unit's page.", "%(num)d active assignments are now a conflict "
                               "of interest: end them on the units' pages.", len(clashes)), "warning")
            return redirect(url_for("assign.overview", period_slug=period.slug))
    return render_template("assign/settings.html", period=period, form=form)


def _settings_data(period: Period) -> dict:
    data = ops.judging_settings(period)
    data["disagreement_threshold"] = f"{data['disagreement_threshold']:g}".replace(".", ",")
    for key in ops.DATE_KEYS:
        if data[key]:
            data[key] = data[key].astimezone(WIB).replace(tzinfo=None)
    return data


@bp.post("/<period_slug>/otomatis")
def auto(period_slug):
    period = period_or_404(period_slug)
    try:
        with attempt():
            result = ops.auto_assign(db.session, period, current_user)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(ngettext("%(num)d assignment added for %(units)d submitted units; the loads per "
                       "judge are below.", "%(num)d assignments added for %(units)d submitted "
                       "units; the loads per judge are below.", len(result.added),
                       units=result.units), "success")
    return redirect(url_for("assign.overview", period_slug=period.slug) + "#loads")


@bp.route("/<period_slug>/satker/<code>", methods=["GET", "POST"])
def unit(period_slug, code):
    period, unit = period_or_404(period_slug), db.get_or_404(WorkUnit, code)
    form = AddJudgeForm()
    form.judge_id.choices = _judge_choices(period, unit)
    if form.validate_on_submit():
        judge = db.get_or_404(User, form.judge_id.data)
        try:
            with attempt():
                ops.add_assignment(db.session, period, unit, judge, current_user)
        except OperationError as exc:
            _refused(form, exc, "judge_id")
        else:
            flash(_("%(name)s now judges %(unit)s.", name=judge.name, unit=unit.name), "success")
            return redirect(url_for("assign.unit", period_slug=period.slug, code=unit.code))
    return render_template("assign/unit.html", period=period, unit=unit, form=form,
                           end_form=ReasonForm(), **ops.unit_page(db.session, period, unit)), \
        422 if form.errors else 200


def _judge_choices(period, unit) -> list:
    """The judges worth offering: in the pool, no conflict, not already on the unit."""
    return choices([(j.id, f"{j.name} ({j.username}) · " + _("%(count)d units", count=load))
                    for j, load in ops.judges_to_offer(db.session, period, unit)])


@bp.post("/<period_slug>/penugasan/<int:assignment_id>/akhiri")
def end(period_slug, assignment_id):
    period = period_or_404(period_slug)
    row = db.get_or_404(JudgeAssignment, assignment_id)
    if row.period_id != period.id:
        abort(404)
    form = ReasonForm()
    try:
        with attempt():
            if not form.validate_on_submit():
                raise Invalid(_("Give a reason for ending the assignment."))
            ops.end_assignment(db.session, row, form.reason.data, current_user)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("The assignment was ended; the values already given stay stored."), "success")
    return redirect(url_for("assign.unit", period_slug=period.slug, code=row.unit_code))


@bp.route("/<period_slug>/penilai/<int:judge_id>", methods=["GET", "POST"])
def judge(period_slug, judge_id):
    period, judge = period_or_404(period_slug), db.get_or_404(User, judge_id)
    if judge.role != "judge":
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            with attempt():
                ended, kept = ops.drop_out(db.session, period, judge, form.reason.data,
                                           current_user)
        except OperationError as exc:
            _refused(form, exc, "reason")
        else:
            flash(_("%(name)s dropped out: %(ended)d assignments ended, %(kept)d completed units "
                    "kept. Run the automatic assignment to fill the gaps.", name=judge.name,
                    ended=len(ended), kept=len(kept)), "success")
            return redirect(url_for("assign.judge", period_slug=period.slug, judge_id=judge.id))
    return render_template("assign/judge.html", period=period, judge=judge, form=form,
                           rows=ops.overview_of_judge(db.session, period, judge),
                           dropped=judge.id in ops.dropped_ids(period))


@bp.route("/<period_slug>/penugasan.xlsx")
def download(period_slug):
    period = period_or_404(period_slug)
    data = table_workbook(_("Assignments"), _xlsx_columns(), ops.assignment_table(db.session, period))
    name = f"penugasan-{period.slug}-{utcnow():%Y%m%d}.xlsx"
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _xlsx_columns() -> list[Column]:
    return [Column(_("Code"), "code"), Column(_("Work unit")), Column(_("Level")),
            Column(_("Province")), Column(_("Judge (username)")), Column(_("Judge")),
            Column(_("Seconded from")), Column(_("Status")), Column(_("Verified indicators"), "int"),
            Column(_("Scored indicators"), "int"), Column(_("Completed")),
            Column(_("Assigned (WIB)")), Column(_("Ended (WIB)")), Column(_("Reason for ending"))]
