"""After verification: the provisional ranking (a frozen provisional scoring run) and the
later-stage (presentasi) scores judges give to the shortlisted units.

Who is shortlisted is what ``scoring.score`` decided in the latest provisional run (the
rubric's ``shortlist`` and ``pass_mark``); nothing here re-implements that rule."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from scoring import round2, stage_score

from .. import audit
from ..models import Period, ScoringRun, StageScore, User, WorkUnit
from ..models.types import utcnow
from ..permissions import can_judge
from ..rubric_store import rubric_for
from . import Closed, Invalid, NotAllowed
from .judging import judge_conflict
from .editability import check_not_archived
from .season import check_gates
from .runs import create_run, latest_run, run_result, run_rubric, shortlisted_units

MAX_TEXT = 5000


# ---- provisional ranking -------------------------------------------------------------------

def compute_provisional(session, period: Period, user, note: str = "", now=None) -> ScoringRun:
    """Score the period as it stands now and freeze it as a new provisional run, once every
    unit's questionnaire is closed (operations.season)."""
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise Invalid(_("The note is too long (at most %(num)d characters).", num=MAX_TEXT))
    check_gates(session, period, "provisional", now)
    run = create_run(session, period, "provisional", user, note)
    result = run_result(run)
    audit.record("run.provisional", run, user=user, period_id=period.id, number=run.number,
                 note=note, exchange_sha256=run.exchange_sha256,
                 ranked=len(result["ranking"]), shortlisted=len(shortlisted_units(session, period)))
    return run


def provisional_runs(session, period: Period) -> list[ScoringRun]:
    return (session.query(ScoringRun).filter_by(period_id=period.id, kind="provisional")
            .order_by(ScoringRun.number.desc()).all())


def ranking_by_category(run: ScoringRun) -> list[tuple[str, list[dict]]]:
    """The run's ranking rows grouped by category (in the run's order), each row marked
    ``shortlisted`` when the engine sent it beyond the first stage."""
    first = run_rubric(run).stages[0].id
    groups: dict[str, list[dict]] = {}
    for row in run_result(run)["ranking"]:
        groups.setdefault(row["category"], []).append(
            dict(row, shortlisted=row["stage_reached"] != first))
    return list(groups.items())


# ---- stage-two scores ----------------------------------------------------------------------

def later_stage(period_or_run) -> object | None:
    """The second stage of the rubric (presentasi), or None when the rubric has one stage."""
    if isinstance(period_or_run, ScoringRun):
        rubric = run_rubric(period_or_run)
    else:
        rubric = rubric_for(period_or_run)
    return rubric.stages[1] if len(rubric.stages) > 1 else None


