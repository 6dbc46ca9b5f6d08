"""Scoring runs, finalisation, publication and the public results pages.

Administrators see every run of a period (provisional and final), forever, with its files;
they finalise (a correction is a new final run with a reason) and publish. Everyone, without
logging in, sees the published run of a period: nothing of an unpublished run is public."""
from __future__ import annotations

import logging
import time

from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   render_template, request, session, url_for)
from flask_babel import gettext as _
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from .. import run_files
from ..extensions import db
from ..transaction import after_commit, attempt
from ..models import Period, Publication, ScoringRun, User
from ..navigation import SEASON, nav
from ..operations import OperationError
from ..operations.ranking import (award_winners, categories, latest_publication, order_of,
                                  page_of, periods_with_run_counts, published_list,
                                  ranking_rows, run_by_number, run_ranking_page, runs_page)
from ..operations.public_results import (CSRF_MARK, TOP, change_chart_name, kept_chart,
                                        kept_page, kept_page_html, page_html_name,
                                        public_page, published, published_by_slug,
                                        published_file)
from ..operations.results import (cached, change_categories, change_chart, chart_names, finalise,
                                  previous_published, previous_ranking, publish_run, run_chart,
                                  run_file_key, run_intervals, run_workbook)
from ..operations.runs import published_run
from ..permissions import is_admin
from ..progress import LEVEL_LABELS
from ..forms.results import FinaliseForm, PublishForm
from .lookups import period_or_404

bp = Blueprint("results", __name__)
log = logging.getLogger(__name__)
nav("results.admin_index", _l("Scoring runs"), roles=("admin",), order=65, group=SEASON)

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FOREVER = "public, max-age=31536000, immutable"
RUN_FILES = {"masukan.json": ("exchange", "application/json"),
             "rubrik.yaml": ("rubric_source", "application/yaml"),
             "hasil.json": ("result", "application/json")}


# -- lookups ---------------------------------------------------------------------------------


def _admin_period(slug: str) -> Period:
    """The period (404), for administrators only (403)."""
    period = period_or_404(slug)
    if not is_admin(current_user):
        abort(403)
    return period


def _admin_run(slug: str, number: int) -> tuple[Period, ScoringRun]:
    """The period and its run number ``number`` (404), for administrators only (403)."""
    period = period_or_404(slug)
    run = run_by_number(db.session, period, number) or abort(404)
    if not is_admin(current_user):
        abort(403)
    return period, run


def _published(slug: str) -> tuple[Period, ScoringRun, Publication]:
    """The period and its published run; 404 for everyone while nothing is published."""
    period = period_or_404(slug)
    pub = latest_publication(db.session, period) or abort(404)
    return period, pub.run, pub


def cache_dir() -> str:
    return run_files.cache_dir()


# -- the ranking as pages show it ---------------------------------------------------------------

def _bytes(data: bytes, mimetype: str, filename: str | None = None, cache: str | None = None):
    response = Response(data, mimetype=mimetype)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if cache:
        response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _workbook_response(period: Period, run: ScoringRun, cache: str | None = None):
    previous, name = previous_ranking(db.session, period)
    data = cached(cache_dir(), run, name, lambda: run_workbook(period, run, previous=previous))
    return _bytes(data, XLSX, f"peringkat-{period.slug}-{run.number}.xlsx", cache)


@bp.app_template_filter("category_label")
def category_label(category: str) -> str:
    return str(LEVEL_LABELS.get(category, category))


# -- administrators: runs, finalising, publishing ---------------------------------------------

@bp.route("/admin/penghitungan/")
@login_required
def admin_index():
    if not is_admin(current_user):
        abort(403)
    periods, counts = periods_with_run_counts(db.session)
    return render_template("results/admin_index.html", periods=periods, counts=counts)


@bp.route("/admin/periode/<slug>/penghitungan/", methods=["GET", "POST"])
@login_required
def runs(slug):
    period = _admin_period(slug)
    form = FinaliseForm()
    if form.validate_on_submit():
        try:
            with attempt():
                run = finalise(db.session, period, current_user, form.reason.data)
        except OperationError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("Final ranking frozen as run %(number)d.", number=run.number), "success")
            return redirect(url_for("results.run", slug=slug, number=run.number))
    return render_template("results/runs.html", period=period, form=form,
                           publish_form=PublishForm(), **runs_page(db.session, period))


