"""The API blueprint itself: authentication and size limits before every request, every error
answered as JSON ``{"error", "message", "details"}``, request bodies read strictly, and the
lookups (period, unit) every endpoint module shares.

Authenticated by personal bearer tokens only: cookie sessions are never accepted, which is
why the blueprint is exempt from CSRF."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..api_auth import Unauthorized, authenticate_request
from ..extensions import csrf, db
from ..models import Period, RubricEdition, WorkUnit
from ..models.units import opening_day
from ..operations import OperationError
from ..operations.editability import existed_when_opened, takes_part
from ..permissions import can_view_period
from ..security import only_one_conflict
from ..text import TextInvalid, clean_json
from .openapi import MAX_BODY_BYTES

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# endpoints answered without a token: the description, and a period's published ranking and
# rank changes (api/results.py; they serve only what has been published)
PUBLIC = {"api.openapi", "api.published_ranking", "api.published_rank_changes"}
MAX_DEPTH = 4          # body -> answers -> a choice list, and one level more for a clear 422
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


# -- lookups -------------------------------------------------------------------------------

# a period with its extensions and its edition's hash (rubric_for needs no more when the
# edition is parsed already) in one query, built once: every request of a questionnaire
# needs them
_PERIOD = (select(Period).where(Period.slug == bindparam("slug"))
           .options(joinedload(Period.extensions),
                    joinedload(Period.rubric_edition).defer(RubricEdition.source)))


def find_period(slug: str) -> Period:
    """The period, or 404 (also when the caller may not see it)."""
    period = db.session.execute(_PERIOD, {"slug": slug}).unique().scalar_one_or_none()
    if period is None or not can_view_period(g.api_user, period):
        raise ApiError(404, "not_found", f"There is no period {slug!r}.")
    return period


def find_unit(code: str, allowed, refusal: str = "do this for") -> WorkUnit:
    """The unit, 404 when unknown, 403 when ``allowed(user, unit)`` refuses."""
    unit = db.session.get(WorkUnit, code)
    if unit is None:
        raise ApiError(404, "not_found", f"There is no work unit {code!r}.")
    if not allowed(g.api_user, unit):
        raise ApiError(403, "forbidden", f"Your account may not {refusal} unit {code}.")
    return unit


def check_existed(period: Period, unit: WorkUnit) -> None:
    """404 when the unit was not in the registry when ``period`` opened (created later, or
    ended before)."""
    if not existed_when_opened(period, unit):
        raise ApiError(404, "not_found", f"Unit {unit.code} did not exist when {period.slug} "
                                         f"opened ({opening_day(period.opens_at).isoformat()}).")


def find_taking_part(period: Period, code: str, allowed) -> WorkUnit:
    """The unit as find_unit finds it, and 404 when it does not take part in ``period``
    (another level, inactive, or not in the registry when the period opened)."""
    unit = find_unit(code, allowed)
    check_existed(period, unit)
    if not takes_part(period, unit):
        raise ApiError(404, "not_found", f"Unit {code} does not take part in {period.slug}.")
    return unit


# -- request bodies ------------------------------------------------------------------------

TYPE_NAMES = {dict: "an object", int: "an integer of at least 0", str: "a string",
              bool: "true or false"}


def json_body(required: dict, optional: dict | None = None, *, nullable: bool = False,
              may_be_empty: bool = False) -> dict:
    """The request's JSON object with the ``required`` fields, any of the ``optional`` ones
    (name: type; null allowed for them when ``nullable``) and no others, or 400/413/415.
    With ``may_be_empty``, no body at all reads as ``{}`` (and is checked like one)."""
    optional = optional or {}
    body = {} if may_be_empty and not request.get_data(cache=True) else _json_object()
    fields = required | optional
    problems = {key: "required" for key in required if key not in body}
    problems |= {key: f"must be {TYPE_NAMES[kind]}" for key, kind in fields.items()
                 if key in body and not _is(body[key], kind)
                 and not (nullable and key in optional and body[key] is None)}
    problems |= {key: "unexpected" for key in body if key not in fields}
    if problems:
        raise ApiError(400, "bad_request", "The body does not have the expected fields.",
                       details=problems)
    return body


def _json_object() -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "Send the body as JSON with 'Content-Type: application/json'.")
    data = request.get_data(cache=False)
    if len(data) > body_limit():
        raise too_large()
    return parse_json(data)


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
    """A time as the API writes it: ISO 8601 in UTC, ending in Z."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
