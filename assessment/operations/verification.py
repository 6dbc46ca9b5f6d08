"""A judge's (penilai) verification of one unit: verified values and comments per
indicator, saved partially at any time, and completing (or reopening) the unit.

Verification.value holds one of:
  * None: nothing yet (a comment alone may be stored);
  * {"v": value}: the verified value in the exchange format (``judging.wrap``);
  * {"raw": text, "error": text}: what the judge typed that is not a valid value yet
    (kept so nothing typed is lost, like the questionnaire's ``pending``). It has no "v",
    so ``judging.unwrap`` reads it as "no value" and it never reaches scoring.

Scored indicators and conditions of entry (``Indicator.judged``) take a verified value; every
indicator takes a comment. A condition of entry verified Tidak (the document missing, expired,
unsigned...) needs a comment saying why: a save that would leave a Tidak without one is
refused, and such a state (stored another way) blocks completing. An indicator with
``sample`` also records the sampled dates the judge checked (``Verification.checked``).

Saves merge per indicator like the questionnaire's (``operations.merge``): a save is based
on the version of the judge's verification it was read at (``JudgeAssignment.version``); the
value, the comment and the checked dates of an indicator are each a part of it
(``JudgeAssignment.changed``: "<id>", "<id>:comment", "<id>:dates"); a part the save changes
that another window (or the API) changed since the base is a Conflict, and nothing is saved."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import set_committed_value

from scoring import Assessment, Response, Unit, round2, sample_dates, score

from .. import audit
from ..formatting import datetime_in_zones
from ..models import JudgeAssignment, Period, Verification
from ..models.types import utcnow
from ..rubric_store import rubric_for
from ..scores import valid_answers
from . import Closed, Conflict, Invalid
from .answers import pending_message, sorted_input
from .editability import archived_refusal, is_returned, verification_open
from .judging import judge_conflict, unwrap, wrap
from .merge import base_version, conflicting, stamp
from .monitor import season_window
from .questionnaire import get_submission
from ..permissions import can_verify, require

MAX_COMMENT = 5000
JUDGE = "J"   # the one judge of the scoring call that shows a judge their own verified score


# ---- reading ---------------------------------------------------------------------------

def is_pending(stored: dict | None) -> bool:
    return bool(stored) and "v" not in stored and "raw" in stored


def verified_value(row: Verification | None):
    """The verified value of a row (None when there is none, or only a typed-invalid one)."""
    return None if row is None else unwrap(row.value)


def rows_by_indicator(assignment: JudgeAssignment) -> dict[str, Verification]:
    return {row.indicator_id: row for row in assignment.verifications}


def judge_assignments(session, judge, period: Period) -> list[JudgeAssignment]:
    """The judge's active assignments in the period that they may verify (no conflict)."""
    rows = (session.query(JudgeAssignment)
            .filter_by(period_id=period.id, judge_id=judge.id, active=True)
            .order_by(JudgeAssignment.unit_code).all())
    return [a for a in rows if not judge_conflict(judge, a.unit, period)]


def conflicted_count(session, judge, period: Period) -> int:
    """Active assignments of the judge that a conflict of interest blocks (an admin's mistake)."""
    rows = session.query(JudgeAssignment).filter_by(period_id=period.id, judge_id=judge.id,
                                                    active=True)
    return sum(1 for a in rows if judge_conflict(judge, a.unit, period))


def judge_periods(session, judge) -> list[Period]:
    """Periods in which the judge holds an active assignment, newest first."""
    ids = {pid for (pid,) in session.query(JudgeAssignment.period_id)
           .filter_by(judge_id=judge.id, active=True).distinct()}
    if not ids:
        return []
    return (session.query(Period).filter(Period.id.in_(ids))
            .order_by(Period.opens_at.desc(), Period.id.desc()).all())


def progress(rubric, assignment: JudgeAssignment, indicators=None, marks=None) -> dict:
    """{"verified": n, "scored": m, "pending": k} over the given indicators a judge verifies
    (``judged``: the scored ones and the conditions of entry; the whole rubric by default),
    counted from ``verification_marks``: the page's marks and every count come from the same
    list of what blocks completing."""
    marks = verification_marks(rubric, assignment) if marks is None else marks
    scored = [i for i in (indicators if indicators is not None else rubric.indicators) if i.judged]
    pending = sum(1 for i in scored if marks.get(i.id, {}).get("kind") == "invalid")
    verified = sum(1 for i in scored if i.id not in marks)
    return {"verified": verified, "scored": len(scored), "pending": pending}


