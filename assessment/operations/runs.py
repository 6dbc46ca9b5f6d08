"""The season's data as one exchange-format document, and frozen scoring runs.

``export_exchange`` is the only way the database reaches the scoring rules: the ranking,
provisional or final, is ``scoring.score`` applied to that document, and a run keeps the
document, the rubric source and the result so ``python run.py score`` reproduces it."""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from decimal import Decimal

from sqlalchemy import Text, select, type_coerce

from scoring import assessment_from_dict, score
from scoring.exchange import result_to_dict

from ..models import (JudgeAssignment, Moderation, Period, Publication, ScoringRun, StageScore,
                      Submission, UnitExclusion, Verification, WorkUnit)
from ..models.units import existing_on, opening_day
from ..rubric_store import parsed, rubric_for
from ..scores import valid_answers
from . import Conflict, Invalid
from .judging import judge_key, unwrap

# parsed results keyed by what determines them (run id, rubric and input hashes): runs never
# change, and another database reusing a run id (tests, a restored backup) cannot hit a stale entry
_RESULTS: dict[tuple, dict] = {}       # run key -> parsed result
_SCORED: OrderedDict = OrderedDict()   # run key -> (rubric, Result with detail), the last few
_SCORED_MAX = 4


def _units(session, period: Period) -> list[WorkUnit]:
    """The period's units: active, of its levels, and existing on the day it opened."""
    return (session.query(WorkUnit)
            .filter(WorkUnit.active.is_(True), WorkUnit.level.in_(period.levels),
                    existing_on(opening_day(period.opens_at)))
            .order_by(WorkUnit.code).all())


def _unit_entry(unit: WorkUnit, day) -> dict:
    """The unit as the exchange document names it: its name on the period's opening day."""
    entry = {"code": unit.code, "name": unit.name_on(day), "category": unit.level}
    province = unit.province_name_on(day)
    if province:
        entry["province"] = province
    return entry


def export_exchange(session, period: Period) -> dict:
    """The period as an exchange document: every taking-part unit, and for each submitted
    questionnaire its answers, the active judges' verified values, moderated values
    (latest per indicator) and later-stage scores."""
    rubric = rubric_for(period)
    excluded = excluded_codes(session, period)   # not assessed: neither ranked nor "not submitted"
    units = [u for u in _units(session, period) if u.code not in excluded]
    # the answers alone: a submission's other JSON columns are not decoded for nothing
    answers = dict(session.execute(select(Submission.unit_code, Submission.answers).where(
        Submission.period_id == period.id, Submission.status == "submitted")).all())
    judges, moderated, stages = _judging_data(session, period)
    responses = []
    for unit in units:
        if unit.code not in answers:
            continue
        response = {"unit": unit.code, "self": valid_answers(rubric, answers[unit.code])}
        for key, part in (("judges", judges), ("moderated", moderated), ("stages", stages)):
            if part.get(unit.code):
                response[key] = part[unit.code]
        responses.append(response)
    day = opening_day(period.opens_at)
    return {"rubric": rubric.id, "units": [_unit_entry(u, day) for u in units],
            "responses": responses}


def excluded_codes(session, period: Period, at=None) -> set[str]:
    """Units the admin excluded from the period's ranking with a reason (by ``at``, if given)."""
    query = session.query(UnitExclusion.unit_code).filter_by(period_id=period.id)
    if at is not None:
        query = query.filter(UnitExclusion.created_at <= at)
    return {code for (code,) in query}


def _judging_data(session, period: Period) -> tuple[dict, dict, dict]:
    """The judges' values, moderated values and stage scores, per unit. The judges' values
    (tens of thousands a season) are read on the session's connection as plain rows, not
    through the ORM's result handling (half the query's time); export_exchange's queries
    before it have flushed the session."""
    judges: dict[str, dict] = {}
    rows = session.connection().execute(
        select(JudgeAssignment.unit_code, JudgeAssignment.judge_id, Verification.indicator_id,
               type_coerce(Verification.value, Text))
        .join(Verification, Verification.assignment_id == JudgeAssignment.id)
        .where(JudgeAssignment.period_id == period.id, JudgeAssignment.active.is_(True))
        .order_by(JudgeAssignment.unit_code, JudgeAssignment.judge_id, Verification.id)).all()
    stored_values = _json_values([row[3] for row in rows])
    last, values = None, {}
    for (unit_code, judge_id, indicator_id, _), stored in zip(rows, stored_values, strict=True):
        value = unwrap(stored)
        if value is None:
            continue
        if (unit_code, judge_id) != last:   # rows come ordered by unit and judge
            last = (unit_code, judge_id)
            values = judges.setdefault(unit_code, {}).setdefault(judge_key(judge_id), {})
        values[indicator_id] = value
    moderated: dict[str, dict] = {}
    for mod in session.query(Moderation).filter_by(period_id=period.id).order_by(Moderation.id):
        moderated.setdefault(mod.unit_code, {})[mod.indicator_id] = unwrap(mod.value)
    stages: dict[str, dict] = {}
    for row in session.query(StageScore).filter_by(period_id=period.id).order_by(StageScore.id):
        stages.setdefault(row.unit_code, {}).setdefault(row.stage_id, {})[
            judge_key(row.judge_id)] = stage_mark(row)
    return judges, moderated, stages


