"""Issue 12, item 5: permissions are checked when an action is taken, not only when a role
is given. For each action, a role granted earlier that no longer holds (a conflict found
later, an assignment ended, a judge deactivated, a period archived, the reviewer added as a
verifying judge, no flagged disagreement) is refused by the operation itself - so a page and
the API, which both call it, refuse it alike - and nothing is written."""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import (GoodPractice, Moderation, Objection, PracticeOptOut,
                               RevisionRequest, UnitExclusion, Verification, WorkUnit)
from assessment.models.types import utcnow
from assessment.operations import Closed, NotAllowed
from assessment.operations import objections as objection_ops
from assessment.operations import practice, season, stage
from assessment.operations import verification as verification_ops
from assessment.operations.moderation import disagreements, moderate
from assessment.operations.revision import return_for_revision
from tests.test_moderation import add_submission, judged, verify  # noqa: F401  (fixture)


@pytest.fixture
def people(session, make_user, judged):  # noqa: F811
    period, admin, a, b = judged
    reviewer = make_user(username="penilai-sanggah", role="judge", unit_code=None)
    lead = make_user(username="penilai-utama", role="judge", unit_code=None)
    operator = make_user(username="op-33", role="operator", unit_code="33")
    period.settings = {**(period.settings or {}), "lead_judges": [lead.id]}
    session.commit()
    return {"period": period, "admin": admin, "a": a, "b": b, "reviewer": reviewer,
            "lead": lead, "operator": operator}


def _assignment(session, period, unit_code, judge):
    from assessment.models import JudgeAssignment
    return session.query(JudgeAssignment).filter_by(period_id=period.id, unit_code=unit_code,
                                                    judge_id=judge.id).one()


def test_an_objection_reviewer_later_made_a_verifying_judge_cannot_decide(session, people):
    period, reviewer = people["period"], people["reviewer"]
    obj = Objection(period_id=period.id, unit_code="33", indicator_id="sk-bakohumas",
                    reason="SK sudah ada.")
    session.add(obj)
    session.flush()
    objection_ops.assign_reviewer(session, obj, reviewer, people["admin"])
    assert objection_ops.may_review(session, reviewer, obj)
    verify(session, period, "33", reviewer, {})          # added as a verifying judge later
    assert not objection_ops.may_review(session, reviewer, obj)
    with pytest.raises(NotAllowed):
        objection_ops.decide(session, obj, reviewer, True, raw_value="ya", reason="Diterima.")
    assert obj.status == "pending" and session.query(Moderation).count() == 0


def test_a_deactivated_or_conflicted_reviewer_cannot_decide(session, people):
    period, reviewer = people["period"], people["reviewer"]
    obj = Objection(period_id=period.id, unit_code="33", indicator_id="sk-bakohumas", reason="x")
    session.add(obj)
    session.flush()
    objection_ops.assign_reviewer(session, obj, reviewer, people["admin"])
    reviewer.unit_code = "33.74"                          # seconded from Jawa Tengah since
    session.flush()
    with pytest.raises(NotAllowed):
        objection_ops.decide(session, obj, reviewer, False, reason="Ditolak.")
    reviewer.unit_code, reviewer.active = None, False
    session.flush()
    with pytest.raises(NotAllowed):
        objection_ops.decide(session, obj, reviewer, False, reason="Ditolak.")
    assert obj.status == "pending"


def test_a_lead_judge_moderates_only_a_flagged_disagreement(session, people):
    period, lead, admin = people["period"], people["lead"], people["admin"]
    assert [(f.unit_code, f.indicator_id) for f in disagreements(session, period)] == [
        ("33", "sk-bakohumas")]
    # struktur-tim of 33: both judges gave level 2, no flag: not the lead judge's to change
    with pytest.raises(NotAllowed):
        moderate(session, period, "33", "struktur-tim", "4", "Koreksi.", lead)
    with pytest.raises(NotAllowed):                      # unit 11 has one judge: no flag at all
        moderate(session, period, "11", "sk-bakohumas", "ya", "Koreksi.", lead)
    assert session.query(Moderation).count() == 0
    moderate(session, period, "33", "sk-bakohumas", "ya", "SK sah.", lead)     # the flag
    # outside a flag the admin may, always with a reason
    moderate(session, period, "11", "sk-bakohumas", "ya", "Koreksi atas bukti baru.", admin)
    assert session.query(Moderation).count() == 2