def parse_stage_score(text) -> Decimal:
    """A score 0-100 with at most two decimals; "87,5" (Indonesian) and "87.5" both accepted."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise Invalid(_("Enter a score from 0 to 100."))
    if re.fullmatch(r"\d{1,3},\d+", raw):
        raw = raw.replace(",", ".")
    if not re.fullmatch(r"\d{1,3}(\.\d+)?", raw):
        raise Invalid(_("Enter a score from 0 to 100, for example 87,5."))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid(_("Enter a score from 0 to 100, for example 87,5.")) from None
    if not Decimal(0) <= value <= Decimal(100):
        raise Invalid(_("The score must be from 0 to 100."))
    if value != value.quantize(Decimal("0.01")):
        raise Invalid(_("Use at most two decimals."))
    return value.quantize(Decimal("0.01"))


def scoring_closed(session, period: Period) -> bool:
    """Stage scores are fixed once the admin has finalised the period (a final run exists)."""
    return latest_run(session, period, "final") is not None


def check_may_score(session, judge: User, period: Period, unit: WorkUnit) -> None:
    """Refuse unless an active judge without a conflict scores a shortlisted unit of a period
    not archived, before finalising (checked at every save, not only when shown the list)."""
    check_not_archived(period)
    if not can_judge(judge):
        raise NotAllowed(_("Only judges give stage scores."))
    if judge_conflict(judge, unit, period):
        raise NotAllowed(_("You have a conflict of interest with this work unit."))
    if unit.code not in shortlisted_units(session, period):
        raise NotAllowed(_("This work unit is not on the shortlist of the latest provisional ranking."))
    if scoring_closed(session, period):
        raise Closed(_("The ranking has been finalised; stage scores can no longer change."))


def criteria_rows(stage) -> list[dict]:
    """The criteria of ``stage`` for the judge's page: id, title, description and weight
    as a share of the stage score in percent (30 of 100 -> 30); empty without criteria."""
    if stage is None or not stage.criteria:
        return []
    total = sum(c.weight for c in stage.criteria)
    rows = []
    for c in stage.criteria:
        share = round2(100 * c.weight / total)
        rows.append({"id": c.id, "title": c.title or c.id, "description": c.description,
                     "share": int(share) if share == share.to_integral_value() else share})
    return rows


def parse_criteria(stage, texts) -> dict[str, Decimal]:
    """Each criterion's mark of ``stage`` from what the judge typed ({criterion id: text}),
    every criterion required, each read like a stage score (0-100, two decimals). Refuses
    with details {criterion id: message} naming every field that is wrong."""
    texts = texts or {}
    marks, problems = {}, {}
    for criterion in stage.criteria:
        try:
            marks[criterion.id] = parse_stage_score(texts.get(criterion.id))
        except Invalid as exc:
            problems[criterion.id] = exc.message
    if problems:
        raise Invalid(_("Give every criterion a score from 0 to 100."), details=problems)
    return marks


def criteria_total(stage, marks: dict[str, Decimal]) -> Decimal:
    """The stage score of criterion marks, as the scoring engine computes it from the
    exchange document (``scoring.stage_score``: the criteria's weighted mean), in cents."""
    return round2(stage_score(stage, {cid: float(mark) for cid, mark in marks.items()}))


def save_stage_score(session, period: Period, unit: WorkUnit, judge: User, score_text=None,
                     notes: str = "", criteria: dict | None = None) -> StageScore:
    """Record or change the judge's later-stage score of a shortlisted unit: one score
    (``score_text``) for a stage without criteria, or a mark per criterion (``criteria``,
    {criterion id: text}) whose weighted total becomes the score."""
    check_may_score(session, judge, period, unit)
    stage = later_stage(period)
    if stage is None:
        raise Invalid(_("This rubric has no second stage."))
    if stage.criteria:
        marks = parse_criteria(stage, criteria)
        value = criteria_total(stage, marks)
        stored = {cid: f"{mark:.2f}" for cid, mark in marks.items()}
    else:
        value, stored = parse_stage_score(score_text), None
    notes = (notes or "").replace("\r\n", "\n").strip()
    if len(notes) > MAX_TEXT:
        raise Invalid(_("The notes are too long (at most %(num)d characters).", num=MAX_TEXT))
    row = session.query(StageScore).filter_by(period_id=period.id, unit_code=unit.code,
                                              stage_id=stage.id, judge_id=judge.id).one_or_none()
    before = None if row is None else {"score": row.score, "notes": row.notes}
    if row is not None and row.criteria:
        before["criteria"] = row.criteria
    if row is None:
        row = StageScore(period_id=period.id, unit_code=unit.code, stage_id=stage.id,
                         judge_id=judge.id)
        session.add(row)
    row.score, row.criteria, row.notes, row.updated_at = f"{value:.2f}", stored, notes, utcnow()
    session.flush()
    extra = {"criteria": stored} if stored else {}
    audit.record("stage_score.save", row, user=judge, period_id=period.id, unit_code=unit.code,
                 stage=stage.id, score=row.score, notes=notes, before=before, **extra)
    return row


def judge_shortlist(session, judge: User, period: Period) -> list[dict]:
    """The shortlisted units of the latest provisional run a judge may score (no conflict),
    in ranking order, each with the judge's own score so far."""
    run = latest_run(session, period, "provisional")
    if run is None:
        return []
    shortlisted = shortlisted_units(session, period)
    units = {u.code: u for u in session.query(WorkUnit).filter(WorkUnit.code.in_(shortlisted))}
    mine = {s.unit_code: s for s in session.query(StageScore).filter_by(
        period_id=period.id, judge_id=judge.id)}
    rows = []
    for row in run_result(run)["ranking"]:
        unit = units.get(row["unit"])
        if unit is None or judge_conflict(judge, unit, period):
            continue
        rows.append({"unit": unit, "row": row, "score": mine.get(unit.code)})
    return rows


def all_stage_scores(session, period: Period) -> list[StageScore]:
    return (session.query(StageScore).filter_by(period_id=period.id)
            .order_by(StageScore.unit_code, StageScore.judge_id).all())


def stage_scores_page(session, period: Period) -> dict:
    """The admin's stage-two page: every judge's score (with each criterion's mark for a
    stage with criteria) and the names of the units scored."""
    scores = all_stage_scores(session, period)
    codes = {s.unit_code for s in scores}
    units = ({u.code: u for u in session.query(WorkUnit).filter(WorkUnit.code.in_(codes))}
             if codes else {})
    return {"scores": scores, "units": units, "stage": later_stage(period),
            "run": latest_run(session, period, "provisional")}
