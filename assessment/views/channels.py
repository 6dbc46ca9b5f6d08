"""Monitoring pages (issue 16): a unit's channels, posts, activities and weekly dashboard;
the national and provincial dashboards with the heat map and the workbook."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from reports.activity_charts import province_week_heatmap, weekly_trend_chart
from reports.progress_xlsx import progress_xlsx

from ..extensions import db
from ..forms.monitor import (KIND_LABELS, ActivityForm, ChannelForm, CoverForm, PostForm,
                             PostUploadForm, StageForm)
from ..models import MonitorActivity, WorkUnit
from ..navigation import nav
from ..operations import monitor as ops
from ..permissions import can_edit_channels, can_monitor, can_view_unit, is_admin, units_visible_to
from ..operations import Invalid
from ..spreadsheets import XLSX, SpreadsheetError, cell_place, read_xlsx_sheet
from ..transaction import attempt

bp = Blueprint("channels", __name__, url_prefix="/kanal")
nav("channels.index", _l("Channels"), roles=("admin", "operator", "monitor"), order=35)
SHOWN_PROBLEMS = 10      # bad rows of an upload named one by one (the rest counted)


def unit_or_404(code: str, edit: bool = False) -> WorkUnit:
    unit = db.session.get(WorkUnit, code)
    if unit is None:
        abort(404)
    if not (can_edit_channels if edit else can_view_unit)(current_user, unit):
        abort(403)
    return unit


def date_range(unit: WorkUnit | None = None) -> tuple[date, date]:
    start, end = ops.default_range(unit) if unit else ops.default_range(WorkUnit(time_zone="WIB"))
    if request.args.get("from") and request.args.get("to"):   # a bad range: Invalid, 422
        start, end = ops.checked_range(request.args["from"], request.args["to"])
    return start, end


@bp.route("/")
@login_required
def index():
    if current_user.role == "operator" and current_user.unit_code:
        return redirect(url_for(".unit", code=current_user.unit_code))
    if not can_monitor(current_user):
        abort(403)
    return redirect(url_for(".overview"))


@bp.route("/satker/<code>")
@login_required
def unit(code):
    unit = unit_or_404(code)
    page = ops.unit_page(db.session, unit, *date_range(unit))
    post_form = PostForm()
    post_form.channel_id.choices = [(c.id, f"{KIND_LABELS[c.kind]}: {c.url}") for c in page.activity.channels]
    return render_template("channels/unit.html", unit=unit, page=page, kinds=KIND_LABELS,
                           channel_form=ChannelForm(), post_form=post_form,
                           upload_form=PostUploadForm(), activity_form=ActivityForm(),
                           cover_form=CoverForm(), may_edit=can_edit_channels(current_user, unit))


@bp.route("/satker/<code>/grafik.<fmt>")
@login_required
def unit_chart(code, fmt):
    unit = unit_or_404(code)
    if fmt not in ("png", "svg"):
        abort(404)
    activity = ops.unit_activity(db.session, unit, *date_range(unit))
    series = [(f"{KIND_LABELS[c.kind]}: {c.url}", [n for _, n in activity.channel_weeks[c.id]])
              for c in activity.channels]
    body = weekly_trend_chart([w for w, _ in activity.weeks], series,
                              _("%(unit)s: items per week", unit=unit.name),
                              item_label=_("Items"), fmt=fmt)
    return Response(body, mimetype="image/png" if fmt == "png" else "image/svg+xml")


def _back(unit: WorkUnit, message: str | None = None, category: str = "success"):
    if message:
        flash(message, category)
    return redirect(url_for(".unit", code=unit.code))


@bp.post("/satker/<code>/kanal")
@login_required
def add_channel(code):
    unit = unit_or_404(code, edit=True)
    form = ChannelForm()
    if not form.validate_on_submit():
        return _back(unit, _("Check the channel's fields."), "danger")
    ops.add_channel(db.session, unit, form.kind.data, form.url.data, form.feed_url.data or None,
                    user=current_user)
    return _back(unit, _("Channel added."))


@bp.post("/satker/<code>/kanal/<int:channel_id>/hapus")
@login_required
def remove_channel(code, channel_id):
    unit = unit_or_404(code, edit=True)
    channel = ops.find_channel(db.session, unit, channel_id)
    if channel is None:
        abort(404)
    ops.remove_channel(db.session, channel, user=current_user)
    return _back(unit, _("Channel removed."))


@bp.post("/satker/<code>/unggahan")
@login_required
def log_post(code):
    unit = unit_or_404(code, edit=True)
    form = PostForm()
    form.channel_id.choices = [(c.id, c.url) for c in ops.channels_of(db.session, unit)]
    if not form.validate_on_submit():
        return _back(unit, _("Check the post's fields."), "danger")
    ops.log_post(db.session, unit, form.url.data, form.published.data, form.title.data,
                 form.channel_id.data, user=current_user)
    return _back(unit, _("Post logged."))


@bp.post("/satker/<code>/unggahan.xlsx")
@login_required
def upload_posts(code):
    unit = unit_or_404(code, edit=True)
    form = PostUploadForm()
    if not form.validate_on_submit():
        return _back(unit, _("Choose a workbook."), "danger")
    try:
        sheet, table = read_xlsx_sheet(form.file.data.read(), max_rows=5000)
    except SpreadsheetError as exc:
        return _back(unit, str(exc), "danger")
    try:
        with attempt():          # all or nothing: a bad row undoes the whole upload
            created = ops.log_posts(db.session, unit, ops.rows_from_sheet(table),
                                    user=current_user)
    except Invalid as exc:
        flash(exc.message, "danger")
        problems = sorted((exc.details or {}).items(), key=lambda item: int(item[0]))
        for row, problem in problems[:SHOWN_PROBLEMS]:
            column = ops.POST_COLUMNS.index(problem["field"]) + 1
            flash(f"{cell_place(sheet, int(row), column)}: {problem['message']}", "danger")
        if len(problems) > SHOWN_PROBLEMS:
            flash(_("... and %(num)d more.", num=len(problems) - SHOWN_PROBLEMS), "danger")
        return _back(unit)
    return _back(unit, _("%(num)d new post(s) logged.", num=created))


@bp.post("/satker/<code>/kegiatan")
@login_required
def add_activity(code):
    unit = unit_or_404(code, edit=True)
    form = ActivityForm()
    if not form.validate_on_submit():
        return _back(unit, _("Check the activity's fields."), "danger")
    ops.add_activity(db.session, unit, form.day.data, form.title.data, form.kind.data,
                     user=current_user)
    return _back(unit, _("Activity logged."))


@bp.post("/satker/<code>/kegiatan/<int:activity_id>/liputan")
@login_required
def confirm_coverage(code, activity_id):
    unit = unit_or_404(code, edit=True)
    activity = db.session.get(MonitorActivity, activity_id)
    form = CoverForm()
    if activity is None or activity.unit_code != unit.code or not form.validate_on_submit():
        abort(404)
    ops.confirm_coverage(db.session, unit, activity, form.item_id.data, user=current_user)
    return _back(unit, _("Coverage confirmed."))


def _overview_data():
    if not can_monitor(current_user):
        abort(403)
    units = ops.active_units(db.session, units_visible_to(current_user))
    start, end = date_range()
    labels, rows = ops.units_activity(db.session, units, start, end)
    provinces = {u.code: u.name for u in units if u.level == "provinsi"}
    return units, start, end, labels, rows, provinces


@bp.route("/ringkasan")
@login_required
def overview():
    units, start, end, labels, rows, provinces = _overview_data()
    rows = sorted(rows, key=lambda r: (-(r.active_share or 0), -(r.same_day_share or 0), r.code))
    return render_template("channels/overview.html", rows=rows, start=start, end=end,
                           weeks=len(labels), stage_form=StageForm() if is_admin(current_user) else None,
                           stages=ops.stage_periods(db.session))


@bp.route("/ringkasan/peta.png")
@login_required
def heatmap():
    units, start, end, labels, rows, provinces = _overview_data()
    body = province_week_heatmap(labels, ops.province_weeks(rows, labels, provinces),
                                 _("Share of units with at least one item, per province and week"))
    return Response(body, mimetype="image/png")


@bp.route("/ringkasan.xlsx")
@login_required
def overview_xlsx():
    units, start, end, labels, rows, provinces = _overview_data()
    headers = [_("Code"), _("Work unit"), _("Items"), _("Active weeks (%)"),
               _("Active weeks outside election stages (%)"), _("Activities"),
               _("Covered on the same day (%)"), _("Median delay (days)")] + labels
    pct = lambda v: None if v is None else round(v * 100, 1)   # noqa: E731
    body = progress_xlsx(headers, [[r.code, r.name, r.items, pct(r.active_share), pct(r.outside_share),
                                    r.activities, pct(r.same_day_share), r.median_delay, *r.weeks]
                                   for r in rows], sheet_title=_("Publishing"))
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=kanal-{start}-{end}.xlsx"})


@bp.post("/tahapan")
@login_required
def add_stage():
    if not is_admin(current_user):
        abort(403)
    form = StageForm()
    if form.validate_on_submit():
        ops.add_stage(db.session, form.name.data, form.starts_on.data, form.ends_on.data,
                      user=current_user)
        flash(_("Election stage added."), "success")
    else:
        flash(_("Check the stage's fields."), "danger")
    return redirect(url_for(".overview"))
