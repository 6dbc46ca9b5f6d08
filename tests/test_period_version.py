"""Issue 15: the period's version row (models/period_version.py) is bumped in the same
transaction as every kind of write its season figures read, by the session's events; a
draft's save, another period's write and a rolled-back write leave it alone; the kept
figures (operations/kept.py) follow it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from assessment.models import (DeadlineExtension, DisagreementAcceptance, GoodPractice,
                               JudgeAssignment, Moderation, Objection, PeriodVersion,
                               PracticeOptOut, Publication, RevisionRequest, ScoringRun,
                               StageScore, Submission, UnitExclusion, Verification, WorkUnit)
from assessment.models import period_version
from assessment.models.types import utcnow
from assessment.operations import kept
from assessment.operations.judging import wrap
from assessment.operations.moderation import disagreements, moderate
from assessment.operations.season import exclude_unit
from tests.test_moderation import add_submission, verify


@pytest.fixture
def two(session, make_user, make_period):
    """Two periods; in the first, unit 33 submitted with two judges, unit 11 a draft."""
    period = make_period(slug="bakohumas-2025")
    other = make_period(slug="bakohumas-2024", opens=-400, closes=-300)
    admin = make_user(username="kepala-biro", role="admin", unit_code=None)
    a = make_user(username="penilai1", role="judge", unit_code=None)
    b = make_user(username="penilai2", role="judge", unit_code=None)
    add_submission(session, period, "33", {"sk-bakohumas": True, "struktur-tim": 4})
    add_submission(session, period, "11", {"sk-bakohumas": True}, status="draft")
    verify(session, period, "33", a, {"sk-bakohumas": True, "struktur-tim": 2})
    verify(session, period, "33", b, {"sk-bakohumas": False, "struktur-tim": 2})
    session.commit()
    return period, other, admin, a, b


def versions(session, *periods) -> list:
    session.expire_all()
    return [period_version.read(session, p.id) for p in periods]


def _run(session, period, user):
    return ScoringRun(period_id=period.id, number=9, kind="final", reason="", rubric_id=period.rubric_id,
                      rubric_sha256="0" * 64, rubric_source="", exchange="{}", exchange_sha256="0" * 64,
                      result="{}", created_by=user.id)


def _assignment(session, period, judge):
    return session.scalars(select(JudgeAssignment).where(
        JudgeAssignment.period_id == period.id, JudgeAssignment.judge_id == judge.id)).one()


def _value(session, period, judge, indicator="sk-bakohumas"):
    return session.scalars(select(Verification).where(
        Verification.assignment_id == _assignment(session, period, judge).id,
        Verification.indicator_id == indicator)).one()


def _sub(session, period, unit):
    return session.scalars(select(Submission).where(Submission.period_id == period.id,
                                                    Submission.unit_code == unit)).one()


# each: (what, fn(session, period, admin, judge a, judge b)) writing one kind of row
WRITES = {
    "a judge's value changed": lambda s, p, ad, a, b: setattr(_value(s, p, a), "value", wrap(False)),
    "a judge's value added (assignment not loaded)": lambda s, p, ad, a, b: s.add(Verification(
        assignment_id=_assignment(s, p, b).id, indicator_id="struktur-tim-x", value=wrap(1))),
    "a judge's value removed": lambda s, p, ad, a, b: s.delete(_value(s, p, b)),
    "an assignment ended": lambda s, p, ad, a, b: setattr(_assignment(s, p, b), "active", False),
    "an assignment added": lambda s, p, ad, a, b: s.add(JudgeAssignment(
        period_id=p.id, unit_code="11", judge_id=a.id)),
    "a moderation": lambda s, p, ad, a, b: s.add(Moderation(
        period_id=p.id, unit_code="33", indicator_id="sk-bakohumas", value=wrap(True), reason="r")),
    "a stage-two score": lambda s, p, ad, a, b: s.add(StageScore(
        period_id=p.id, unit_code="33", stage_id="presentasi", judge_id=a.id, score="80.00")),
    "an objection": lambda s, p, ad, a, b: s.add(Objection(
        period_id=p.id, unit_code="33", indicator_id="sk-bakohumas", reason="r")),
    "a scoring run": lambda s, p, ad, a, b: s.add(_run(s, p, ad)),
    "an exclusion": lambda s, p, ad, a, b: s.add(UnitExclusion(
        period_id=p.id, unit_code="33", reason="r")),
    "a disagreement accepted": lambda s, p, ad, a, b: s.add(DisagreementAcceptance(
        period_id=p.id, unit_code="33", indicator_id="sk-bakohumas", reason="r")),
    "a deadline extension": lambda s, p, ad, a, b: s.add(DeadlineExtension(
        period_id=p.id, closes_at=utcnow() + timedelta(days=30), reason="r")),
    "a good practice published": lambda s, p, ad, a, b: s.add(GoodPractice(
        period_id=p.id, indicator_id="sk-bakohumas", unit_code="33")),
    "a unit opting out of the library": lambda s, p, ad, a, b: s.add(PracticeOptOut(
        period_id=p.id, unit_code="33")),
    "the period's settings": lambda s, p, ad, a, b: setattr(
        p, "settings", {**(p.settings or {}), "disagreement_threshold": 0.25}),
    "a draft submitted": lambda s, p, ad, a, b: setattr(_sub(s, p, "11"), "status", "submitted"),
    "a submitted questionnaire returned": lambda s, p, ad, a, b: (
        setattr(_sub(s, p, "33"), "status", "returned"),
        s.add(RevisionRequest(submission_id=_sub(s, p, "33").id, reasons={"sk-bakohumas": "r"},
                              closes_at=utcnow() + timedelta(days=3)))),
    "a submitted questionnaire's head changed": lambda s, p, ad, a, b: setattr(
        _sub(s, p, "33"), "head_name", "Dr. Ani"),
}


@pytest.mark.parametrize("what", list(WRITES))
def test_each_kind_of_write_bumps_its_period_only(session, two, what):
    period, other, admin, a, b = two
    before, other_before = versions(session, period, other)
    assert before is not None and other_before is not None    # made by the periods' own inserts
    WRITES[what](session, period, admin, a, b)
    session.commit()
    after, other_after = versions(session, period, other)
    assert after == (before[0], before[1] + 1), what          # one bump per transaction
    assert other_after == other_before


def test_a_publication_bumps_its_period(session, two):
    period, other, admin, *_ = two
    run = _run(session, period, admin)
    session.add(run)
    session.commit()
    before = versions(session, period)[0]
    session.add(Publication(period_id=period.id, run_id=run.id, published_by=admin.id))
    session.commit()
    assert versions(session, period)[0][1] == before[1] + 1


def test_a_unit_of_the_registry_bumps_every_period(session, two):
    period, other, *_ = two
    before = versions(session, period, other)
    session.get(WorkUnit, "33").name = "KPU Provinsi Jawa Tengah (baru)"
    session.commit()
    assert [v[1] for v in versions(session, period, other)] == [v[1] + 1 for v in before]


def test_a_bulk_statement_on_a_watched_table_bumps_every_period(session, two):
    period, other, admin, a, _b = two
    before = versions(session, period, other)
    session.execute(insert(Moderation.__table__), [{
        "period_id": period.id, "unit_code": "33", "indicator_id": "struktur-tim",
        "value": {"v": 1}, "reason": "r", "source": "disagreement", "created_at": utcnow()}])
    session.commit()
    middle = versions(session, period, other)
    assert [v[1] for v in middle] == [v[1] + 1 for v in before]
    session.execute(update(Verification).where(Verification.indicator_id == "struktur-tim")
                    .values(comment="x"))
    session.commit()
    assert [v[1] for v in versions(session, period, other)] == [v[1] + 1 for v in middle]


def test_a_drafts_save_a_rollback_and_reading_leave_it_alone(session, two):
    period, other, admin, a, b = two
    before = versions(session, period, other)
    draft = _sub(session, period, "11")
    draft.answers = {"sk-bakohumas": False}     # an operator's save of a draft
    session.commit()
    assert versions(session, period, other) == before
    _value(session, period, a).value = wrap(False)
    session.flush()
    session.rollback()
    assert versions(session, period, other) == before
    disagreements(session, period)              # a page's reading
    session.commit()
    assert versions(session, period, other) == before


def test_several_writes_in_one_transaction_bump_once_and_a_savepoint_counts(session, two):
    period, other, admin, a, b = two
    before = versions(session, period)[0]
    with session.begin_nested():
        _value(session, period, a).value = wrap(False)
    _value(session, period, b).value = wrap(True)
    session.add(UnitExclusion(period_id=period.id, unit_code="11", reason="r"))
    session.commit()
    assert versions(session, period)[0] == (before[0], before[1] + 1)


def test_operations_bump_it_and_kept_flags_follow(session, two):
    """moderate() and exclude_unit() write through the session: bumped, and the flags kept
    per process are found again at once."""
    period, other, admin, a, b = two
    kept.forget()
    first = disagreements(session, period)
    assert [(f.unit_code, f.indicator_id) for f in first] == [("33", "sk-bakohumas")]
    session.commit()
    assert disagreements(session, period)[0].judges == first[0].judges
    v0 = versions(session, period)[0]
    moderate(session, period, "33", "sk-bakohumas", "ya", "Dokumen SK ada.", admin)
    assert kept.season_version(session, period) is None     # not bumped yet: worked out afresh
    session.commit()
    v1 = versions(session, period)[0]
    assert v1[1] == v0[1] + 1
    assert disagreements(session, period)[0].resolved
    _value(session, period, b).value = wrap(True)           # judges agree now
    session.commit()
    assert disagreements(session, period) == []
    exclude_unit(session, period, "33", "Tidak hadir pada verifikasi.", admin)
    session.commit()
    assert versions(session, period)[0][1] == v1[1] + 2


def test_the_version_row_is_one_indexed_read(app, session, two):
    from tests.test_page_queries import queries
    period, *_ = two
    assert period.rubric_edition.sha256 and period.settings is not None   # loaded by the page
    with queries(app) as sent:
        kept.season_version(session, period)
    assert len(sent) == 1
    assert session.get(PeriodVersion, period.id).token == versions(session, period)[0][0]
