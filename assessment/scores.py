"""Database rows turned into plain data for scoring/, and the self-score of one submission.

Scores come only from ``scoring.score``; this module never computes a score itself."""
from __future__ import annotations

from decimal import Decimal

from rubrics import Rubric
from scoring import AnswerError, Assessment, Response, Unit, check_answer, round2, score


def valid_answers(rubric: Rubric, answers: dict | None) -> dict:
    """The answers scoring can read: known indicators with valid values (a defensive
    filter; saving already refuses anything else)."""
    clean = {}
    for key, value in (answers or {}).items():
        if value is None or not rubric.has_indicator(key):
            continue
        try:
            check_answer(rubric.indicator(key), value)
        except AnswerError:
            continue
        clean[key] = value
    return clean


def unit_assessment(rubric: Rubric, unit_code: str, answers: dict | None,
                    category: str = "unit") -> Assessment:
    """A one-unit scoring.Assessment holding only the unit's own answers."""
    return Assessment(rubric_id=rubric.id,
                      units=(Unit(code=unit_code, name=unit_code, category=category),),
                      responses=(Response(unit=unit_code,
                                          self_answers=valid_answers(rubric, answers)),))


def self_scores_for(rubric: Rubric, unit_code: str, answers: dict | None) -> dict:
    """{"total": Decimal, "aspects": {aspect id: Decimal}}: the self-score as published
    (rounded half-up to 2 decimals by scoring.round2)."""
    result = score(rubric, unit_assessment(rubric, unit_code, answers))
    row = result.ranking[0]
    return {"total": round2(row.self_total),
            "aspects": {aspect.id: round2(row.self_aspects[aspect.id]) for aspect in rubric.aspects}}


def zero_scores(rubric: Rubric) -> dict:
    """The self-score of a questionnaire with no answers yet."""
    return {"total": Decimal("0.00"), "aspects": {a.id: Decimal("0.00") for a in rubric.aspects}}
