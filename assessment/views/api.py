"""The JSON API under /api/v1 (described by /api/v1/openapi.json).

Authenticated by personal bearer tokens only: cookie sessions are never accepted, which is
why the blueprint is exempt from CSRF. Every answer, errors included, is JSON."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..api_auth import Unauthorized, authenticate_request
from ..extensions import csrf, db
from ..models import Period, Submission, WorkUnit
from ..openapi import MAX_BODY_BYTES, document
from ..operations import Invalid, OperationError
from ..operations.answers import save_answers
from ..operations.questionnaire import get_or_create_submission, get_submission, self_scores
from ..operations.season import period_state
from ..operations.submission import missing_items, submit
from ..permissions import can_edit_unit, can_view_period, can_view_unit
from ..rubric_store import rubric_for
from ..security import only_one_conflict
from ..text import TextInvalid, clean_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# endpoints answered without a token: this document, and a period's published ranking and
# rank changes (views/results.py; they serve only what has been published)
PUBLIC = {"api.openapi", "api.published_ranking", "api.published_rank_changes"}
MAX_DEPTH = 4          # body -> answers -> a choice list, and one level more for a clear 422
MAX_ANSWERS = 1000
SUBMISSION = "/periods/<slug>/units/<code>/submission"
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "too_many_requests", 500: "server_error"}


class ApiError(Exception):
    """A refusal of the request itself (shape, size, lookup), answered as JSON."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


# -- requests, errors --------------------------------------------------------------------

@bp.before_request
def _authenticate_and_limit():
    if request.endpoint not in PUBLIC:
        authenticate_request()
    if (request.content_length or 0) > body_limit():
        raise too_large()
    # bodies sent without a length (chunked) are read up to one byte past the limit, so
    # that json_body can tell "too large" from "exactly the limit"
    request.max_content_length = body_limit() + 1


def body_limit() -> int:
    return current_app.config.get("API_MAX_BODY_BYTES", MAX_BODY_BYTES)


def too_large() -> ApiError:
    return ApiError(413, "too_large", f"The body is larger than {body_limit()} bytes.")


@bp.before_app_request
def _unrouted_api_requests():
    """404 and 405 happen before a blueprint is chosen: answer them as JSON here."""
    exc = request.routing_exception
    if isinstance(exc, (NotFound, MethodNotAllowed)) and is_api_path(request.path):
        return _http_error(exc)
    return None


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def error_response(status: int, code: str, message: str, details=None, headers=None):
    response = jsonify(error=code, message=str(message), details=details)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


@bp.errorhandler(Unauthorized)
def _unauthorized(exc: Unauthorized):
    return error_response(401, exc.code, exc.message,
                          headers={"WWW-Authenticate": 'Bearer realm="api"'})


