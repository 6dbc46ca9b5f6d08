"""Published results read back for feedback, and the good-practice library.

``run_detail`` scores a frozen run's own exchange document and rubric with
``scoring.score(detail=True)`` (the only scoring there is) and keeps the result per run,
since a run never changes. The library publishes, per scored indicator, chosen units'
answers, the narratives of the same aspect and their evidence; a unit that opted out
(``PracticeOptOut``) is never published and its existing entries are hidden."""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass

from flask_babel import gettext as _

from reports.feedback import Baselines, baselines
from rubrics import NOT_APPLICABLE
from scoring.engine import Result, UnitResult
from scoring.order import tie_breaks

from .. import audit
from ..formatting import number
from ..models import (Evidence, GoodPractice, Period, PracticeOptOut, ScoringRun, Submission,
                      WorkUnit)
from ..models.types import utcnow
from . import Closed, Conflict, Invalid, NotAllowed
from ..permissions import can_withhold_practice, is_admin, require
from .runs import latest_run, published_run, run_key, scored_run

TOP_UNITS = 5
_CACHE_SIZE = 6
_DETAIL: OrderedDict = OrderedDict()   # (run id, sha of exchange, sha of rubric) -> RunDetail


@dataclass(frozen=True)
class RunDetail:
    """A frozen run scored with detail: its rubric, result, exchange responses and means."""

    rubric: object
    result: Result
    responses: dict          # unit code -> exchange response (self answers, judges, ...)
    means: Baselines         # sums behind every unit's category means (reports.feedback)
    ties: dict               # unit code -> the aspect that decided its rank (scoring.order)

    def row(self, unit_code: str) -> UnitResult | None:
        return next((r for r in self.result.ranking if r.unit.code == unit_code), None)


def run_detail(run: ScoringRun) -> RunDetail:
    """The run's result with indicator detail, from its own rubric and exchange document."""
    key = run_key(run)
    if key not in _DETAIL:
        rubric, result = scored_run(run)
        doc = json.loads(run.exchange)
        _DETAIL[key] = RunDetail(rubric, result, {r["unit"]: r for r in doc["responses"]},
                                 baselines(result), tie_breaks(rubric, result))
        while len(_DETAIL) > _CACHE_SIZE:
            _DETAIL.popitem(last=False)
    _DETAIL.move_to_end(key)
    return _DETAIL[key]


def feedback_run(session, period: Period, preview: bool = False) -> ScoringRun | None:
    """The published run of the period; with ``preview`` (the admin) the latest final run
    when nothing is published yet."""
    run = published_run(session, period)
    if run is None and preview:
        run = latest_run(session, period, "final")
    return run


# ---------------------------------------------------------------- the library

def opted_out(session, period: Period, unit_code: str) -> bool:
    return session.query(PracticeOptOut.id).filter_by(
        period_id=period.id, unit_code=unit_code).first() is not None


def full_marks(detail: RunDetail, unit_code: str, indicator_id: str) -> bool:
    """Whether the judges verified the unit's answer to the indicator at full marks
    (fraction 1): the only answers the library may show as good practice."""
    row = detail.row(unit_code)
    info = row.indicators.get(indicator_id) if row is not None and row.indicators else None
    return info is not None and info.verified == 1


def units_with_evidence(session, period: Period, indicator_id: str) -> set[str]:
    """Codes of the units that gave evidence for the indicator in the period."""
    return {code for (code,) in session.query(Submission.unit_code)
            .join(Evidence, Evidence.submission_id == Submission.id)
            .filter(Submission.period_id == period.id, Evidence.indicator_id == indicator_id)}


def top_units(detail: RunDetail, indicator_id: str, category: str | None = None,
              limit: int = TOP_UNITS, evidenced: set[str] | None = None) -> list[UnitResult]:
    """The units (of one category, or all) verified at full marks on the indicator, with
    evidence when ``evidenced`` (``units_with_evidence``) is given, best total first."""
    rows = [r for r in detail.result.ranking
            if full_marks(detail, r.unit.code, indicator_id)
            and (evidenced is None or r.unit.code in evidenced)
            and (category is None or r.unit.category == category)]
    rows.sort(key=lambda r: (-r.total, r.unit.code))
    return rows[:limit]


def _published_detail(session, period: Period) -> RunDetail:
    run = published_run(session, period)
    if run is None:
        raise Closed(_("The results of this period are not published yet."))
    return run_detail(run)


