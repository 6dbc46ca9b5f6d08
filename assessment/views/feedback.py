"""Each unit's feedback page after publication, and the good-practice library.

Everything shown comes from the published (frozen) scoring run, scored again with detail
by ``operations.practice.run_detail``; judges appear only as "Penilai 1", "Penilai 2"."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from reports.scorecard import scorecard_filename

from .. import run_files
from ..files import send_stored
from ..extensions import db
from ..transaction import attempt
from ..models import Evidence, GoodPractice, Period, ScoringRun, WorkUnit
from ..navigation import nav
from ..operations import OperationError
from ..operations import practice
from ..operations.feedback import (UnitFeedback, awards, feedback_periods, indicator_rows,
                                   keep_body, kept_body, page_body_name, published_periods,
                                   scorecard_file, submitted_published_periods, unit_feedback,
                                   units_in_scope)
from ..operations.editability import existed_when_opened
from ..operations.library import ALL, library_page, manage_page, practice_places
from ..operations.public_results import published
from ..operations.ranking import order_of
from ..operations.results import cached, run_file_key
from ..operations.runs import published_run
from ..permissions import (can_browse_practice, can_view_unit, can_withhold_practice, is_admin,
                           operator_unit)
from ..rubric_store import rubric_for
from ..forms.feedback import PlainForm, PublishForm, WithholdForm
from .lookups import period_or_404

bp = Blueprint("feedback", __name__)
nav("feedback.index", _l("Feedback"), roles=("admin", "operator", "monitor"), order=60)
nav("feedback.library_index", _l("Good practice"), roles=("admin", "operator", "monitor"),
    order=62)


# ---------------------------------------------------------------- loading


def _feedback_unit(period_slug: str, unit_code: str) -> tuple[Period, WorkUnit]:
    """The period and unit of a feedback address: 404 for unknown ones, 403 for another
    unit's."""
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, unit_code) or abort(404)
    if not can_view_unit(current_user, unit):
        abort(403)
    if not existed_when_opened(period, unit):
        abort(404, description=_("%(unit)s did not exist when %(period)s opened.",
                                 unit=unit.name, period=period.title))
    return period, unit


def _unit_feedback(period_slug: str, unit_code: str) -> UnitFeedback:
    """The unit's feedback: 404 for unknown ones, 403 for another unit's, 404 before
    publication (the admin previews the latest final run)."""
    period, unit = _feedback_unit(period_slug, unit_code)
    found = unit_feedback(db.session, period, unit, preview=is_admin(current_user))
    if found is None:
        abort(404)
    return found


def _ranked_feedback(period_slug: str, unit_code: str) -> UnitFeedback:
    """As ``_unit_feedback``, and 404 when the unit is not ranked in the run."""
    found = _unit_feedback(period_slug, unit_code)
    if found.card is None:
        abort(404)
    return found


def _library_period(period_slug: str) -> tuple[Period, ScoringRun]:
    """The period of the library and its published run (404 before results are published)."""
    if not can_browse_practice(current_user):
        abort(403)
    period = period_or_404(period_slug)
    run = published_run(db.session, period)
    if run is None:
        abort(404)
    return period, run


# ---------------------------------------------------------------- feedback pages

@bp.route("/umpan-balik/")
@login_required
def index():
    return render_template("feedback/index.html",
                           periods=feedback_periods(db.session, preview=is_admin(current_user)),
                           units=units_in_scope(db.session, current_user),
                           own=operator_unit(current_user))


@bp.route("/umpan-balik/<period_slug>/pilih")
@login_required
def choose(period_slug):
    code = (request.args.get("unit") or "").strip()
    return redirect(url_for(".unit_page", period_slug=period_slug, unit_code=code or "-"))


