"""How complete a unit's questionnaire is, from one source: ``missing_items`` (what blocks
submission) gives every incomplete indicator; the questionnaire page marks them and the
overview, the aspect list and the dashboard count them."""
from __future__ import annotations

from .operations.submission import missing_items


def indicator_marks(rubric, sub) -> dict[str, dict]:
    """Every incomplete indicator, from ``missing_items`` (what blocks submission): id ->
    {"kind": "invalid" | "unanswered" | "evidence", "reason": words for people}. The
    questionnaire page marks these and ``aspect_completeness`` counts them, so the counts
    and the marks cannot disagree."""
    answers = (sub.answers if sub else None) or {}
    pending = (sub.pending if sub else None) or {}
    links = (sub.pending_links if sub else None) or {}   # an invalid evidence link kept
    marks = {}
    for key, reason in missing_items(rubric, sub):
        kind = ("invalid" if key in pending or key in links else
                "unanswered" if answers.get(key) is None else "evidence")
        marks[key] = {"kind": kind, "reason": reason}
    return marks


def aspect_completeness(rubric, sub, marks: dict | None = None) -> list[dict]:
    """Per aspect, in rubric order: scored indicators answered / total and the number of
    incomplete indicators (``missing``), counted from ``indicator_marks``."""
    marks = indicator_marks(rubric, sub) if marks is None else marks
    result = []
    for aspect in rubric.aspects:
        scored = aspect.scored_indicators
        answered = sum(1 for ind in scored
                       if marks.get(ind.id, {}).get("kind") not in ("invalid", "unanswered"))
        missing = sum(1 for ind in aspect.indicators if ind.id in marks)
        result.append({"id": aspect.id, "title": aspect.title, "answered": answered,
                       "total": len(scored), "missing": missing})
    return result
