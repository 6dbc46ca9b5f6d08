"""The public results page of a published run, worked out once and kept as a file.

Everything the page shows besides the period's timeline and exclusions comes from the
frozen run and the previous published period's run: the top of each category's ranking,
the awards, the charts (their sizes and the summaries that describe them), the rank-change
charts and table, the ranking rule. Working that out scores the run (seconds for a national
run in a process that has not scored it yet) and formats a few hundred figures, so it is
done once per run, previous published run and interface language, kept as a JSON file
beside the run's charts (``page_file_name``) and in this process's memory. The publishing
request writes it for the default language (``operations.results.publish_run``), so the
first view of a published period, in any worker, reads a file and draws nothing."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask_babel import get_locale
from sqlalchemy import bindparam, select

from reports.batch import write_atomically
from reports.rank_changes import rank_changes

from ..chart_text import change_chart_summary, run_chart_summary

from ..models import Period, PeriodVersion, Publication, ScoringRun, period_version
from .ranking import award_winners, categories, order_of, ranking_rows
from .results import (cached, change_categories, change_chart, chart_names, png_size,
                      previous_published, previous_published_column, run_chart, run_file_key)
from .runs import run_result

TOP = 10
_MEMO: OrderedDict = OrderedDict()    # file path -> the page's document
_MEMO_MAX = 16
_built = [0]    # documents worked out in this process (tests count them)
_HTML: OrderedDict = OrderedDict()    # file path -> the rendered page for anonymous visitors
_HTML_MAX = 32
_rendered = [0]    # pages rendered to be kept in this process (tests count them)
_KEYS: dict = {}   # (period token, publication id and time, run id) -> the run's file key
_KEYS_MAX = 256
_QUERIES: dict = {}   # "slug" or "id" -> the statement of ``published``
CSRF_MARK = "\x00csrf-token\x00"    # stands for the visitor's CSRF token in a kept page


def change_chart_name(earlier: ScoringRun, category: str) -> str:
    return f"perubahan-{earlier.id}-{earlier.number}-{category}.png"


def page_file_name(previous: tuple[Period, ScoringRun] | None, locale: str) -> str:
    earlier = previous[1].id if previous else 0
    return f"halaman-publik-{earlier}-{locale}.json"


def language() -> str:
    try:
        return str(get_locale() or "id")
    except (RuntimeError, AttributeError):
        return "id"


def public_page(session, period: Period, run: ScoringRun, folder: str) -> dict:
    """The page's document (``_build``): from memory, else from its file, else worked out
    (charts drawn if missing) and kept."""
    previous = previous_published(session, period)
    name = page_file_name(previous, language())
    path = str(Path(folder) / f"{run_file_key(run)}-{name}")
    doc = _MEMO.get(path)
    if doc is None:
        doc = json.loads(cached(folder, run, name, lambda: _dumps(
            _build(period, run, previous, folder))))
        _MEMO[path] = doc
        while len(_MEMO) > _MEMO_MAX:
            _MEMO.popitem(last=False)
    _MEMO.move_to_end(path)
    return doc


def _dumps(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


def _build(period: Period, run: ScoringRun, previous, folder: str) -> dict:
    """``{"tops": {category: [ranking row]}, "sizes": {category: ranked n}, "unranked":
    {category: n listed without rank (entry_unmet)}, "awards": [...],
    "charts": [{"name", "width", "height", "summary"}], "changes": None or {"period":
    {"title", "slug"}, "categories", "charts"}, "change_rows": {category: [row]},
    "rule": ...}``; figures as exact decimal text (the template formats them)."""
    _built[0] += 1
    rows = ranking_rows(run)
    names = categories(run)
    tops = {c: [r for r in rows if r["category"] == c][:TOP] for c in names}
    # ranked units per category; units listed without rank because a condition of entry is
    # not met are counted apart (shown after the ranked ones, on the full ranking)
    sizes = Counter(r["category"] for r in rows if not r["entry_unmet"])
    unranked = Counter(r["category"] for r in rows if r["entry_unmet"])
    awards = [{"title": a["title"], "category": a["category"],
               "winners": [{"rank": w.rank, "unit": {"code": w.unit.code, "name": w.unit.name},
                            "score": w.score} for w in a["winners"]]}
              for a in award_winners(run)]
    charts = []
    for chart in chart_names(run):
        data = cached(folder, run, f"{chart}.png", lambda n=chart: run_chart(run, n))
        width, height = png_size(data)
        charts.append({"name": chart, "width": width, "height": height,
                       "summary": run_chart_summary(run, chart)})
    changes, change_rows = None, {}
    if previous is not None:
        earlier_period, earlier = previous
        out = []
        for category in change_categories(earlier, run):
            data = cached(folder, run, change_chart_name(earlier, category),
                          lambda c=category: change_chart(earlier, earlier_period.title, run,
                                                          period.title, c))
            width, height = png_size(data)
            out.append({"category": category, "width": width, "height": height,
                        "summary": change_chart_summary(earlier, run, category)})
        changes = {"period": {"title": earlier_period.title, "slug": earlier_period.slug},
                   "categories": [c["category"] for c in out], "charts": out}
        change_rows = rank_changes(run_result(earlier)["ranking"], run_result(run)["ranking"])
    return {"tops": tops, "sizes": dict(sizes), "unranked": dict(unranked), "awards": awards, "charts": charts,
            "changes": changes, "change_rows": change_rows, "rule": order_of(run)}


def published_by_slug(session, slug: str):
    """``(period, publication, run, version)`` of the period with this slug and its latest
    publication, in one query (``version``: the period's ``(token, version)`` row, None
    while it has none); None when there is no such period or nothing is published."""
    found = session.execute(
        select(Period, Publication, ScoringRun, PeriodVersion.token, PeriodVersion.version)
        .join(Publication, Publication.period_id == Period.id)
        .join(ScoringRun, ScoringRun.id == Publication.run_id)
        .outerjoin(PeriodVersion, PeriodVersion.period_id == Period.id)
        .where(Period.slug == slug).order_by(Publication.id.desc()).limit(1)).first()
    if found is None:
        return None
    period, pub, run, token, version = found
    return period, pub, run, (None if token is None else (token, version))


def page_html_name(session, period: Period, pub: Publication, run: ScoringRun,
                   version: tuple | None) -> str | None:
    """The file name of the public page as rendered for anonymous visitors: it changes
    with the publication (a correction is a new run and publication), the period's version
    (``models.period_version``: bumped by every change to the period, its exclusions, its
    runs and publications), the previous published run (the rank changes) and the
    language; None when it cannot be told (no version row yet, or changes of this session
    not bumped yet): the page is then rendered afresh."""
    if version is None or period_version.unbumped(session):
        return None
    previous = previous_published(session, period)
    return _page_name(pub.id, version, previous[1].id if previous else 0)


def _page_name(publication_id: int, version: tuple, earlier_id: int) -> str:
    text = repr((publication_id, version, earlier_id, language()))
    return f"halaman-publik-{language()}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.html"


@dataclass(frozen=True)
class Published:
    """What serving a published period's kept files takes, found in one query that reads
    none of the run's long columns (on SQLite, a run's creation time and input SHA-256 sit
    after megabytes of exchange document, and reading them walks its overflow pages: a few
    milliseconds a row)."""

    period_id: int
    publication_id: int
    run_id: int
    number: int
    key: str                        # ``run_file_key`` of the run
    earlier: tuple[int, int] | None  # (run id, number) of the previous published period's run
    version: tuple | None           # the period's (token, version), None while it has none

    def page_name(self, session) -> str | None:
        """``page_html_name`` of this publication, without loading the period or a run."""
        if self.version is None or period_version.unbumped(session):
            return None
        return _page_name(self.publication_id, self.version,
                          self.earlier[0] if self.earlier else 0)

    def change_chart_name(self, category: str) -> str | None:
        if self.earlier is None:
            return None
        return f"perubahan-{self.earlier[0]}-{self.earlier[1]}-{category}.png"


def published(session, slug: str | None = None, period_id: int | None = None) -> Published | None:
    """The published run of the period with this slug (or id), for serving its kept files:
    one query, reading only short columns. The run's file key is worked out from its
    creation time and hashes once per process and publication (``_KEYS``: publications and
    runs never change; the period's random version token keeps apart another database's
    publication with the same id); None when nothing is published."""
    by = "slug" if period_id is None else "id"
    query = _QUERIES.get(by)
    if query is None:   # built once: a statement with aliases costs milliseconds to build
        period, pub, run, version = (Period.__table__, Publication.__table__,
                                     ScoringRun.__table__, PeriodVersion.__table__)
        query = _QUERIES[by] = (   # Core tables: no ORM annotations to make a cache key of
            select(period.c.id, pub.c.id, pub.c.published_at, pub.c.run_id, run.c.number,
                   version.c.token, version.c.version, previous_published_column("id"),
                   previous_published_column("number"))
            .select_from(period.join(pub, pub.c.period_id == period.c.id)
                         .join(run, run.c.id == pub.c.run_id)
                         .outerjoin(version, version.c.period_id == period.c.id))
            .where((period.c.slug if by == "slug" else period.c.id) == bindparam("wanted"),
                   period.c.deleted_at.is_(None))   # as the ORM's lookups (models/periods.py)
            .order_by(pub.c.id.desc()).limit(1))
    found = session.execute(query, {"wanted": slug if period_id is None else period_id}).first()
    if found is None:
        return None
    pid, pub_id, published_at, run_id, number, token, version, earlier_id, earlier_number = found
    memo = None if token is None else (token, pub_id, str(published_at), run_id)
    key = _KEYS.get(memo) if memo else None
    if key is None:
        key = run_file_key(session.execute(
            select(ScoringRun.id, ScoringRun.created_at, ScoringRun.exchange_sha256,
                   ScoringRun.rubric_sha256).where(ScoringRun.id == run_id)).one())
        if memo:
            _KEYS[memo] = key
            while len(_KEYS) > _KEYS_MAX:
                _KEYS.pop(next(iter(_KEYS)))
    return Published(pid, pub_id, run_id, number, key,
                     None if earlier_id is None else (earlier_id, earlier_number),
                     None if token is None else (token, version))


def kept_page(folder: str, key: str, name: str) -> str | None:
    """The page kept for the run with file key ``key`` under ``name``, from memory or its
    file; None when it was never rendered."""
    path = Path(folder) / f"{key}-{name}"
    html = _HTML.get(str(path))
    if html is None:
        try:
            html = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        _keep(path, html)
    _HTML.move_to_end(str(path))
    return html


def kept_page_html(folder: str, key: str, name: str, render) -> str:
    """The page rendered once (``render()``, with ``CSRF_MARK`` in place of the CSRF token)
    and kept in memory and as a file beside the run's other files (``key``: the run's
    ``run_file_key``)."""
    html = kept_page(folder, key, name)
    if html is None:
        path = Path(folder) / f"{key}-{name}"
        _rendered[0] += 1
        html = render()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, html.encode("utf-8"))
        _forget_older(path)
        _keep(path, html)
    return html


def _keep(path: Path, html: str) -> None:
    _HTML[str(path)] = html
    while len(_HTML) > _HTML_MAX:
        _HTML.popitem(last=False)


def _forget_older(path: Path) -> None:
    """Remove the run's earlier renderings of the page in the same language (an older period
    version): one file per run and language stays."""
    stem = path.name.rsplit("-", 1)[0]          # <run>-halaman-publik-<language>
    for old in path.parent.glob(f"{stem}-*.html"):
        if old != path:
            old.unlink(missing_ok=True)
            _HTML.pop(str(old), None)


def published_file(session, folder: str, slug: str, number: int, name: str,
                   earlier: bool = False) -> tuple[bytes, str] | None:
    """A kept chart of the period's published run and its file name (an ETag), found with
    one query (``published``; for a rank-change chart, whose name carries the previous
    published run, ``name`` is the category), or None when the run ``number`` is not the
    published one or the file is not built: the caller then takes the long way (404, or
    build it)."""
    found = published(session, slug)
    if found is None or found.number != number:
        return None
    if earlier:
        name = found.change_chart_name(name)
        if name is None:
            return None
    data = kept_chart_file(folder, found.key, name)
    return None if data is None else (data, f"{found.key}-{name}")


CHART_FILE = re.compile(r"(peringkat-[a-z]+|sebaran|peta-provinsi|perubahan-\d+-\d+-[a-z]+)\.png")


def kept_chart(folder: str, run: ScoringRun, name: str) -> bytes | None:
    """A chart file of the run already built (at publication or by an earlier view), or
    None: read without scoring the run."""
    return kept_chart_file(folder, run_file_key(run), name)


def kept_chart_file(folder: str, key: str, name: str) -> bytes | None:
    """``kept_chart`` by the run's file key."""
    if not CHART_FILE.fullmatch(name):
        return None
    try:
        return (Path(folder) / f"{key}-{name}").read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
