"""Small builders shared by the scoring tests: rubrics and assessments as plain data."""
from __future__ import annotations

import copy

import yaml

from rubrics import parse_rubric
from scoring import Assessment, Response, Unit

BASE_RUBRIC = {
    "id": "uji",
    "title": "Rubrik uji",
    "aggregate": "mean",
    "predicates": [{"min": 90, "label": "Sangat Baik"}, {"min": 75, "label": "Baik"},
                   {"min": 60, "label": "Cukup"}, {"min": 0, "label": "Kurang"}],
    "tie_break": ["medsos", "koordinasi"],
    "aspects": [
        {"id": "koordinasi", "title": "Koordinasi", "weight": 40, "indicators": [
            {"id": "sk", "type": "yesno", "weight": 1, "question": "SK?"},
            {"id": "sop", "type": "scale", "weight": 2, "question": "SOP?",
             "levels": ["a", "b", "c", "d", "e"]},
        ]},
        {"id": "medsos", "title": "Media sosial", "weight": 60, "indicators": [
            {"id": "unggahan", "type": "number", "weight": 2, "question": "Unggahan?",
             "bands": [[0, 0], [1, 0.5], [3, 0.75], [7, 1]]},
            {"id": "kanal", "type": "choice", "weight": 1, "question": "Kanal?",
             "options": ["web", "ig", "x", "fb", "yt", "tt"], "full_at": 4},
            {"id": "cerita", "type": "text", "question": "Cerita?"},
        ]},
    ],
}


def rubric(**overrides):
    """The base test rubric with top-level keys replaced."""
    doc = copy.deepcopy(BASE_RUBRIC)
    doc.update(overrides)
    return parse_rubric(yaml.safe_dump(doc, allow_unicode=True), source="uji.yaml")


def unit(code: str, category: str = "provinsi") -> Unit:
    return Unit(code=code, name=f"KPU {code}", category=category)


def assessment(responses, units=None, rubric_id="uji") -> Assessment:
    """An assessment with the given responses; units default to those the responses name."""
    responses = tuple(responses)
    if units is None:
        units = [unit(r.unit) for r in responses]
    return Assessment(rubric_id=rubric_id, units=tuple(units), responses=responses)


def resp(code, self_answers=None, judges=None, moderated=None, stages=None) -> Response:
    return Response(unit=code, self_answers=self_answers or {}, judges=judges or {},
                    moderated=moderated or {}, stages=stages or {})