def test_a_lead_judge_dropped_deactivated_or_on_an_archived_period_cannot_moderate(session, people):
    period, lead = people["period"], people["lead"]
    lead.active = False
    session.flush()
    with pytest.raises(NotAllowed):
        moderate(session, period, "33", "sk-bakohumas", "ya", "SK sah.", lead)
    lead.active = True
    period.settings = {**period.settings, "lead_judges": []}
    session.flush()
    with pytest.raises(NotAllowed):
        moderate(session, period, "33", "sk-bakohumas", "ya", "SK sah.", lead)
    period.archived_at = utcnow()
    session.flush()
    with pytest.raises(Closed):
        moderate(session, period, "33", "sk-bakohumas", "ya", "SK sah.", people["admin"])
    assert session.query(Moderation).count() == 0


@pytest.mark.parametrize("change", ["ended", "conflict", "deactivated", "someone else"])
def test_verification_saves_check_the_assignment_now(session, people, change):
    period, a = people["period"], people["a"]
    row = _assignment(session, period, "33", a)
    actor = a
    if change == "ended":
        row.active = False
    elif change == "conflict":
        a.unit_code = "33.74"
    elif change == "deactivated":
        a.active = False
    else:
        actor = people["b"]
    session.flush()
    before = {(v.indicator_id, str(v.value)) for v in session.query(Verification)}
    for action in (lambda: verification_ops.save_verifications(
                       session, row, {"sk-bakohumas": False}, {}, {}, actor),
                   lambda: verification_ops.complete(session, row, actor),
                   lambda: verification_ops.reopen(session, row, actor)):
        with pytest.raises(NotAllowed):
            action()
    assert {(v.indicator_id, str(v.value)) for v in session.query(Verification)} == before


def test_a_return_checks_the_judge_now(session, people):
    period, a = people["period"], people["a"]
    from assessment.models import Submission
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code="33").one()
    _assignment(session, period, "33", a).active = False          # assignment ended
    session.flush()
    with pytest.raises(NotAllowed):
        return_for_revision(session, sub, {"sk-bakohumas": "Lampirkan SK."},
                            utcnow() + timedelta(days=3), a)
    with pytest.raises(NotAllowed):                                # an operator, never
        return_for_revision(session, sub, {"sk-bakohumas": "Lampirkan SK."},
                            utcnow() + timedelta(days=3), people["operator"])
    assert session.query(RevisionRequest).count() == 0 and sub.status == "submitted"


def test_stage_scores_check_the_judge_and_the_period_now(session, people):
    period, a = people["period"], people["a"]
    unit = session.get(WorkUnit, "11")
    a.active = False
    session.flush()
    with pytest.raises(NotAllowed):
        stage.check_may_score(session, a, period, unit)
    a.active = True
    period.archived_at = utcnow()
    session.flush()
    with pytest.raises(Closed):
        stage.save_stage_score(session, period, unit, a, "80")


def test_season_exclusions_and_acceptances_are_the_admins_and_not_on_an_archived_period(session, people):
    period, admin = people["period"], people["admin"]
    for actor in (people["lead"], people["operator"]):
        with pytest.raises(NotAllowed):
            season.exclude_unit(session, period, "11", "Tidak lengkap.", actor)
        with pytest.raises(NotAllowed):
            season.accept_disagreement(session, period, "33", "sk-bakohumas", "Wajar.", actor)
    admin.active = False                                     # a deactivated admin's row
    session.flush()
    with pytest.raises(NotAllowed):
        season.exclude_unit(session, period, "11", "Tidak lengkap.", admin)
    admin.active = True
    period.archived_at = utcnow()
    session.flush()
    with pytest.raises(Closed):
        season.exclude_unit(session, period, "11", "Tidak lengkap.", admin)
    assert session.query(UnitExclusion).count() == 0


def test_good_practice_checks_who_acts_now(session, people):
    period, admin, operator = people["period"], people["admin"], people["operator"]
    admin.active = False
    session.flush()
    with pytest.raises(NotAllowed):
        practice.publish_entry(session, period, "sk-bakohumas", "33", admin)
    with pytest.raises(NotAllowed):                        # another unit's operator
        practice.set_opt_out(session, period, session.get(WorkUnit, "11"), True, operator)
    operator.active = False
    session.flush()
    with pytest.raises(NotAllowed):                        # the unit's own, deactivated
        practice.set_opt_out(session, period, session.get(WorkUnit, "33"), True, operator)
    assert session.query(GoodPractice).count() == 0 and session.query(PracticeOptOut).count() == 0


def test_assigning_checks_the_judge_now(session, people):
    from assessment.operations import Invalid
    from assessment.operations.assign import add_assignment
    period, reviewer = people["period"], people["reviewer"]
    reviewer.active = False
    session.flush()
    with pytest.raises(Invalid):
        add_assignment(session, period, session.get(WorkUnit, "11"), reviewer, people["admin"])
    reviewer.active, reviewer.unit_code = True, "11"
    session.flush()
    with pytest.raises(NotAllowed):
        add_assignment(session, period, session.get(WorkUnit, "11"), reviewer, people["admin"])
