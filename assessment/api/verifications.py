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
    """Save the values, comments and checked dates named, merged per indicator with what
    was saved since ``version`` (the version the client read; left out: no merge, the
    values named are written): 409 {"conflicts", "current_version"} when a part changed on
    both sides, and nothing is saved."""
    period, assignment = _assignment(slug, code)
    body = _values_body()
    ops.save_verifications(db.session, assignment, body.get("values", {}), {},
                           body.get("comments", {}), g.api_user, version=body.get("version"),
                           checked=body.get("checked", {}), strict=True, source="api")
    return jsonify(verification_json(period, assignment))


def _values_body() -> dict:
    """{"values": {...}, "comments": {...}, "checked": {...}, "version": n}: at least one of
    values, comments and checked."""
    body = json_body({}, {"values": dict, "comments": dict, "checked": dict, "version": int})
    if not ("values" in body or "comments" in body or "checked" in body):
        raise ApiError(400, "bad_request", "The body does not have the expected fields.",
                       details={"values": "required (or comments, or checked)"})
    if sum(len(body.get(k, {})) for k in ("values", "comments", "checked")) > MAX_VALUES:
        raise ApiError(400, "bad_request", f"At most {MAX_VALUES} values at a time.")
    return body


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
    sampled = {}
    for aspect in rubric.aspects:
        sampled.update(ops.sampled_for(assignment, aspect))
    indicators = {}
    for ind in rubric.indicators:
        row = rows.get(ind.id)
        pending = row.value if row is not None and ops.is_pending(row.value) else None
        detail = scores["indicators"].get(ind.id, {})
        indicators[ind.id] = {
            "scored": ind.scored, "entry": ind.entry, "answer": answers.get(ind.id),
            "self_score": _num(detail.get("self")), "value": ops.verified_value(row),
            "verified_score": _num(detail.get("judge")),
            "pending": {"raw": pending.get("raw", ""), "error": pending_message(ind, pending)}
            if pending else None,
            "comment": row.comment if row is not None else ""}
        if ind.id in sampled:
            indicators[ind.id]["sampled_dates"] = sampled[ind.id]
            indicators[ind.id]["checked_dates"] = ops.checked_dates(row)
    problem = ops.refusal(assignment)
    return {"period": period.slug,
            "unit": {"code": assignment.unit.code, "name": assignment.unit.name},
            "version": assignment.version,
            "state": ops.state_of(assignment), "open": problem is None,
            "verification_closes_at": iso(period.verification_closes_at),
            "started_at": iso(assignment.started_at), "completed_at": iso(assignment.completed_at),
            "progress": ops.progress(rubric, assignment),
            "missing": [{"indicator": k, "reason": str(v)}
                        for k, v in ops.missing_verifications(rubric, assignment)],
            "indicators": indicators}


def _num(value):
    return None if value is None else float(value)