@bp.route("/admin/periode/<slug>/penghitungan/<int:number>/")
@login_required
def run(slug, number):
    period, run = _admin_run(slug, number)
    creator = db.session.get(User, run.created_by) if run.created_by else None
    search = request.args.get("q", "").strip()[:100]
    wanted = {c: request.args.get(f"hal_{c}", 1, type=int) for c in categories(run)}
    ranking = run_ranking_page(run, wanted, search, PAGE_SIZE)
    for part in ranking:   # each pager keeps the search and the other categories' pages
        others = {f"hal_{c['category']}": c["page"] for c in ranking
                  if c is not part and c["page"] > 1}
        part["links"] = [url_for("results.run", slug=slug, number=number, q=search or None,
                                 **others, **{f"hal_{part['category']}": n})
                         + f"#rank-{part['category']}" for n in range(1, part["pages"] + 1)]
    return render_template("results/run.html", period=period, run=run, creator=creator,
                           ranking=ranking, search=search,
                           awards=award_winners(run), publish_form=PublishForm(),
                           current=published_run(db.session, period), rule=order_of(run))


@bp.route("/admin/periode/<slug>/penghitungan/<int:number>/terbitkan", methods=["POST"])
@login_required
def publish(slug, number):
    period, run = _admin_run(slug, number)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm."), "danger")
        return redirect(url_for("results.runs", slug=slug))
    try:
        with attempt():
            publish_run(db.session, period, run, current_user)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        after_commit(lambda: _keep_public_page(slug))
        flash(_("Run %(number)d is published.", number=run.number), "success")
    return redirect(url_for("results.runs", slug=slug))


def _keep_public_page(slug: str) -> None:
    """Once a publication is committed: the public page as anonymous visitors see it,
    rendered and kept in each language of the interface (``public_period``), so that the
    first view of the period just published renders nothing. Each in a context of its own
    (a fresh application context: no logged-in user, a database session of its own that
    sees the commit and the period's new version). A failure leaves the page to its first
    view."""
    address = url_for("results.public_period", slug=slug)
    for language in current_app.config.get("LANGUAGES", ("id",)):
        try:
            with current_app.app_context(), current_app.test_request_context(address), \
                    force_locale(language):
                public_period(slug)
        except Exception:   # a cache: the first view renders what is missing
            log.exception("keeping the public page of %s failed", slug)


@bp.route("/admin/periode/<slug>/penghitungan/<int:number>/"
          "<any('masukan.json', 'rubrik.yaml', 'hasil.json'):name>")
@login_required
def run_file(slug, number, name):
    period, run = _admin_run(slug, number)
    attr, mimetype = RUN_FILES[name]
    return _bytes(getattr(run, attr).encode("utf-8"), mimetype,
                  f"{period.slug}-{run.number}-{name}", "private, max-age=31536000, immutable")


@bp.route("/admin/periode/<slug>/penghitungan/<int:number>/peringkat.xlsx")
@login_required
def run_workbook_file(slug, number):
    period, run = _admin_run(slug, number)
    return _workbook_response(period, run, "private, max-age=31536000, immutable")


@bp.route("/admin/periode/<slug>/penghitungan/<int:number>/peringkat-ketahanan.xlsx")
@login_required
def run_robustness_workbook_file(slug, number):
    """The workbook with "Ketahanan Peringkat": the rank intervals take about half a minute
    for a national run, so it is built once per run and kept like the plain workbook."""
    period, run = _admin_run(slug, number)
    previous, name = previous_ranking(db.session, period)
    data = cached(cache_dir(), run, name.replace("peringkat", "peringkat-ketahanan"),
                  lambda: run_workbook(period, run, run_intervals(run), previous))
    return _bytes(data, XLSX, f"peringkat-ketahanan-{period.slug}-{run.number}.xlsx",
                  "private, max-age=31536000, immutable")


# -- everyone: the published results -------------------------------------------------------------

@bp.route("/hasil/")
def public_index():
    return render_template("results/public_index.html", items=published_list(db.session))


@bp.route("/hasil/<slug>/")
def public_period(slug):
    """The published run's page. Anonymous visitors without query arguments or flashed
    messages get the page rendered once per publication, period version, previous
    published run and language (``kept_page_html``), found with one query that loads no
    period or run (``published``), with their own CSRF token put in (the language form's):
    ``private, no-cache`` and an ETag of the kept page, so a browser asks again and gets a
    304 while nothing changed. Logged-in users (their navigation differs) get a fresh
    render."""
    anonymous = (not current_user.is_authenticated and not request.args
                 and "_flashes" not in session)
    if anonymous:
        ref = published(db.session, slug) or abort(404)
        name = ref.page_name(db.session)
        html = kept_page(cache_dir(), ref.key, name) if name else None
        if html is not None:
            return _kept_page_response(html, name)
    found = published_by_slug(db.session, slug) or abort(404)
    period, pub, run, version = found
    name = page_html_name(db.session, period, pub, run, version) if anonymous else None
    if name is None:
        return _render_public_period(period, run, pub)
    html = kept_page_html(cache_dir(), run_file_key(run), name,
                          lambda: _render_public_period(period, run, pub, csrf_token=lambda: CSRF_MARK))
    return _kept_page_response(html, name)


