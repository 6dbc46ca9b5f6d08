"""The good-practice library's page data: what the library shows per aspect (each entry's
answer, verified score, narratives and evidence, next to the operator's own answer) and
what the admin's management page offers per indicator (each category's best units).

Built here, from the published run (``practice.run_detail``) and the library's rows, so the
views only load, check permission and render."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm.attributes import set_committed_value

from reports.scorecard import CATEGORY_LABELS
from scoring import round2

from ..models import Evidence, GoodPractice, Period, Submission, WorkUnit
from ..rubric_store import rubric_for
from . import practice
from .practice import RunDetail

ALL = "semua"     # ?aspek=semua: every aspect on one page


def pct(fraction):
    """A fraction as a percentage with two decimals (None stays None)."""
    return None if fraction is None else round2(fraction * 100)


@dataclass(frozen=True)
class LibraryPage:
    """One page of the library: the chosen aspect (or ALL), its groups and the counts."""

    detail: RunDetail
    aspect_id: str
    groups: list
    counts: dict
    own_unit: WorkUnit | None


def library_page(session, period: Period, detail: RunDetail, aspect_id: str | None,
                 own_unit: WorkUnit | None) -> LibraryPage | None:
    """The library page of ``aspect_id`` (default: the first aspect with material); None
    for an aspect the rubric does not have."""
    entries = practice.visible_entries(session, period)
    counts = _counts(detail.rubric, entries)
    aspect_id = aspect_id or next((a.id for a in detail.rubric.aspects if counts.get(a.id)), ALL)
    if aspect_id != ALL and aspect_id not in {a.id for a in detail.rubric.aspects}:
        return None
    own = own_answers(session, period, detail, own_unit)
    return LibraryPage(detail, aspect_id, _groups(session, detail, entries, aspect_id, own),
                       counts, own_unit)


def own_answers(session, period: Period, detail: RunDetail, unit: WorkUnit | None) -> dict | None:
    """The operator's own answers of the period (live questionnaire) and verified values."""
    if unit is None:
        return None
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code=unit.code).first()
    return {"unit": unit, "answers": (sub.answers or {}) if sub else {},
            "row": detail.row(unit.code)}


def _counts(rubric, entries) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        if rubric.has_indicator(e.indicator_id):
            aid = rubric.indicator(e.indicator_id).aspect_id
            counts[aid] = counts.get(aid, 0) + 1
    return counts


def _groups(session, detail: RunDetail, entries, aspect_id: str, own) -> list[dict]:
    by_ind: dict[str, list] = {}
    for e in entries:
        by_ind.setdefault(e.indicator_id, []).append(e)
    shown = [e for e in entries if aspect_id == ALL or (
        detail.rubric.has_indicator(e.indicator_id)
        and detail.rubric.indicator(e.indicator_id).aspect_id == aspect_id)]
    evidence = _evidence(session, detail.rubric, shown)
    groups = []
    for aspect in detail.rubric.aspects:
        if aspect_id not in (ALL, aspect.id):
            continue
        items = [{"ind": ind,
                  "entries": sorted((_material(detail, e, evidence.get(e.id, []))
                                     for e in by_ind[ind.id]),
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
            "verified_pct": pct(info.verified) if info else None}


def _evidence(session, rubric, entries) -> dict[int, list[Evidence]]:
    """``practice.entry_evidence`` of every entry at once (two queries: the entries' units
    and their evidence), by entry id. The units are set on the entries: the identity map
    holds loaded objects weakly, so units loaded and dropped here were read again, one query
    per entry, when the page asked for ``entry.unit``."""
    if not entries:
        return {}
    codes = {e.unit_code for e in entries}
    units = {u.code: u for u in session.query(WorkUnit).filter(WorkUnit.code.in_(codes))}
    for e in entries:
        set_committed_value(e, "unit", units.get(e.unit_code))
    wanted = {e.id: practice.material_indicators(rubric, e.indicator_id) for e in entries}
    rows = (session.query(Submission.unit_code, Evidence)
            .join(Evidence, Evidence.submission_id == Submission.id)
            .filter(Submission.period_id == entries[0].period_id, Submission.unit_code.in_(codes),
                    Evidence.indicator_id.in_({i for ids in wanted.values() for i in ids}))
            .order_by(Evidence.indicator_id, Evidence.id).all())
    out = {}
    for e in entries:
        ids = set(wanted[e.id])
        out[e.id] = [ev for code, ev in rows if code == e.unit_code and ev.indicator_id in ids]
    return out


def _material(detail: RunDetail, entry: GoodPractice, evidence: list[Evidence]) -> dict:
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
            "verified_pct": pct(info.verified) if info else None,
            "narratives": narratives,
            "evidence": evidence}


# -- the admin's management page --------------------------------------------------------------

def manage_page(session, period: Period, detail: RunDetail, aspect) -> dict:
    """Per scored indicator of ``aspect``: each category's best units (those that may be
    published), the entries shown elsewhere (``others``) and the units that opted out."""
    entries = {(e.indicator_id, e.unit_code): e for e in
               session.query(GoodPractice).filter_by(period_id=period.id)}
    out_units = practice.opted_out_units(session, period)
    items = [{"ind": ind, "categories": _top_by_category(
                 detail, ind.id, entries, out_units,
                 practice.units_with_evidence(session, period, ind.id))}
             for ind in aspect.scored_indicators]
    shown = {(i["ind"].id, t["row"].unit.code) for i in items for c in i["categories"]
             for t in c["top"]}
    others = [e for key, e in entries.items() if key not in shown
              and detail.rubric.has_indicator(e.indicator_id)
              and detail.rubric.indicator(e.indicator_id).aspect_id == aspect.id]
    return {"items": items, "others": others, "out_units": out_units}


def _top_by_category(detail: RunDetail, indicator_id: str, entries: dict, out_units: set,
                     evidenced: set) -> list[dict]:
    """Per category (provinsi, kabkota, ...): its best units verified at full marks on the
    indicator, with evidence (the only ones that may be published)."""
    out = []
    for category in detail.result.categories:
        top = [{"row": r, "pct": pct(r.indicators[indicator_id].verified),
                "total": round2(r.total), "entry": entries.get((indicator_id, r.unit.code)),
                "opted_out": r.unit.code in out_units}
               for r in practice.top_units(detail, indicator_id, category,
                                           evidenced=evidenced)]
        if top:
            out.append({"category": category, "label": CATEGORY_LABELS.get(category, category),
                        "top": top})
    return out


def practice_places(session, periods: list[Period]) -> dict[str, tuple[Period, str]]:
    """indicator id -> (period, aspect id) of the latest of ``periods`` (oldest first)
    whose library has material for it."""
    places = {}
    for period in periods:
        rubric = rubric_for(period)
        for e in practice.visible_entries(session, period):
            if rubric.has_indicator(e.indicator_id):
                places[e.indicator_id] = (period, rubric.indicator(e.indicator_id).aspect_id)
    return places
