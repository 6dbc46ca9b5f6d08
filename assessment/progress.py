"""Progress of a period as plain data: which units take part, where each one stands,
counts per province and nationally, and an operator's completeness per aspect."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from scoring import AnswerError, check_answer

from .formatting import local_time
from .models import Period, Submission, WorkUnit
from .models.units import existing_on, opening_day
from .models.types import utcnow
from .operations.kept import kept
from .operations.season import period_state, prefetch_states

# "returned" is a questionnaire sent back by the judges: the unit works on it again
STATUSES = ("not_started", "draft", "returned", "submitted")
STATUS_LABELS = {"not_started": _l("Not started"), "draft": _l("Draft"),
                 "returned": _l("Returned"), "submitted": _l("Submitted")}
# the one table of category (unit level) names on pages; reports use reports.indonesian
LEVEL_LABELS = {"pusat": _l("KPU RI"), "provinsi": _l("KPU Provinces"), "kabkota": _l("KPU Regencies/Cities")}


def participating_units(session, period: Period, province_code: str | None = None) -> list[WorkUnit]:
    """Active units of the period's levels that existed when it opened, optionally one
    province and its regencies, in registry order (province by province, the province
    office first)."""
    units = session.scalars(select(WorkUnit).where(*_taking_part(period, province_code))).all()
    return sorted(units, key=_registry_order)


def _taking_part(period: Period, province_code: str | None) -> list:
    """``participating_units``' conditions."""
    where = [WorkUnit.active.is_(True), WorkUnit.level.in_(period.levels),
             existing_on(opening_day(period.opens_at))]
    if province_code:
        where.append(or_(WorkUnit.code == province_code, WorkUnit.province_code == province_code))
    return where


def _registry_order(unit) -> tuple:
    return (group_code(unit), unit.level != "provinsi", unit.code)


def group_code(unit: WorkUnit) -> str:
    """The province a unit is counted under (KPU RI forms its own group)."""
    return unit.province_code or unit.code


def unit_rows(session, period: Period, province_code: str | None = None) -> list[dict]:
    """One plain row per participating unit with its questionnaire status (the units'
    columns read as rows, not as objects: a national list has 550). The units' part
    (registry, province names, each unit's closing time) is kept per process while the
    period's version stands (``operations.kept``: the registry, the period and its
    extensions all move it); the questionnaires' status is read every time (a draft's
    save does not move the version)."""
    units = kept(session, period, "progress.units", lambda: _units_part(session, period))
    if province_code:
        units = [unit for unit in units if unit[3] == province_code]
    subs = {row.unit_code: row for row in session.execute(
        select(Submission.unit_code, Submission.status, Submission.updated_at,
               Submission.submitted_at).where(Submission.period_id == period.id))}
    rows = []
    for code, name, level, group, group_name, time_zone, closes_at in units:
        sub = subs.get(code)
        rows.append({"code": code, "name": name, "level": level,
                     "province_code": group, "province_name": group_name,
                     "time_zone": time_zone,
                     "status": sub.status if sub else "not_started",
                     "updated_at": sub.updated_at if sub else None,
                     "submitted_at": sub.submitted_at if sub else None,
                     "closes_at": closes_at})
    return rows


def _units_part(session, period: Period) -> tuple:
    """(code, name, level, province group, its name, time zone, closing time) of every
    participating unit, in registry order."""
    units = sorted(session.execute(
        select(WorkUnit.code, WorkUnit.name, WorkUnit.level, WorkUnit.province_code,
               WorkUnit.time_zone).where(*_taking_part(period, None))).all(),
        key=_registry_order)
    names = {code: name for code, name in session.execute(
        select(WorkUnit.code, WorkUnit.name).where(WorkUnit.level.in_(("pusat", "provinsi"))))}
    state = period_state(period)
    return tuple((unit.code, unit.name, unit.level, group, names.get(group, ""), unit.time_zone,
                  state.closes_for(unit.code))
                 for unit in units for group in (group_code(unit),))


