"""The season's gates (operations/season.py), each refused and then passing, through the
checklist page, the pages that take the steps and the API; the per-item waivers with their
audit entries; where a period stands (period_state). On SQLite and, with TEST_DATABASE_URL,
PostgreSQL.

Time passing is simulated by setting the period's date columns (and an extension's or a
return's deadline) directly: a test shortcut, not something the application offers."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from assessment.models import (AuditLog, DeadlineExtension, DisagreementAcceptance,
                               JudgeAssignment, Objection, Publication, RevisionRequest,
                               ScoringRun, StageScore, Submission, UnitExclusion)
from assessment.models.types import utcnow
from assessment.operations.runs import export_exchange
from assessment.operations.season import gates, period_state
from assessment.operations.tokens import create_token
from tests.conftest import SLUG, english
from tests.results_support import PROVINCES, build_season
from openapi_schema_validator import OAS31Validator

API = f"/api/v1/periods/{SLUG}"
CHECKLIST = f"/admin/periode/{SLUG}/tahapan/"


@pytest.fixture
def admin(make_user):
    return make_user(username="kepala-biro", role="admin", unit_code=None)


def bearer(session, user) -> dict:
    _token, secret = create_token(session, user, "uji")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def matches_schema(client, name: str, instance) -> None:
    """``instance`` is valid against the served OpenAPI document's schema ``name``."""
    doc = client.get("/api/v1/openapi.json").get_json()
    OAS31Validator({"$ref": f"#/components/schemas/{name}",
                    "components": doc["components"]}).validate(instance)


def failing(session, period, action) -> dict[str, int]:
    return {g.id: g.count for g in gates(session, period, actions=(action,)) if not g.ok}


def post_run(client, headers, kind, note="Catatan"):
    return client.post(f"{API}/runs", json={"kind": kind, "note": note}, headers=headers)


# ---- where a period stands ---------------------------------------------------------------------

def test_period_state_walks_the_stages_in_order(session, make_period):
    period = make_period(slug=SLUG, opens=1, closes=10)
    now = utcnow()
    assert period_state(period, now).stage == "persiapan"
    assert period_state(period, now + timedelta(days=2)).stage == "pengisian"
    assert period_state(period, now + timedelta(days=11)).stage == "verifikasi"
    period.verification_closes_at = now + timedelta(days=20)
    period.objection_opens_at = now + timedelta(days=25)
    period.objection_closes_at = now + timedelta(days=30)
    assert period_state(period, now + timedelta(days=15)).stage == "verifikasi"
    assert period_state(period, now + timedelta(days=21)).stage == "peringkat"
    assert period_state(period, now + timedelta(days=26)).stage == "sanggah"
    state = period_state(period, now + timedelta(days=31))
    assert state.stage == "penetapan"
    assert [s.id for s in state.stages] == ["persiapan", "pengisian", "verifikasi", "peringkat",
                                            "sanggah", "penetapan", "diumumkan"]
    assert [s.done for s in state.stages] == [True] * 5 + [False, False]
    sanggah = state.stages[4]
    assert (sanggah.starts, sanggah.ends) == (period.objection_opens_at, period.objection_closes_at)


def test_a_unit_window_counts_its_extension_and_its_return(session, make_period, make_user):
    period = make_period(slug=SLUG, levels=["provinsi", "kabkota"], opens=-10, closes=-1)
    unit = make_user(username="op-33", unit_code="33").unit
    now = utcnow()
    assert not period_state(period, now).unit(unit).editable
    session.add(DeadlineExtension(period_id=period.id, unit_code="33", reason="Banjir",
                                  closes_at=now + timedelta(days=2)))
    session.flush()
    session.refresh(period)
    window = period_state(period, now).unit(unit)
    assert window.editable and window.until == now + timedelta(days=2)
    sub = Submission(period_id=period.id, unit_code="33", status="returned", answers={})
    session.add(sub)
    session.flush()
    session.add(RevisionRequest(submission_id=sub.id, reasons={"x": "y"},
                                closes_at=now + timedelta(days=5)))
    session.flush()
    assert period_state(period, now).unit(unit, sub).until == now + timedelta(days=5)


