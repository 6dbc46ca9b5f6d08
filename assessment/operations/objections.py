"""Masa sanggah: each unit's provisional results (from the latest provisional run), its
objections (sanggahan) per indicator, their independent review and the outcome.

An objection accepted with a new value becomes a Moderation row (source "objection"),
which the exchange export then uses as the verified value, like any moderated value."""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _

from scoring import AnswerError, assessment_from_dict, round2, score

from .. import audit, uploads
from ..formatting import datetime_in_zones
from ..models import (JudgeAssignment, Moderation, Objection, Period, ScoringRun, Submission,
                      User, Verification, WorkUnit)
from ..models.types import utcnow
from ..permissions import can_judge, can_review_objection, is_admin, is_operator_of, verified_unit
from ..rubric_store import rubric_for
from . import Closed, Conflict, Invalid, NotAllowed
from .editability import check_not_archived
from .evidence import check_url, store_upload
from .answers import parse_typed
from .assign import check_may_assign
from .judging import judge_comments, judge_conflict, judge_key, judge_numbers, unwrap, wrap
from .notices import notify
from .runs import latest_run, run_result, run_rubric

MAX_REASON = 5000
# keyed by the hashes that determine them, so a reused run id (another database) never hits
_DETAILS: dict[tuple[str, str, str], dict] = {}   # (rubric, exchange sha256, unit) -> details


# ---- the window --------------------------------------------------------------------------

def window_state(period: Period, now: datetime | None = None) -> str:
    """"unset", "before", "open" (opens_at <= now < closes_at) or "after"."""
    opens, closes = period.objection_opens_at, period.objection_closes_at
    if opens is None or closes is None:
        return "unset"
    now = now or utcnow()
    if now < opens:
        return "before"
    return "open" if now < closes else "after"


def check_window_open(period: Period, now: datetime | None = None) -> None:
    check_not_archived(period)
    state = window_state(period, now)
    if state == "open":
        return
    if state == "unset":
        raise Closed(_("The objection period (masa sanggah) has not been scheduled yet."))
    if state == "before":
        raise Closed(_("The objection period opens on %(when)s.",
                       when=datetime_in_zones(period.objection_opens_at)))
    raise Closed(_("The objection period closed on %(when)s; objections can no longer be filed.",
                   when=datetime_in_zones(period.objection_closes_at)))


def results_visible(period: Period, now: datetime | None = None) -> bool:
    """Units see their provisional results during the window and after it."""
    return window_state(period, now) in ("open", "after")


# ---- a unit's provisional results --------------------------------------------------------



def _indicator_details(run: ScoringRun, unit_code: str) -> tuple[dict, dict]:
    """The unit's response in the run and scoring's per-indicator detail for it (the one
    response scored alone with ``detail=True``: indicator fractions do not depend on other units)."""
    key = (run.rubric_sha256, run.exchange_sha256, unit_code)
    if key not in _DETAILS:
        doc = json.loads(run.exchange)
        response = next(r for r in doc["responses"] if r["unit"] == unit_code)
        entry = next(u for u in doc["units"] if u["code"] == unit_code)
        single = {"rubric": doc["rubric"], "units": [entry], "responses": [response]}
        result = score(run_rubric(run), assessment_from_dict(single), detail=True)
        _DETAILS[key] = {"response": response, "indicators": result.ranking[0].indicators}
    found = _DETAILS[key]
    return found["response"], found["indicators"]


def _points(fraction) -> object:
    return None if fraction is None else round2(fraction * 100)