def verification_marks(rubric, assignment: JudgeAssignment) -> dict[str, dict]:
    """Every verified indicator that blocks completing (``missing_verifications``): id ->
    {"kind": "invalid" | "unverified", "reason": words for people}; "invalid" is a value
    that cannot stand as it is (typed and not valid, or an entry Tidak without a comment)."""
    rows = rows_by_indicator(assignment)
    return {key: {"kind": "unverified" if verified_value(rows.get(key)) is None
                  and not (key in rows and is_pending(rows[key].value)) else "invalid",
                  "reason": reason}
            for key, reason in missing_verifications(rubric, assignment)}


def state_of(assignment: JudgeAssignment) -> str:
    if assignment.completed_at is not None:
        return "completed"
    return "started" if assignment.started_at is not None else "not_started"


def missing_verifications(rubric, assignment: JudgeAssignment) -> list[tuple[str, str]]:
    """What blocks completing, in rubric order: (indicator id, reason for people)."""
    rows = rows_by_indicator(assignment)
    out = []
    for ind in rubric.indicators:
        if not ind.judged:
            continue
        row = rows.get(ind.id)
        if row is not None and is_pending(row.value):
            out.append((ind.id, _("the value typed is not valid: %(error)s",
                                  error=pending_message(ind, row.value))))
        elif verified_value(row) is None:
            out.append((ind.id, _("not verified yet")))
        elif entry_unexplained(ind, verified_value(row), row.comment):
            out.append((ind.id, entry_comment_reason()))
    return out


def entry_comment_reason() -> str:
    """Why an entry Tidak without a comment blocks (in the current language)."""
    return _("a No needs a comment: say why the document does not meet the condition "
             "(missing, expired, unsigned, not for this period...)")


def entry_unexplained(ind, value, comment) -> bool:
    """A condition of entry verified Tidak without a comment saying why."""
    return ind.entry and value is False and not (comment or "").strip()


def unit_answers(session, period: Period, unit_code: str) -> dict:
    sub = get_submission(session, period, unit_code)
    return dict((sub.answers if sub else None) or {})


def fractions(rubric, unit_code: str, self_answers: dict, values: dict) -> dict:
    """The unit's claimed and this judge's verified fractions and aspect scores, from
    ``scoring.score(detail=True)`` with this judge as the only judge (an indicator the judge
    has not verified yet counts as claimed there, by the scoring rules).

    {"indicators": {id: {"self": Decimal|None, "judge": Decimal|None}} on a 0-100 scale,
     "self_aspects", "aspects": {aspect id: Decimal}, "self_total", "total": Decimal}"""
    judges = {JUDGE: valid_answers(rubric, values)} if values else {}
    assessment = Assessment(rubric_id=rubric.id,
                            units=(Unit(code=unit_code, name=unit_code, category="unit"),),
                            responses=(Response(unit=unit_code,
                                                self_answers=valid_answers(rubric, self_answers),
                                                judges=judges),))
    row = score(rubric, assessment, detail=True).ranking[0]
    hundred = {}
    for ind_id, info in (row.indicators or {}).items():
        hundred[ind_id] = {"self": _percent(info.self_fraction),
                           "judge": _percent(info.judge_fractions.get(JUDGE))}
    return {"indicators": hundred,
            "self_aspects": {a: round2(v) for a, v in row.self_aspects.items()},
            "aspects": {a: round2(v) for a, v in row.aspects.items()},
            # the questionnaire stage's score: later stages are not this page's business
            "self_total": round2(row.self_total), "total": round2(row.stages[rubric.stages[0].id])}


def _percent(fraction):
    return None if fraction is None else round2(fraction * 100)


def values_of(assignment: JudgeAssignment) -> dict:
    return {key: verified_value(row) for key, row in rows_by_indicator(assignment).items()
            if verified_value(row) is not None}


# ---- state checks ------------------------------------------------------------------------

def check_may_verify(session, assignment: JudgeAssignment, user) -> None:
    """The assignment's own judge, checked now (``permissions.can_verify``): the account
    active, the assignment not ended, no conflict of interest found since it was made."""
    require(getattr(user, "id", None) == assignment.judge_id
            and can_verify(session, user, assignment.period, assignment.unit),
            _("Only the judge of an active assignment, without a conflict of interest, can "
              "change its verified values."))


