"""The API's description and its periods: ``GET /openapi.json``, ``GET /periods`` and
``GET /periods/<slug>`` with the period's rubric."""
from __future__ import annotations

from flask import g, jsonify

from ..extensions import db
from ..models import Period
from ..operations.season import period_state
from ..permissions import can_view_period
from ..rubric_store import rubric_for
from .core import bp, find_period, iso
from .openapi import document


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
