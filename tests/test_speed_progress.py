"""Issue 15, the admin progress list: the participating units' part of its rows (registry,
province names, each unit's closing time) is kept per process while the period's version
stands, and a deadline extension, a change in the registry and a questionnaire's draft
show at once. Counted, never timed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment import progress
from assessment.models import Submission, WorkUnit
from assessment.operations import kept
from assessment.operations.periods import extend_deadline
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
