"""Landing page per role: an operator's questionnaires, a summary for the bureau and the
provincial monitors, what judges can expect; and the user's in-app notices."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..extensions import db
from ..models import Notice
from ..models.types import utcnow
from ..navigation import nav
from ..operations import notices as notice_ops
from ..operations.dashboard import operator_cards
from ..operations.season import period_state
from ..permissions import can_moderate, can_monitor
from ..progress import STATUS_LABELS, STATUSES, count_statuses, recent_periods, unit_rows
from .lookups import own_or_404

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")
nav("dashboard.home", _l("Dashboard"), roles=("admin", "judge", "operator", "monitor"), order=10)


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.route("/")
@login_required
def home():
    notices = notice_ops.notices_for(db.session, current_user)
    if current_user.role == "operator":
        return render_template("dashboard/operator.html", unit=current_user.unit,
                               cards=_operator_cards(current_user.unit), notices=notices)
    if can_monitor(current_user):
        return render_template("dashboard/monitor.html", summaries=_summaries(), notices=notices,
                               statuses=STATUSES, now=utcnow())
    periods = recent_periods(db.session)
    return render_template("dashboard/judge.html", periods=periods,
                           states={p.id: period_state(p) for p in periods},
                           notices=notices,
                           lead_periods=[p for p in periods if can_moderate(current_user, p)])


@bp.route("/pemberitahuan/<int:notice_id>/dibaca", methods=["POST"])
@login_required
def mark_read(notice_id):
    notice_ops.mark_read(db.session, own_or_404(Notice, notice_id), current_user)
    return redirect(url_for("dashboard.home") + "#notices")


@bp.route("/pemberitahuan/dibaca-semua", methods=["POST"])
@login_required
def mark_all_read():
    count = notice_ops.mark_all_read(db.session, current_user)
    flash(ngettext("%(num)d notice marked as read.", "%(num)d notices marked as read.", count), "info")
    return redirect(url_for("dashboard.home") + "#notices")


def _operator_cards(unit) -> list[dict]:
    return [dict(card, link=_link("questionnaire.overview", period_slug=card["period"].slug))
            for card in operator_cards(db.session, unit)]


def _summaries() -> list[dict]:
    scope = current_user.unit_code if current_user.role == "monitor" else None
    if current_user.role == "monitor" and not scope:
        return []
    now = utcnow()
    return [{"period": p, "counts": count_statuses(unit_rows(db.session, p, scope)),
             "open": period_state(p, now).any_open}
            for p in recent_periods(db.session)]


def _link(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
