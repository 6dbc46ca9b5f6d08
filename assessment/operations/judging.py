"""Shared judging rules: the period's judging settings and who may judge which unit.

Every page, file and API call that shows a unit to a judge goes through
``judge_conflict`` / ``can_verify`` (in assessment.permissions), so a conflict is refused
on the server, not merely hidden in a list."""
from __future__ import annotations

from ..models import JudgeAssignment, Period, User, Verification, WorkUnit

DEFAULTS = {
    "judges_per_unit": 2,          # K judges per submitted unit
    "judge_cap": None,             # most units one judge may hold (None: no cap)
    "conflict_same_province": True,  # a judge never judges units of their own province
    "disagreement_threshold": 0.5,   # judges' fractions further apart than this are flagged
    "min_shared_indicators": 10,     # no leniency verdict on fewer shared indicators
    "lead_judges": [],               # user ids of judges who may moderate (besides the admin)
}


def setting(period: Period, key: str):
    """One judging setting of the period, or its default."""
    value = (period.settings or {}).get(key)
    return DEFAULTS[key] if value is None else value


def province_of(unit: WorkUnit | None) -> str | None:
    """The province code of a unit (its own code for a provinsi unit; None for KPU RI)."""
    if unit is None:
        return None
    return unit.code if unit.level == "provinsi" else unit.province_code


def judge_conflict(judge: User, unit: WorkUnit, period: Period) -> bool:
    """Whether the judge may never see or score the unit: their own unit, or (by the
    period's setting) a unit of the province they are seconded from."""
    if judge.unit_code is None:
        return False
    if judge.unit_code == unit.code:
        return True
    if not setting(period, "conflict_same_province"):
        return False
    own = province_of(judge.unit)
    return own is not None and own == province_of(unit)


def is_lead_judge(user: User, period: Period) -> bool:
    """A judge the admin named lead judge of the period (moderates disagreements)."""
    return bool(user and getattr(user, "role", None) == "judge"
                and user.id in (setting(period, "lead_judges") or []))


def active_assignment(session, period: Period, unit_code: str, judge: User) -> JudgeAssignment | None:
    return session.query(JudgeAssignment).filter_by(
        period_id=period.id, unit_code=unit_code, judge_id=judge.id, active=True).one_or_none()


def wrap(value) -> dict:
    """How a value is stored in JSON columns that must tell "no value" from a value."""
    return {"v": value}


def unwrap(stored: dict | None):
    return None if stored is None else stored.get("v")


def judge_key(judge_id: int) -> str:
    """The judge's name in an exchange document: stable, and not a person's name."""
    return f"J{judge_id}"


def judge_numbers(session, period: Period, unit_code: str) -> dict[int, int]:
    """judge id -> n of "Penilai n" for one unit, the one numbering every page, workbook and
    scorecard uses: active judges in the order of their exchange keys (as the ranking
    workbook sorts them), then judges whose assignment ended."""
    return number_judges(session.query(JudgeAssignment.judge_id, JudgeAssignment.active)
                         .filter_by(period_id=period.id, unit_code=unit_code).all())


def number_judges(assignments) -> dict[int, int]:
    """The numbering of ``judge_numbers`` from one unit's (judge id, active) pairs."""
    active = sorted((j for j, a in assignments if a), key=judge_key)
    ended = sorted((j for j, a in assignments if not a), key=judge_key)
    return {judge_id: n for n, judge_id in enumerate(active + ended, start=1)}


def judge_comments(session, period: Period, unit_code: str) -> dict[str, list[tuple[int, str]]]:
    """indicator id -> [(judge number, comment)] of the unit's active judges, in judge order."""
    numbers = judge_numbers(session, period, unit_code)
    rows = (session.query(JudgeAssignment.judge_id, Verification.indicator_id, Verification.comment)
            .join(Verification, Verification.assignment_id == JudgeAssignment.id)
            .filter(JudgeAssignment.period_id == period.id, JudgeAssignment.unit_code == unit_code,
                    JudgeAssignment.active.is_(True)))
    out: dict[str, list] = {}
    for judge_id, indicator_id, comment in sorted(rows, key=lambda r: numbers[r[0]]):
        if comment and comment.strip():
            out.setdefault(indicator_id, []).append((numbers[judge_id], comment.strip()))
    return out