# ---- the provisional gate: every questionnaire closed -----------------------------------------

def test_the_provisional_run_waits_for_every_questionnaire(client, auth, session, make_period,
                                                            admin):
    period = make_period(slug=SLUG, levels=["provinsi", "kabkota"], opens=-10, closes=2)
    headers = bearer(session, admin)
    refused = post_run(client, headers, "provisional")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "season_gate"
    assert [g["id"] for g in body["details"]["gates"]] == ["questionnaire_closed"]
    assert body["details"]["gates"][0]["count"] > 500 and not body["details"]["gates"][0]["waivable"]
    # the period closes, but one unit has an extension and another a return deadline
    now = utcnow()
    period.closes_at = now - timedelta(hours=1)
    session.add(DeadlineExtension(period_id=period.id, unit_code="33", reason="Banjir",
                                  closes_at=now + timedelta(days=1)))
    sub = Submission(period_id=period.id, unit_code="11", status="returned", answers={})
    session.add(sub)
    session.flush()
    revision = RevisionRequest(submission_id=sub.id, reasons={"a": "b"}, closes_at=now + timedelta(days=3))
    session.add(revision)
    session.commit()
    assert failing(session, period, "provisional") == {"questionnaire_closed": 2}
    auth.login("kepala-biro")
    english(client)
    page = client.post(f"/musim/{SLUG}/peringkat", data={"note": "x"}, follow_redirects=True)
    assert "2 work units can still change their questionnaire" in page.get_data(as_text=True)
    assert session.query(ScoringRun).count() == 0
    # time passes: the extension and the return deadline are over
    session.query(DeadlineExtension).one().closes_at = now - timedelta(minutes=1)
    session.query(RevisionRequest).one().closes_at = now - timedelta(minutes=1)
    session.commit()
    assert failing(session, period, "provisional") == {}
    created = post_run(client, headers, "provisional")
    assert created.status_code == 201 and created.get_json()["run"] == 1
    assert created.get_json()["kind"] == "provisional"


# ---- the final and publish gates ---------------------------------------------------------------

@pytest.fixture
def season(session, make_period, admin):
    period = make_period(slug=SLUG, levels=["provinsi", "kabkota"])
    build_season(session, period)
    return period


def test_a_held_season_passes_every_gate(session, season):
    assert failing(session, season, "provisional") == {}
    assert failing(session, season, "final") == {}
    assert failing(session, season, "publish") == {"final_run": 1}


@pytest.mark.parametrize("undo, gate", [
    ("verification_open", "verification_closed"),
    ("no_masa_sanggah", "objection_period"),
    ("masa_sanggah_open", "objection_period"),
    ("objection_pending", "objections_decided"),
    ("stage_score_missing", "stage_two"),
])
def test_each_final_gate_refuses_until_it_holds(client, session, season, admin, undo, gate):
    now = utcnow()
    saved = {}
    if undo == "verification_open":
        saved["verification_closes_at"] = season.verification_closes_at
        season.verification_closes_at = now + timedelta(days=1)
    elif undo == "no_masa_sanggah":
        saved["objection_opens_at"], saved["objection_closes_at"] = (
            season.objection_opens_at, season.objection_closes_at)
        season.objection_opens_at = season.objection_closes_at = None
    elif undo == "masa_sanggah_open":
        saved["objection_closes_at"] = season.objection_closes_at
        season.objection_closes_at = now + timedelta(days=1)
    elif undo == "objection_pending":
        session.add(Objection(period_id=season.id, unit_code="33", indicator_id="sk-bakohumas",
                              reason="Bukti baru."))
    else:
        row = session.query(StageScore).filter_by(unit_code="33").all()
        saved["scores"] = [(r.stage_id, r.judge_id, r.score) for r in row]
        session.query(StageScore).filter_by(unit_code="33").delete()
    session.commit()
    headers = bearer(session, admin)
    refused = post_run(client, headers, "final")
    assert refused.status_code == 409, refused.get_json()
    gates_json = refused.get_json()["details"]["gates"]
    assert [g["id"] for g in gates_json] == [gate]
    assert set(gates_json[0]) == {"id", "action", "ok", "count", "message", "waivable"}
    assert gates_json[0]["action"] == "final" and gates_json[0]["ok"] is False
    assert session.query(ScoringRun).count() == 0
    # the step is done: the gate holds and the final run is made
    if undo == "objection_pending":
        session.query(Objection).one().status = "rejected"
    elif undo == "stage_score_missing":
        for stage_id, judge_id, mark in saved["scores"]:
            session.add(StageScore(period_id=season.id, unit_code="33", stage_id=stage_id,
                                   judge_id=judge_id, score=mark))
    else:
        for key, value in saved.items():
            setattr(season, key, value)
    session.commit()
    created = post_run(client, headers, "final")
    assert created.status_code == 201 and created.get_json()["kind"] == "final"


