"""Judges are told, in the app and by e-mail through the outbox, when units are assigned to
them (one notice per judge and assignment run), when a unit they verify is returned for
revision and when it comes back. (Objections to review: tests/test_objections.py.)"""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import Notice, Submission, WorkUnit
from assessment.models.types import utcnow
from assessment.operations import assign as ops
from assessment.operations import revision as rev

from .test_notifications import smtp  # noqa: F401  (the loopback SMTP server fixture)


@pytest.fixture(autouse=True)
def _english_messages(app):
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture
def season(session, make_user, make_period):
    period = make_period(slug="p-2025", settings={"judges_per_unit": 1})
    period.verification_closes_at = utcnow() + timedelta(days=20)
    for code in ("34", "34.01", "35"):
        session.add(Submission(period_id=period.id, unit_code=code, status="submitted",
                               answers={}, submitted_at=utcnow()))
    admin = make_user("bureau", role="admin", unit_code=None)
    judges = [make_user(f"penilai{n}", role="judge", unit_code=None, email=f"p{n}@kpu.test",
                        locale="en") for n in (1, 2)]
    session.commit()
    return period, admin, judges


def notices(session, user, kind):
    return session.query(Notice).filter_by(user_id=user.id, kind=kind).all()


def test_automatic_assignment_tells_each_judge_once_with_their_units(session, season, smtp):
    period, admin, judges = season
    result = ops.auto_assign(session, period, admin)
    session.commit()
    assert len(result.added) == 3
    for judge in judges:
        held = [r.unit.name for r in result.added if r.judge_id == judge.id]
        if not held:
            assert notices(session, judge, "assigned") == []
            continue
        [notice] = notices(session, judge, "assigned")
        assert notice.title.startswith(f"{len(held)} unit")
        assert all(name in notice.body for name in held)
        assert notice.link.endswith("/p-2025") and notice.email_status == "sent"
    assert sorted(m["to"][0] for m in smtp.messages) == sorted(
        f"p{n}@kpu.test" for n, j in ((1, judges[0]), (2, judges[1]))
        if any(r.judge_id == j.id for r in result.added))
    # a second run adds nothing and tells nobody
    ops.auto_assign(session, period, admin)
    session.commit()
    assert session.query(Notice).filter_by(kind="assigned").count() == len(smtp.messages)


def test_assignment_by_hand_tells_the_judge(session, season, smtp):
    period, admin, judges = season
    unit = session.get(WorkUnit, "35")
    ops.add_assignment(session, period, unit, judges[1], admin)
    session.commit()
    [notice] = notices(session, judges[1], "assigned")
    assert "KPU Provinsi Jawa Timur" in notice.body and notice.email_status == "sent"
    assert [m["to"] for m in smtp.messages] == [["p2@kpu.test"]]


def test_a_refused_assignment_tells_nobody(session, season, smtp):
    period, admin, judges = season
    from assessment.operations import Invalid
    with pytest.raises(Invalid):
        ops.add_assignment(session, period, session.get(WorkUnit, "33"), judges[0], admin)
    session.rollback()
    assert session.query(Notice).count() == 0 and smtp.messages == []


def test_judges_hear_of_a_return_and_of_the_resubmission(session, season, smtp, make_user):
    period, admin, judges = season
    ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges[0], admin)
    session.commit()
    sub = session.query(Submission).filter_by(unit_code="34").one()
    make_user("op-34", unit_code="34", email="op34@kpu.test")
    rev.return_for_revision(session, sub, {"sk-bakohumas": "Lampirkan SK."},
                            utcnow() + timedelta(days=3), admin)
    session.commit()
    [paused] = notices(session, judges[0], "returned_to_unit")
    assert "paused" in paused.body and paused.email_status == "sent"
    assert notices(session, judges[1], "returned_to_unit") == []    # not their unit
    assert "p1@kpu.test" in [m["to"][0] for m in smtp.messages]