def closed_refusal(period: Period, now: datetime | None = None) -> Closed | None:
    """Closed once the period's verification has closed (no closing time: open), or the
    period is archived."""
    if archived_refusal(period) is not None:
        return archived_refusal(period)
    if not verification_open(period, now):
        return Closed(_("Verification closed on %(when)s; verified values can no longer be "
                        "changed.", when=datetime_in_zones(period.verification_closes_at)))
    return None


def refusal(assignment: JudgeAssignment, now: datetime | None = None):
    """Why the judge cannot change this unit's values now, or None."""
    problem = closed_refusal(assignment.period, now)
    if problem is not None:
        return problem
    if assignment.completed_at is not None:
        return Closed(_("You completed the verification of this unit on %(when)s. Reopen it "
                        "to change values.", when=datetime_in_zones(assignment.completed_at)))
    if is_returned(get_submission(object_session(assignment), assignment.period,
                                  assignment.unit_code)):
        return Closed(_("The questionnaire was returned to the unit for revision; verification "
                        "resumes when the unit resubmits it."))
    return None


# ---- saving ------------------------------------------------------------------------------

def save_verifications(session, assignment: JudgeAssignment, values: dict, raw_pending: dict,
                       comments: dict, user, *, version=None, checked: dict | None = None,
                       strict: bool = False, source: str = "web",
                       now: datetime | None = None) -> dict:
    """Save some verified values (None clears one), typed texts (kept, marked, when not
    valid), comments and checked sampled dates (``checked``: id -> ISO dates), merged per
    indicator: ``version`` is the save's base (None: the current version, nothing to merge);
    a part the save changes that was changed since the base (another window, the API) is a
    Conflict (details: {"conflicts": [{indicator, field, yours, theirs}], "current_version"})
    and nothing is saved. With ``strict`` any invalid value raises Invalid (details per
    indicator) and nothing is saved. Returns {indicator id: error} of the kept values."""
    check_may_verify(session, assignment, user)
    problem = refusal(assignment, now)
    if problem is not None:
        raise problem
    rubric = rubric_for(assignment.period)
    good, kept, errors = sorted_input(rubric, values, raw_pending, judged_only=True)
    notes, note_errors = _comments(rubric, comments or {})
    dates, date_errors = _checked_dates(rubric, assignment, checked or {})
    unknown = {k: m for k, m in (errors | note_errors).items() if not rubric.has_indicator(k)}
    if unknown or note_errors or date_errors or (strict and errors):
        raise Invalid(_("Some values are not valid; nothing was saved."),
                      details=unknown or (errors | note_errors | date_errors))
    base = assignment.version if version is None else base_version(assignment, version)
    intended, when = _intended(good, kept, notes, dates), now or utcnow()
    for last in (False, True):
        rows = rows_by_indicator(assignment)
        mine = {key: state for key, state in intended.items() if _part(rows, key) != state}
        found = conflicting(assignment, mine, base, lambda key: _part(rows, key))
        if found:
            raise _conflict(rubric, assignment, rows, mine, found)
        _check_entry_comments(rubric, rows, mine)
        if not mine:
            return {k: errors[k] for k in kept}
        try:
            # a savepoint: a save that loses the race for the version undoes only this
            with session.begin_nested():
                _next_version(session, assignment, user, mine)
                claims = unit_answers(session, assignment.period, assignment.unit_code)
                _apply(assignment, rows, mine, errors, when, claims)
                if assignment.started_at is None:
                    assignment.started_at = when
                session.flush()
            break
        except (_Raced, IntegrityError):
            if last:
                raise Conflict(_("These values were saved at the same moment from another "
                                 "window; reload the page and try again.")) from None
            _read_again(session, assignment)   # and merge once more with what was saved
    audit.record("verification.save", assignment, user=user,
                 changed=sorted({key.split(":")[0] for key in mine}),
                 pending=sorted(k for k in kept if k in mine), source=source,
                 version=assignment.version, base=base)
    return {k: errors[k] for k in kept}


def _check_entry_comments(rubric, rows: dict, mine: dict) -> None:
    """Refuse a save that would leave a condition of entry at Tidak without a comment
    (its value or its comment changed by this save, the other part as stored)."""
    missing = {}
    for ind_id in {key.partition(":")[0] for key in mine}:
        ind = rubric.indicator(ind_id)
        if not ind.entry:
            continue
        value = mine[ind_id] if ind_id in mine else _part(rows, ind_id)
        comment = mine.get(ind_id + COMMENT, _part(rows, ind_id + COMMENT))
        if entry_unexplained(ind, unwrap(value), comment):
            missing[ind_id] = entry_comment_reason()
    if missing:
        raise Invalid(_("Not saved: a condition of entry verified No needs a comment saying why "
                        "the document does not meet it."), details=missing)