def test_a_unit_not_verified_is_refused_then_excluded_with_a_reason(client, auth, session,
                                                                      season, admin):
    assignment = session.query(JudgeAssignment).filter_by(unit_code="31").first()
    assignment.completed_at = None
    session.commit()
    assert failing(session, season, "final") == {"verification_complete": 1}
    auth.login("kepala-biro")
    english(client)
    page = client.get(CHECKLIST).get_data(as_text=True)
    assert "1 work unit is not completely verified yet." in page and "✘" in page
    assert f"/admin/periode/{SLUG}/tahapan/pengecualian" in page
    refused = client.post(f"/admin/periode/{SLUG}/penghitungan/", data={"confirm": "y"},
                          follow_redirects=True)
    assert "not completely verified" in refused.get_data(as_text=True)
    assert session.query(ScoringRun).count() == 0
    # a waiver needs a reason
    url = f"/admin/periode/{SLUG}/tahapan/pengecualian"
    assert client.post(url, data={"target": "31", "reason": " "}).status_code == 422
    done = client.post(url, data={"target": "31", "reason": "Penilai sakit; bukti tak terbuka."})
    assert done.status_code == 302
    exclusion = session.query(UnitExclusion).one()
    assert (exclusion.unit_code, exclusion.created_by) == ("31", admin.id)
    entry = session.query(AuditLog).filter_by(action="season.exclude_unit").one()
    assert entry.detail["reason"] == "Penilai sakit; bukti tak terbuka." and entry.user_id == admin.id
    doc = export_exchange(session, season)
    assert "31" not in {u["code"] for u in doc["units"]} | {r["unit"] for r in doc["responses"]}
    assert failing(session, season, "final") == {}
    assert "✘" not in client.get(CHECKLIST).get_data(as_text=True).split("Before publication")[0]
    created = client.post(f"/admin/periode/{SLUG}/penghitungan/", data={"confirm": "y"})
    assert created.status_code == 302
    run = session.query(ScoringRun).one()
    assert "31" not in {row["unit"] for row in json.loads(run.result)["ranking"]}
    page = client.get(f"/admin/periode/{SLUG}/penghitungan/{run.number}/").get_data(as_text=True)
    assert "Not assessed" in page and "Penilai sakit; bukti tak terbuka." in page


