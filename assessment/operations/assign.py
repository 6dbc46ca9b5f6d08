"""Judge assignment (penugasan penilai): the period's judging settings, automatic and manual
assignment of judges to submitted units, ending an assignment and a judge's drop-out.

The automatic assignment is ``assessment.assignment.assign`` (a pure max-flow) fed with
plain data built here. Assignments are never deleted: an ended one keeps its verified
values (Verification rows), it only stops counting."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import Text, cast, select

from reports.indonesian import wib_text

from .. import audit
from ..assignment import AssignmentError, Judge, UnitToJudge, assign, conflicts
from ..models import JudgeAssignment, Period, Submission, User, Verification, WorkUnit
from ..models.types import utcnow
from ..models.units import LEVELS
from ..permissions import can_assign_judges, require
from ..progress import LEVEL_LABELS
from ..rubric_store import rubric_for
from ..text import ascii_int
from . import Conflict, Invalid, NotAllowed
from .editability import check_not_archived
from .judging import judge_conflict, province_of, setting
from .notices import notify_assigned

# a questionnaire sent back for revision stays with its judges
JUDGED_STATUSES = ("submitted", "returned")
DROPPED = "dropped_judges"     # Period.settings: ids of judges who dropped out of the period
DATE_KEYS = ("verification_closes_at", "objection_opens_at", "objection_closes_at")
MAX_JUDGES_PER_UNIT = 10
SHOWN_NAMES = 10
NO_VALUE = ("null", '{"v":null}')     # a Verification.value as JSON text, spaces removed


def check_may_assign(user) -> None:
    """NotAllowed (403) unless the acting user may assign judges now
    (``permissions.can_assign_judges``: an active admin); checked first, so a refused call
    writes nothing."""
    require(can_assign_judges(user), _("Only the administrator assigns judges and reviewers."))


# -- settings ------------------------------------------------------------------------------

def judging_settings(period: Period) -> dict:
    """The period's judging settings and season dates, defaults filled in."""
    values = {key: setting(period, key) for key in ("judges_per_unit", "judge_cap",
                                                     "conflict_same_province",
                                                     "disagreement_threshold",
                                                     "min_shared_indicators", "lead_judges")}
    return values | {key: getattr(period, key) for key in DATE_KEYS}


def update_settings(session, period: Period, user, **values) -> dict:
    """Change the judging settings and season dates; Invalid (details per field) when a value
    is out of range, and then nothing changes. Returns {key: (old, new)} of what changed."""
    check_may_assign(user)
    clean = _checked_settings(session, period, values)
    old = judging_settings(period)
    changes = {key: (old[key], clean[key]) for key in clean if clean[key] != old[key]}
    if not changes:
        return changes
    stored = dict(period.settings or {})
    for key, (_old, new) in changes.items():
        if key in DATE_KEYS:
            setattr(period, key, new)
        else:
            stored[key] = new
    period.settings = stored
    session.flush()
    audit.record("judging.settings", period, user=user, period_id=period.id,
                 changes={key: [_plain(a), _plain(b)] for key, (a, b) in changes.items()})
    return changes


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _checked_settings(session, period, values: dict) -> dict:
    problems = {}
    clean = {"conflict_same_province": bool(values.get("conflict_same_province"))}
    clean["judges_per_unit"] = _whole(values.get("judges_per_unit"), 1, MAX_JUDGES_PER_UNIT,
                                      "judges_per_unit", problems)
    cap = values.get("judge_cap")
    clean["judge_cap"] = None if cap in (None, "") else _whole(cap, 1, None, "judge_cap", problems)
    clean["min_shared_indicators"] = _whole(values.get("min_shared_indicators"), 1, None,
                                            "min_shared_indicators", problems)
    clean["disagreement_threshold"] = _threshold(values.get("disagreement_threshold"), problems)
    clean["lead_judges"] = _lead_judges(session, values.get("lead_judges"), problems)
    for key in DATE_KEYS:
        clean[key] = values.get(key)
    _check_dates(clean, problems)
    if clean["judge_cap"] is not None and "judge_cap" not in problems:
        _check_cap(session, period, clean["judge_cap"], problems)
    if problems:
        raise Invalid(_("Some judging settings are not valid; nothing was changed."),
                      details=problems)
    return clean