def provisional_results(session, period: Period, unit: WorkUnit) -> dict | None:
    """What the unit sees in masa sanggah: its row of the latest provisional run, its aspect
    and indicator scores, the judges' values and comments (as "Penilai n"), its objections.
    None when there is no provisional run or the unit is not ranked in it."""
    run = latest_run(session, period, "provisional")
    if run is None:
        return None
    ranking = run_result(run)["ranking"]
    row = next((r for r in ranking if r["unit"] == unit.code), None)
    if row is None:
        return None
    rubric = run_rubric(run)
    response, details = _indicator_details(run, unit.code)
    labels = judge_numbers(session, period, unit.code)
    by_key = {judge_key(j): n for j, n in labels.items()}
    judge_values: dict[str, list] = {}
    for key, answers in sorted((response.get("judges") or {}).items(),
                               key=lambda kv: by_key.get(kv[0], 10 ** 6)):
        for ind_id, value in answers.items():
            judge_values.setdefault(ind_id, []).append((by_key.get(key), value))
    objections = {}
    for obj in unit_objections(session, period, unit):
        objections.setdefault(obj.indicator_id, []).append(obj)
    comments = judge_comments(session, period, unit.code)
    unmet = tuple(row.get("entry_unmet") or ())
    indicators = {}
    for ind in rubric.indicators:
        if not ind.judged:
            continue
        detail = details.get(ind.id)      # None for a condition of entry (not scored)
        indicators[ind.id] = {
            "indicator": ind, "self_value": (response.get("self") or {}).get(ind.id),
            "self_points": _points(detail.self_fraction) if detail else None,
            "verified_points": _points(detail.verified) if detail else None,
            "entry": ind.entry, "entry_met": ind.id not in unmet,
            "moderated": (response.get("moderated") or {}).get(ind.id),
            "is_moderated": ind.id in (response.get("moderated") or {}),
            "judges": judge_values.get(ind.id, []), "comments": comments.get(ind.id, []),
            "objections": objections.get(ind.id, []),
            "pending": any(o.status == "pending" for o in objections.get(ind.id, []))}
    return {"run": run, "row": row, "rubric": rubric, "indicators": indicators,
            # the ranked units of its category (a unit listed without rank is not counted)
            "in_category": sum(1 for r in ranking
                               if r["category"] == row["category"] and r["rank"] is not None),
            # conditions of entry the unit does not meet in this run: it is listed without rank
            "entry_unmet": [rubric.indicator(i) for i in unmet if rubric.has_indicator(i)],
            "first_stage": rubric.stages[0].id,
            # later stages no judge had scored when the run was made (the rules count them 0)
            "unscored": {st.id for st in rubric.stages[1:] if not (response.get("stages") or {}).get(st.id)}}



def unit_objections(session, period: Period, unit: WorkUnit) -> list[Objection]:
    return (session.query(Objection).filter_by(period_id=period.id, unit_code=unit.code)
            .order_by(Objection.id).all())


# ---- filing --------------------------------------------------------------------------------

def file_objection(session, period: Period, unit: WorkUnit, indicator_id: str, reason: str,
                   user, *, url: str = "", upload=None, upload_dir=None, max_bytes: int = 0,
                   now: datetime | None = None) -> Objection:
    """A unit objects to one indicator's provisional verified value, within the window:
    a scored indicator, or a condition of entry the run found not met (the judges' Tidak
    that left the unit without rank). ``upload`` is (filename, bytes) or None; the file is
    typed from its content."""
    check_window_open(period, now)
    run = latest_run(session, period, "provisional")
    row = (None if run is None else
           next((r for r in run_result(run)["ranking"] if r["unit"] == unit.code), None))
    if row is None:
        raise NotAllowed(_("Your unit has no provisional result to object to."))
    rubric = rubric_for(period)
    if not rubric.has_indicator(indicator_id) or not rubric.indicator(indicator_id).judged:
        raise Invalid(_("Unknown indicator."), details={"indicator": indicator_id})
    if rubric.indicator(indicator_id).entry and indicator_id not in (row.get("entry_unmet") or ()):
        raise Invalid(_("Your unit meets this condition of entry in the provisional results; "
                        "there is nothing to object to."), details={"indicator": indicator_id})
    if session.query(Objection.id).filter_by(period_id=period.id, unit_code=unit.code,
                                             indicator_id=indicator_id, status="pending").first():
        raise Conflict(_("An objection to this indicator is already waiting for review."))
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise Invalid(_("Give the reason for your objection."), details={"field": "reason"})
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most %(num)d characters).", num=MAX_REASON))
    obj = Objection(period_id=period.id, unit_code=unit.code, indicator_id=indicator_id,
                    reason=reason, evidence_url=check_url(url) if (url or "").strip() else "",
                    created_by=getattr(user, "id", None), status="pending")
    if upload is not None:
        _attach(obj, *upload, upload_dir=upload_dir, max_bytes=max_bytes)
    session.add(obj)
    session.flush()
    audit.record("objection.file", obj, user=user, period_id=period.id, unit_code=unit.code,
                 indicator=indicator_id, run=run.number, url=obj.evidence_url,
                 filename=obj.filename, sha256=obj.sha256, size=obj.size)
    return obj


