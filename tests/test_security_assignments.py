"""Issue 12: assignment operations check the acting user, not only the judge being assigned.

Assigning judges (automatically or by hand), ending an assignment, a judge's drop-out, the
judging settings (lead judges among them) and assigning objection reviewers are the admin's
(``permissions.can_assign_judges``). Each operation asks it when it runs, so a judge, a lead
judge, an operator, a monitor, a deactivated admin or nobody calling it directly is refused
with NotAllowed (403) and nothing is written; over HTTP the same people get 403 and nothing
changes."""
from __future__ import annotations

import pytest

from assessment.models import JudgeAssignment, Objection, Submission, WorkUnit
from assessment.models.types import utcnow
from assessment.operations import NotAllowed
from assessment.operations import assign as ops
from assessment.operations import objections as objection_ops
from assessment.permissions import can_assign_judges
from tests.hostile_support import changed_tables, login_client, snapshot

SLUG = "bakohumas-2025"
BASE = f"/admin/judging/{SLUG}"
NOT_ADMINS = ("judge", "lead", "operator", "monitor", "retired-admin", "nobody")


@pytest.fixture
def place(session, make_user, make_period):
    """Units 34, 35 and 11 submitted; judge pusat1 on 34 (pusat2 free, pusat3 the lead
    judge); a pending objection of 11 without a reviewer; an admin, a deactivated admin, an
    operator and a monitor."""
    period = make_period(slug=SLUG)
    people = {"admin": make_user("bureau", role="admin", unit_code=None),
              "retired-admin": make_user("bekas-admin", role="admin", unit_code=None, active=False),
              "judge": make_user("pusat1", role="judge", unit_code="00"),
              "free": make_user("pusat2", role="judge", unit_code="00"),
              "lead": make_user("pusat3", role="judge", unit_code="00"),
              "operator": make_user("op-34", role="operator", unit_code="34"),
              "monitor": make_user("monitor-34", role="monitor", unit_code="34"),
              "nobody": None}
    for code in ("34", "35", "11"):
        session.add(Submission(period_id=period.id, unit_code=code, status="submitted",
                               answers={}, submitted_at=utcnow()))
    session.add(JudgeAssignment(period_id=period.id, unit_code="34", judge=people["judge"],
                                active=True, created_at=utcnow()))
    objection = Objection(period_id=period.id, unit_code="11", indicator_id="sk-bakohumas",
                          reason="SK sudah ada.")
    session.add(objection)
    period.settings = {"lead_judges": [people["lead"].id]}
    session.commit()
    return {"period": period, "people": people, "objection": objection,
            "row": session.query(JudgeAssignment).one()}


def operations(session, place):
    """Every assignment operation, as a call taking the acting user."""
    period, people, obj, row = place["period"], place["people"], place["objection"], place["row"]
    free = people["free"]
    return {
        "settings": lambda user: ops.update_settings(
            session, period, user, **{**ops.judging_settings(period), "judge_cap": 5,
                                      "lead_judges": [free.id]}),
        "auto": lambda user: ops.auto_assign(session, period, user),
        "add": lambda user: ops.add_assignment(session, period, session.get(WorkUnit, "35"),
                                               free, user),
        "end": lambda user: ops.end_assignment(session, row, "Sakit", user),
        "drop out": lambda user: ops.drop_out(session, period, people["judge"], "Cuti", user),
        "reviewer": lambda user: objection_ops.assign_reviewer(session, obj, free, user),
        "reviewer auto": lambda user: objection_ops.auto_assign(session, obj, user),
        "reviewers auto": lambda user: objection_ops.auto_assign_all(session, period, user),
    }


OPERATIONS = ("settings", "auto", "add", "end", "drop out", "reviewer", "reviewer auto",
              "reviewers auto")


def test_only_an_active_admin_may_assign(place):
    people = place["people"]
    assert can_assign_judges(people["admin"])
    for who in NOT_ADMINS:
        assert not can_assign_judges(people[who]), who


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_assignment_operation_refuses_anyone_but_the_admin_and_writes_nothing(
        session, place, name):
    call = operations(session, place)[name]
    before = snapshot(session)
    for who in NOT_ADMINS:
        with pytest.raises(NotAllowed):
            call(place["people"][who])
        session.flush()
        assert changed_tables(before, snapshot(session)) == [], (name, who)
    call(place["people"]["admin"])                    # the admin's call still works
    session.flush()
    assert changed_tables(before, snapshot(session)) != []


def routes(place) -> list[tuple[str, dict]]:
    people, row, obj = place["people"], place["row"], place["objection"]
    return [(f"{BASE}/pengaturan", {"judges_per_unit": "2", "disagreement_threshold": "0,5",
                                    "min_shared_indicators": "3", "judge_cap": "5",
                                    "lead_judges": str(people["free"].id)}),
            (f"{BASE}/otomatis", {}),
            (f"{BASE}/satker/35", {"judge_id": str(people["free"].id)}),
            (f"{BASE}/penugasan/{row.id}/akhiri", {"reason": "Sakit"}),
            (f"{BASE}/penilai/{people['judge'].id}", {"reason": "Cuti"}),
            (f"/musim/sanggahan/{obj.id}/penelaah", {f"o{obj.id}-reviewer": str(people["free"].id)}),
            (f"/musim/sanggahan/{obj.id}/penelaah", {"reviewer": "auto"}),
            (f"/musim/{SLUG}/sanggahan/tugaskan-otomatis", {})]


@pytest.mark.parametrize("who", ["judge", "lead", "operator", "monitor"])
def test_every_assignment_route_refuses_others_with_403_and_changes_nothing(app, session, place,
                                                                           who):
    client = login_client(app, place["people"][who].username)
    before = snapshot(session)
    for url, data in routes(place):
        assert client.post(url, data=data).status_code == 403, (who, url)
    assert changed_tables(before, snapshot(session)) == []


def test_the_admin_uses_the_same_routes(app, session, place):
    client = login_client(app, "bureau")
    for url, data in routes(place)[2:4] + routes(place)[5:6]:
        assert client.post(url, data=data).status_code == 302, url
    session.expire_all()
    assert {(a.unit_code, a.judge.username, a.active)
            for a in session.query(JudgeAssignment)} == {("34", "pusat1", False),
                                                          ("35", "pusat2", True)}
    assert session.get(Objection, place["objection"].id).reviewer.username == "pusat2"


def test_a_session_of_an_admin_deactivated_since_changes_nothing(app, session, place):
    client = login_client(app, "bureau")
    place["people"]["admin"].active = False
    session.commit()
    before = snapshot(session)
    for url, data in routes(place):
        assert client.post(url, data=data).status_code in (302, 403), url
    assert changed_tables(before, snapshot(session)) == []
