"""Provisional ranking and stage-two (presentasi) scores: the shortlist is the scoring
module's, judges score shortlisted units they have no conflict with, the scores reach the
total through the engine."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from assessment.extensions import db
from assessment.models import (AuditLog, JudgeAssignment, Period, ScoringRun, StageScore,
                               Submission, User, Verification, WorkUnit)
from assessment.operations import Invalid
from assessment.operations.judging import wrap
from assessment.operations.runs import (create_run, export_exchange, latest_run, run_result,
                                        shortlisted_units)
from assessment.operations.stage import parse_stage_score
from assessment.rubric_store import rubric_for
from scoring import Unit, assessment_from_dict, score
from scoring.exchange import result_to_dict
from scoring.synthetic import responses_for
from tests.conftest import PASSWORD, SLUG, add_period, add_user, built_on, english

# 13 provinces (more than the shortlist of 10) and three regencies
PROVINCES = ["11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33"]
REGENCIES = ["32.73", "33.01", "33.74"]
JUDGE_NAMES = {"penilai1": "Budi Santoso", "penilai2": "Siti Aminah",
               "penilai3": "Dewi Lestari", "penilai4": "Agus Wibowo"}


def build_season(session, period) -> dict:
    """Submitted questionnaires verified by penilai1 and penilai2; penilai3 is seconded from
    KPU Provinsi Jawa Tengah (33), penilai4 from nowhere and assigned to nothing."""
    rubric = rubric_for(period)
    judges = {}
    for username, name in JUDGE_NAMES.items():
        user = User(username=username, role="judge", name=name,
                    unit_code="33" if username == "penilai3" else None)
        user.set_password(PASSWORD)
        session.add(user)
        judges[username] = user
    session.flush()
    units = [session.get(WorkUnit, code) for code in PROVINCES + REGENCIES]
    responses = responses_for(rubric, [Unit(u.code, u.name, u.level) for u in units], seed=11,
                              judges=2, stage_scores=False)
    now = datetime.now(timezone.utc)
    for unit, response in zip(units, responses):
        session.add(Submission(period_id=period.id, unit_code=unit.code, status="submitted",
                               answers=dict(response.self_answers), submitted_at=now))
        for judge, values in zip((judges["penilai1"], judges["penilai2"]), response.judges.values()):
            assignment = JudgeAssignment(period_id=period.id, unit_code=unit.code,
                                         judge_id=judge.id, started_at=now, completed_at=now)
            session.add(assignment)
            session.flush()
            for n, (ind_id, value) in enumerate(values.items()):
                session.add(Verification(assignment_id=assignment.id, indicator_id=ind_id,
                                         value=wrap(value),
                                         comment=f"Catatan {judge.username[-1]}" if n == 0 else ""))
    session.commit()
    return {"judges": judges, "rubric": rubric}


def verified_season(app):
    """The season the ``season`` tests start from (built once per session, copied per test)."""
    period = add_period(db.session, slug=SLUG, opens=-30, closes=-10)
    add_user(db.session, username="admin-uji", role="admin", unit_code=None)
    build_season(db.session, period)


@pytest.fixture
def season(session, built):
    """The verified season; for tests marked ``built_on(verified_season)``."""
    period = session.query(Period).filter_by(slug=SLUG).one()
    judges = {user.username: user for user in
              session.query(User).filter(User.username.in_(JUDGE_NAMES))}
    return {"judges": judges, "rubric": rubric_for(period), "period": period}


def engine_result(session, period) -> dict:
    """The score command's result for the period's exchange document, computed here."""
    doc = export_exchange(session, period)
    return result_to_dict(score(rubric_for(period), assessment_from_dict(doc)))


def login(client, auth, username):
    auth.logout()
    auth.login(username)
    english(client)


# ---- provisional ranking -------------------------------------------------------------------

@built_on(verified_season)
def test_provisional_ranking_is_the_scoring_modules_and_runs_stay_readable(client, auth, session, season):
    period = season["period"]
    login(client, auth, "admin-uji")
    response = client.post(f"/musim/{SLUG}/peringkat", data={"note": "Setelah verifikasi"})
    assert response.status_code == 302
    run = latest_run(session, period, "provisional")
    assert run.number == 1 and run.reason == "Setelah verifikasi"
    expected = engine_result(session, period)
    assert run_result(run) == expected
    engine_shortlist = {r["unit"] for r in expected["ranking"] if r["stage_reached"] == "presentasi"}
    assert shortlisted_units(session, period) == engine_shortlist
    provinces = [r for r in expected["ranking"] if r["category"] == "provinsi"]
    assert len(provinces) == 13
    assert 0 < len([r for r in provinces if r["unit"] in engine_shortlist]) <= 10
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Run 1" in page and "Setelah verifikasi" in page
    assert page.count(">shortlisted</span>") == len(engine_shortlist)
    entry = session.query(AuditLog).filter_by(action="run.provisional").one()
    assert entry.detail["number"] == 1 and entry.detail["shortlisted"] == len(engine_shortlist)

    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": ""}).status_code == 302
    assert latest_run(session, period, "provisional").number == 2
    older = client.get(f"/musim/{SLUG}/peringkat/1")
    assert older.status_code == 200 and "Setelah verifikasi" in older.get_data(as_text=True)
    assert client.get(f"/musim/{SLUG}/peringkat/9").status_code == 404


@built_on(verified_season)
@pytest.mark.parametrize("username", ["penilai1", "op-33"])
def test_only_the_admin_computes_the_provisional_ranking(client, auth, session, season, make_user, username):
    if username.startswith("op-"):
        make_user(username=username, unit_code="33")
    login(client, auth, username)
    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": "x"}).status_code == 403
    assert client.get(f"/musim/{SLUG}/peringkat").status_code == 403
    assert session.query(ScoringRun).count() == 0


# ---- stage-two scores ----------------------------------------------------------------------

@pytest.mark.parametrize("text, stored", [
    ("87,5", "87.50"), ("87.5", "87.50"), ("100", "100.00"), ("0", "0.00"), (" 66,25 ", "66.25"),
])
def test_stage_scores_are_read_as_people_type_them(app, text, stored):
    assert f"{parse_stage_score(text):.2f}" == stored


@pytest.mark.parametrize("text", ["", "abc", "-1", "100,01", "101", "87,555", "1e2", "8 7", "87,5,0"])
def test_impossible_stage_scores_are_refused(app, text):
    with pytest.raises(Invalid):
        parse_stage_score(text)


def _shortlist(session, season, client, auth):
    login(client, auth, "admin-uji")
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "Sementara"})
    return shortlisted_units(session, season["period"])


@built_on(verified_season)
def test_a_judge_scores_shortlisted_units_only(client, auth, session, season, make_user):
    period = season["period"]
    shortlist = _shortlist(session, season, client, auth)
    unit = sorted(shortlist - {"33"})[0]
    outside = sorted({r["unit"] for r in run_result(latest_run(session, period))["ranking"]} - shortlist)[0]
    login(client, auth, "penilai4")
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert f'id="unit-{unit}"' in page and f'id="unit-{outside}"' not in page

    assert client.post(f"/musim/{SLUG}/tahap-dua/{unit}",
                       data={"score": "87,5", "notes": "Paparan runtut."}).status_code == 302
    row = session.query(StageScore).filter_by(unit_code=unit).one()
    assert (row.score, row.stage_id, row.notes) == ("87.50", "presentasi", "Paparan runtut.")
    assert "87.50" in client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    # changed later: one row, both values in the audit log
    client.post(f"/musim/{SLUG}/tahap-dua/{unit}", data={"score": "90", "notes": ""})
    session.expire_all()
    assert session.query(StageScore).filter_by(unit_code=unit).one().score == "90.00"
    entries = session.query(AuditLog).filter_by(action="stage_score.save").order_by(AuditLog.id).all()
    assert [e.detail["score"] for e in entries] == ["87.50", "90.00"]
    assert entries[1].detail["before"]["score"] == "87.50"

    refused = client.post(f"/musim/{SLUG}/tahap-dua/{unit}", data={"score": "101"})
    assert refused.status_code == 422 and "from 0 to 100" in refused.get_data(as_text=True)
    assert client.post(f"/musim/{SLUG}/tahap-dua/{outside}", data={"score": "50"}).status_code == 403
    session.expire_all()
    assert session.query(StageScore).count() == 1
    assert session.query(StageScore).one().score == "90.00"


@built_on(verified_season)
def test_conflicts_operators_and_finalised_periods_are_refused(client, auth, session, season, make_user):
    period = season["period"]
    shortlist = _shortlist(session, season, client, auth)
    target, other = sorted(c for c in shortlist if "." not in c)[:2]
    seconded = season["judges"]["penilai3"]
    seconded.unit_code = target          # seconded from a shortlisted province
    session.commit()
    login(client, auth, "penilai3")
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert f'id="unit-{target}"' not in page and f'id="unit-{other}"' in page
    refused = client.post(f"/musim/{SLUG}/tahap-dua/{target}", data={"score": "80"})
    assert refused.status_code == 403 and "conflict of interest" in refused.get_data(as_text=True)

    make_user(username="op-32", unit_code="32")
    login(client, auth, "op-32")
    assert client.post(f"/musim/{SLUG}/tahap-dua/{other}", data={"score": "80"}).status_code == 403
    assert client.get(f"/musim/{SLUG}/tahap-dua").status_code == 403
    assert session.query(StageScore).count() == 0

    admin = session.query(User).filter_by(username="admin-uji").one()
    create_run(session, period, "final", admin)
    session.commit()
    login(client, auth, "penilai4")
    closed = client.post(f"/musim/{SLUG}/tahap-dua/{other}", data={"score": "80"})
    assert closed.status_code == 409
    assert session.query(StageScore).count() == 0


@built_on(verified_season)
def test_stage_scores_change_the_total_through_the_engine(client, auth, session, season):
    period = season["period"]
    shortlist = _shortlist(session, season, client, auth)
    before = {r["unit"]: r for r in run_result(latest_run(session, period))["ranking"]}
    unit = sorted(shortlist - {"33"})[0]
    for judge, mark in (("penilai1", "80"), ("penilai4", "90,5")):
        login(client, auth, judge)
        assert client.post(f"/musim/{SLUG}/tahap-dua/{unit}", data={"score": mark}).status_code == 302
    login(client, auth, "admin-uji")
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "Dengan presentasi"})
    run = latest_run(session, period, "provisional")
    assert run.number == 2
    after = {r["unit"]: r for r in run_result(run)["ranking"]}
    assert run_result(run) == engine_result(session, period)
    assert after[unit]["stages"]["presentasi"] == 85.25 and before[unit]["stages"]["presentasi"] == 0
    stage1 = Decimal(str(after[unit]["stages"]["verifikasi"]))
    expected = (stage1 * 70 + Decimal("85.25") * 30) / 100
    assert abs(Decimal(str(after[unit]["total"])) - expected) <= Decimal("0.01")
    assert after[unit]["total"] > before[unit]["total"]
    # the admin sees every judge's stage score, with their names
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert "Budi Santoso" in page and "Agus Wibowo" in page and "90.50" in page