def test_a_disagreement_is_refused_then_accepted_with_a_reason(client, auth, session, season,
                                                                 admin):
    accepted = session.query(DisagreementAcceptance).order_by(DisagreementAcceptance.id).first()
    assert accepted is not None, "the test season has disagreements to accept"
    code, indicator = accepted.unit_code, accepted.indicator_id
    session.delete(accepted)
    session.commit()
    assert failing(session, season, "final") == {"disagreements": 1}
    headers = bearer(session, admin)
    refused = post_run(client, headers, "final")
    assert refused.status_code == 409
    assert refused.get_json()["details"]["gates"][0]["waivable"] is True
    auth.login("kepala-biro")
    english(client)
    url = f"/admin/periode/{SLUG}/tahapan/perbedaan"
    page = client.get(url).get_data(as_text=True)
    assert "1 disagreement is neither moderated nor accepted." in page
    assert client.post(url, data={"target": f"{code}|{indicator}", "reason": ""}).status_code == 422
    assert client.post(url, data={"target": f"{code}|{indicator}",
                                  "reason": "Kedua nilai sah menurut pedoman."}).status_code == 302
    entry = session.query(AuditLog).filter_by(action="season.accept_disagreement").one()
    assert (entry.unit_code, entry.detail["indicator"]) == (code, indicator)
    assert entry.detail["reason"] == "Kedua nilai sah menurut pedoman."
    assert post_run(client, headers, "final").status_code == 201


def test_publishing_needs_a_final_run_and_a_correction_needs_a_reason(client, session, season,
                                                                       admin):
    headers = bearer(session, admin)
    provisional = post_run(client, headers, "provisional").get_json()["run"]
    refused = client.post(f"{API}/runs/{provisional}/publish", headers=headers)
    assert refused.status_code == 409
    assert [g["id"] for g in refused.get_json()["details"]["gates"]] == ["final_run"]
    matches_schema(client, "SeasonGateError", refused.get_json())
    final = post_run(client, headers, "final").get_json()["run"]
    published = client.post(f"{API}/runs/{final}/publish", headers=headers)
    assert published.status_code == 201 and published.get_json()["run"] == final
    matches_schema(client, "Run", published.get_json())
    assert session.query(Publication).count() == 1
    assert post_run(client, headers, "final", note="").status_code == 422
    correction = post_run(client, headers, "final", note="Sanggahan terlambat diputus ulang.")
    assert correction.status_code == 201
    season_json = client.get(f"{API}/season", headers=headers).get_json()
    assert set(season_json) == {"stage", "stages", "gates"}
    assert season_json["stage"] == "diumumkan"
    matches_schema(client, "Season", season_json)
    assert all(set(s) == {"id", "title", "starts", "ends"} for s in season_json["stages"])
    assert {g["action"] for g in season_json["gates"]} == {"provisional", "final", "publish"}


@pytest.mark.parametrize("role, unit", [("operator", "33"), ("judge", None), ("monitor", "33")])
def test_only_administrators_use_the_season_api(client, session, season, make_user, role, unit):
    user = make_user(username=f"{role}-x", role=role, unit_code=unit)
    headers = bearer(session, user)
    assert client.get(f"{API}/season", headers=headers).status_code == 403
    assert post_run(client, headers, "provisional").status_code == 403
    assert client.post(f"{API}/runs/1/publish", headers=headers).status_code == 403
    assert session.query(ScoringRun).count() == 0


def test_the_checklist_is_for_administrators_and_shows_every_gate(client, auth, session, season,
                                                                   make_user, admin):
    make_user(username="penilai9", role="judge", unit_code=None)
    auth.login("penilai9")
    assert client.get(CHECKLIST).status_code == 403
    auth.logout()
    auth.login("kepala-biro")
    english(client)
    page = client.get(CHECKLIST).get_data(as_text=True)
    for gate in ("questionnaire_closed", "verification_closed", "verification_complete",
                 "stage_two", "objection_period", "objections_decided", "disagreements",
                 "final_run"):
        assert f'data-gate="{gate}"' in page
    assert 'aria-current="step"' in page and "Final ranking" in page
    assert PROVINCES[0]   # the season's units are there; nothing failing except publication
    assert page.count("✘") == 1


# ---- the demo's seasons pass their own gates -----------------------------------------------------