class _Raced(Exception):
    """Another save took the version this save read (between the read and the write)."""


def _read_again(session, assignment: JudgeAssignment) -> None:
    session.refresh(assignment)
    session.expire(assignment, ["verifications"])
    for row in assignment.verifications:
        session.refresh(row)


COMMENT, DATES = ":comment", ":dates"


def _intended(good: dict, kept: dict, notes: dict, dates: dict) -> dict:
    """The parts a save gives: "<id>" its value ({"v": value}, {"raw": text} or None),
    "<id>:comment" its comment, "<id>:dates" its checked dates."""
    out = {}
    for key, value in good.items():
        out[key] = None if value is None else wrap(value)
    for key, raw in kept.items():
        out[key] = {"raw": raw}
    for key, text in notes.items():
        out[key + COMMENT] = text
    for key, checked in dates.items():
        out[key + DATES] = checked
    return out


def _part(rows: dict, key: str):
    """The stored state of one part (see ``_intended``)."""
    ind_id, _sep, part = key.partition(":")
    row = rows.get(ind_id)
    if part == "comment":
        return (row.comment or "") if row is not None else ""
    if part == "dates":
        return list(((row.checked or {}) if row is not None else {}).get("dates") or [])
    if row is None or row.value is None:
        return None
    return {"raw": row.value.get("raw") or ""} if is_pending(row.value) else row.value


def _conflict(rubric, assignment, rows, mine: dict, found: list[str]) -> Conflict:
    """The refusal of a save with conflicts: each part changed on both sides, with both."""
    details = []
    for key in found:
        ind_id, _sep, part = key.partition(":")
        details.append({"indicator": ind_id, "field": part or "value",
                        "yours": _shown(mine[key]), "theirs": _shown(_part(rows, key))})
    times = [rows[k.partition(":")[0]].updated_at for k in found if k.partition(":")[0] in rows]
    when = max(times) if times else assignment.created_at
    return Conflict(_("Your changes were NOT saved: %(num)d of the values you changed were "
                      "changed in another window or through the API since you opened this page "
                      "(last save %(when)s). Both are shown side by side: choose which to keep, "
                      "then save again.", num=len({d["indicator"] for d in details}),
                      when=datetime_in_zones(when)),
                    details={"conflicts": details, "current_version": assignment.version})


def _shown(state):
    """A part's state as the API and the page show it: the value, or the typed text."""
    if isinstance(state, dict):
        return state["raw"] if "raw" in state else state.get("v")
    return state