def _kept_page_response(html: str, name: str):
    response = Response(html.replace(CSRF_MARK, generate_csrf()), mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-cache"
    # a browser's copy holds the CSRF token it was sent with (valid WTF_CSRF_TIME_LIMIT):
    # the ETag changes every hour so that no copy is kept past it
    hour = int(time.time() // 3600)
    response.set_etag(f"{name.removesuffix('.html')}-{hour}")   # the name says what the page holds
    return response.make_conditional(request)


def _render_public_period(period, run, pub, **extra) -> str:
    doc = public_page(db.session, period, run, cache_dir())
    return render_template("results/public_period.html", period=period, run=run, pub=pub,
                           tops=doc["tops"], sizes=doc["sizes"], awards=doc["awards"],
                           unranked=doc.get("unranked", {}),
                           charts=doc["charts"], top=TOP, changes=doc["changes"],
                           change_table=_change_table(doc["change_rows"]), rule=doc["rule"],
                           **extra)


def _change_table(data: dict) -> dict | None:
    """One category's rank changes, a page at a time (?perubahan=<category>&hal=<n>)."""
    if not data:
        return None
    names = list(data)
    category = request.args.get("perubahan")
    category = category if category in names else names[0]
    rows = data[category]
    shown, page, pages = page_of(rows, request.args.get("hal", 1, type=int), PAGE_SIZE)
    return {"categories": names, "category": category, "page": page, "pages": pages,
            "total": len(rows), "rows": shown, "first": (page - 1) * PAGE_SIZE}


def _change_chart(period, run, earlier_period, earlier, category) -> bytes:
    return cached(cache_dir(), run, change_chart_name(earlier, category),
                  lambda: change_chart(earlier, earlier_period.title, run, period.title, category))


@bp.route("/hasil/<slug>/<any(pusat, provinsi, kabkota):category>")
def public_category(slug, category):
    period, run, pub = _published(slug)
    rows = ranking_rows(run, category)
    if not rows:
        abort(404)
    provinces = sorted({r["province"] for r in rows if r["province"]})
    province = request.args.get("provinsi", "")
    shown = [r for r in rows if r["province"] == province] if province in provinces else rows
    page, pages = request.args.get("halaman", 1, type=int), -(-len(shown) // PAGE_SIZE) or 1
    if not 1 <= page <= pages:
        abort(404)
    return render_template("results/public_category.html", period=period, run=run, pub=pub,
                           category=category, total=len(shown), page=page, pages=pages,
                           rows=shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                           page_size=PAGE_SIZE, provinces=provinces, rule=order_of(run),
                           province=province if province in provinces else "")


@bp.route("/hasil/<slug>/grafik/<int:number>/<name>.png")
def public_chart(slug, number, name):
    found = published_file(db.session, cache_dir(), slug, number, f"{name}.png")
    if found is not None:   # built at publication: one query
        return _chart_response(*found)
    period, run, _pub = _published(slug)
    if number != run.number:
        abort(404)
    data = kept_chart(cache_dir(), run, f"{name}.png")   # built at publication: not scored again
    if data is None:
        if name not in chart_names(run):
            abort(404)
        data = cached(cache_dir(), run, f"{name}.png", lambda: run_chart(run, name))
    return _chart_response(data, f"{run_file_key(run)}-{name}.png")


@bp.route("/hasil/<slug>/perubahan/<int:number>/<any(pusat, provinsi, kabkota):category>.png")
def public_change_chart(slug, number, category):
    found = published_file(db.session, cache_dir(), slug, number, category, earlier=True)
    if found is not None:   # built at publication: two queries
        return _chart_response(*found)
    period, run, _pub = _published(slug)
    previous = previous_published(db.session, period)
    if number != run.number or previous is None:
        abort(404)
    earlier_period, earlier = previous
    data = kept_chart(cache_dir(), run, change_chart_name(earlier, category))
    if data is None:
        if category not in change_categories(earlier, run):
            abort(404)
        data = _change_chart(period, run, earlier_period, earlier, category)
    return _chart_response(data, f"{run_file_key(run)}-{change_chart_name(earlier, category)}")


def _chart_response(data: bytes, etag: str):
    response = _bytes(data, "image/png", cache=FOREVER)
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.route("/hasil/<slug>/peringkat-<int:number>.xlsx")
def public_workbook(slug, number):
    period, run, _pub = _published(slug)
    if number != run.number:
        abort(404)
    return _workbook_response(period, run, FOREVER)
