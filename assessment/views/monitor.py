"""Progress of a period for the bureau (all units) and provincial monitors (their province
and its regencies only, enforced here on every request)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from reports.progress_xlsx import progress_xlsx

from ..extensions import db
from ..models import WorkUnit
from ..models.types import utcnow
from ..models.units import LEVELS
from ..navigation import nav
from ..permissions import can_monitor, can_view_unit
from ..progress import (LEVEL_LABELS, STATUSES, filter_rows, province_summary, recent_periods,
                        summary_table, unit_rows, unit_table)
from .lookups import period_or_404

bp = Blueprint("monitor", __name__, url_prefix="/pemantauan")
nav("monitor.index", _l("Progress"), roles=("admin", "monitor"), order=30)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    return render_template("monitor/progress.html", period=period, summary=summary, totals=totals,
                           rows=filter_rows(rows, **filters), filters=filters, statuses=STATUSES,
                           active_filters={k: v for k, v in filters.items() if v},
                           levels=[lv for lv in LEVELS if lv in period.levels],
                           level_labels=LEVEL_LABELS, scope=scope)


@bp.route("/<period_slug>/progres.xlsx")
@login_required
def download(period_slug):
    period, scope, filters, rows, summary, totals = _progress(period_slug)
    data = progress_xlsx(*unit_table(filter_rows(rows, **filters)), sheet_title=_("Units"),
                         summary=summary_table(summary, totals), summary_title=_("Per province"))
    name = f"progres-{period.slug}{'-' + scope if scope else ''}-{utcnow():%Y%m%d}.xlsx"
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