def stage_mark(row: StageScore) -> float | dict[str, float]:
    """A judge's stage score as the exchange document carries it: {criterion id: mark}
    for a stage scored per criterion (the engine weighs them exactly), else the one score."""
    if row.criteria:
        return {cid: float(Decimal(mark)) for cid, mark in row.criteria.items()}
    return float(Decimal(row.score))


def _json_values(stored: list) -> list:
    """The JSON column's values of many rows, read as text: decoded in one ``json.loads``
    of them all (tens of thousands of verified values per season; decoding them one by one
    was most of the export's time). A driver that decodes JSON itself (psycopg) hands
    back the values already decoded; NULL stays None."""
    texts = [value for value in stored if isinstance(value, str)]
    if not texts:
        return stored
    decoded = iter(json.loads("[" + ",".join(texts) + "]"))
    return [next(decoded) if isinstance(value, str) else value for value in stored]


def dumps(doc) -> str:
    """JSON text as the score command writes it (UTF-8, no ASCII escapes)."""
    return json.dumps(doc, ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_run(session, period: Period, kind: str, user, reason: str = "", at=None,
               keep_detail: bool = False) -> ScoringRun:
    """Score the period as it stands and freeze the run. A final run after an earlier final
    run is a correction and needs a reason. With ``keep_detail`` the run is scored with
    per-indicator detail once, and kept for ``scored_run`` (which would score it again)."""
    if kind not in ("provisional", "final"):
        raise Invalid(f"unknown run kind {kind!r}")
    reason = (reason or "").strip()
    if kind == "final" and latest_run(session, period, "final") is not None and not reason:
        raise Invalid("a correction of a final run needs a reason")
    edition = period.rubric_edition
    exchange = dumps(export_exchange(session, period))
    rubric = rubric_for(period)
    result = score(rubric, assessment_from_dict(json.loads(exchange)), detail=keep_detail)
    number = (session.query(ScoringRun.number).filter_by(period_id=period.id)
              .order_by(ScoringRun.number.desc()).limit(1).scalar() or 0) + 1
    run = ScoringRun(period_id=period.id, number=number, kind=kind, reason=reason,
                     rubric_id=edition.id, rubric_sha256=edition.sha256,
                     rubric_source=edition.source, exchange=exchange,
                     exchange_sha256=sha256_text(exchange), result=dumps(result_to_dict(result)),
                     created_by=getattr(user, "id", None))
    if at is not None:  # the demo's earlier season is dated in the past
        run.created_at = at
    session.add(run)
    session.flush()
    if keep_detail:   # the same rubric (parsed once per hash) and input as scored_run's
        _keep_scored(run_key(run), rubric, result)
    return run


def latest_run(session, period: Period, kind: str | None = None) -> ScoringRun | None:
    query = session.query(ScoringRun).filter_by(period_id=period.id)
    if kind:
        query = query.filter_by(kind=kind)
    return query.order_by(ScoringRun.number.desc()).first()


def run_key(run: ScoringRun) -> tuple:
    """What identifies a run's content in this process's caches: the hashes keep apart runs
    of different databases that share an id (tests, restores)."""
    return (run.id, run.rubric_sha256, run.exchange_sha256)


def run_result(run: ScoringRun) -> dict:
    """The run's result document (parsed once per process; runs never change)."""
    key = run_key(run)
    if key not in _RESULTS:
        _RESULTS[key] = json.loads(run.result)
    return _RESULTS[key]


def scored_run(run: ScoringRun):
    """(rubric, Result with per-indicator detail) of the run: ``scoring.score`` on the run's
    own rubric and exchange, so it equals the stored result; the last few kept per process."""
    key = run_key(run)
    if key not in _SCORED:
        rubric = run_rubric(run)
        _keep_scored(key, rubric, score(rubric, assessment_from_dict(json.loads(run.exchange)),
                                        detail=True))
    _SCORED.move_to_end(key)
    return _SCORED[key]


def _keep_scored(key: tuple, rubric, result) -> None:
    _SCORED[key] = (rubric, result)
    while len(_SCORED) > _SCORED_MAX:
        _SCORED.popitem(last=False)


def shortlisted_units(session, period: Period) -> set[str]:
    """Units the latest provisional run sent beyond the first stage."""
    run = latest_run(session, period, "provisional")
    if run is None:
        return set()
    first_stage = run_rubric(run).stages[0].id
    return {row["unit"] for row in run_result(run)["ranking"] if row["stage_reached"] != first_stage}


def run_rubric(run: ScoringRun):
    """The rubric exactly as the run used it (parsed once per content hash)."""
    return parsed(run.rubric_sha256, run.rubric_source, run.rubric_id)


def publish(session, period: Period, run: ScoringRun, user, at=None) -> Publication:
    """Publish a final run of the period (the latest publication is what the public sees)."""
    if run.period_id != period.id or run.kind != "final":
        raise Invalid("only a final run of this period can be published")
    current = published_run(session, period)
    if current is not None and current.id == run.id:
        raise Conflict("this run is already published")
    pub = Publication(period_id=period.id, run_id=run.id, published_by=getattr(user, "id", None))
    if at is not None:
        pub.published_at = at
    session.add(pub)
    session.flush()
    return pub


def published_run(session, period: Period) -> ScoringRun | None:
    """The run of the period's latest publication, or None: one query (the publication is
    not kept by the caller, so a lazy ``pub.run`` was a second one on every call)."""
    return (session.query(ScoringRun).join(Publication, Publication.run_id == ScoringRun.id)
            .filter(Publication.period_id == period.id)
            .order_by(Publication.id.desc()).first())
