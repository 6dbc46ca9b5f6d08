"""A judge's verification through the API: ``GET|PUT /periods/<slug>/verifications/<code>``,
``POST .../complete`` and ``POST .../reopen``. Every call checks ``permissions.can_verify``
(an active assignment and no conflict of interest), as the pages do."""
from __future__ import annotations

from flask import g, jsonify

from ..extensions import db
from ..operations import OperationError
from ..operations import verification as ops
from ..operations.answers import pending_message
from ..operations.judging import active_assignment
from ..permissions import can_verify
from ..rubric_store import rubric_for
from .core import ApiError, bp, find_period, find_unit, iso, json_body

VERIFICATIONS = "/periods/<slug>/verifications/<code>"
MAX_VALUES = 1000


def _assignment(slug: str, code: str):
    period = find_period(slug)
    unit = find_unit(code, lambda user, unit: can_verify(db.session, user, period, unit),
                     refusal="verify")
    return period, active_assignment(db.session, period, unit.code, g.api_user)


@bp.get(VERIFICATIONS)
def api_show_verification(slug, code):
    period, assignment = _assignment(slug, code)
    return jsonify(verification_json(period, assignment))


@bp.put(VERIFICATIONS)
def api_save_verification(slug, code):
    period, assignment = _assignment(slug, code)
    values, comments = _values_body()
    ops.save_verifications(db.session, assignment, values, {}, comments, g.api_user,
                           strict=True, source="api")
    return jsonify(verification_json(period, assignment))


def _values_body() -> tuple[dict, dict]:
    """{"values": {...}, "comments": {...}}, either may be left out but not both."""
    body = json_body({}, {"values": dict, "comments": dict})
    if not ("values" in body or "comments" in body):
        raise ApiError(400, "bad_request", "The body does not have the expected fields.",
                       details={"values": "required (or comments)"})
    values, comments = body.get("values", {}), body.get("comments", {})
    if len(values) + len(comments) > MAX_VALUES:
        raise ApiError(400, "bad_request", f"At most {MAX_VALUES} values at a time.")
    return values, comments


@bp.post(VERIFICATIONS + "/complete")
def api_complete_verification(slug, code):
    period, assignment = _assignment(slug, code)
    try:
        ops.complete(db.session, assignment, g.api_user)
    except OperationError as exc:   # re-raised, so the request is rolled back as a whole
        if isinstance(exc.details, dict):
            exc.details = {"missing": [{"indicator": k, "reason": str(v)}
                                       for k, v in exc.details.items()]}
        raise
    return jsonify(verification_json(period, assignment))


@bp.post(VERIFICATIONS + "/reopen")
def api_reopen_verification(slug, code):
    period, assignment = _assignment(slug, code)
    ops.reopen(db.session, assignment, g.api_user)
    return jsonify(verification_json(period, assignment))


def verification_json(period, assignment) -> dict:
    """One judge's verification of one unit, as the API shows it."""
    rubric = rubric_for(period)
    rows = ops.rows_by_indicator(assignment)
    answers = ops.unit_answers(db.session, period, assignment.unit_code)
    scores = ops.fractions(rubric, assignment.unit_code, answers, ops.values_of(assignment))
    indicators = {}
    for ind in rubric.indicators:
        row = rows.get(ind.id)
        pending = row.value if row is not None and ops.is_pending(row.value) else None
        detail = scores["indicators"].get(ind.id, {})
        indicators[ind.id] = {
            "scored": ind.scored, "answer": answers.get(ind.id),
            "self_score": _num(detail.get("self")), "value": ops.verified_value(row),
            "verified_score": _num(detail.get("judge")),
            "pending": {"raw": pending.get("raw", ""), "error": pending_message(ind, pending)}
            if pending else None,
            "comment": row.comment if row is not None else ""}
    problem = ops.refusal(assignment)
    return {"period": period.slug,
            "unit": {"code": assignment.unit.code, "name": assignment.unit.name},
            "state": ops.state_of(assignment), "open": problem is None,
            "verification_closes_at": iso(period.verification_closes_at),
            "started_at": iso(assignment.started_at), "completed_at": iso(assignment.completed_at),
            "progress": ops.progress(rubric, assignment),
            "missing": [{"indicator": k, "reason": str(v)}
                        for k, v in ops.missing_verifications(rubric, assignment)],
            "indicators": indicators}


def _num(value):
    return None if value is None else float(value)
