"""Why one unit ranks above another: the ranking order in words, and the ties an aspect
decided, read from a scored Result (the engine's own key: stage reached, then the total
rounded to two decimals, then the rubric's tie-break aspects in order)."""
from __future__ import annotations

from rubrics.model import Rubric

from .engine import Result, UnitResult, _cents


def _aspect_cents(row: UnitResult, aspect_id: str) -> int | None:
    value = row.aspects.get(aspect_id)
    return None if value is None else _cents(value)


def tie_breaks(rubric: Rubric, result: Result) -> dict[str, str]:
    """``{unit code: aspect id}`` for every unit placed below the unit ranked just above it
    in its category by a tie-break aspect (same stage, same rounded total): the aspect
    that decided it (units sharing that rank get the same aspect). Units whose rank differs
    by stage or rounded total are not listed."""
    decided: dict[str, str] = {}
    for above, below in zip(result.ranking, result.ranking[1:]):
        if above.unit.category != below.unit.category or above.rank is None:
            continue
        if above.rank == below.rank:        # sharing a rank: placed as the unit beside it
            if above.unit.code in decided:
                decided[below.unit.code] = decided[above.unit.code]
            continue
        if (above.stage_reached != below.stage_reached
                or _cents(above.total) != _cents(below.total)):
            continue
        for aspect_id in rubric.tie_break:
            if _aspect_cents(above, aspect_id) != _aspect_cents(below, aspect_id):
                decided[below.unit.code] = aspect_id
                break
    return decided


def order_rule(rubric: Rubric) -> dict:
    """The parts of the ranking rule: stage titles (last first), the tie-break aspects'
    titles in order; for a sentence such as "Urutan: tahap yang dicapai, lalu nilai total
    yang dibulatkan, lalu aspek A, B"."""
    titles = {a.id: a.title for a in rubric.aspects}
    return {"stages": [s.title or s.id for s in reversed(rubric.stages)],
            "tie_break": [titles.get(a, a) for a in rubric.tie_break]}


def order_sentence(rubric: Rubric) -> str:
    """The ranking rule as one Indonesian sentence, for workbooks and scorecards."""
    rule = order_rule(rubric)
    text = (f"Urutan peringkat: tahap terakhir yang dicapai ({' di atas '.join(rule['stages'])}), "
            "lalu nilai total yang dibulatkan dua desimal")
    if rule["tie_break"]:
        text += f", lalu nilai aspek {', '.join(rule['tie_break'])} secara berurutan"
    return text + "; satuan kerja yang sama pada semuanya berbagi peringkat (2, 2, 4)."
