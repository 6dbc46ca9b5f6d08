"""Each unit's feedback page after publication, and the good-practice library.

Everything shown comes from the published (frozen) scoring run, scored again with detail
by ``operations.practice.run_detail``; judges appear only as "Penilai 1", "Penilai 2"."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from reports.scorecard import CATEGORY_LABELS, scorecard_filename
from scoring import round2

from .. import run_files
from ..files import send_stored
from ..extensions import db
from ..transaction import attempt
from ..models import Evidence, GoodPractice, Period, Publication, Submission, WorkUnit
from ..navigation import nav
from ..operations import OperationError
from ..operations import practice
from ..operations.feedback import UnitFeedback, scorecard_file, unit_feedback
from ..operations.results import cached, run_file_key
from ..operations.runs import published_run
from ..permissions import (can_browse_practice, can_monitor, can_view_unit, can_withhold_practice,
                           is_admin, operator_unit, units_visible_to)
from ..rubric_store import rubric_for
from ..forms.feedback import PlainForm, PublishForm, WithholdForm
from .lookups import period_or_404

bp = Blueprint("feedback", __name__)
nav("feedback.index", _l("Feedback"), roles=("admin", "operator", "monitor"), order=60)
nav("feedback.library_index", _l("Good practice"), roles=("admin", "operator", "monitor"),
    order=62)


ALL = "semua"     # ?aspek=semua: every aspect on one page


# ---------------------------------------------------------------- loading


def _unit_feedback(period_slug: str, unit_code: str) -> UnitFeedback:
    """The unit's feedback: 404 for unknown ones, 403 for another unit's, 404 before
    publication (the admin previews the latest final run)."""
    period = period_or_404(period_slug)
    unit = db.session.get(WorkUnit, unit_code) or abort(404)
    if not can_view_unit(current_user, unit):
        abort(403)
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


def _published_periods() -> list[Period]:
    ids = {pid for (pid,) in db.session.query(Publication.period_id)}
    return (db.session.query(Period).filter(Period.id.in_(ids))
            .order_by(Period.opens_at.desc()).all()) if ids else []


def _library_period(period_slug: str) -> Period:
    if not can_browse_practice(current_user):
        abort(403)
    period = period_or_404(period_slug)
    if published_run(db.session, period) is None:
        abort(404)
    return period


# ---------------------------------------------------------------- feedback data

def _indicator_rows(detail, comments: dict, unit_code: str) -> list[dict]:
    """Per aspect: every scored indicator claimed against verified, with the comments."""
    row = detail.row(unit_code)
    answers = (detail.responses.get(unit_code) or {}).get("self", {})
    groups = []
    for aspect in detail.rubric.aspects:
        items = []
        for ind in aspect.indicators:
            info = row.indicators.get(ind.id) if ind.scored else None
            said = comments.get(ind.id, [])
            if info is None and not said:
                continue
            items.append({"id": ind.id, "question": ind.question,
                          "answer": practice.answer_text(ind, answers.get(ind.id)),
                          "self_pct": _pct(info.self_fraction) if info else None,
                          "verified_pct": _pct(info.verified) if info else None,
                          "moderated": info is not None and info.moderated is not None,
                          "comments": said})
        groups.append({"id": aspect.id, "title": aspect.title, "rows": items})
    return groups


def _pct(fraction):
    return None if fraction is None else round2(fraction * 100)


def _awards(detail, unit_code: str) -> list[str]:
    titles = {a.id: a.title for a in detail.rubric.awards}
    return [titles.get(aid, aid) for aid, rows in detail.result.awards.items()
            for r in rows if r.winner and r.unit.code == unit_code]


# ---------------------------------------------------------------- feedback pages

@bp.route("/umpan-balik/")
@login_required
def index():
    periods = _published_periods()
    if is_admin(current_user):
        finals = {p.id for p in periods}
        periods += [p for p in db.session.query(Period).order_by(Period.opens_at.desc())
                    if p.id not in finals and practice.feedback_run(db.session, p, preview=True)]
    units = _units_in_scope()
    return render_template("feedback/index.html", periods=periods, units=units,
                           own=operator_unit(current_user))


def _units_in_scope() -> list[WorkUnit]:
    """The units an admin or monitor may choose (an operator goes to its own unit's page)."""
    if not can_monitor(current_user):
        return []
    return (db.session.query(WorkUnit).filter(WorkUnit.active.is_(True), units_visible_to(current_user))
            .order_by(WorkUnit.code).all())


@bp.route("/umpan-balik/<period_slug>/pilih")
@login_required
def choose(period_slug):
    code = (request.args.get("unit") or "").strip()
    return redirect(url_for(".unit_page", period_slug=period_slug, unit_code=code or "-"))


@bp.route("/umpan-balik/<period_slug>/<unit_code>")
@login_required
def unit_page(period_slug, unit_code):
    fb = _unit_feedback(period_slug, unit_code)
    period, unit = fb.period, fb.unit
    if fb.card is None:
        return render_template("feedback/not_ranked.html", period=period, unit=unit,
                               preview=not fb.published)
    return render_template(
        "feedback/unit.html", period=period, unit=unit, card=fb.card, preview=not fb.published,
        run_key=run_file_key(fb.run),
        groups=_indicator_rows(fb.detail, fb.comments, unit.code),
        awards=_awards(fb.detail, unit.code),
        withheld=practice.opted_out(db.session, period, unit.code),
        may_withhold=fb.published and can_withhold_practice(current_user, unit),
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
    page's address names the run (``?run=``), so that address may be cached for good."""
    fb = _ranked_feedback(period_slug, unit_code)
    data = cached(run_files.cache_dir(), fb.run, run_files.feedback_file_name(fb.unit.code, name),
                  lambda: run_files.FEEDBACK_FILES[name](fb.card))
    response = Response(data, mimetype="image/png")
    current = request.args.get("run") == run_file_key(fb.run)
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
    return render_template("feedback/library_index.html", periods=_published_periods())


@bp.route("/praktik-baik/<period_slug>")
@login_required
def library(period_slug):
    period = _library_period(period_slug)
    detail = practice.run_detail(published_run(db.session, period))
    entries = practice.visible_entries(db.session, period)
    counts = _counts(detail.rubric, entries)
    aspect_id = request.args.get("aspek") or next(
        (a.id for a in detail.rubric.aspects if counts.get(a.id)), ALL)
    if aspect_id != ALL and aspect_id not in {a.id for a in detail.rubric.aspects}:
        abort(404)
    own = _own_answers(period, detail)
    return render_template("feedback/library.html", period=period, aspect_id=aspect_id,
                           groups=_library_groups(detail, entries, aspect_id, own),
                           counts=counts, rubric=detail.rubric, all_aspects=ALL,
                           own_unit=own["unit"] if own else None)


def _own_answers(period, detail) -> dict | None:
    """The operator's own answers of the period (live questionnaire) and verified values."""
    unit = operator_unit(current_user)
    if unit is None:
        return None
    sub = db.session.query(Submission).filter_by(period_id=period.id, unit_code=unit.code).first()
    return {"unit": unit, "answers": (sub.answers or {}) if sub else {}, "row": detail.row(unit.code)}


def _counts(rubric, entries) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        if rubric.has_indicator(e.indicator_id):
            aid = rubric.indicator(e.indicator_id).aspect_id
            counts[aid] = counts.get(aid, 0) + 1
    return counts


def _library_groups(detail, entries, aspect_id: str, own) -> list[dict]:
    rubric = detail.rubric
    by_ind: dict[str, list] = {}
    for e in entries:
        by_ind.setdefault(e.indicator_id, []).append(e)
    groups = []
    for aspect in rubric.aspects:
        if aspect_id not in (ALL, aspect.id):
            continue
        items = [{"ind": ind, "entries": sorted((_material(detail, e) for e in by_ind[ind.id]),
                                                key=lambda m: -(m["verified_pct"] or 0)),
                  "own": _own_item(ind, own)}
                 for ind in aspect.scored_indicators if ind.id in by_ind]
        if items:
            groups.append({"aspect": aspect, "rows": items})
    return groups


def _own_item(ind, own) -> dict | None:
    if own is None:
        return None
    row = own["row"]
    info = row.indicators.get(ind.id) if row is not None and row.indicators else None
    return {"answer": practice.answer_text(ind, own["answers"].get(ind.id)),
            "verified_pct": _pct(info.verified) if info else None}


def _material(detail, entry: GoodPractice) -> dict:
    rubric = detail.rubric
    answers = (detail.responses.get(entry.unit_code) or {}).get("self", {})
    row = detail.row(entry.unit_code)
    info = row.indicators.get(entry.indicator_id) if row and row.indicators else None
    ids = practice.material_indicators(rubric, entry.indicator_id)
    narratives = [(rubric.indicator(i).question, answers.get(i)) for i in ids[1:]
                  if isinstance(answers.get(i), str) and answers.get(i).strip()]
    return {"entry": entry, "unit": entry.unit,
            "answer": practice.answer_text(rubric.indicator(entry.indicator_id),
                                           answers.get(entry.indicator_id)),
            "verified_pct": _pct(info.verified) if info else None,
            "narratives": narratives,
            "evidence": practice.entry_evidence(db.session, entry, rubric)}


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
    period = _library_period(period_slug)
    detail = practice.run_detail(published_run(db.session, period))
    aspect = _chosen_aspect(detail.rubric, request.args.get("aspek"))
    entries = {(e.indicator_id, e.unit_code): e for e in
               db.session.query(GoodPractice).filter_by(period_id=period.id)}
    out_units = practice.opted_out_units(db.session, period)
    items = [{"ind": ind, "categories": _top_by_category(
                 detail, ind.id, entries, out_units,
                 practice.units_with_evidence(db.session, period, ind.id))}
             for ind in aspect.scored_indicators]
    shown = {(i["ind"].id, t["row"].unit.code) for i in items for c in i["categories"]
             for t in c["top"]}
    others = [e for key, e in entries.items() if key not in shown
              and detail.rubric.has_indicator(e.indicator_id)
              and detail.rubric.indicator(e.indicator_id).aspect_id == aspect.id]
    return render_template("feedback/manage.html", period=period, aspect=aspect, items=items,
                           others=others, out_units=out_units, rubric=detail.rubric,
                           form=PlainForm(formdata=None))


def _chosen_aspect(rubric, aspect_id: str | None):
    if not aspect_id:
        return rubric.aspects[0]
    try:
        return rubric.aspect(aspect_id)
    except KeyError:
        abort(404)


def _top_by_category(detail, indicator_id: str, entries: dict, out_units: set,
                     evidenced: set) -> list[dict]:
    """Per category (provinsi, kabkota, ...): its best units verified at full marks on the
    indicator, with evidence (the only ones that may be published)."""
    out = []
    for category in detail.result.categories:
        top = [{"row": r, "pct": _pct(r.indicators[indicator_id].verified),
                "total": round2(r.total), "entry": entries.get((indicator_id, r.unit.code)),
                "opted_out": r.unit.code in out_units}
               for r in practice.top_units(detail, indicator_id, category,
                                           evidenced=evidenced)]
        if top:
            out.append({"category": category, "label": CATEGORY_LABELS.get(category, category),
                        "top": top})
    return out


@bp.route("/praktik-baik/<period_slug>/terbitkan", methods=["POST"])
@login_required
def publish(period_slug):
    if not is_admin(current_user):
        abort(403)
    period = _library_period(period_slug)
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
    if unit is None:
        return []
    subs = {s.period_id for s in db.session.query(Submission.period_id).filter_by(
        unit_code=unit.code, status="submitted")}
    return [{"period": p, "url": url_for("feedback.unit_page", period_slug=p.slug,
                                         unit_code=unit.code)}
            for p in _published_periods() if p.id in subs]


def practice_links() -> dict[str, str]:
    """indicator id -> its place in the latest published library that has material for it
    (computed once per request)."""
    if "practice_links" not in g:
        links = {}
        if can_browse_practice(current_user):
            for period in reversed(_published_periods()):
                rubric = rubric_for(period)
                for e in practice.visible_entries(db.session, period):
                    if rubric.has_indicator(e.indicator_id):
                        links[e.indicator_id] = url_for(
                            "feedback.library", period_slug=period.slug,
                            aspek=rubric.indicator(e.indicator_id).aspect_id) + f"#ind-{e.indicator_id}"
        g.practice_links = links
    return g.practice_links
