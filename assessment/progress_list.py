"""The progress list of a period: per unit its status, completeness (scored indicators
answered out of those required, required evidence missing), its own deadline (with an
extension) and last save; searched, filtered and cut into pages. Two queries for the page
(its units' questionnaires and evidence) on top of ``progress.unit_rows``."""
from __future__ import annotations

import json
from collections import OrderedDict

from sqlalchemy import Text, cast, select

from .models import Evidence, Period, Submission
from .operations.season import period_state
from .operations.submission import earns_something
from .progress import is_answered
from .rubric_store import rubric_for

PAGE_SIZE = 50


# one questionnaire's completeness, kept per process: a pure function of the rubric, the
# questionnaire's answers as stored (their JSON text, so the key holds the content itself:
# right in any database and any transaction), the indicators that have evidence and the
# unit's level. Checking every answer of 50 questionnaires was a third of the page's time.
_KEPT: OrderedDict = OrderedDict()
_KEPT_MAX = 2048


def with_completeness(session, period: Period, rows: list[dict]) -> list[dict]:
    """The rows (of ``progress.unit_rows``; usually one page) with answered, required,
    evidence_missing and extended added; two queries for the rows' questionnaires (their
    answers as text) and their evidence."""
    codes = [r["code"] for r in rows]
    rubric = rubric_for(period)
    scored = [ind for ind in rubric.indicators if ind.scored]
    answers = {code: (sub_id, text) for sub_id, code, text in session.execute(
        select(Submission.id, Submission.unit_code, cast(Submission.answers, Text))
        .where(Submission.period_id == period.id, Submission.unit_code.in_(codes)))}
    with_evidence: dict[int, set] = {}
    for sub_id, indicator_id in session.execute(
            select(Evidence.submission_id, Evidence.indicator_id).distinct()
            .join(Submission, Submission.id == Evidence.submission_id)
            .where(Submission.period_id == period.id, Submission.unit_code.in_(codes))):
        with_evidence.setdefault(sub_id, set()).add(indicator_id)
    general = period_state(period).closes_for(None)      # everyone's closing time
    for row in rows:
        sub_id, text = answers.get(row["code"], (None, None))
        key = (id(rubric), text or "", row.get("level"), frozenset(with_evidence.get(sub_id, ())))
        hit = _KEPT.get(key)
        if hit is None or hit[0] is not rubric:
            hit = _KEPT[key] = (rubric, *_completeness(rubric, scored, json.loads(text or "{}") or {},
                                                       key[3], key[2]))
            while len(_KEPT) > _KEPT_MAX:
                _KEPT.popitem(last=False)
        _KEPT.move_to_end(key)
        row["answered"], row["evidence_missing"] = hit[1:]
        row["required"] = len(scored)
        row["extended"] = row["closes_at"] > general
    return rows


def _completeness(rubric, scored, given: dict, with_evidence, level) -> tuple[int, int]:
    """(scored indicators answered, required evidence missing) of one questionnaire."""
    return (sum(1 for ind in scored if is_answered(ind, given)),
            sum(1 for ind in rubric.indicators if ind.evidence == "required"
                and ind.id not in with_evidence and earns_something(ind, given.get(ind.id), level)))


def search_rows(rows: list[dict], text: str) -> list[dict]:
    """Rows whose code or name holds ``text`` (case-insensitive)."""
    text = (text or "").strip().lower()
    if not text:
        return rows
    return [r for r in rows if text in r["code"].lower() or text in r["name"].lower()]
