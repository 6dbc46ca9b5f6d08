"""Returns for revision, disagreement flags and moderation, claimed-versus-verified gaps, judge quality.

Returning and the version history are open to the admin and to judges the permissions
allow for that unit; everything else here is for the admin only."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import InputRequired, Length, Optional

from reports.workbook import Column, table_workbook

from ..extensions import db
from ..transaction import attempt
from ..forms.i18n import Form
from ..models import Period, WorkUnit
from ..navigation import SEASON, nav
from ..operations import OperationError
from ..operations.judging import setting
from ..operations.periods import periods_newest_first
from ..operations.moderation import (disagreements, judge_names, judges_notes, moderate,
                                     threshold, units_by_code)
from ..operations.quality import (LENIENCY_MARGIN, all_copied_completions, claim_gaps,
                                  copied_shares, judge_quality)
from ..operations.questionnaire import get_submission
from ..operations.editability import is_returned, revision_for, verification_open
from ..operations.revision import compare, return_for_revision, returned_units
from ..operations.runs import latest_run
from ..operations.season import accepted_keys
from ..permissions import can_moderate, can_return, can_see_versions, is_admin
from ..progress import remaining
from ..rubric_store import rubric_for
from ..forms.moderation import ModerationForm
from ..forms.fields import DATETIME_FORMATS
from .admin import wib_to_utc
from .access import require_admin
from .lookups import list_page, period_or_404
from .questionnaire import question_numbers

bp = Blueprint("moderation", __name__, url_prefix="/admin/moderation")
nav("moderation.index", _l("Moderation"), roles=("admin",), order=65, group=SEASON)

FLAGS_PER_PAGE = 25
GAP_ROWS_PER_PAGE = 50     # claimed versus verified: 50 rows a page (the .xlsx has them all)
GAP_VIEWS = {"unit": "units", "indicator": "indicators", "province": "provinces"}


@bp.before_request
@login_required
def _signed_in():
    return None


@bp.app_template_global("revision_of")
def revision_of(sub):
    """For the questionnaire pages: a returned questionnaire's reasons and deadline, or None."""
    return revision_for(sub) if is_returned(sub) else None


@bp.app_template_global("time_left")
def time_left(moment):
    return remaining(moment)


def _moderator(period: Period) -> None:
    if not can_moderate(current_user, period):
        abort(403)


def _submission(period: Period, code: str):
    unit = db.session.get(WorkUnit, code) or abort(404)
    sub = get_submission(db.session, period, unit.code) or abort(404)
    return unit, sub


# ---- forms ---------------------------------------------------------------------------------

def return_form(rubric, formdata=None):
    """A reason box per scored indicator and the new deadline (built fresh per call)."""
    fields = {"closes_at": DateTimeLocalField(_l("New deadline (WIB)"), format=DATETIME_FORMATS,
                                              validators=[InputRequired()])}
    for ind in rubric.indicators:
        fields[f"reason-{ind.id}"] = TextAreaField(ind.question, validators=[Optional(), Length(max=2000)])
    return type("ReturnForm", (Form,), fields)(formdata=formdata)


# ---- pages ------------------------------------------------------------------------------------

@bp.route("/")
def index():
    periods = [p for p in periods_newest_first(db.session)
               if can_moderate(current_user, p)]
    if not is_admin(current_user) and not periods:
        abort(403)
    return render_template("moderation/index.html", periods=periods)


@bp.route("/<period_slug>/")
def period(period_slug):
    require_admin()
    period = period_or_404(period_slug)
    flags = disagreements(db.session, period)
    return render_template("moderation/period.html", period=period,
                           returned=returned_units(db.session, period),
                           open_flags=sum(1 for f in flags if not f.resolved), flags=len(flags),
                           verification_open=verification_open(period))


@bp.route("/<period_slug>/kembalikan")
def return_lookup(period_slug):
    """The hub's "return a unit" box: on to that unit's return form."""
    require_admin()
    period = period_or_404(period_slug)
    code = (request.args.get("code") or "").strip()
    db.session.get(WorkUnit, code) or abort(404)
    return redirect(url_for(".return_submission", period_slug=period.slug, code=code))


