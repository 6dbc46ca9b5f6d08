"""Issue 14, "a registry with history": a unit that was not in the registry when a period
opened (created later, or ended before) is not served for that period: the submission and
feedback APIs answer 404 saying so, and the web pages refuse it too
(``operations.editability.existed_when_opened``, the test behind ``takes_part``)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from assessment.models import WorkUnit
from assessment.operations.editability import existed_when_opened, takes_part
from tests.test_assessment_api import SUB, bearer, error_of
from tests.test_feedback import CILACAP, SEMARANG, build_season
from tests.test_feedback_api import feedback_url

TODAY = datetime.now(timezone.utc).date()


@pytest.mark.parametrize("exists_from, exists_until, existed", [
    (None, None, True),
    (TODAY - timedelta(days=400), None, True),
    (TODAY + timedelta(days=30), None, False),          # created after the period opened
    (None, TODAY - timedelta(days=30), False),          # ended before it opened
    (None, TODAY + timedelta(days=30), True),           # ends later: existed at the opening
])
def test_existed_when_opened(session, make_period, exists_from, exists_until, existed):
    period = make_period(opens=-1)
    unit = session.get(WorkUnit, "33")
    unit.exists_from, unit.exists_until = exists_from, exists_until
    assert existed_when_opened(period, unit) is existed
    assert takes_part(period, unit) is existed


@pytest.mark.parametrize("change", [{"exists_from": TODAY + timedelta(days=30)},
                                    {"exists_until": TODAY - timedelta(days=30)}])
def test_submission_api_is_404_for_a_unit_outside_the_periods_registry(
        client, session, make_user, make_period, auth, change):
    make_period(opens=-1)
    headers = bearer(session, make_user())           # the operator of 33
    for name, value in change.items():
        setattr(session.get(WorkUnit, "33"), name, value)
    session.commit()
    body = error_of(client.get(SUB.format("33"), headers=headers), 404, "not_found")
    assert "did not exist when bakohumas-2025 opened" in body["message"]
    put = client.put(SUB.format("33"), json={"answers": {"sk-bakohumas": True}, "version": 1},
                     headers=headers)
    assert "did not exist" in error_of(put, 404, "not_found")["message"]
    # the unit's web questionnaire refuses it alike
    auth.login("op-33")
    assert client.get("/kuesioner/bakohumas-2025").status_code == 403


def test_feedback_api_and_page_are_404_for_a_unit_created_after_the_period_opened(
        client, session, make_user, auth):
    # the season opened 60 days ago; Cilacap enters the registry 10 days ago, so the
    # run does not rank it
    session.get(WorkUnit, CILACAP).exists_from = TODAY - timedelta(days=10)
    session.commit()
    build_season(session)
    op = make_user(username="op-33.01", unit_code=CILACAP)
    other = make_user(username="op-33.74", unit_code=SEMARANG)
    body = error_of(client.get(feedback_url(CILACAP), headers=bearer(session, op)), 404,
                    "not_found")
    assert f"Unit {CILACAP} did not exist when bakohumas-2025 opened" in body["message"]
    assert client.get(feedback_url(SEMARANG), headers=bearer(session, other)).status_code == 200
    auth.login("op-33.01")
    assert client.get(f"/umpan-balik/bakohumas-2025/{CILACAP}").status_code == 404