@bp.route("/umpan-balik/<period_slug>/<unit_code>")
@login_required
def unit_page(period_slug, unit_code):
    """The unit's feedback page. Its content besides the good-practice section (which
    depends on the viewer and the unit's choice) is rendered once per published run, unit,
    period version and language and kept (``operations.feedback.kept_body``): a later view
    works out nothing from the run and sends no query for it but the published run's
    lookup."""
    period, unit = _feedback_unit(period_slug, unit_code)
    found = published(db.session, period_id=period.id)
    name = page_body_name(db.session, found, unit.code)
    folder = run_files.cache_dir()
    body = kept_body(folder, found.key, name) if name else None
    if body is None:
        fb = unit_feedback(db.session, period, unit, preview=is_admin(current_user))
        if fb is None:
            abort(404)
        if fb.card is None:
            return render_template("feedback/not_ranked.html", period=period, unit=unit,
                                   preview=not fb.published)
        body = render_template(
            "feedback/_unit_body.html", period=period, unit=unit, card=fb.card,
            preview=not fb.published, run_key=run_file_key(fb.run), rule=order_of(fb.run),
            decided_by=fb.card["decided_by"], groups=indicator_rows(fb), awards=awards(fb))
        if name and fb.run.id == found.run_id:
            keep_body(folder, found.key, name, body)
    return render_template(
        "feedback/unit.html", period=period, unit=unit, body=Markup(body),
        withheld=practice.opted_out(db.session, period, unit.code),
        may_withhold=found is not None and can_withhold_practice(current_user, unit),
        withhold_form=WithholdForm(formdata=None))


@bp.route("/umpan-balik/<period_slug>/<unit_code>/radar.png")
@login_required
def radar(period_slug, unit_code):
    """The aspect dot plot (the old radar's address): the unit against its category's
    means, labelled with what they cover and their n."""
    return _chart(period_slug, unit_code, "radar.png")


@bp.route("/umpan-balik/<period_slug>/<unit_code>/selisih.png")
@login_required
def gaps(period_slug, unit_code):
    return _chart(period_slug, unit_code, "selisih.png")


def _chart(period_slug: str, unit_code: str, name: str) -> Response:
    """A feedback chart, drawn once per run and unit and kept as a file (run_files); the
    page's address names the run (``?run=``), so that address may be cached for good. A
    file already kept is served after the unit's permission check and one query for the
    published run's file key (``public_results.published``), without loading the run or
    working out the unit's feedback again."""
    if is_admin(current_user) or (current_user.role == "operator"
                                  and current_user.unit_code == unit_code):
        # may see the unit without loading it: a chart kept for the published run is of a
        # unit ranked in it (so one that existed when the period opened)
        ref = published(db.session, period_slug)
        data = ref and run_files.kept_file(run_files.cache_dir(), ref.key,
                                            run_files.feedback_file_name(unit_code, name))
        if data:
            return _chart_response(data, ref.key)
    period, unit = _feedback_unit(period_slug, unit_code)
    ref = published(db.session, period_id=period.id)
    if ref is not None:
        key = ref.key
    else:   # nothing published: the admin's preview of the latest final run, or 404
        run = practice.feedback_run(db.session, period, preview=is_admin(current_user)) or abort(404)
        key = run_file_key(run)
    data = run_files.kept_file(run_files.cache_dir(), key,
                               run_files.feedback_file_name(unit.code, name))
    if data is None:   # drawn only for a ranked unit
        fb = _ranked_feedback(period_slug, unit_code)
        data = cached(run_files.cache_dir(), fb.run, run_files.feedback_file_name(fb.unit.code, name),
                      lambda: run_files.FEEDBACK_FILES[name](fb.card))
    return _chart_response(data, key)


def _chart_response(data: bytes, key: str) -> Response:
    response = Response(data, mimetype="image/png")
    current = request.args.get("run") == key
    response.headers["Cache-Control"] = ("private, max-age=31536000, immutable" if current
                                         else "private, no-cache")
    return response


@bp.route("/umpan-balik/<period_slug>/<unit_code>/rapor.pdf")
@login_required
def scorecard(period_slug, unit_code):
    fb = _ranked_feedback(period_slug, unit_code)
    data = cached(run_files.cache_dir(), fb.run, run_files.scorecard_file_name(fb.unit.code),
                  lambda: scorecard_file(fb))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{scorecard_filename(fb.card)}"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/umpan-balik/<period_slug>/<unit_code>/praktik-baik", methods=["POST"])
@login_required
def withhold(period_slug, unit_code):
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, unit_code) or abort(404)
    if not can_withhold_practice(current_user, unit):
        abort(403)
    if published_run(db.session, period) is None:
        abort(404)
    form = WithholdForm()
    if not form.validate_on_submit() or form.withhold.data not in ("0", "1"):
        abort(400)
    withheld = form.withhold.data == "1"
    practice.set_opt_out(db.session, period, unit, withheld, current_user)
    flash(_("Your unit's material is withheld from the good-practice library.") if withheld
          else _("Your unit's material may be shared in the good-practice library."), "success")
    return redirect(url_for(".unit_page", period_slug=period.slug, unit_code=unit.code)
                    + "#practice")


