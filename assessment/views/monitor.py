"""Progress of a period for the bureau (all units) and provincial monitors (their province
and its regencies only, enforced here on every request)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from reports.progress_xlsx import progress_xlsx

from ..extensions import db
from ..models import WorkUnit
from ..models.types import utcnow
from ..models.units import LEVELS
from ..navigation import nav
from ..forms.accounts import ConfirmForm
from ..operations.notices import send_manual_reminders
from ..permissions import can_monitor, can_view_unit, is_admin
from ..progress_list import PAGE_SIZE, search_rows, with_completeness
from ..progress import (LEVEL_LABELS, STATUSES, filter_rows, province_summary, recent_periods,
                        summary_table, unit_rows, unit_table)
from ..spreadsheets import XLSX
from .lookups import list_page, period_or_404

bp = Blueprint("monitor", __name__, url_prefix="/pemantauan")
nav("monitor.index", _l("Progress"), roles=("admin", "monitor"), order=30)


def monitor_scope(user) -> str | None:
    """The province a user may follow (None: every unit, for the bureau); 403 otherwise."""
    if not can_monitor(user):
        abort(403)
    if user.role == "admin":
        return None
    if not user.unit_code:
        abort(403)
    return user.unit_code


def _filters() -> dict:
    """Status, province and level from the query string; a province outside the user's
    scope is refused (403), unknown values are ignored."""
    status = request.args.get("status", "")
    level = request.args.get("level", "")
    province = request.args.get("province", "").strip()
    if province:
        unit = db.session.get(WorkUnit, province)
        if unit is None:
            abort(404)
        if not can_view_unit(current_user, unit):
            abort(403)
    return {"status": status if status in STATUSES else "",
            "level": level if level in LEVELS else "", "province": province}


@bp.route("/")
@login_required
def index():
    monitor_scope(current_user)
    return render_template("monitor/index.html", periods=recent_periods(db.session, limit=50))


def _progress(period_slug: str):
    """The period, the viewer's scope, the filters and the progress rows it may see."""
    period = period_or_404(period_slug)
    scope = monitor_scope(current_user)
    rows = unit_rows(db.session, period, scope)
    return period, scope, _filters(), rows, *province_summary(rows)


@bp.route("/<period_slug>/")
@login_required
def progress(period_slug):
    period, scope, filters, rows, summary, totals = _progress(period_slug)
    search = request.args.get("q", "").strip()[:100]
    page = list_page(search_rows(filter_rows(rows, **filters), search), PAGE_SIZE)
    page["items"] = with_completeness(db.session, period, page["items"])
    active = {k: v for k, v in dict(filters, q=search).items() if v}
    return render_template("monitor/progress.html", period=period, summary=summary, totals=totals,
                           page=page, filters=filters, statuses=STATUSES, search=search,
                           active_filters=active, remind_form=ConfirmForm(formdata=None),
                           levels=[lv for lv in LEVELS if lv in period.levels],
                           level_labels=LEVEL_LABELS, scope=scope)


@bp.route("/<period_slug>/pengingat", methods=["POST"])
@login_required
def remind(period_slug):
    """"Kirim pengingat" (administrators): to the units ticked, or to every unit not started
    or with a draft; in-app and by e-mail, each unit in the audit log."""
    period = period_or_404(period_slug)
    if not is_admin(current_user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = request.form.get("target", "")
    if target in ("not_started", "draft"):
        codes = [r["code"] for r in unit_rows(db.session, period) if r["status"] == target]
    else:
        codes = request.form.getlist("unit")[:2000]
    count = send_manual_reminders(db.session, period, codes, current_user)
    flash(ngettext("A reminder was sent to %(num)d unit.", "A reminder was sent to %(num)d units.",
                   count) if count else _("No reminder was sent: choose units that have not "
                                          "submitted and have an operator account."),
          "success" if count else "warning")
    return redirect(url_for(".progress", period_slug=period.slug, **{
        k: v for k, v in request.args.items() if k in ("status", "province", "level", "q", "page")}))


@bp.route("/<period_slug>/progres.xlsx")
@login_required
def download(period_slug):
    period, scope, filters, rows, summary, totals = _progress(period_slug)
    rows = search_rows(filter_rows(rows, **filters), request.args.get("q", "").strip()[:100])
    data = progress_xlsx(*unit_table(rows), sheet_title=_("Units"),
                         summary=summary_table(summary, totals), summary_title=_("Per province"))
    name = f"progres-{period.slug}{'-' + scope if scope else ''}-{utcnow():%Y%m%d}.xlsx"
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
