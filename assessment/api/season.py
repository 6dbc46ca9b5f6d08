"""The season through the API, for administrators: ``GET /periods/<slug>/season`` (where the
period stands and every gate), ``POST /periods/<slug>/runs`` and
``POST /periods/<slug>/runs/<n>/publish`` (409 season_gate with the failing gates). The gates
live in operations/season.py: the checklist page asks the same function."""
from __future__ import annotations

from flask import g, jsonify

from ..extensions import db
from ..models import ScoringRun
from ..operations import season as ops
from ..operations.results import finalise, publish_run
from ..operations.stage import compute_provisional
from ..permissions import is_admin
from .core import ApiError, bp, find_period, iso, json_body


def _admin_only():
    if not is_admin(g.api_user):
        raise ApiError(403, "forbidden", "Only administrators may manage the season.")


def season_json(period) -> dict:
    state = ops.period_state(period)
    return {"stage": state.stage,
            "stages": [{"id": s.id, "title": s.title, "starts": iso(s.starts), "ends": iso(s.ends)}
                       for s in state.stages],
            "gates": [gate.as_json() for gate in ops.gates(db.session, period, state.now)]}


def run_json(period, run: ScoringRun) -> dict:
    return {"run": run.number, "kind": run.kind, "period": period.slug, "reason": run.reason or "",
            "created_at": iso(run.created_at), "rubric_id": run.rubric_id,
            "exchange_sha256": run.exchange_sha256}


@bp.get("/periods/<slug>/season")
def api_season(slug):
    _admin_only()
    return jsonify(season_json(find_period(slug)))


@bp.post("/periods/<slug>/runs")
def api_create_run(slug):
    _admin_only()
    period = find_period(slug)
    body = json_body({"kind": str}, {"note": str}, may_be_empty=True)
    if body["kind"] not in ("provisional", "final"):
        raise ApiError(400, "bad_request", "kind must be 'provisional' or 'final'.",
                       details={"kind": "must be 'provisional' or 'final'"})
    if body["kind"] == "provisional":
        run = compute_provisional(db.session, period, g.api_user, body.get("note", ""))
    else:
        run = finalise(db.session, period, g.api_user, body.get("note", ""))
    return jsonify(run_json(period, run)), 201


@bp.post("/periods/<slug>/runs/<int:number>/publish")
def api_publish_run(slug, number):
    _admin_only()
    period = find_period(slug)
    json_body({}, may_be_empty=True)
    run = db.session.query(ScoringRun).filter_by(period_id=period.id, number=number).first()
    if run is None:
        raise ApiError(404, "not_found", f"There is no run {number} of {slug!r}.")
    pub = publish_run(db.session, period, run, g.api_user)
    return jsonify(run_json(period, run) | {"published_at": iso(pub.published_at)}), 201