def _attach(obj: Objection, filename: str, data: bytes, *, upload_dir, max_bytes: int) -> None:
    stored = store_upload(data, upload_dir=upload_dir, max_bytes=max_bytes)
    obj.filename = uploads.display_name(filename, stored.kind)
    obj.stored_name, obj.content_type = stored.stored_name, stored.content_type
    obj.size, obj.sha256 = stored.size, stored.sha256


# ---- who may see and review ----------------------------------------------------------------

def may_review(session, user: User, obj: Objection) -> bool:
    """The judge the admin assigned, still eligible now (``permissions.can_review_objection``:
    active, no conflict, never assigned to verify the unit since)."""
    return can_review_objection(session, user, obj, _period(session, obj))


def may_view_objection(session, user: User, obj: Objection) -> bool:
    """The admin, the unit's own operators, and the assigned reviewer; nobody else."""
    if is_admin(user):
        return True
    return is_operator_of(user, obj.unit_code) or may_review(session, user, obj)


def _period(session, obj: Objection) -> Period:
    return session.get(Period, obj.period_id)


def ineligibility(session, obj: Objection, judge: User) -> str | None:
    """Why a judge may not review the objection, or None when they may."""
    period = _period(session, obj)
    if not can_judge(judge) or not judge.active:
        return _("Only an active judge can review an objection.")
    if verified_unit(session, period, obj.unit_code, judge.id):
        return _("This judge verified this work unit and cannot review its objection.")
    if judge_conflict(judge, obj.unit, period):
        return _("This judge has a conflict of interest with this work unit.")
    return None


def eligible_reviewers(session, obj: Objection) -> list[User]:
    judges = session.query(User).filter_by(role="judge", active=True).order_by(User.username)
    return [j for j in judges if ineligibility(session, obj, j) is None]


def reviewer_load(session, period: Period) -> dict[int, int]:
    """Objections assigned to each judge in the period (any status)."""
    load: dict[int, int] = {}
    for (reviewer_id,) in session.query(Objection.reviewer_id).filter(
            Objection.period_id == period.id, Objection.reviewer_id.is_not(None)):
        load[reviewer_id] = load.get(reviewer_id, 0) + 1
    return load


def assign_reviewer(session, obj: Objection, judge: User | None, user, *, auto: bool = False) -> Objection:
    """Give a pending objection to a judge who did not verify the unit and has no conflict;
    the acting user must be the admin (``assign.check_may_assign``)."""
    check_may_assign(user)
    if obj.status != "pending":
        raise Conflict(_("This objection has already been decided."))
    if judge is None:
        raise Invalid(_("Choose a judge."))
    why = ineligibility(session, obj, judge)
    if why:
        raise NotAllowed(why)
    previous = obj.reviewer_id
    obj.reviewer_id = judge.id
    session.flush()
    audit.record("objection.assign", obj, user=user, period_id=obj.period_id,
                 unit_code=obj.unit_code, indicator=obj.indicator_id, reviewer=judge.id,
                 reviewer_username=judge.username, previous=previous, auto=auto)
    if previous != judge.id:
        period = _period(session, obj)
        notify(session, [judge], "objection_review", _("An objection to review"),
               _("You have been asked to review an objection in %(period)s.", period=period.title),
               link=f"/musim/sanggahan/{obj.id}")
    return obj


def auto_assign(session, obj: Objection, user) -> Objection:
    """Assign the least loaded eligible judge (ties: the lowest account id)."""
    check_may_assign(user)
    candidates = eligible_reviewers(session, obj)
    if not candidates:
        raise Conflict(_("No judge is eligible to review this objection (every judge verified "
                         "this unit or has a conflict of interest)."))
    load = reviewer_load(session, _period(session, obj))
    judge = min(candidates, key=lambda j: (load.get(j.id, 0), j.id))
    return assign_reviewer(session, obj, judge, user, auto=True)


def auto_assign_all(session, period: Period, user) -> tuple[int, int]:
    """Assign every pending objection without a reviewer; (assigned, left without one)."""
    check_may_assign(user)
    done = left = 0
    pending = (session.query(Objection).filter_by(period_id=period.id, status="pending",
                                                  reviewer_id=None).order_by(Objection.id))
    for obj in pending.all():
        try:
            auto_assign(session, obj, user)
            done += 1
        except Conflict:
            left += 1
    return done, left


# ---- the decision --------------------------------------------------------------------------

