"""A unit's questionnaire through the API: ``GET|PUT /periods/<slug>/units/<code>/submission``
(409 on a stale version or once closed, 422 with per-indicator errors and nothing saved, 403
for another unit) and ``POST .../submit``."""
from __future__ import annotations

from decimal import Decimal

from flask import g, jsonify

from ..extensions import db
from ..models import Period, Submission, WorkUnit
from ..operations import Invalid
from ..operations.answers import save_answers
from ..operations.evidence import link_message
from ..operations.questionnaire import get_or_create_submission, self_scores, submission_for_api
from ..operations.season import unit_window
from ..operations.submission import missing_items, submit
from ..permissions import can_edit_unit, can_view_unit
from ..rubric_store import rubric_for
from .core import ApiError, bp, find_period, find_taking_part, iso, json_body

MAX_ANSWERS = 1000
SUBMISSION = "/periods/<slug>/units/<code>/submission"


@bp.get(SUBMISSION)
def show_submission(slug, code):
    period = find_period(slug)
    unit = find_taking_part(period, code, can_view_unit)
    sub, with_evidence = submission_for_api(db.session, period, unit.code)
    return jsonify(submission_json(period, unit, sub, with_evidence))


@bp.put(SUBMISSION)
def save_submission(slug, code):
    period = find_period(slug)
    unit = find_taking_part(period, code, can_edit_unit)
    body = json_body({"answers": dict, "version": int})
    if len(body["answers"]) > MAX_ANSWERS:
        raise ApiError(400, "bad_request", f"At most {MAX_ANSWERS} answers at a time.")
    # locked until the commit: a concurrent save of this questionnaire waits, then merges
    found, with_evidence = submission_for_api(db.session, period, unit.code, for_update=True)
    sub = get_or_create_submission(db.session, period, unit.code, g.api_user, found=found)
    save_answers(db.session, sub, body["answers"], {}, body["version"], g.api_user, strict=True,
                 source="api")
    # a save through the API changes answers only, never evidence
    return jsonify(submission_json(period, unit, sub, with_evidence))


@bp.post(SUBMISSION + "/submit")
def submit_submission(slug, code):
    period = find_period(slug)
    unit = find_taking_part(period, code, can_edit_unit)
    body = json_body({"version": int, "head_name": str, "head_position": str, "head_nip": str,
                      "agreed": bool})
    found, _evidence = submission_for_api(db.session, period, unit.code, for_update=True)
    sub = get_or_create_submission(db.session, period, unit.code, g.api_user, found=found)
    try:
        submit(db.session, sub, body["version"], body["head_name"], body["head_position"],
               body["head_nip"], body["agreed"], g.api_user)
    except Invalid as exc:
        raise Invalid(exc.message, details=submit_problems(rubric_for(period), exc.details)) from None
    return jsonify(submission_json(period, unit, sub))


def submit_problems(rubric, details) -> dict:
    """What blocks submitting as {"missing": [{indicator, reason}], <head field>: message}."""
    details = dict(details or {})
    missing = [{"indicator": key, "reason": str(details.pop(key))}
               for key in list(details) if rubric.has_indicator(key)]
    return {"missing": missing, **{key: str(value) for key, value in details.items()}}


def score(value: Decimal) -> float:
    """A JSON number; self_scores has already rounded it to 2 decimals (scoring.round2)."""
    return float(value)


def kept_links(sub: Submission | None) -> dict:
    """The evidence links refused as not valid and kept until fixed (``pending_links``), in
    the shape of ``pending``: indicator id -> {"raw": the link as typed, "error": why, in the
    current language}."""
    return {key: {"raw": entry.get("raw") or "", "error": link_message(entry)}
            for key, entry in ((sub.pending_links if sub else None) or {}).items()}


def submission_json(period: Period, unit: WorkUnit, sub: Submission | None,
                    with_evidence=None) -> dict:
    """The questionnaire as the API shows it; one nobody has saved yet reads as an empty
    draft-to-be: status not_started at version 1, the version its first save sends.
    ``with_evidence``: the indicator ids with evidence, when read with the submission."""
    rubric = rubric_for(period)
    scores = self_scores(rubric, sub)
    window = unit_window(period, unit, sub)
    return {
        "period": period.slug,
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level,
                 "time_zone": unit.time_zone},
        "status": sub.status if sub else "not_started",
        "version": sub.version if sub else 1,
        "answers": dict(sub.answers or {}) if sub else {},
        "pending": dict(sub.pending or {}) if sub else {},
        "pending_links": kept_links(sub),
        "self_score": {"total": score(scores["total"]),
                       "aspects": {k: score(v) for k, v in scores["aspects"].items()}},
        "missing": [{"indicator": ind_id, "reason": str(reason)}
                    for ind_id, reason in missing_items(rubric, sub, with_evidence)],
        "deadline": iso(window.until),
        "open": window.editable,
        "updated_at": iso(sub.updated_at) if sub else None,
        "submitted_at": iso(sub.submitted_at) if sub else None,
        "head_name": (sub.head_name or "") if sub else "",
        "head_position": (sub.head_position or "") if sub else "",
        "head_nip": (sub.head_nip or "") if sub else "",
    }
