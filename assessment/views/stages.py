"""The season's checklist (Tahapan musim): every gate of the next steps with its count and the
page that resolves it, and the two per-item waivers (excluding a unit, accepting a
disagreement). The gates live in operations/season.py: these pages and the API
(api/season.py) ask the same function."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db
from ..models import ScoringRun
from ..navigation import SEASON, nav
from ..operations import OperationError
from ..operations import season as ops
from ..operations.moderation import disagreements, judge_names, units_by_code
from ..operations.runs import latest_run, published_run
from ..permissions import is_admin
from ..progress import recent_periods
from ..rubric_store import rubric_for
from ..transaction import attempt
from ..forms.stages import WaiverForm
from .lookups import period_or_404

bp = Blueprint("stages", __name__, url_prefix="/admin/periode")
nav("stages.index", _l("Season stages"), roles=("admin",), order=50, group=SEASON)

ACTION_TITLES = {"provisional": _l("Before the provisional ranking"),
                 "final": _l("Before the final ranking"), "publish": _l("Before publication")}
ACTION_PAGES = {"provisional": "season.ranking", "final": "results.runs", "publish": "results.runs"}
WAIVER_ROWS = 200


@bp.app_template_global("period_state")
def period_state(period):
    """For every template: where the period stands now (operations.season.period_state)."""
    return ops.period_state(period)


@bp.before_request
@login_required
def _admin_only():
    if not is_admin(current_user):
        abort(403)


@bp.route("/tahapan/")
def index():
    return render_template("stages/index.html", rows=[
        {"period": p, "state": ops.period_state(p)} for p in recent_periods(db.session)])


@bp.route("/<period_slug>/tahapan/")
def checklist(period_slug):
    period = period_or_404(period_slug)
    state = ops.period_state(period)
    gates = ops.gates(db.session, period, state.now)
    groups = [(action, ACTION_TITLES[action], ACTION_PAGES[action],
               [g for g in gates if g.action == action]) for action in ops.ACTIONS]
    return render_template("stages/checklist.html", period=period, state=state, groups=groups,
                           provisional=latest_run(db.session, period, "provisional"),
                           final=latest_run(db.session, period, "final"),
                           published=published_run(db.session, period))


# ---- waivers, one item at a time ---------------------------------------------------------------

@bp.route("/<period_slug>/tahapan/pengecualian", methods=["GET", "POST"])
def exclusions(period_slug):
    period = period_or_404(period_slug)
    form = WaiverForm()
    if form.validate_on_submit():
        try:
            with attempt():
                ops.exclude_unit(db.session, period, form.target.data, form.reason.data,
                                 current_user)
        except OperationError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("The unit is excluded from the ranking and shown as not assessed."), "success")
            return redirect(url_for(".exclusions", period_slug=period.slug))
    elif request.method == "POST":
        flash(_("Give the reason."), "danger")
    left = ops.unverified_units(db.session, period)
    units = units_by_code(db.session, [r["code"] for r in left[:WAIVER_ROWS]]
                          + [e.unit_code for e in ops.exclusions(db.session, period)])
    return render_template("stages/exclusions.html", period=period, left=left[:WAIVER_ROWS],
                           total=len(left), units=units,
                           excluded=ops.exclusions(db.session, period),
                           users=ops.admins_by_id(db.session), form=form), 422 if form.errors else 200


@bp.route("/<period_slug>/tahapan/perbedaan", methods=["GET", "POST"])
def acceptances(period_slug):
    period = period_or_404(period_slug)
    form = WaiverForm()
    if form.validate_on_submit():
        code, _sep, indicator_id = form.target.data.partition("|")
        try:
            with attempt():
                ops.accept_disagreement(db.session, period, code, indicator_id, form.reason.data,
                                        current_user)
        except OperationError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("The disagreement is accepted as it stands."), "success")
            return redirect(url_for(".acceptances", period_slug=period.slug))
    elif request.method == "POST":
        flash(_("Give the reason."), "danger")
    flags = ops.open_flags(db.session, period, disagreements(db.session, period))
    shown = flags[:WAIVER_ROWS]
    return render_template("stages/acceptances.html", period=period, flags=shown,
                           total=len(flags), rubric=rubric_for(period),
                           judges=judge_names(db.session, shown),
                           units=units_by_code(db.session, {f.unit_code for f in shown}),
                           accepted=sorted(ops.acceptances(db.session, period).values(),
                                           key=lambda a: (a.unit_code, a.indicator_id)),
                           users=ops.admins_by_id(db.session), form=form), 422 if form.errors else 200


# ---- JSON API (administrators) ----------------------------------------------------------------

def gate_link(gate) -> str | None:
    """The page that resolves a gate, for the checklist."""
    if gate.link is None:
        return None
    endpoint, values = gate.link
    return url_for(endpoint, **values)


bp.add_app_template_global(gate_link, "gate_link")


@bp.app_template_global("not_assessed")
def not_assessed(run: ScoringRun) -> list[dict]:
    """Units excluded from the run's period by the time it was computed (ops.not_assessed)."""
    return ops.not_assessed(db.session, run)
