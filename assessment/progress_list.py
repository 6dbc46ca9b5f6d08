"""The progress list of a period: per unit its status, completeness (scored indicators
answered out of those required, required evidence missing), its own deadline (with an
extension) and last save; searched, filtered and cut into pages. Three queries for the
page (questionnaires and evidence of its units) on top of ``progress.unit_rows``."""
from __future__ import annotations

from sqlalchemy import select

from .models import Evidence, Period, Submission
from .operations.season import period_state
from .operations.submission import earns_something
from .progress import is_answered
from .rubric_store import rubric_for

PAGE_SIZE = 50


def with_completeness(session, period: Period, rows: list[dict]) -> list[dict]:
    """The rows (of ``progress.unit_rows``; usually one page) with answered, required,
    evidence_missing and extended added; two queries for the rows' questionnaires."""
    codes = [r["code"] for r in rows]
    rubric = rubric_for(period)
    scored = [ind for ind in rubric.indicators if ind.scored]
    needs_evidence = [ind for ind in rubric.indicators if ind.evidence == "required"]
    answers = {code: (sub_id, data or {}) for sub_id, code, data in session.execute(
        select(Submission.id, Submission.unit_code, Submission.answers)
        .where(Submission.period_id == period.id, Submission.unit_code.in_(codes)))}
    with_evidence = set(map(tuple, session.execute(
        select(Evidence.submission_id, Evidence.indicator_id).distinct()
        .join(Submission, Submission.id == Evidence.submission_id)
        .where(Submission.period_id == period.id, Submission.unit_code.in_(codes)))))
    general = period_state(period).closes_for(None)      # everyone's closing time
    for row in rows:
        sub_id, given = answers.get(row["code"], (None, {}))
        row["answered"] = sum(1 for ind in scored if is_answered(ind, given))
        row["required"] = len(scored)
        row["evidence_missing"] = sum(1 for ind in needs_evidence
                                      if (sub_id, ind.id) not in with_evidence
                                      and earns_something(ind, given.get(ind.id),
                                                          row.get("level")))
        row["extended"] = row["closes_at"] > general
    return rows


def search_rows(rows: list[dict], text: str) -> list[dict]:
    """Rows whose code or name holds ``text`` (case-insensitive)."""
    text = (text or "").strip().lower()
    if not text:
        return rows
    return [r for r in rows if text in r["code"].lower() or text in r["name"].lower()]