@bp.errorhandler(OperationError)
def _refused(exc: OperationError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


@bp.errorhandler(IntegrityError)
def _only_one(exc: IntegrityError):
    """A database "only one" rule refused a row: 409 JSON (security.only_one_conflict)."""
    return only_one_conflict(exc)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    headers = {"Allow": ", ".join(sorted(exc.valid_methods))} \
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods else None
    return error_response(exc.code or 500, HTTP_CODES.get(exc.code, "error"),
                          exc.description or exc.name, headers=headers)


@bp.errorhandler(Exception)
def _crash(exc: Exception):
    current_app.logger.error("API request failed: %s %s", request.method, request.path,
                             exc_info=exc)
    return error_response(500, "server_error", "An unexpected error occurred; it has been logged.")


# -- endpoints ---------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/periods")
def list_periods():
    periods = db.session.query(Period).order_by(Period.opens_at.desc(), Period.id.desc())
    return jsonify(periods=[period_json(p) for p in periods if can_view_period(g.api_user, p)])


@bp.get("/periods/<slug>")
def show_period(slug):
    period = find_period(slug)
    return jsonify(period_json(period) | {"rubric": rubric_json(rubric_for(period))})


@bp.get(SUBMISSION)
def show_submission(slug, code):
    period = find_period(slug)
    unit = find_unit(period, code, can_view_unit)
    return jsonify(submission_json(period, unit, get_submission(db.session, period, unit.code)))


@bp.put(SUBMISSION)
def save_submission(slug, code):
    period = find_period(slug)
    unit = find_unit(period, code, can_edit_unit)
    body = json_body({"answers": dict, "version": int})
    if len(body["answers"]) > MAX_ANSWERS:
        raise ApiError(400, "bad_request", f"At most {MAX_ANSWERS} answers at a time.")
    sub = get_or_create_submission(db.session, period, unit.code, g.api_user)
    save_answers(db.session, sub, body["answers"], {}, body["version"], g.api_user, strict=True,
                 source="api")
    return jsonify(submission_json(period, unit, sub))


@bp.post(SUBMISSION + "/submit")
def submit_submission(slug, code):
    period = find_period(slug)
    unit = find_unit(period, code, can_edit_unit)
    body = json_body({"version": int, "head_name": str, "head_position": str, "head_nip": str,
                      "agreed": bool})
    sub = get_or_create_submission(db.session, period, unit.code, g.api_user)
    try:
        submit(db.session, sub, body["version"], body["head_name"], body["head_position"],
               body["head_nip"], body["agreed"], g.api_user)
    except Invalid as exc:
        raise Invalid(exc.message, details=submit_problems(rubric_for(period), exc.details)) from None
    return jsonify(submission_json(period, unit, sub))


# -- lookups and changes -------------------------------------------------------------------

def find_period(slug: str) -> Period:
    """The period, or 404 (also when the caller may not see it)."""
    period = db.session.query(Period).filter_by(slug=slug).one_or_none()
    if period is None or not can_view_period(g.api_user, period):
        raise ApiError(404, "not_found", f"There is no period {slug!r}.")
    return period


def find_unit(period: Period, code: str, allowed) -> WorkUnit:
    """The unit, 403 when ``allowed(user, unit)`` refuses, 404 when it does not take part."""
    unit = db.session.get(WorkUnit, code)
    if unit is None:
        raise ApiError(404, "not_found", f"There is no work unit {code!r}.")
    if not allowed(g.api_user, unit):
        raise ApiError(403, "forbidden", f"Your account may not do this for unit {code}.")
    if unit.level not in period.levels:
        raise ApiError(404, "not_found", f"Unit {code} does not take part in {period.slug}.")
    return unit


def submit_problems(rubric, details) -> dict:
    """What blocks submitting as {"missing": [{indicator, reason}], <head field>: message}."""
    details = dict(details or {})
    missing = [{"indicator": key, "reason": str(details.pop(key))}
               for key in list(details) if rubric.has_indicator(key)]
    return {"missing": missing, **{key: str(value) for key, value in details.items()}}


# -- request bodies ------------------------------------------------------------------------

TYPE_NAMES = {dict: "an object", int: "an integer of at least 0", str: "a string",
              bool: "true or false"}


def json_body(fields: dict) -> dict:
    """The request's JSON object with exactly ``fields`` (name: type), or 400/413/415."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "Send the body as JSON with 'Content-Type: application/json'.")
    data = request.get_data(cache=False)
    if len(data) > body_limit():
        raise too_large()
    body = parse_json(data)
    problems = {key: "required" for key in fields if key not in body}
    problems |= {key: f"must be {TYPE_NAMES[kind]}" for key, kind in fields.items()
                 if key in body and not _is(body[key], kind)}
    problems |= {key: "unexpected" for key in body if key not in fields}
    if problems:
        raise ApiError(400, "bad_request", "The body does not have the expected fields.",
                       details=problems)
    return body


def parse_json(data: bytes) -> dict:
    if not data:
        raise ApiError(400, "malformed_json", "The body is empty; send a JSON object.")
    try:
        body = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ApiError(400, "malformed_json", "The JSON is nested too deeply.") from None
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    if depth(body) > MAX_DEPTH:
        raise ApiError(400, "bad_request", f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    try:   # no NUL (PostgreSQL refuses it), lone surrogates or control characters; NFC
        return clean_json(body)
    except TextInvalid as exc:
        raise ApiError(422, "invalid", f"The field {exc.field!r} {exc.reason}.",
                       details={exc.field: exc.reason}) from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _is(value, kind) -> bool:
    if kind is int:
        return type(value) is int and value >= 0
    return type(value) is kind


def depth(value) -> int:
    """How deeply objects and arrays nest (iteratively: the input is untrusted)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


# -- representations -----------------------------------------------------------------------

def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def score(value: Decimal) -> float:
    """A JSON number; self_scores has already rounded it to 2 decimals (scoring.round2)."""
    return float(value)


def period_json(period: Period) -> dict:
    return {"slug": period.slug, "title": period.title, "rubric_id": period.rubric_id,
            "opens_at": iso(period.opens_at), "closes_at": iso(period.closes_at),
            "levels": list(period.levels), "open": period_state(period).open}


def rubric_json(rubric) -> dict:
    return {"id": rubric.id, "title": rubric.title, "aspects": [
        {"id": a.id, "title": a.title, "weight": float(a.weight),
         "indicators": [indicator_json(i) for i in a.indicators]} for a in rubric.aspects]}


def indicator_json(ind) -> dict:
    return {"id": ind.id, "type": ind.type, "question": ind.question, "scored": ind.scored,
            "evidence": ind.evidence, "levels": [lvl.label for lvl in ind.levels],
            "options": list(ind.options), "unit": ind.unit or None}


def submission_json(period: Period, unit: WorkUnit, sub: Submission | None) -> dict:
    """The questionnaire as the API shows it; one nobody has saved yet reads as an empty
    draft-to-be: status not_started at version 1, the version its first save sends."""
    rubric = rubric_for(period)
    scores = self_scores(rubric, sub)
    window = period_state(period).unit(unit, sub)
    return {
        "period": period.slug,
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level,
                 "time_zone": unit.time_zone},
        "status": sub.status if sub else "not_started",
        "version": sub.version if sub else 1,
        "answers": dict(sub.answers or {}) if sub else {},
        "pending": dict(sub.pending or {}) if sub else {},
        "self_score": {"total": score(scores["total"]),
                       "aspects": {k: score(v) for k, v in scores["aspects"].items()}},
        "missing": [{"indicator": ind_id, "reason": str(reason)}
                    for ind_id, reason in missing_items(rubric, sub)],
        "deadline": iso(window.until),
        "open": window.editable,
        "updated_at": iso(sub.updated_at) if sub else None,
        "submitted_at": iso(sub.submitted_at) if sub else None,
        "head_name": (sub.head_name or "") if sub else "",
        "head_position": (sub.head_position or "") if sub else "",
        "head_nip": (sub.head_nip or "") if sub else "",
    }
