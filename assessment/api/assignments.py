"""Judge assignments through the API: ``GET /periods/<slug>/assignments`` (administrators:
all of them, judges: their own)."""
from __future__ import annotations

from flask import g, jsonify

from ..extensions import db
from ..models import JudgeAssignment, Period
from ..operations import assign as ops
from ..operations.judging import judge_conflict, province_of
from ..permissions import can_judge, is_admin
from .core import ApiError, bp, find_period, iso


@bp.get("/periods/<slug>/assignments")
def api_assignments(slug):
    user = g.api_user
    if not (is_admin(user) or can_judge(user)):
        raise ApiError(403, "forbidden", "Only administrators and judges may list assignments.")
    period = find_period(slug)
    rows = ops.assignments(db.session, period, active=None)
    if not is_admin(user):
        rows = [r for r in rows if r.judge_id == user.id]
    verified, scored = ops.progress_counts(db.session, period, rows), ops.scored_count(period)
    return jsonify(period=period.slug, judges_per_unit=ops.judging_settings(period)["judges_per_unit"],
                   assignments=[assignment_json(r, period, verified.get(r.id, 0), scored)
                                for r in rows])


def assignment_json(row: JudgeAssignment, period: Period, verified: int, scored: int) -> dict:
    unit, judge = row.unit, row.judge
    return {"id": row.id,
            "unit": {"code": unit.code, "name": unit.name, "level": unit.level,
                     "province": province_of(unit)},
            "judge": {"id": judge.id, "username": judge.username, "name": judge.name},
            "active": bool(row.active), "conflict": judge_conflict(judge, unit, period),
            "verified": verified, "scored": scored,
            "assigned_at": iso(row.created_at), "completed_at": iso(row.completed_at),
            "ended_at": iso(row.ended_at), "ended_reason": row.ended_reason or None}