def publish_entry(session, period: Period, indicator_id: str, unit_code: str, user) -> GoodPractice:
    """Publish one unit's material for one scored indicator (again, after a withdrawal)."""
    require(is_admin(user))
    detail = _published_detail(session, period)
    rubric = detail.rubric
    if not rubric.has_indicator(indicator_id) or not rubric.indicator(indicator_id).scored:
        raise Invalid(_("Unknown indicator."), details={"indicator": indicator_id})
    if detail.row(unit_code) is None:
        raise Invalid(_("This unit is not ranked in the published results."))
    if opted_out(session, period, unit_code):
        raise NotAllowed(_("This unit has withheld its material from the good-practice library."))
    if not full_marks(detail, unit_code, indicator_id):
        raise Invalid(_("Only answers the judges verified at full marks can be published as "
                        "good practice."))
    if unit_code not in units_with_evidence(session, period, indicator_id):
        raise Invalid(_("Only answers with evidence can be published as good practice."))
    entry = session.query(GoodPractice).filter_by(
        period_id=period.id, indicator_id=indicator_id, unit_code=unit_code).one_or_none()
    if entry is not None and entry.withdrawn_at is None:
        raise Conflict(_("This material is already published."))
    if entry is None:
        entry = GoodPractice(period_id=period.id, indicator_id=indicator_id, unit_code=unit_code)
        session.add(entry)
    entry.published_by, entry.published_at, entry.withdrawn_at = user.id, utcnow(), None
    session.flush()
    audit.record("good_practice.publish", entry, user=user, indicator=indicator_id)
    return entry


def withdraw_entry(session, entry: GoodPractice, user) -> GoodPractice:
    """Take an entry out of the library (it can be published again later)."""
    require(is_admin(user))
    if entry.withdrawn_at is not None:
        raise Conflict(_("This material is already withdrawn."))
    entry.withdrawn_at = utcnow()
    session.flush()
    audit.record("good_practice.withdraw", entry, user=user, indicator=entry.indicator_id)
    return entry


def set_opt_out(session, period: Period, unit: WorkUnit, withhold: bool, user) -> bool:
    """Withhold (or share again) the unit's material; returns whether anything changed."""
    require(can_withhold_practice(user, unit))
    row = session.query(PracticeOptOut).filter_by(period_id=period.id,
                                                  unit_code=unit.code).one_or_none()
    if withhold == (row is not None):
        return False
    if withhold:
        row = PracticeOptOut(period_id=period.id, unit_code=unit.code, created_by=user.id)
        session.add(row)
        session.flush()
        audit.record("good_practice.opt_out", row, user=user)
    else:
        audit.record("good_practice.opt_in", row, user=user)
        session.delete(row)
        session.flush()
    return True


def visible_entries(session, period: Period) -> list[GoodPractice]:
    """Published, not withdrawn entries of units that did not opt out (none before the
    period's results are published)."""
    if published_run(session, period) is None:
        return []
    out_units = session.query(PracticeOptOut.unit_code).filter_by(period_id=period.id)
    return (session.query(GoodPractice)
            .filter(GoodPractice.period_id == period.id, GoodPractice.withdrawn_at.is_(None),
                    GoodPractice.unit_code.not_in(out_units))
            .order_by(GoodPractice.indicator_id, GoodPractice.unit_code).all())


def entry_visible(session, entry: GoodPractice) -> bool:
    return any(e.id == entry.id for e in visible_entries(session, session.get(Period, entry.period_id)))


def material_indicators(rubric, indicator_id: str) -> list[str]:
    """What an entry shows: the indicator and the narrative (text) indicators of its aspect."""
    aspect = rubric.aspect(rubric.indicator(indicator_id).aspect_id)
    return [indicator_id] + [i.id for i in aspect.indicators if i.type == "text"]


def entry_evidence(session, entry: GoodPractice, rubric) -> list[Evidence]:
    """The unit's evidence for the entry's indicator and its aspect's narratives."""
    wanted = material_indicators(rubric, entry.indicator_id)
    return (session.query(Evidence).join(Submission, Evidence.submission_id == Submission.id)
            .filter(Submission.period_id == entry.period_id,
                    Submission.unit_code == entry.unit_code,
                    Evidence.indicator_id.in_(wanted))
            .order_by(Evidence.indicator_id, Evidence.id).all())


def evidence_of_entry(session, entry: GoodPractice, evidence: Evidence) -> bool:
    """Whether the file may be served as part of the entry: the entry is visible, and the
    evidence is the entry's unit's, of that period, for the entry's material."""
    if not entry_visible(session, entry):
        return False
    detail = _published_detail(session, session.get(Period, entry.period_id))
    return any(ev.id == evidence.id for ev in entry_evidence(session, entry, detail.rubric))


def answer_text(indicator, value) -> str:
    """An answer as a person reads it: Ya/Tidak, the level's label, the number with its
    unit, the chosen options, the text ("" when unanswered)."""
    if value is None or value == "" or value == []:
        return ""
    if value == NOT_APPLICABLE:
        return _("Not applicable")
    if indicator.type == "yesno":
        return _("Yes") if value else _("No")
    if indicator.type == "scale" and isinstance(value, int) and 0 <= value < len(indicator.levels):
        return indicator.levels[value].label
    if indicator.type == "number" and isinstance(value, (int, float)):
        places = 0 if float(value).is_integer() else 2
        return f"{number(value, places)} {indicator.unit}".strip()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def opted_out_units(session, period: Period) -> set[str]:
    return {code for (code,) in session.query(PracticeOptOut.unit_code).filter_by(period_id=period.id)}