def decide(session, obj: Objection, reviewer: User, accept: bool, raw_value=None,
           reason: str = "") -> Objection:
    """Accept with a new value (recorded as a moderated value) or reject with a reason.
    The reviewer's eligibility is checked again now, not only when they were assigned."""
    if not may_review(session, reviewer, obj):
        raise NotAllowed(_("Only the judge assigned to this objection, without a conflict of "
                           "interest and without having verified the unit, can decide it."))
    check_not_archived(_period(session, obj))
    if obj.status != "pending":
        raise Conflict(_("This objection has already been decided."))
    period = _period(session, obj)
    indicator = rubric_for(period).indicator(obj.indicator_id)
    reason = (reason or "").replace("\r\n", "\n").strip()
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most %(num)d characters).", num=MAX_REASON))
    if accept:
        value = _new_value(indicator, raw_value)
        session.add(Moderation(period_id=period.id, unit_code=obj.unit_code,
                               indicator_id=obj.indicator_id, value=wrap(value),
                               reason=reason or _("Objection accepted."), source="objection",
                               objection_id=obj.id, created_by=reviewer.id))
        obj.new_value = wrap(value)
    elif not reason:
        raise Invalid(_("Give the reason for rejecting the objection."), details={"field": "reason"})
    obj.status = "accepted" if accept else "rejected"
    obj.decision_reason, obj.decided_at = reason, utcnow()
    session.flush()
    audit.record("objection.decide", obj, user=reviewer, period_id=period.id,
                 unit_code=obj.unit_code, indicator=obj.indicator_id, status=obj.status,
                 new_value=unwrap(obj.new_value), reason=reason)
    _notify_unit(session, period, obj)
    return obj


def _new_value(indicator, raw_value):
    if indicator.entry and (raw_value is None or str(raw_value).strip() == ""):
        raw_value = "ya"     # accepting an objection to a condition of entry: the unit meets it
    try:
        value = parse_typed(indicator, raw_value)
    except AnswerError as exc:
        raise Invalid(str(exc), details={"field": "value"}) from None
    if value is None:
        raise Invalid(_("Enter the new value."), details={"field": "value"})
    if indicator.entry and value is not True:
        raise Invalid(_("Accepting an objection to the condition of entry records Yes (the "
                        "unit meets it); to keep No, reject the objection with a reason."),
                      details={"field": "value"})
    return value


def _notify_unit(session, period: Period, obj: Objection) -> None:
    operators = session.query(User).filter_by(role="operator", unit_code=obj.unit_code, active=True)
    title = (_("Objection accepted") if obj.status == "accepted" else _("Objection rejected"))
    notify(session, operators.all(), "objection_decided", title,
           _("Your objection in %(period)s has been decided.", period=period.title),
           link=f"/musim/{period.slug}/hasil-sementara#ind-{obj.indicator_id}")


def period_objections(session, period: Period, reviewer: User | None = None) -> list[Objection]:
    query = session.query(Objection).filter_by(period_id=period.id)
    if reviewer is not None:
        query = query.filter_by(reviewer_id=reviewer.id)
    return query.order_by(Objection.status != "pending", Objection.id).all()


def review_context(session, obj: Objection) -> dict:
    """What the reviewer sees: the unit's answer and evidence for the indicator, the judges'
    verified values and comments (as "Penilai n"), moderated values so far."""
    period = _period(session, obj)
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code=obj.unit_code).first()
    labels = judge_numbers(session, period, obj.unit_code)
    rows = (session.query(JudgeAssignment.judge_id, JudgeAssignment.active, Verification.value,
                          Verification.comment)
            .join(Verification, Verification.assignment_id == JudgeAssignment.id)
            .filter(JudgeAssignment.period_id == period.id, JudgeAssignment.unit_code == obj.unit_code,
                    Verification.indicator_id == obj.indicator_id))
    verified = sorted(({"label": labels.get(j), "active": a, "value": unwrap(v), "comment": c}
                       for j, a, v, c in rows), key=lambda r: r["label"] or 0)
    moderations = (session.query(Moderation).filter_by(period_id=period.id, unit_code=obj.unit_code,
                                                       indicator_id=obj.indicator_id)
                   .order_by(Moderation.id).all())
    return {"period": period, "sub": sub,
            "indicator": rubric_for(period).indicator(obj.indicator_id),
            "answer": (sub.answers or {}).get(obj.indicator_id) if sub else None,
            "evidence": [e for e in (sub.evidence if sub else []) if e.indicator_id == obj.indicator_id],
            "verified": verified, "moderations": moderations}
