"""Finalising waits for the season: not while the masa sanggah is open, not with objections
undecided, not while a shortlisted unit has no stage-two score (the rules would count 0).
The gates themselves are tested in tests/test_season_gates.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import Objection, ScoringRun, StageScore
from assessment.models.types import utcnow
from assessment.operations.results import finalise, not_ready
from assessment.operations.runs import export_exchange
from assessment.operations.season import SeasonGate, unscored_shortlist
from tests.conftest import SLUG, english
from tests.results_support import build_season


@pytest.fixture
def season(app, session, make_period):
    period = make_period(slug=SLUG, levels=["provinsi", "kabkota"])
    build_season(session, period)
    return period


def test_a_complete_season_is_ready(session, season):
    assert not_ready(session, season) == []
    assert finalise(session, season, None).kind == "final"


def test_shortlisted_units_without_a_stage_two_score_block_finalising(session, season):
    shortlisted = {s.unit_code for s in session.query(StageScore)}
    session.query(StageScore).filter_by(unit_code="33").delete()
    session.flush()
    assert unscored_shortlist(season, export_exchange(session, season)) == ["33"]
    with pytest.raises(SeasonGate) as refused:
        finalise(session, season, None)
    failing = refused.value.details["gates"]
    assert [(g["id"], g["count"]) for g in failing] == [("stage_two", 1)] and "33" in shortlisted
    assert session.query(ScoringRun).count() == 0


def test_an_open_masa_sanggah_and_a_pending_objection_block_finalising(session, season):
    season.objection_opens_at = utcnow() - timedelta(days=1)
    season.objection_closes_at = utcnow() + timedelta(days=1)
    session.add(Objection(period_id=season.id, unit_code="33", indicator_id="sk-bakohumas",
                          reason="Bukti baru."))
    session.flush()
    assert len(not_ready(session, season)) == 2
    season.objection_closes_at = utcnow() - timedelta(minutes=1)
    assert len(not_ready(session, season)) == 1
    with pytest.raises(SeasonGate):
        finalise(session, season, None)
    session.query(Objection).one().status = "rejected"
    session.flush()
    assert not_ready(session, season) == []


def test_the_runs_page_lists_what_blocks_and_refuses_with_a_message(client, auth, session, season,
                                                                      make_user):
    session.query(StageScore).filter_by(unit_code="33").delete()
    session.commit()
    make_user(username="kepala-biro", role="admin", unit_code=None)
    auth.login("kepala-biro")
    english(client)
    url = f"/admin/periode/{SLUG}/penghitungan/"
    page = client.get(url).get_data(as_text=True)
    assert "Before finalising" in page and "1 shortlisted unit has no stage-two score yet" in page
    response = client.post(url, data={"confirm": "y"}, follow_redirects=True)
    assert "This step is not possible yet" in response.get_data(as_text=True)
    assert session.query(ScoringRun).count() == 0