def _next_version(session, assignment: JudgeAssignment, user, keys) -> None:
    """Take the next version, only if no other save took it since this one read it (a
    conditional UPDATE, so two saves of the same version cannot both pass the merge check
    unseen: the loser raises _Raced and merges again), and record the parts this save
    changes at that version."""
    current = assignment.version
    taken = session.execute(update(JudgeAssignment)
                            .where(JudgeAssignment.id == assignment.id,
                                   JudgeAssignment.version == current)
                            .values(version=current + 1)
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise _Raced()
    stamp(assignment, keys, user)   # at current + 1
    set_committed_value(assignment, "version", current + 1)


def _comments(rubric, comments: dict) -> tuple[dict, dict]:
    notes, errors = {}, {}
    for key, text in comments.items():
        if not rubric.has_indicator(key):
            errors[key] = _("Unknown indicator.")
        elif not isinstance(text, str):
            errors[key] = _("A comment is text.")
        elif len(text) > MAX_COMMENT:
            errors[key] = _("The comment is too long (at most %(num)d characters).",
                            num=MAX_COMMENT)
        else:
            notes[key] = text.replace("\r\n", "\n").strip()
    return notes, errors


def _checked_dates(rubric, assignment, checked: dict) -> tuple[dict, dict]:
    """The checked dates by indicator (ISO texts, in date order), each one of the indicator's
    sampled dates; errors by indicator otherwise."""
    dates, errors = {}, {}
    for key, given in checked.items():
        ind = rubric.indicator(key) if rubric.has_indicator(key) else None
        if ind is None or ind.sample is None:
            errors[key] = _("This indicator has no sampled dates.")
            continue
        drawn = {d.isoformat() for d in sampled_dates(assignment, ind)}
        if not isinstance(given, list) or any(not isinstance(d, str) or d not in drawn
                                              for d in given):
            errors[key] = _("Only the sampled dates shown can be checked.")
            continue
        dates[key] = sorted(set(given))
    return dates, errors


def _apply(assignment, rows: dict, mine: dict, errors: dict, now, claims) -> None:
    """Write the parts a save changes into the rows. Each value records how it came about:
    "copied" when it is the unit's own answer unchanged (the copy buttons, or the same value
    typed), "typed" otherwise."""
    for key, state in mine.items():
        ind_id, _sep, part = key.partition(":")
        row = rows.get(ind_id)
        if row is None:
            row = Verification(assignment_id=assignment.id, indicator_id=ind_id, comment="")
            assignment.verifications.append(row)
            rows[ind_id] = row
        if part == "comment":
            row.comment = state
        elif part == "dates":
            row.checked = {"dates": state} if state else None
        else:
            stored = ({"raw": state["raw"], "error": errors[ind_id]}
                      if isinstance(state, dict) and "raw" in state else state)
            row.origin = origin_of(stored, claims.get(ind_id))
            row.value = stored
        row.updated_at = now


# ---- sampled dates ---------------------------------------------------------------------------

def sample_seed(period: Period) -> str:
    """The seed of a period's sampled dates: its slug (stable, and the same for anyone who
    wants to draw them again)."""
    return period.slug


def sampled_dates(assignment: JudgeAssignment, indicator) -> list[date]:
    """The dates the judge checks for an indicator with ``sample``, drawn by
    ``scoring.sample_dates`` in the season the questionnaire covers (``season_window``),
    seeded by the period and the unit: the unit cannot choose them, anyone can redraw them."""
    start, end = season_window(assignment.period, assignment.unit)
    return sample_dates(assignment.unit_code, indicator.id, start, end,
                        sample_seed(assignment.period), indicator.sample.count)


def sampled_for(assignment: JudgeAssignment, aspect) -> dict[str, list[str]]:
    """{indicator id: its sampled dates as ISO texts} for the aspect's indicators with
    ``sample``."""
    return {ind.id: [d.isoformat() for d in sampled_dates(assignment, ind)]
            for ind in aspect.scored_indicators if ind.sample is not None}


def checked_dates(row: Verification | None) -> list[str]:
    return list(((row.checked or {}) if row is not None else {}).get("dates") or [])


def origin_of(stored: dict | None, claim) -> str | None:
    """How a stored verified value came about: the unit's answer accepted unchanged
    ("copied") or the judge's own value ("typed"); None when there is no value."""
    if stored is None:
        return None
    if "v" in stored and claim is not None and stored["v"] == claim:
        return "copied"
    return "typed"


# ---- completing and reopening --------------------------------------------------------------

def complete(session, assignment: JudgeAssignment, user, now: datetime | None = None) -> None:
    """Complete the unit when every scored indicator has a verified value."""
    check_may_verify(session, assignment, user)
    problem = closed_refusal(assignment.period, now)
    if problem is not None:
        raise problem
    if assignment.completed_at is not None:
        raise Conflict(_("The verification of this unit is already complete."))
    rubric = rubric_for(assignment.period)
    missing = missing_verifications(rubric, assignment)
    if missing:
        raise Invalid(_("The verification cannot be completed yet: %(num)d indicators are "
                        "missing a verified value.", num=len(missing)), details=dict(missing))
    assignment.completed_at = now or utcnow()
    if assignment.started_at is None:
        assignment.started_at = assignment.completed_at
    session.flush()
    audit.record("verification.complete", assignment, user=user,
                 verified=progress(rubric, assignment)["verified"])


def reopen(session, assignment: JudgeAssignment, user, now: datetime | None = None) -> None:
    """Reopen a completed unit (until the verification closes)."""
    check_may_verify(session, assignment, user)
    problem = closed_refusal(assignment.period, now)
    if problem is not None:
        raise problem
    if assignment.completed_at is None:
        raise Conflict(_("The verification of this unit is not complete."))
    completed = assignment.completed_at
    assignment.completed_at = None
    session.flush()
    audit.record("verification.reopen", assignment, user=user,
                 completed_at=completed.isoformat())