def test_the_demo_published_seasons_pass_every_gate_and_2025_is_open(demo, session):
    from assessment.models import Period
    periods = {p.slug: p for p in session.query(Period)}
    for slug in ("bakohumas-2021", "bakohumas-2024"):
        period = periods[slug]
        assert period_state(period).stage == "diumumkan"
        assert [g.id for g in gates(session, period) if not g.ok] == [], slug
        assert session.query(DisagreementAcceptance).filter_by(period_id=period.id).count() > 0
    current = next(p for p in periods.values() if p.slug not in ("bakohumas-2021", "bakohumas-2024"))
    assert period_state(current).stage == "pengisian"
    assert [g.id for g in gates(session, current, actions=("provisional",)) if not g.ok] == [
        "questionnaire_closed"]


# ---- how each verified value came about ------------------------------------------------------

def test_values_record_whether_they_were_copied_and_judge_quality_shows_the_share(
        client, auth, session, season, admin):
    from assessment.operations.quality import all_copied_completions, copied_shares
    from assessment.operations.verification import complete, save_verifications
    assignment = session.query(JudgeAssignment).filter_by(unit_code="11").order_by(
        JudgeAssignment.id).first()
    assignment.completed_at = None
    for row in list(assignment.verifications):   # a verification started afresh
        assignment.verifications.remove(row)
        session.delete(row)
    session.flush()
    claims = session.query(Submission).filter_by(unit_code="11").one().answers
    then = season.verification_closes_at - timedelta(days=1)
    judge = assignment.judge
    save_verifications(session, assignment, dict(claims), {}, {}, judge, now=then)
    rows = {v.indicator_id: v for v in assignment.verifications}
    scored = [k for k in claims if k in rows]
    assert scored and all(rows[k].origin == "copied" for k in scored)
    complete(session, assignment, judge, now=then)
    session.flush()
    assert assignment in all_copied_completions(session, season)
    share = copied_shares(session, season)[assignment.judge_id]
    assert share.copied == share.recorded == len(scored)
    # a value of the judge's own: typed, and the unit is no longer "all copied"
    from assessment.operations.verification import reopen
    reopen(session, assignment, judge, now=then)
    first = next(k for k in scored if isinstance(claims[k], bool))
    save_verifications(session, assignment, {first: not claims[first]}, {}, {}, judge, now=then)
    assert {v.indicator_id: v for v in assignment.verifications}[first].origin == "typed"
    complete(session, assignment, judge, now=then)
    session.commit()
    assert assignment not in all_copied_completions(session, season)
    auth.login("kepala-biro")
    english(client)
    page = client.get(f"/admin/moderation/{SLUG}/penilai").get_data(as_text=True)
    assert "Accepted unchanged" in page and f"({len(scored) - 1}/{len(scored)})" in page


# ---- one rule for "is it open" -----------------------------------------------------------------

def test_no_other_module_decides_whether_a_period_is_open():
    """Comparisons against a period's dates and the deadline helpers belong to
    operations/editability.py (per-unit primitives) and operations/season.py (period_state);
    everything else asks period_state. Documented exceptions: operations/periods.py checks a
    proposed new deadline against the current ones (and which drafts it would close), and
    operations/results.py orders periods by their opening time."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    homes = {"assessment/operations/editability.py", "assessment/operations/season.py"}
    allowed_compare = homes | {"assessment/operations/periods.py", "assessment/operations/results.py"}
    dates = {"opens_at", "closes_at", "verification_closes_at", "objection_opens_at",
             "objection_closes_at"}
    helpers = {"closes_at_for", "is_open_for", "refusal", "deadline_for", "latest_close"}
    found = []
    for path in (root / "assessment").rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if "migrations" in rel or rel in homes:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Compare) and rel not in allowed_compare
                    and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops)
                    and any(isinstance(o, ast.Attribute) and o.attr in dates
                            for o in [node.left, *node.comparators])):
                found.append(f"{rel}:{node.lineno} compares a period date")
            if (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.split(".")[-1] in ("editability", "progress")
                    and rel != "assessment/operations/periods.py"):
                found += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names
                          if a.name in helpers]
    assert found == []
