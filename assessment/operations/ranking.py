"""What the scoring-run and public results pages show, built from the runs, their
publications and the frozen result (``runs.scored_run``): the views load, check permission
and render."""
from __future__ import annotations

from collections import Counter, OrderedDict

from scoring import round2
from scoring.order import order_rule, tie_breaks

from ..models import Period, Publication, ScoringRun, User
from .results import not_ready
from .runs import published_run, run_key, scored_run


# -- loading ---------------------------------------------------------------------------------

def run_by_number(session, period: Period, number: int) -> ScoringRun | None:
    return session.query(ScoringRun).filter_by(period_id=period.id, number=number).first()


def latest_publication(session, period: Period) -> Publication | None:
    """The period's latest publication (None while nothing is published)."""
    return (session.query(Publication).filter_by(period_id=period.id)
            .order_by(Publication.id.desc()).first())


# -- administrators ----------------------------------------------------------------------------

def periods_with_run_counts(session) -> tuple[list[Period], Counter]:
    """Every period, newest first, and how many runs each has."""
    periods = session.query(Period).order_by(Period.opens_at.desc()).all()
    return periods, Counter(pid for (pid,) in session.query(ScoringRun.period_id))


def runs_page(session, period: Period) -> dict:
    """The period's runs, newest first, with who made them, which is published (and when),
    whether a final one exists and what still stops finalising."""
    rows = (session.query(ScoringRun).filter_by(period_id=period.id)
            .order_by(ScoringRun.number.desc()).all())
    pubs = session.query(Publication).filter_by(period_id=period.id).order_by(Publication.id).all()
    creators = {r.created_by for r in rows} - {None}
    users = ({u.id: u.username for u in session.query(User).filter(User.id.in_(creators))}
             if creators else {})
    return {"rows": rows, "current": published_run(session, period), "users": users,
            "published": {p.run_id: p.published_at for p in pubs},
            "has_final": any(r.kind == "final" for r in rows),
            "blockers": not_ready(session, period)}


# -- everyone ----------------------------------------------------------------------------------

def published_list(session) -> list[tuple[Period, Publication]]:
    """(period, its latest publication) for every published period, latest published first."""
    latest: dict[int, Publication] = {}
    for pub in session.query(Publication).order_by(Publication.id.desc()):
        latest.setdefault(pub.period_id, pub)
    if not latest:
        return []
    periods = {p.id: p for p in session.query(Period).filter(Period.id.in_(latest))}
    return sorted(((periods[pid], pub) for pid, pub in latest.items()),
                  key=lambda item: item[1].published_at, reverse=True)


def ranking_rows(run: ScoringRun, category: str | None = None) -> list[dict]:
    """The run's ranking rows (one category or all), shared ranks marked; worked out once
    per run in this process (runs never change; callers only read the rows)."""
    key = run_key(run)
    if key not in _ROWS:
        _ROWS[key] = _ranking_rows(run)
        while len(_ROWS) > 8:
            _ROWS.popitem(last=False)
    _ROWS.move_to_end(key)
    rows = _ROWS[key]
    return rows if category is None else [r for r in rows if r["category"] == category]


_ROWS: OrderedDict = OrderedDict()    # run key -> every ranking row of the run


def run_ranking_page(run: ScoringRun, pages: dict[str, int], search: str = "",
                     size: int = 50) -> list[dict]:
    """Per category of the run: its rows matching ``search`` (code or name), one page of
    ``size`` (``pages``: category -> page wanted, 1 when missing)."""
    text = (search or "").strip().lower()
    out = []
    for category in categories(run):
        rows = ranking_rows(run, category)
        found = [r for r in rows if not text or text in r["code"].lower()
                 or text in r["name"].lower()]
        shown, page, count = page_of(found, pages.get(category, 1), size)
        out.append({"category": category, "total": len(rows), "found": len(found),
                    "rows": shown, "page": page, "pages": count})
    return out


def _ranking_rows(run: ScoringRun) -> list[dict]:
    rubric, result = scored_run(run)
    stages = {s.id: s.title for s in rubric.stages}
    rows = result.ranking
    counts = Counter((r.unit.category, r.rank) for r in rows)
    first = rubric.stages[0].id
    aspects = {a.id: a.title for a in rubric.aspects}
    decided = {code: aspects.get(a, a) for code, a in tie_breaks(rubric, result).items()}
    return [{"rank": r.rank,
             "shared": r.rank is not None and counts[(r.unit.category, r.rank)] > 1,
             "entry_unmet": bool(r.entry_unmet),     # listed without a rank: no decree
             "decided_by": decided.get(r.unit.code),
             "code": r.unit.code, "name": r.unit.name, "province": province_label(r.unit),
             "category": r.unit.category, "total": round2(r.total), "predicate": r.predicate,
             "stage": stages.get(r.stage_reached, r.stage_reached),
             "later_stage": r.stage_reached != first} for r in rows]


def order_of(run: ScoringRun) -> dict:
    """The run's ranking rule in parts, for results/_order.html (scoring.order)."""
    rubric, _result = scored_run(run)
    return order_rule(rubric)


def province_label(unit) -> str:
    """The province a regency belongs to, as people say it ("Jawa Tengah"); "" for a
    province office, which is its own province."""
    if not unit.province or unit.province == unit.name:
        return ""
    return unit.province.removeprefix("KPU Provinsi ").removeprefix("KIP ")


def categories(run: ScoringRun) -> list[str]:
    """The run's categories in which some unit is ranked, in the result's order."""
    _rubric, result = scored_run(run)
    present = {r.unit.category for r in result.ranking}
    return [c for c in result.categories if c in present]


def award_winners(run: ScoringRun) -> list[dict]:
    rubric, result = scored_run(run)
    return [{"title": a.title, "category": a.category,
             "winners": [w for w in result.awards.get(a.id, ()) if w.winner]}
            for a in rubric.awards]


def page_of(rows: list, page: int, size: int) -> tuple[list, int, int]:
    """(rows of ``page``, that page clamped to 1..pages, pages) for ``size`` rows a page."""
    pages = -(-len(rows) // size) or 1
    page = min(max(page, 1), pages)
    return rows[(page - 1) * size:page * size], page, pages