def _whole(value, low: int, high: int | None, key: str, problems: dict) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            problems[key] = _("Enter a whole number.")
            return None
    if value < low or (high is not None and value > high):
        problems[key] = (_("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
                         if high is not None else _("Enter a whole number of at least %(low)d.", low=low))
        return None
    return value


def _lead_judges(session, value, problems: dict) -> list[int]:
    """Ids of active judges, sorted; anything else is refused."""
    try:
        ids = sorted({ascii_int(v if isinstance(v, int) else str(v)) for v in (value or [])})
    except (TypeError, ValueError):
        ids = None
    if ids and (None in ids or ids[0] < 1):   # ASCII digits, within the id column's range
        ids = None
    judges = {u.id for u in session.query(User).filter(User.id.in_(ids or []), User.role == "judge",
                                                       User.active.is_(True))}
    if ids is None or set(ids) - judges:
        problems["lead_judges"] = _("Only active judges can be lead judges.")
        return []
    return ids


def _threshold(value, problems: dict) -> float | None:
    """A number from 0 to 1 with at most two decimals; a decimal comma is accepted."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, TypeError):
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 1 \
            or number != number.quantize(Decimal("0.01")):
        problems["disagreement_threshold"] = _("Enter a number from 0 to 1, e.g. 0,5.")
        return None
    return float(number)


def _check_dates(clean: dict, problems: dict) -> None:
    verification, opens, closes = (clean[key] for key in DATE_KEYS)
    if opens and closes and closes <= opens:
        problems["objection_closes_at"] = _("The objection period must close after it opens.")
    if verification and opens and opens < verification:
        problems["objection_opens_at"] = _("The objection period cannot open before the "
                                           "verification closes.")
    if (opens is None) != (closes is None):
        key = "objection_closes_at" if closes is None else "objection_opens_at"
        problems.setdefault(key, _("Give both the opening and the closing time of the "
                                   "objection period, or neither."))


def _check_cap(session, period: Period, cap: int, problems: dict) -> None:
    loads = judge_loads(session, period)
    busiest = max(loads.values(), default=0)
    if busiest > cap:
        problems["judge_cap"] = _("A judge already holds %(count)d units; the cap cannot be "
                                  "lower than that.", count=busiest)


def conflicting(session, period: Period) -> list[JudgeAssignment]:
    """Active assignments in conflict under the current settings (e.g. after the province
    rule was switched on): they stay until the admin ends them, and the judge is refused."""
    return [a for a in assignments(session, period) if judge_conflict(a.judge, a.unit, period)]


# -- who and what --------------------------------------------------------------------------

def judged_units(session, period: Period) -> list[WorkUnit]:
    """The units whose questionnaire was submitted (or sent back for revision), by code."""
    return list(session.scalars(
        select(WorkUnit).join(Submission, Submission.unit_code == WorkUnit.code)
        .where(Submission.period_id == period.id, Submission.status.in_(JUDGED_STATUSES),
               WorkUnit.level.in_(period.levels))
        .order_by(WorkUnit.code)))


def dropped_ids(period: Period) -> set[int]:
    return set((period.settings or {}).get(DROPPED, []))


def all_judges(session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == "judge").order_by(User.username)))


def judge_pool(session, period: Period) -> list[User]:
    """The judges automatic assignment may use: active accounts that did not drop out."""
    dropped = dropped_ids(period)
    return [j for j in all_judges(session) if j.active and j.id not in dropped]


def assignments(session, period: Period, *, active: bool | None = True) -> list[JudgeAssignment]:
    query = select(JudgeAssignment).where(JudgeAssignment.period_id == period.id)
    if active is not None:
        query = query.where(JudgeAssignment.active.is_(active))
    return list(session.scalars(query.order_by(JudgeAssignment.unit_code, JudgeAssignment.id)))


def judge_loads(session, period: Period) -> Counter:
    """Active assignments per judge id."""
    return Counter(a.judge_id for a in assignments(session, period))


def _judge_data(user: User) -> Judge:
    return Judge(str(user.id), user.unit_code, province_of(user.unit))


# -- automatic assignment ------------------------------------------------------------------

@dataclass
class AutoResult:
    added: list[JudgeAssignment] = field(default_factory=list)
    units: int = 0                       # submitted units considered
    loads: dict[int, int] = field(default_factory=dict)   # judge id -> active units


def auto_assign(session, period: Period, user) -> AutoResult:
    """Give every submitted unit its K judges: existing active assignments stay, loads are
    as even as possible within the cap, never a conflict. Invalid naming the units that
    cannot be covered (and then nothing changes)."""
    check_may_assign(user)
    check_not_archived(period)
    per_unit, cap = setting(period, "judges_per_unit"), setting(period, "judge_cap")
    same_province = bool(setting(period, "conflict_same_province"))
    units = judged_units(session, period)
    pool = {str(j.id): j for j in judge_pool(session, period)}
    existing, needs = _existing(session, period, pool, per_unit)
    try:
        plan = assign([UnitToJudge(u.code, province_of(u)) for u in units],
                      [_judge_data(j) for j in pool.values()], per_unit=per_unit, cap=cap,
                      same_province=same_province, existing=existing, needs=needs)
    except AssignmentError as exc:
        raise _refusal(session, exc, units, pool, per_unit, cap, same_province) from None
    result = AutoResult(units=len(units))
    pairs = {(a.unit_code, a.judge_id): a for a in assignments(session, period, active=None)}
    for unit in units:
        held = existing.get(unit.code, [])
        for judge_id in (j for j in plan[unit.code] if j not in held):
            result.added.append(_activate(session, period, unit.code, pool[judge_id], user,
                                          pairs.get((unit.code, pool[judge_id].id)), flush=False))
    session.flush()
    for row in result.added:
        audit.record("assignment.add", row, user=user, period_id=period.id,
                     unit_code=row.unit_code, judge=row.judge.username, source="auto")
    result.loads = dict(judge_loads(session, period))
    audit.record("assignment.auto", period, user=user, period_id=period.id,
                 added=len(result.added), units=len(units), judges_per_unit=per_unit, cap=cap,
                 loads={pool[k].username: result.loads.get(pool[k].id, 0) for k in pool})
    notify_assigned(session, period, result.added)
    return result


def _existing(session, period, pool: dict, per_unit: int) -> tuple[dict, dict]:
    """Active judges per unit that the pool still holds, and a smaller need for units that
    a judge outside the pool (dropped out, deactivated) has already completed."""
    existing: dict[str, list[str]] = {}
    completed_elsewhere: Counter = Counter()
    for row in assignments(session, period):
        if str(row.judge_id) in pool:
            existing.setdefault(row.unit_code, []).append(str(row.judge_id))
        elif row.completed_at is not None:
            completed_elsewhere[row.unit_code] += 1
    needs = {code: max(0, per_unit - count) for code, count in completed_elsewhere.items()}
    return existing, needs


def _refusal(session, exc: AssignmentError, units, pool, per_unit, cap, same_province) -> Invalid:
    by_code = {u.code: u for u in units}
    faulty = [by_code[code] for code in exc.units if code in by_code]
    judges = [_judge_data(j) for j in pool.values()]
    short = [u for u in faulty if sum(not conflicts(j, UnitToJudge(u.code, province_of(u)),
                                                     same_province=same_province)
                                      for j in judges) < per_unit]
    names = unit_names(short or faulty)
    if short:
        message = _("These units cannot get %(count)d judges without a conflict of interest: "
                    "%(units)s. Add judges from elsewhere or lower the number of judges per unit.",
                    count=per_unit, units=names)
    else:
        message = _("The cap of %(cap)d units per judge is too low to cover these units: "
                    "%(units)s. Raise the cap or add judges.", cap=cap or 0, units=names)
    return Invalid(message, details={"units": [u.code for u in (short or faulty)],
                                     "reason": str(exc)})


def unit_names(units: list[WorkUnit]) -> str:
    shown = ", ".join(u.name for u in units[:SHOWN_NAMES])
    hidden = len(units) - SHOWN_NAMES
    return shown + (" " + _("and %(count)d more", count=hidden) if hidden > 0 else "")


def _activate(session, period, unit_code: str, judge: User, user, row=None, *,
              flush: bool = True) -> JudgeAssignment:
    """A new active assignment, or ``row``, the ended one of the same pair, made active
    again (the pair is unique; its earlier values are still there)."""
    if row is None:
        row = JudgeAssignment(period_id=period.id, unit_code=unit_code, judge=judge,
                              active=True, created_by=getattr(user, "id", None), created_at=utcnow())
        session.add(row)
    else:
        row.active, row.ended_at, row.ended_reason = True, None, ""
    if flush:
        session.flush()
    return row


# -- by hand -------------------------------------------------------------------------------

def add_assignment(session, period: Period, unit: WorkUnit, judge: User, user) -> JudgeAssignment:
    """Assign one judge to one unit by hand, refusing a conflict, a non-judge, an inactive
    account, a unit without a submitted questionnaire, a duplicate and a full judge."""
    check_may_assign(user)
    check_not_archived(period)
    if judge.role != "judge":
        raise Invalid(_("%(name)s is not a judge.", name=judge.name or judge.username))
    if not judge.active:
        raise Invalid(_("The account of %(name)s is deactivated.", name=judge.name or judge.username))
    if unit.code not in {u.code for u in judged_units(session, period)}:
        raise Invalid(_("%(unit)s has not submitted its questionnaire.", unit=unit.name))
    if judge_conflict(judge, unit, period):
        raise NotAllowed(_("%(name)s has a conflict of interest with %(unit)s and may not "
                           "judge it.", name=judge.name or judge.username, unit=unit.name))
    rows = {a.judge_id for a in assignments(session, period) if a.unit_code == unit.code}
    if judge.id in rows:
        raise Conflict(_("%(name)s is already assigned to %(unit)s.",
                         name=judge.name or judge.username, unit=unit.name))
    cap = setting(period, "judge_cap")
    if cap is not None and judge_loads(session, period)[judge.id] >= cap:
        raise Invalid(_("%(name)s already holds %(count)d units, the cap of this period.",
                        name=judge.name or judge.username, count=cap))
    ended = session.scalars(select(JudgeAssignment).filter_by(
        period_id=period.id, unit_code=unit.code, judge_id=judge.id)).one_or_none()
    row = _activate(session, period, unit.code, judge, user, ended)
    reinstated = judge.id in dropped_ids(period)
    if reinstated:
        period.settings = {**period.settings, DROPPED: sorted(dropped_ids(period) - {judge.id})}
    audit.record("assignment.add", row, user=user, period_id=period.id, unit_code=unit.code,
                 judge=judge.username, reinstated=reinstated)
    notify_assigned(session, period, [row])
    return row


def end_assignment(session, row: JudgeAssignment, reason: str, user, *, action="assignment.end",
                   **detail) -> JudgeAssignment:
    """End an active assignment with a reason; the judge's values stay stored."""
    check_may_assign(user)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give a reason for ending the assignment."))
    if not row.active:
        raise Conflict(_("This assignment has already ended."))
    row.active, row.ended_at, row.ended_reason = False, utcnow(), reason
    session.flush()
    audit.record(action, row, user=user, period_id=row.period_id, unit_code=row.unit_code,
                 judge=row.judge.username, reason=reason, **detail)
    return row


def drop_out(session, period: Period, judge: User, reason: str, user) -> tuple[list, list]:
    """A judge leaves the period: their assignments to units they have not completed end
    (values kept), completed ones stay, and automatic assignment no longer uses them.
    Returns (ended, kept) assignments."""
    check_may_assign(user)
    if judge.role != "judge":
        raise Invalid(_("%(name)s is not a judge.", name=judge.name or judge.username))
    if not (reason or "").strip():
        raise Invalid(_("Give a reason for the drop-out."))
    if judge.id in dropped_ids(period):
        raise Conflict(_("%(name)s has already dropped out of this period.",
                         name=judge.name or judge.username))
    rows = [a for a in assignments(session, period) if a.judge_id == judge.id]
    ended = [end_assignment(session, a, reason, user, drop_out=True)
             for a in rows if a.completed_at is None]
    kept = [a for a in rows if a.completed_at is not None]
    period.settings = {**(period.settings or {}), DROPPED: sorted(dropped_ids(period) | {judge.id})}
    session.flush()
    audit.record("assignment.drop_out", judge, user=user, period_id=period.id,
                 judge=judge.username, reason=reason.strip(),
                 ended=[a.unit_code for a in ended], kept=[a.unit_code for a in kept])
    return ended, kept


# -- overview ------------------------------------------------------------------------------

def progress_counts(session, period: Period, rows: list[JudgeAssignment]) -> dict[int, int]:
    """Verified indicators (scored ones and conditions of entry, as the judge's page counts)
    per assignment id.

    The stored values are read as JSON text, not decoded: a season holds tens of thousands
    of them and only "is there a value" matters here."""
    scored = [i.id for i in rubric_for(period).indicators if i.judged]
    ids = [a.id for a in rows]
    counts: Counter = Counter()
    for start in range(0, len(ids), 500):
        for assignment_id, text in session.execute(
                select(Verification.assignment_id, cast(Verification.value, Text))
                .where(Verification.assignment_id.in_(ids[start:start + 500]),
                       Verification.indicator_id.in_(scored))):
            if text is not None and text.replace(" ", "") not in NO_VALUE:
                counts[assignment_id] += 1
    return dict(counts)


def scored_count(period: Period) -> int:
    return sum(1 for i in rubric_for(period).indicators if i.judged)


def overview(session, period: Period) -> tuple[list[dict], list[dict]]:
    """Plain rows for the admin: per submitted unit its judges and their progress, and per
    judge the load. A unit "needs judges" while it holds fewer than K that count (active,
    account active, no conflict, and for a dropped-out judge only a completed unit)."""
    per_unit, dropped = setting(period, "judges_per_unit"), dropped_ids(period)
    judged = judged_units(session, period)   # loaded first: the rows below find them in the session
    rows = assignments(session, period, active=None)
    verified, scored = progress_counts(session, period, rows), scored_count(period)
    by_unit: dict[str, list[dict]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_code, []).append(_assignment_row(row, period, dropped, verified, scored))
    units = []
    for unit in judged:
        judges = by_unit.get(unit.code, [])
        counting = sum(1 for j in judges if j["counts"])
        units.append({"unit": unit, "province": unit.province_name, "judges": judges,
                      "active": [j for j in judges if j["row"].active],
                      "counting": counting, "missing": max(0, per_unit - counting)})
    return units, _load_rows(session, rows, dropped, verified)


def _assignment_row(row: JudgeAssignment, period, dropped, verified, scored) -> dict:
    judge = row.judge
    conflict = judge_conflict(judge, row.unit, period)
    counts = (row.active and judge.active and not conflict
              and (judge.id not in dropped or row.completed_at is not None))
    return {"row": row, "judge": judge, "verified": verified.get(row.id, 0), "scored": scored,
            "completed": row.completed_at is not None, "conflict": conflict, "counts": counts}


def _load_rows(session, rows, dropped, verified) -> list[dict]:
    loads = []
    for judge in all_judges(session):
        own = [r for r in rows if r.judge_id == judge.id]
        active = [r for r in own if r.active]
        loads.append({"judge": judge, "active": len(active),
                      "completed": sum(1 for r in active if r.completed_at is not None),
                      "ended": len(own) - len(active),
                      "verified": sum(verified.get(r.id, 0) for r in active),
                      "dropped": judge.id in dropped, "inactive": not judge.active})
    return loads


def _detail_rows(session, period: Period, rows: list[JudgeAssignment]) -> list[dict]:
    dropped, scored = dropped_ids(period), scored_count(period)
    verified = progress_counts(session, period, rows)
    return [_assignment_row(row, period, dropped, verified, scored) for row in rows]


def overview_of_unit(session, period: Period, unit: WorkUnit) -> list[dict]:
    """Every assignment of one unit (ended ones too), with progress."""
    return _detail_rows(session, period, [a for a in assignments(session, period, active=None)
                                          if a.unit_code == unit.code])


def overview_of_judge(session, period: Period, judge: User) -> list[dict]:
    """Every assignment of one judge in the period (ended ones too), with progress."""
    return _detail_rows(session, period, [a for a in assignments(session, period, active=None)
                                          if a.judge_id == judge.id])


# -- the pages' data ---------------------------------------------------------------------------

def periods_newest_first(session) -> list[Period]:
    return session.scalars(select(Period).order_by(Period.opens_at.desc())).all()


def overview_page(session, period: Period, filters: dict) -> dict:
    """The assignment overview: the submitted units the filters keep (province code, level,
    only those still needing judges), every judge's load, the pool's active loads, and the
    provinces and levels to filter by."""
    units, loads = overview(session, period)
    seen = {province_of(u["unit"]): u["province"] for u in units if province_of(u["unit"])}
    return {"units": [u for u in units if _matches(u, filters)], "loads": loads,
            "total": len(units), "needing": sum(1 for u in units if u["missing"]),
            "pool": [row["active"] for row in loads if not (row["dropped"] or row["inactive"])],
            "provinces": sorted(seen.items()),
            "levels": [lv for lv in LEVELS if lv in period.levels],
            "settings": judging_settings(period)}


def _matches(row: dict, filters: dict) -> bool:
    unit = row["unit"]
    return ((not filters.get("province") or province_of(unit) == filters["province"])
            and (not filters.get("level") or unit.level == filters["level"])
            and (not filters.get("unassigned") or row["missing"] > 0))


def unit_page(session, period: Period, unit: WorkUnit) -> dict:
    """A unit's assignments (ended ones too) and whether it is among the submitted units."""
    return {"rows": overview_of_unit(session, period, unit),
            "submitted": unit.code in {u.code for u in judged_units(session, period)}}


def judges_to_offer(session, period: Period, unit: WorkUnit) -> list[tuple[User, int]]:
    """(judge, active load) for the judges worth offering the unit: in the pool, no
    conflict, not already on it."""
    loads = judge_loads(session, period)
    held = {a.judge_id for a in assignments(session, period) if a.unit_code == unit.code}
    return [(j, loads[j.id]) for j in judge_pool(session, period)
            if j.id not in held and not judge_conflict(j, unit, period)]


def assignment_table(session, period: Period) -> list[list]:
    """One row per assignment (ended ones too) for the workbook download: the unit, the
    judge, status, progress and times in WIB."""
    units, _loads = overview(session, period)
    return [_table_row(entry, j["row"], j["judge"], j) for entry in units for j in entry["judges"]]


def _table_row(entry: dict, row: JudgeAssignment, judge: User, progress: dict) -> list:
    unit = entry["unit"]
    return [unit.code, unit.name, str(LEVEL_LABELS.get(unit.level, unit.level)),
            entry["province"], judge.username, judge.name, judge.unit.name if judge.unit else "",
            _("Active") if row.active else _("Ended"), progress["verified"], progress["scored"],
            wib_text(row.completed_at) if row.completed_at else "",
            wib_text(row.created_at) if row.created_at else "",
            wib_text(row.ended_at) if row.ended_at else "", row.ended_reason or ""]
