"""The exchange format: responses in, results out, as plain JSON-ready data.

Input (see README): ``{"rubric": ID, "units": [...], "responses": [...]}``. The parser
checks the structure and names the place of every problem; answer values themselves are
checked by the engine while it scores, with the same kind of place.
"""
from __future__ import annotations

import json
from typing import Any

from .engine import Assessment, Response, Result, ScoringInputError, Unit, round2

UNIT_KEYS = {"code", "name", "category", "province"}
RESPONSE_KEYS = {"unit", "self", "judges", "moderated", "stages"}
TOP_KEYS = {"rubric", "units", "responses"}


def parse_json(raw: bytes | str) -> Any:
    """Decode JSON text, turning a syntax error into a ScoringInputError with line and column."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ScoringInputError("", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ScoringInputError(f"line {exc.lineno}, column {exc.colno}",
                                f"malformed JSON: {exc.msg}") from None


def _require(cond: bool, place: str, message: str):
    if not cond:
        raise ScoringInputError(place, message)


def _at(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def _text(node: dict, key: str, place: str, required=True) -> str:
    value = node.get(key)
    if value is None and not required:
        return ""
    _require(isinstance(value, str) and value.strip() != "", _at(place, key),
             f"must be a non-empty text (got {value!r})")
    return value.strip()


def _unknown_keys(node: dict, allowed: set, place: str):
    extra = sorted(set(node) - allowed)
    _require(not extra, _at(place, extra[0] if extra else ""),
             f"unknown key; expected only {', '.join(sorted(allowed))}")


def assessment_from_dict(doc: Any) -> Assessment:
    """Check the structure of a decoded exchange document and return the Assessment."""
    _require(isinstance(doc, dict), "", "the file must hold a JSON object with rubric, units "
             "and responses")
    _unknown_keys(doc, TOP_KEYS, "")
    rubric_id = _text(doc, "rubric", "")
    units_node, responses_node = doc.get("units"), doc.get("responses")
    _require(isinstance(units_node, list), "units", "must be a list of units")
    _require(isinstance(responses_node, list), "responses", "must be a list of responses")
    units = tuple(_unit(node, f"units[{n}]") for n, node in enumerate(units_node))
    responses = tuple(_response(node, f"responses[{n}]") for n, node in enumerate(responses_node))
    return Assessment(rubric_id=rubric_id, units=units, responses=responses)


def _unit(node, place: str) -> Unit:
    _require(isinstance(node, dict), place, "must be an object with code, name and category")
    _unknown_keys(node, UNIT_KEYS, place)
    return Unit(code=_text(node, "code", place), name=_text(node, "name", place),
                category=_text(node, "category", place),
                province=_text(node, "province", place, required=False))


def _response(node, place: str) -> Response:
    _require(isinstance(node, dict), place, "must be an object with unit and self")
    _unknown_keys(node, RESPONSE_KEYS, place)
    parts = {}
    for key in ("self", "judges", "moderated", "stages"):
        value = node.get(key)
        value = {} if value is None else value
        _require(isinstance(value, dict), f"{place}.{key}", "must be an object")
        parts[key] = value
    for name, answers in parts["judges"].items():
        _require(isinstance(answers, dict), f"{place}.judges.{name}",
                 "must be an object of indicator answers")
    return Response(unit=_text(node, "unit", place), self_answers=parts["self"],
                    judges=parts["judges"], moderated=parts["moderated"],
                    stages=parts["stages"])


def assessment_to_dict(assessment: Assessment) -> dict:
    """The exchange document for an Assessment (the inverse of ``assessment_from_dict``)."""
    def unit(u: Unit) -> dict:
        out = {"code": u.code, "name": u.name, "category": u.category}
        if u.province:
            out["province"] = u.province
        return out

    def response(r: Response) -> dict:
        out = {"unit": r.unit, "self": dict(r.self_answers)}
        for key, value in (("judges", r.judges), ("moderated", r.moderated), ("stages", r.stages)):
            if value:
                out[key] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in value.items()}
        return out

    return {"rubric": assessment.rubric_id, "units": [unit(u) for u in assessment.units],
            "responses": [response(r) for r in assessment.responses]}


def _num(value) -> float | None:
    return None if value is None else float(round2(value))


def result_to_dict(result: Result) -> dict:
    """The JSON result shape of the ``score`` command and the public ranking API."""
    ranking = [_ranking_row(row) for row in result.ranking]
    awards = {award_id: [{"rank": r.rank, "unit": r.unit.code, "name": r.unit.name,
                          "score": float(r.score), "winner": r.winner} for r in rows]
              for award_id, rows in result.awards.items()}
    return {"rubric": result.rubric_id, "ranking": ranking, "awards": awards,
            "not_submitted": list(result.not_submitted)}


def _ranking_row(row) -> dict:
    out = {"category": row.unit.category, "rank": row.rank, "unit": row.unit.code,
           "name": row.unit.name, "total": _num(row.total),
           "self_total": _num(row.self_total), "predicate": row.predicate,
           "stage_reached": row.stage_reached,
           "stages": {k: _num(v) for k, v in row.stages.items()},
           "aspects": {k: _num(v) for k, v in row.aspects.items()}}
    if row.entry_unmet:      # only then: results of editions without conditions stay as they were
        out["entry_unmet"] = list(row.entry_unmet)
    return out


def _round(value):
    return None if value is None else round2(value)


def result_table(result: Result, rubric) -> tuple[list[str], list[list]]:
    """(headers, rows) of the ranking: one row per ranked unit, aspects as columns."""
    stage_ids = [s.id for s in rubric.stages]
    aspect_ids = [a.id for a in rubric.aspects]
    headers = (["category", "rank", "unit", "name", "total", "self_total", "predicate",
                "stage_reached"] + [f"stage:{s}" for s in stage_ids]
               + [f"aspect:{a}" for a in aspect_ids])
    rows = []
    for row in result.ranking:
        rows.append([row.unit.category, row.rank, row.unit.code, row.unit.name,
                     round2(row.total), round2(row.self_total), row.predicate, row.stage_reached]
                    + [round2(row.stages[s]) if s in row.stages else None for s in stage_ids]
                    + [_round(row.aspects[a]) for a in aspect_ids])
    return headers, rows
