"""The season pages' data (views/season.py): each role's landing rows, a provisional run by
its number and the judges who may review objections. Reads only."""
from __future__ import annotations

from ..models import Objection, Period, ScoringRun, User, WorkUnit
from ..progress import periods_for_unit, recent_periods
from . import objections as objection_ops
from . import stage as stage_ops
from .runs import latest_run


def admin_rows(session) -> list[dict]:
    """Per recent period: its latest provisional run and how many objections wait."""
    return [{"period": p, "run": latest_run(session, p, "provisional"),
             "pending": session.query(Objection).filter_by(period_id=p.id, status="pending").count()}
            for p in recent_periods(session)]


def judge_rows(session, judge: User) -> list[dict]:
    """Per recent period: how many units the judge scores in stage two, how many objections
    are theirs."""
    return [{"period": p, "shortlist": len(stage_ops.judge_shortlist(session, judge, p)),
             "objections": len(objection_ops.period_objections(session, p, judge))}
            for p in recent_periods(session)]


def unit_rows(session, unit: WorkUnit) -> list[dict]:
    """Per period the unit takes part in: where its objection window stands."""
    return [{"period": p, "state": objection_ops.window_state(p)}
            for p in periods_for_unit(session, unit)]


def run_by_number(session, period: Period, number: int) -> ScoringRun | None:
    return session.query(ScoringRun).filter_by(period_id=period.id, number=number).first()


def judges_by_id(session) -> dict[int, User]:
    """Every judge account by id (names on the objections page)."""
    return {u.id: u for u in session.query(User).filter_by(role="judge")}
