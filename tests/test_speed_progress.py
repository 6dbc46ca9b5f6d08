"""Issue 15, the admin progress list: the participating units' part of its rows (registry,
province names, each unit's closing time) is kept per process while the period's version
stands, and a deadline extension, a change in the registry and a questionnaire's draft
show at once; each questionnaire's completeness is kept per content of its answers,
evidence and level. Counted, never timed."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from assessment import progress, progress_list
from assessment.models import Evidence, Submission, WorkUnit
from assessment.operations import kept
from assessment.operations.periods import extend_deadline
from assessment.rubric_store import rubric_for
from scoring.synthetic import answer_for
from tests.conftest import Counter


@pytest.fixture
def worked_out(monkeypatch):
    kept.forget()
    counted = Counter(progress._units_part)
    monkeypatch.setattr(progress, "_units_part", counted)
    yield counted
    kept.forget()


def row(rows, code):
    return next(r for r in rows if r["code"] == code)


def test_the_units_part_is_kept_until_the_period_or_the_registry_changes(
        session, make_period, make_user, worked_out):
    period = make_period()
    admin = make_user(username="admin-2", role="admin", unit_code=None)
    first = progress.unit_rows(session, period)
    session.commit()
    assert progress.unit_rows(session, period) == first
    assert worked_out.calls == 1
    # a province's own view is cut from the same kept list
    scoped = progress.unit_rows(session, period, "33")
    assert scoped and {r["province_code"] for r in scoped} == {"33"}
    assert [r["code"] for r in scoped] == [r["code"] for r in first if r["province_code"] == "33"]
    assert worked_out.calls == 1

    # a questionnaire's draft: read every time, the kept part is not worked out again
    session.add(Submission(period_id=period.id, unit_code="33.74", status="draft", answers={},
                           pending={}))
    session.commit()
    assert row(progress.unit_rows(session, period), "33.74")["status"] == "draft"
    assert worked_out.calls == 1

    # one unit's extension moves the period's version: its closing time shows at once
    later = period.closes_at + timedelta(days=3)
    extend_deadline(session, period, later, "banjir", admin, unit_code="33.74")
    session.commit()
    rows = progress.unit_rows(session, period)
    assert row(rows, "33.74")["closes_at"] == later
    assert row(rows, "33.01")["closes_at"] == period.closes_at
    assert worked_out.calls == 2

    # a change in the registry moves every period's version
    unit = session.get(WorkUnit, "33.74")
    unit.name = "KPU Kota Salatiga (nama baru)"
    session.commit()
    assert row(progress.unit_rows(session, period), "33.74")["name"] == "KPU Kota Salatiga (nama baru)"
    assert worked_out.calls == 3


def test_changes_not_yet_committed_are_never_kept(session, make_period, worked_out):
    period = make_period()
    progress.unit_rows(session, period)
    session.commit()
    unit = session.get(WorkUnit, "33.74")
    unit.name = "belum disimpan"
    session.flush()   # in the session, not yet bumped: worked out afresh and not kept
    assert row(progress.unit_rows(session, period), "33.74")["name"] == "belum disimpan"
    session.rollback()
    assert row(progress.unit_rows(session, period), "33.74")["name"] != "belum disimpan"


@pytest.fixture
def completeness(monkeypatch):
    progress_list._KEPT.clear()
    counted = Counter(progress_list._completeness)
    monkeypatch.setattr(progress_list, "_completeness", counted)
    yield counted
    progress_list._KEPT.clear()


def test_completeness_is_kept_per_content_of_answers_and_evidence(session, make_period,
                                                                   completeness):
    """A questionnaire's answered count and missing evidence are worked out once per content
    of its answers (as stored), set of evidence and level; an answer or a new piece of
    evidence shows at once, and a change rolled back reads as before."""
    period = make_period()
    ind = rubric_for(period).indicator("struktur-tim")     # scored, evidence required
    top = {ind.id: answer_for(ind, 1.0, random.Random(1))}
    sub = Submission(period_id=period.id, unit_code="33.74", status="draft", answers={},
                     pending={})
    session.add(sub)
    session.commit()

    def shown(code="33.74"):
        rows = [dict(r) for r in progress.unit_rows(session, period) if r["code"] == code]
        return progress_list.with_completeness(session, period, rows)[0]

    assert (shown()["answered"], shown()["evidence_missing"]) == (0, 0)
    assert completeness.calls == 1
    sub.answers = dict(top)
    session.commit()
    assert (shown()["answered"], shown()["evidence_missing"]) == (1, 1)
    assert completeness.calls == 2
    # another unit of the same level with the same answers: the same content, kept
    session.add(Submission(period_id=period.id, unit_code="33.72", status="draft",
                           answers=dict(top), pending={}))
    session.commit()
    assert (shown("33.72")["answered"], shown("33.72")["evidence_missing"]) == (1, 1)
    assert completeness.calls == 2
    session.add(Evidence(submission_id=sub.id, indicator_id=ind.id, kind="link",
                         url="https://contoh.go.id/struktur"))
    session.commit()
    assert (shown()["answered"], shown()["evidence_missing"]) == (1, 0)
    assert completeness.calls == 3
    # written in this transaction and rolled back: the committed content reads as before
    sub.answers = {}
    session.flush()
    assert shown()["answered"] == 0 and completeness.calls == 4
    session.rollback()
    assert shown()["answered"] == 1 and completeness.calls == 4
