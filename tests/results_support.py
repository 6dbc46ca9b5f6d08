"""A small judged season in the database, for the results and export tests: submitted
questionnaires, two judges' verified values with comments, a moderated value and stage
scores, built directly as rows (other helpers' pages build them in real use), and the
season's steps taken as a bureau takes them: the questionnaire and verification closed, a
masa sanggah held, every disagreement moderated or accepted with a reason (so the final
ranking's gates hold, operations/season.py). Also two published seasons, a ``built_on``
state (tests/conftest.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from assessment.extensions import db
from assessment.models import (DisagreementAcceptance, JudgeAssignment, Moderation, StageScore,
                               Submission, User, Verification, WorkUnit)
from assessment.operations.judging import wrap
from assessment.operations.moderation import disagreements
from assessment.operations.results import finalise, publish_run
from assessment.operations.season import open_flags
from assessment.rubric_store import rubric_for
from scoring import Unit
from scoring.synthetic import responses_for
from tests.conftest import add_period

PROVINCES = ["11", "31", "32", "33", "35", "51"]
REGENCIES = ["11.71", "31.71", "32.73", "33.01", "33.74", "35.78", "51.71"]
TWIN = ("33.74", "35.78")   # identical data: they share a rank


def build_season(session, period, judges=("penilai1", "penilai2")) -> dict:
    """Rows for a judged season; returns the judges and the rubric."""
    rubric = rubric_for(period)
    users = []
    for name in judges:
        user = User(username=name, role="judge", name=name.title())
        user.set_password("kata-sandi-uji-123")
        session.add(user)
        users.append(user)
    session.flush()
    units = [session.get(WorkUnit, code) for code in PROVINCES + REGENCIES]
    responses = responses_for(rubric, [Unit(u.code, u.name, u.level, u.province_name or "")
                                       for u in units], seed=7, judges=len(users))
    by_unit = {r.unit: r for r in responses}
    by_unit[TWIN[1]] = by_unit[TWIN[0]]
    now = datetime.now(timezone.utc)
    for unit in units:
        response = by_unit[unit.code]
        session.add(Submission(period_id=period.id, unit_code=unit.code, status="submitted",
                               answers=dict(response.self_answers), submitted_at=now))
        for user, values in zip(users, response.judges.values()):
            assignment = JudgeAssignment(period_id=period.id, unit_code=unit.code,
                                         judge_id=user.id, started_at=now, completed_at=now)
            session.add(assignment)
            session.flush()
            for n, (ind_id, value) in enumerate(values.items()):
                session.add(Verification(assignment_id=assignment.id, indicator_id=ind_id,
                                         value=wrap(value),
                                         comment="Bukti lengkap." if n == 0 else ""))
        for stage_id, marks in response.stages.items():
            for user, mark in zip(users, marks.values()):
                session.add(StageScore(period_id=period.id, unit_code=unit.code,
                                       stage_id=stage_id, judge_id=user.id, score=f"{mark:.2f}"))
    first = rubric.aspects[0].scored_indicators[0]
    session.add(Moderation(period_id=period.id, unit_code=PROVINCES[0], indicator_id=first.id,
                           value=wrap(_top(first)), reason="Kedua penilai berbeda jauh."))
    session.flush()
    hold_season(session, period, now)
    session.commit()
    return {"judges": users, "rubric": rubric}


def hold_season(session, period, now) -> None:
    """The steps before a final ranking: the questionnaire closed a month ago, verification
    closed, a masa sanggah held, and every remaining disagreement accepted with a reason."""
    period.opens_at, period.closes_at = now - timedelta(days=60), now - timedelta(days=30)
    period.verification_closes_at = now - timedelta(days=20)
    period.objection_opens_at = now - timedelta(days=15)
    period.objection_closes_at = now - timedelta(days=10)
    for flag in open_flags(session, period, disagreements(session, period)):
        session.add(DisagreementAcceptance(
            period_id=period.id, unit_code=flag.unit_code, indicator_id=flag.indicator_id,
            values={key: value for key, value, _f in flag.judges},
            reason="Rapat pleno: kedua nilai penilai dapat dipertanggungjawabkan."))
    session.flush()


def _top(ind):
    return {"yesno": True, "scale": len(ind.levels) - 1, "number": 100,
            "choice": list(ind.options), "text": "ada"}[ind.type]


def bottom(ind):
    """The lowest answer to a scored indicator."""
    return {"yesno": False, "scale": 0, "number": 0, "choice": []}[ind.type]


def two_published_seasons(app):
    """2021 published; 2024 finalised and published through the admin's operations (the
    publishing request's work), with rank changes against 2021. Built once per session;
    each test has its own copy of the database and of the files the publications kept."""
    session = db.session
    earlier = add_period(session, slug="bakohumas-2021", title="Apresiasi Bakohumas 2021",
                         opens=-400, closes=-370, levels=["provinsi", "kabkota"])
    later = add_period(session, slug="bakohumas-2024", title="Apresiasi Bakohumas 2024",
                       opens=-40, closes=-10, levels=["provinsi", "kabkota"])
    build_season(session, earlier, judges=("penilai1", "penilai2"))
    build_season(session, later, judges=("penilai3", "penilai4"))
    publish_run(session, earlier, finalise(session, earlier, None), None)
    session.commit()
    run = finalise(session, later, None)
    publish_run(session, later, run, None)
    session.commit()
    return run.id