@bp.route("/<period_slug>/unit/<code>/kembalikan", methods=["GET", "POST"])
def return_submission(period_slug, code):
    period = period_or_404(period_slug)
    unit, sub = _submission(period, code)
    if not can_return(db.session, current_user, period, unit):
        abort(403)
    rubric = rubric_for(period)
    form = return_form(rubric, request.form if request.method == "POST" else None)
    refused = None
    if form.validate_on_submit():
        reasons = {ind.id: form[f"reason-{ind.id}"].data for ind in rubric.indicators}
        try:
            with attempt():
                return_for_revision(db.session, sub, reasons, wib_to_utc(form.closes_at.data),
                                    current_user)
        except OperationError as exc:
            refused = exc
        else:
            flash(_("The questionnaire of %(unit)s was returned for revision.", unit=unit.name), "success")
            return redirect(url_for(".versions", period_slug=period.slug, code=unit.code))
    return render_template("moderation/return.html", period=period, unit=unit, sub=sub, form=form,
                           rubric=rubric, refused=refused, request_=revision_for(sub),
                           verification_open=verification_open(period)), (refused.status if refused else 200)


@bp.route("/<period_slug>/unit/<code>/versi")
def versions(period_slug, code):
    period = period_or_404(period_slug)
    unit, sub = _submission(period, code)
    if not can_see_versions(db.session, current_user, period, unit):
        abort(403)
    return render_template("moderation/versions.html", period=period, unit=unit, sub=sub,
                           rubric=rubric_for(period), numbers=question_numbers(rubric_for(period)),
                           **compare(db.session, sub))


@bp.route("/<period_slug>/perbedaan")
def flags(period_slug):
    period = period_or_404(period_slug)
    _moderator(period)
    return _flags_page(period)


def _flags_page(period, failed=None, status=200):
    """Open flags (or all, with ?show=all), FLAGS_PER_PAGE at a time."""
    everything = disagreements(db.session, period)
    if not is_admin(current_user):   # a lead judge: never the units they have a conflict with
        units = units_by_code(db.session, {f.unit_code for f in everything})
        everything = [f for f in everything if can_moderate(current_user, period, units[f.unit_code])]
    accepted = accepted_keys(db.session, period)   # accepted as they stand, with a reason
    show_all = request.args.get("show") == "all"
    chosen = [f for f in everything if show_all
              or not (f.resolved or (f.unit_code, f.indicator_id) in accepted)
              or (failed and (f.unit_code, f.indicator_id) == failed[:2])]
    shown = list_page(chosen, FLAGS_PER_PAGE)
    flags, page, pages = shown["items"], shown["page"], shown["pages"]
    rubric = rubric_for(period)
    return render_template("moderation/flags.html", period=period, flags=flags, rubric=rubric,
                           numbers=question_numbers(rubric), threshold=threshold(period),
                           final=latest_run(db.session, period, "final"), show_all=show_all,
                           open_count=sum(1 for f in everything if not f.resolved
                                          and (f.unit_code, f.indicator_id) not in accepted),
                           accepted=accepted,
                           accepted_count=sum(1 for f in everything if not f.resolved
                                              and (f.unit_code, f.indicator_id) in accepted),
                           total=len(everything), page=page, pages=pages,
                           judges=judge_names(db.session, flags), failed=failed,
                           notes=judges_notes(db.session, period, flags),
                           units=units_by_code(db.session, {f.unit_code for f in flags})), status