def count_statuses(rows: list[dict]) -> dict[str, int]:
    counts = Counter(r["status"] for r in rows)
    result = {s: counts.get(s, 0) for s in STATUSES}
    result["total"] = len(rows)
    return result


def province_summary(rows: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """Counts per status for each province group (in row order) and the total over all."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["province_code"], []).append(row)
    summary = [{"code": code, "name": members[0]["province_name"],
                "short_name": short_province_name(members[0]["province_name"]), **count_statuses(members)}
               for code, members in groups.items()]
    return summary, count_statuses(rows)


def short_province_name(name: str) -> str:
    """'KPU Provinsi Jawa Tengah' -> 'Jawa Tengah', 'KIP Aceh' -> 'Aceh' (narrow screens)."""
    for prefix in ("KPU Provinsi ", "KIP "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def filter_rows(rows: list[dict], status: str | None = None, province: str | None = None,
                level: str | None = None) -> list[dict]:
    return [r for r in rows
            if (not status or r["status"] == status)
            and (not province or r["province_code"] == province)
            and (not level or r["level"] == level)]


def is_answered(indicator, answers: dict) -> bool:
    """A valid answer is recorded (typed-but-invalid values are kept in ``pending``)."""
    value = answers.get(indicator.id)
    if value is None:
        return False
    try:
        check_answer(indicator, value)
    except AnswerError:
        return False
    return True


def remaining(closes_at: datetime, now: datetime | None = None) -> dict | None:
    """Whole days, hours and minutes until ``closes_at`` (None once it has passed)."""
    seconds = int((closes_at - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return None
    days, rest = divmod(seconds, 86400)
    return {"days": days, "hours": rest // 3600, "minutes": rest % 3600 // 60}


def periods_for_unit(session, unit: WorkUnit, now: datetime | None = None) -> list[Period]:
    """Periods the unit takes part in that have opened, newest first."""
    periods = session.scalars(select(Period).options(selectinload(Period.extensions),
                                                     selectinload(Period.rubric_edition))
                              .order_by(Period.opens_at.desc())).all()
    prefetch_states(session, periods)
    return [p for p in periods if unit.level in (p.levels or []) and period_state(p, now).opened]


def current_periods(session, now: datetime | None = None) -> list[Period]:
    """Periods that have opened and are still open for at least one unit, newest first."""
    periods = session.scalars(select(Period).options(selectinload(Period.extensions))
                              .order_by(Period.opens_at.desc())).all()
    prefetch_states(session, periods)
    return [p for p in periods if period_state(p, now).any_open]


def recent_periods(session, limit: int = 10) -> list[Period]:
    """The newest periods (opened or not), newest first."""
    return session.scalars(select(Period).order_by(Period.opens_at.desc()).limit(limit)).all()


def _naive_wib(value: datetime | None):
    return local_time(value, "WIB").replace(tzinfo=None) if value else None


def unit_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The unit list as (headers, rows) for a spreadsheet; times as naive WIB."""
    headers = [_("Code"), _("Work unit"), _("Level"), _("Province"), _("Time zone"), _("Status"),
               _("Last saved (WIB)"), _("Submitted (WIB)"), _("Closing time (WIB)")]
    table = [[r["code"], r["name"], str(LEVEL_LABELS.get(r["level"], r["level"])),
              r["province_name"], r["time_zone"], str(STATUS_LABELS[r["status"]]),
              _naive_wib(r["updated_at"]), _naive_wib(r["submitted_at"]),
              _naive_wib(r["closes_at"])] for r in rows]
    return headers, table


def summary_table(summary: list[dict], totals: dict) -> tuple[list[str], list[list]]:
    """Counts per province and the total as (headers, rows) for a spreadsheet."""
    headers = [_("Code"), _("Province")] + [str(STATUS_LABELS[s]) for s in STATUSES] + [_("Total")]
    table = [[s["code"], s["name"]] + [s[k] for k in STATUSES] + [s["total"]] for s in summary]
    table.append(["", _("Total")] + [totals[k] for k in STATUSES] + [totals["total"]])
    return headers, table
