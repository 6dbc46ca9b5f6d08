"""Published results through the API: a period's ranking and rank changes (public, without a
token: they serve only what has been published) and a unit's feedback (for the people who
may see its page)."""
from __future__ import annotations

from flask import Response, jsonify, request

from ..extensions import db
from ..models import Period
from ..operations.feedback import api_json, unit_feedback
from ..operations.results import rank_change_data
from ..operations.runs import published_run
from ..permissions import can_view_unit
from .core import ApiError, bp, check_existed, find_unit


def _published(slug: str):
    """The period and its published run, or 404 for everyone."""
    period = db.session.query(Period).filter_by(slug=slug).one_or_none()
    run = published_run(db.session, period) if period is not None else None
    if run is None:
        raise ApiError(404, "not_found", f"There is no published ranking of {slug!r}.")
    return period, run


@bp.get("/periods/<slug>/ranking")
def published_ranking(slug):
    """The published run's result, byte for byte the ``score`` command's JSON."""
    _period, run = _published(slug)
    response = Response(run.result.encode("utf-8"), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Scoring-Run"] = str(run.number)
    response.set_etag(f"{run.id}-{run.exchange_sha256[:16]}")
    return response.make_conditional(request)


@bp.get("/periods/<slug>/rank-changes")
def published_rank_changes(slug):
    """Rank changes of the published run since the previous published period (public)."""
    period, run = _published(slug)
    response = jsonify(rank_change_data(db.session, period, run))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Scoring-Run"] = str(run.number)
    return response


@bp.get("/periods/<slug>/units/<code>/feedback")
def api_feedback(slug, code):
    """The unit's feedback from the published run, for the people who may see its page
    (the unit's operators, its province's monitor, the admin): 403 for others, 404
    before publication and for a unit not ranked in it."""
    period = db.session.query(Period).filter_by(slug=slug).one_or_none()
    if period is None:
        raise ApiError(404, "not_found", f"There is no period {slug!r}.")
    unit = find_unit(code, can_view_unit, refusal="see the feedback of")
    check_existed(period, unit)
    found = unit_feedback(db.session, period, unit)
    if found is None or found.data is None:
        raise ApiError(404, "not_found", f"There is no published feedback of unit {code} "
                                         f"in {slug!r}.")
    return jsonify(api_json(found.data))