@bp.route("/<period_slug>/perbedaan/<code>/<indicator_id>", methods=["POST"])
def record_moderation(period_slug, code, indicator_id):
    period = period_or_404(period_slug)
    if not can_moderate(current_user, period, db.session.get(WorkUnit, code) or abort(404)):
        abort(403)
    rubric = rubric_for(period)
    if not rubric.has_indicator(indicator_id):
        abort(404)
    form = ModerationForm()
    raw = _typed_value(rubric.indicator(indicator_id), form)
    try:
        with attempt():
            if not form.validate_on_submit():
                raise OperationError(" ".join(e for errs in form.errors.values() for e in errs))
            moderate(db.session, period, code, indicator_id, raw, form.reason.data, current_user)
    except OperationError as exc:
        return _flags_page(period, failed=(code, indicator_id, exc.message, form), status=422)
    flash(_("The moderated value was recorded; it now counts as the verified value."), "success")
    return redirect(url_for(".flags", period_slug=period.slug) + f"#flag-{code}-{indicator_id}")


def _typed_value(indicator, form) -> str:
    """What was picked, as parse_raw reads it: choice options one per line ("-": none)."""
    if indicator.type == "choice":
        return "\n".join(form.options.data or []) or "-"
    return form.value.data or ""


@bp.route("/<period_slug>/selisih")
def gaps(period_slug):
    require_admin()
    period = period_or_404(period_slug)
    view = request.args.get("by", "unit")
    if view not in GAP_VIEWS:
        abort(404)
    tables = claim_gaps(db.session, period)
    query = (request.args.get("q") or "").strip()
    rows = [g for g in tables[GAP_VIEWS[view]]
            if not query or query.casefold() in f"{g.key} {g.label}".casefold()]
    shown = list_page(rows, GAP_ROWS_PER_PAGE)
    return render_template("moderation/gaps.html", period=period, view=view, query=query,
                           rows=shown["items"], found=len(rows), page=shown["page"],
                           pages=shown["pages"],
                           counts={k: len(tables[v]) for k, v in GAP_VIEWS.items()},
                           numbers=question_numbers(rubric_for(period)))


@bp.route("/<period_slug>/selisih.xlsx")
def gaps_xlsx(period_slug):
    require_admin()
    period = period_or_404(period_slug)
    view = request.args.get("by", "unit")
    if view not in GAP_VIEWS:
        abort(404)
    columns, rows = gap_table(view, claim_gaps(db.session, period)[GAP_VIEWS[view]])
    data = table_workbook(_("Claimed versus verified"), columns, rows)
    name = f"klaim-vs-verifikasi-{period.slug}-{view}.xlsx"
    return Response(data, headers={"Content-Disposition": f'attachment; filename="{name}"'},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def gap_table(view: str, rows) -> tuple[list[Column], list[list]]:
    """(columns, rows) of one gaps view; fractions as percentages of the maximum."""
    head = {"unit": [Column(_("Code"), "code"), Column(_("Work unit")), Column(_("Province"))],
            "indicator": [Column(_("Indicator"), "code"), Column(_("Question"))],
            "province": [Column(_("Province"))]}[view]
    columns = head + [Column(_("Verified answers"), "int"), Column(_("Claimed (%)"), "num"),
                      Column(_("Verified (%)"), "num"), Column(_("Gap (points)"), "num")]
    if view == "unit":
        columns += [Column(_("Self-score"), "num"), Column(_("Verified score (stage 1)"), "num")]
    out = []
    for g in rows:
        label = {"unit": [g.key, g.label, g.province], "indicator": [g.key, g.label],
                 "province": [g.label]}[view]
        row = label + [g.count, float(g.claimed * 100), float(g.verified * 100), float(g.gap * 100)]
        if view == "unit":
            row += [g.self_score, g.verified_score]
        out.append(row)
    return columns, out


@bp.route("/<period_slug>/penilai")
def judges(period_slug):
    require_admin()
    period = period_or_404(period_slug)
    return render_template("moderation/judges.html", period=period, rows=judge_quality(db.session, period),
                           copied=copied_shares(db.session, period),
                           all_copied=all_copied_completions(db.session, period),
                           threshold=threshold(period), margin=LENIENCY_MARGIN,
                           min_shared=setting(period, "min_shared_indicators"))
