"""A judge's (penilai) verification of one unit: verified values and comments per
indicator, saved partially at any time, and completing (or reopening) the unit.

Verification.value holds one of:
  * None: nothing yet (a comment alone may be stored);
  * {"v": value}: the verified value in the exchange format (``judging.wrap``);
  * {"raw": text, "error": text}: what the judge typed that is not a valid value yet
    (kept so nothing typed is lost, like the questionnaire's ``pending``). It has no "v",
    so ``judging.unwrap`` reads it as "no value" and it never reaches scoring.

Only scored indicators take a verified value; every indicator takes a comment."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from scoring import Assessment, Response, Unit, round2, score

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


def progress(rubric, assignment: JudgeAssignment, indicators=None) -> dict:
    """{"verified": n, "scored": m, "pending": k} over the given indicators' scored ones
    (the whole rubric by default)."""
    rows = rows_by_indicator(assignment)
    scored = [i for i in (indicators if indicators is not None else rubric.indicators) if i.scored]
    verified = sum(1 for i in scored if verified_value(rows.get(i.id)) is not None)
    pending = sum(1 for i in scored if i.id in rows and is_pending(rows[i.id].value))
    return {"verified": verified, "scored": len(scored), "pending": pending}


def state_of(assignment: JudgeAssignment) -> str:
    if assignment.completed_at is not None:
        return "completed"
    return "started" if assignment.started_at is not None else "not_started"


def missing_verifications(rubric, assignment: JudgeAssignment) -> list[tuple[str, str]]:
    """What blocks completing, in rubric order: (indicator id, reason for people)."""
    rows = rows_by_indicator(assignment)
    out = []
    for ind in rubric.indicators:
        if not ind.scored:
            continue
        row = rows.get(ind.id)
        if row is not None and is_pending(row.value):
            out.append((ind.id, _("the value typed is not valid: %(error)s",
                                  error=pending_message(ind, row.value))))
        elif verified_value(row) is None:
            out.append((ind.id, _("not verified yet")))
    return out


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
                       comments: dict, user, *, strict: bool = False, source: str = "web",
                       now: datetime | None = None) -> dict:
    """Save some verified values (None clears one), typed texts (kept, marked, when not
    valid) and comments. With ``strict`` any invalid value raises Invalid (details per
    indicator) and nothing is saved. Returns {indicator id: error} of the kept values."""
    check_may_verify(session, assignment, user)
    problem = refusal(assignment, now)
    if problem is not None:
        raise problem
    rubric = rubric_for(assignment.period)
    good, kept, errors = sorted_input(rubric, values, raw_pending, scored_only=True)
    notes, note_errors = _comments(rubric, comments or {})
    unknown = {k: m for k, m in (errors | note_errors).items() if not rubric.has_indicator(k)}
    if unknown or note_errors or (strict and errors):
        raise Invalid(_("Some values are not valid; nothing was saved."),
                      details=unknown or (errors | note_errors))
    try:
        # a savepoint: the same judge saving the same unit twice at once undoes only this
        with session.begin_nested():
            claims = unit_answers(session, assignment.period, assignment.unit_code)
            changed = _apply(session, assignment, good, kept, errors, notes, now or utcnow(),
                             claims)
            if assignment.started_at is None:
                assignment.started_at = now or utcnow()
            session.flush()
    except IntegrityError:
        raise Conflict(_("These values were saved at the same moment from another window; "
                         "reload the page and try again.")) from None
    audit.record("verification.save", assignment, user=user, changed=sorted(changed),
                 pending=sorted(kept), source=source)
    return {k: errors[k] for k in kept}


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


def _apply(session, assignment, good, kept, errors, notes, now, claims) -> set[str]:
    """Write the changes into the rows; the ids of indicators whose value or comment changed.
    Each value records how it came about: "copied" when it is the unit's own answer
    unchanged (the copy buttons, or the same value typed), "typed" otherwise."""
    rows = rows_by_indicator(assignment)
    changed = set()
    for key in set(good) | set(kept) | set(notes):
        if key in good:
            stored = None if good[key] is None else wrap(good[key])
        elif key in kept:
            stored = {"raw": kept[key], "error": errors[key]}
        else:
            stored = rows[key].value if key in rows else None
        comment = notes.get(key, rows[key].comment if key in rows else "")
        row = rows.get(key)
        if row is None:
            if stored is None and not comment:
                continue
            row = Verification(assignment_id=assignment.id, indicator_id=key)
            assignment.verifications.append(row)
        elif row.value == stored and (row.comment or "") == comment:
            continue
        if row.value != stored:
            row.origin = origin_of(stored, claims.get(key))
        row.value, row.comment, row.updated_at = stored, comment, now
        changed.add(key)
    return changed


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