# ---------------------------------------------------------------- good-practice library

@bp.route("/praktik-baik/")
@login_required
def library_index():
    if not can_browse_practice(current_user):
        abort(403)
    return render_template("feedback/library_index.html", periods=published_periods(db.session))


@bp.route("/praktik-baik/<period_slug>")
@login_required
def library(period_slug):
    period, run = _library_period(period_slug)
    detail = practice.run_detail(run)
    page = library_page(db.session, period, detail, request.args.get("aspek"),
                        operator_unit(current_user))
    if page is None:
        abort(404)
    return render_template("feedback/library.html", period=period, aspect_id=page.aspect_id,
                           groups=page.groups, counts=page.counts, rubric=detail.rubric,
                           all_aspects=ALL, own_unit=page.own_unit)


@bp.route("/praktik-baik/entri/<int:entry_id>/bukti/<int:evidence_id>")
@login_required
def practice_file(entry_id, evidence_id):
    if not can_browse_practice(current_user):
        abort(403)
    entry = db.session.get(GoodPractice, entry_id) or abort(404)
    ev = db.session.get(Evidence, evidence_id) or abort(404)
    if ev.kind != "file" or not practice.evidence_of_entry(db.session, entry, ev):
        abort(404)
    return send_stored(ev.stored_name, ev.content_type, ev.filename or f"bukti-{ev.id}")


@bp.route("/praktik-baik/<period_slug>/kelola")
@login_required
def manage(period_slug):
    if not is_admin(current_user):
        abort(403)
    period, run = _library_period(period_slug)
    detail = practice.run_detail(run)
    aspect = _chosen_aspect(detail.rubric, request.args.get("aspek"))
    return render_template("feedback/manage.html", period=period, aspect=aspect,
                           rubric=detail.rubric, form=PlainForm(formdata=None),
                           **manage_page(db.session, period, detail, aspect))


def _chosen_aspect(rubric, aspect_id: str | None):
    if not aspect_id:
        return rubric.aspects[0]
    try:
        return rubric.aspect(aspect_id)
    except KeyError:
        abort(404)


@bp.route("/praktik-baik/<period_slug>/terbitkan", methods=["POST"])
@login_required
def publish(period_slug):
    if not is_admin(current_user):
        abort(403)
    period, _run = _library_period(period_slug)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with attempt():
            practice.publish_entry(db.session, period, form.indicator_id.data, form.unit_code.data,
                                   current_user)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("The material is published in the good-practice library."), "success")
    return redirect(_manage_url(period, form.indicator_id.data))


@bp.route("/praktik-baik/entri/<int:entry_id>/tarik", methods=["POST"])
@login_required
def withdraw(entry_id):
    if not is_admin(current_user):
        abort(403)
    entry = db.session.get(GoodPractice, entry_id) or abort(404)
    period = db.session.get(Period, entry.period_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        with attempt():
            practice.withdraw_entry(db.session, entry, current_user)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("The material is withdrawn from the good-practice library."), "success")
    return redirect(_manage_url(period, entry.indicator_id))


def _manage_url(period, indicator_id: str) -> str:
    rubric = rubric_for(period)
    aspect = rubric.indicator(indicator_id).aspect_id if rubric.has_indicator(indicator_id) else None
    return url_for(".manage", period_slug=period.slug, aspek=aspect) + f"#ind-{indicator_id}"


# ---------------------------------------------------------------- links for other pages

@bp.app_context_processor
def _links():
    return {"feedback_links": feedback_links, "practice_links": practice_links}


def feedback_links(unit) -> list[dict]:
    """Published periods in which the unit submitted: its feedback pages."""
    return [{"period": p, "url": url_for("feedback.unit_page", period_slug=p.slug,
                                         unit_code=unit.code)}
            for p in submitted_published_periods(db.session, unit)]


def practice_links() -> dict[str, str]:
    """indicator id -> its place in the latest published library that has material for it
    (computed once per request)."""
    if "practice_links" not in g:
        places = (practice_places(db.session, list(reversed(published_periods(db.session))))
                  if can_browse_practice(current_user) else {})
        g.practice_links = {
            ind: url_for("feedback.library", period_slug=period.slug, aspek=aspect) + f"#ind-{ind}"
            for ind, (period, aspect) in places.items()}
    return g.practice_links
