"""Masa sanggah: each unit sees only its own provisional results (judges anonymised), objects
per indicator within the window, an independent judge reviews, the outcome is recorded."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from assessment.extensions import db
from assessment.models import (AuditLog, JudgeAssignment, Moderation, Notice, Objection, Period,
                               User)
from assessment.operations import Closed, NotAllowed
from assessment.operations import objections as ops
from assessment.operations.judging import unwrap
from assessment.operations.runs import export_exchange, latest_run, run_result
from assessment.rubric_store import rubric_for
from tests.conftest import SLUG, Auth, add_period, add_user, built_on
from tests.test_questionnaire_operations import PDF
from tests.test_stage_two import JUDGE_NAMES, build_season, login

UNIT = "32"          # KPU Provinsi Jawa Barat objects; penilai3 is seconded from 33
NOW = datetime.now(timezone.utc)


def objection_season(app):
    """The season every test starts from (built once per session, copied per test): verified
    questionnaires, the provisional ranking computed by the admin over HTTP, and the masa
    sanggah open since yesterday for two more days."""
    session = db.session
    period = add_period(session, slug=SLUG, opens=-30, closes=-10)
    add_user(session, username="admin-uji", role="admin", unit_code=None)
    add_user(session, username="op-32", unit_code=UNIT)
    add_user(session, username="op-31", unit_code="31")
    build_season(session, period)
    client = app.test_client()
    login(client, Auth(client), "admin-uji")
    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": "Sementara"}).status_code == 302
    period.objection_opens_at = NOW - timedelta(days=1)
    period.objection_closes_at = NOW + timedelta(days=2)
    session.commit()


pytestmark = built_on(objection_season)


@pytest.fixture
def season(session, built):
    period = session.query(Period).filter_by(slug=SLUG).one()
    judges = {user.username: user for user in
              session.query(User).filter(User.username.in_(JUDGE_NAMES))}
    rubric = rubric_for(period)
    scale = next(i for i in rubric.indicators if i.type == "scale")
    return {"judges": judges, "rubric": rubric, "period": period, "scale": scale}


def file(client, indicator, reason="Bukti baru: SK sudah ditandatangani.", **extra):
    data = {"reason": reason, **extra}
    return client.post(f"/musim/{SLUG}/hasil-sementara/{indicator}/sanggah", data=data,
                       content_type="multipart/form-data")


# ---- the window ----------------------------------------------------------------------------

def test_window_edges(app, season):
    period = season["period"]
    opens, closes = period.objection_opens_at, period.objection_closes_at
    second = timedelta(seconds=1)
    assert ops.window_state(period, opens - second) == "before"
    assert ops.window_state(period, opens) == "open"
    assert ops.window_state(period, closes - second) == "open"
    assert ops.window_state(period, closes) == "after"
    with pytest.raises(Closed):
        ops.check_window_open(period, opens - second)
    with pytest.raises(Closed):
        ops.check_window_open(period, closes)
    ops.check_window_open(period, closes - second)


def test_filing_outside_the_window_is_refused_with_a_message(client, auth, session, season):
    period, ind = season["period"], season["scale"]
    login(client, auth, "op-32")
    period.objection_opens_at = NOW + timedelta(hours=1)
    period.objection_closes_at = NOW + timedelta(days=2)
    session.commit()
    early = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert "Provisional results are shown from" in early and "provisional-rank" not in early
    response = file(client, ind.id)
    assert response.status_code == 409
    assert "The objection period opens on" in response.get_data(as_text=True)

    period.objection_opens_at = NOW - timedelta(days=3)
    period.objection_closes_at = NOW - timedelta(seconds=1)
    session.commit()
    late = file(client, ind.id)
    assert late.status_code == 409 and "The objection period closed on" in late.get_data(as_text=True)
    # after the window the results stay visible
    assert "provisional-rank" in client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert session.query(Objection).count() == 0


# ---- what the unit sees --------------------------------------------------------------------

def test_a_unit_sees_its_own_results_without_judge_names_or_other_units(client, auth, session, season):
    period = season["period"]
    login(client, auth, "op-32")
    page = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    run = latest_run(session, period, "provisional")
    rows = run_result(run)["ranking"]
    own = next(r for r in rows if r["unit"] == UNIT)
    provinces = [r for r in rows if r["category"] == "provinsi"]
    assert f"{own['rank']} of {len(provinces)}" in page
    assert f"{own['total']:.2f}" in page
    assert "Judge 1" in page and "Judge 2" in page and "Catatan 1" in page
    for username, name in JUDGE_NAMES.items():
        assert username not in page and name not in page
    for other in rows:
        if other["unit"] != UNIT:
            assert other["name"] not in page
    # no page of the ranking, stage scores or objections lists for operators
    for url in (f"/musim/{SLUG}/peringkat", f"/musim/{SLUG}/tahap-dua", f"/musim/{SLUG}/sanggahan",
                "/musim/", "/musim/penilai"):
        assert client.get(url).status_code == 403, url


def test_judges_are_numbered_as_the_workbook_numbers_them(app, session, season):
    """One numbering everywhere: active judges in the order of their exchange keys (as the
    ranking workbook sorts them), then judges whose assignment ended."""
    from assessment.models import JudgeAssignment
    from assessment.operations.judging import judge_key, judge_numbers
    period = season["period"]
    judges = season["judges"]
    first, second = sorted([judges["penilai1"], judges["penilai2"]], key=lambda j: judge_key(j.id))
    assert judge_numbers(session, period, UNIT) == {first.id: 1, second.id: 2}
    ended = session.query(JudgeAssignment).filter_by(unit_code=UNIT, judge_id=first.id).one()
    ended.active = False
    session.flush()
    assert judge_numbers(session, period, UNIT) == {second.id: 1, first.id: 2}


# ---- filing --------------------------------------------------------------------------------

def test_one_pending_objection_per_indicator_with_evidence(client, auth, session, season, app):
    ind = season["scale"]
    login(client, auth, "op-32")
    response = file(client, ind.id, url="https://kpu.go.id/sk-baru",
                    file=(io.BytesIO(PDF), "SK baru.pdf"))
    assert response.status_code == 302
    obj = session.query(Objection).one()
    assert (obj.unit_code, obj.indicator_id, obj.status) == (UNIT, ind.id, "pending")
    assert obj.evidence_url == "https://kpu.go.id/sk-baru" and obj.filename == "SK baru.pdf"
    assert obj.content_type == "application/pdf" and len(obj.stored_name) == 32
    entry = session.query(AuditLog).filter_by(action="objection.file").one()
    assert entry.unit_code == UNIT and entry.detail["indicator"] == ind.id

    again = file(client, ind.id, reason="Lagi")
    assert again.status_code == 409 and "already waiting for review" in again.get_data(as_text=True)
    assert file(client, ind.id, reason="   ").status_code in (409, 422)
    other = next(i for i in season["rubric"].indicators if i.scored and i.id != ind.id)
    assert file(client, other.id, reason="").status_code == 422
    disguised = file(client, other.id, file=(io.BytesIO(b"MZ\x90\x00not a pdf"), "bukti.pdf"))
    assert disguised.status_code == 422 and "not accepted" in disguised.get_data(as_text=True)
    assert file(client, other.id, url="javascript:alert(1)").status_code == 422
    assert file(client, "no-such-indicator").status_code == 422
    assert session.query(Objection).count() == 1
    page = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert "Waiting for review" in page

    # the file: the unit and the admin, nobody else (not even a judge before assignment)
    assert client.get(f"/musim/sanggahan/{obj.id}/berkas").data == PDF
    login(client, auth, "op-31")
    assert client.get(f"/musim/sanggahan/{obj.id}/berkas").status_code == 403
    assert client.get(f"/musim/sanggahan/{obj.id}").status_code == 403
    login(client, auth, "penilai4")
    assert client.get(f"/musim/sanggahan/{obj.id}/berkas").status_code == 403
    login(client, auth, "admin-uji")
    assert client.get(f"/musim/sanggahan/{obj.id}/berkas").status_code == 200


# ---- review --------------------------------------------------------------------------------

def _objection(client, auth, session, season, indicator=None):
    login(client, auth, "op-32")
    assert file(client, (indicator or season["scale"]).id).status_code == 302
    return session.query(Objection).order_by(Objection.id.desc()).first()


def test_reviewers_must_not_have_scored_the_unit_nor_have_a_conflict(client, auth, session, season):
    judges = season["judges"]
    obj = _objection(client, auth, session, season)
    admin = session.query(User).filter_by(username="admin-uji").one()
    with pytest.raises(NotAllowed, match="verified this work unit"):
        ops.assign_reviewer(session, obj, judges["penilai1"], admin)
    # an ended assignment still counts as having scored the unit
    ended = session.query(JudgeAssignment).filter_by(unit_code=UNIT, judge_id=judges["penilai2"].id).one()
    ended.active = False
    session.commit()
    with pytest.raises(NotAllowed, match="verified this work unit"):
        ops.assign_reviewer(session, obj, judges["penilai2"], admin)
    judges["penilai3"].unit_code = "32.73"     # seconded from a regency of the same province
    session.commit()
    with pytest.raises(NotAllowed, match="conflict of interest"):
        ops.assign_reviewer(session, obj, judges["penilai3"], admin)
    assert [j.username for j in ops.eligible_reviewers(session, obj)] == ["penilai4"]

    login(client, auth, "admin-uji")
    refused = client.post(f"/musim/sanggahan/{obj.id}/penelaah",
                          data={f"o{obj.id}-reviewer": str(judges["penilai1"].id)}, follow_redirects=True)
    assert "verified this work unit" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Objection, obj.id).reviewer_id is None
    assert client.post(f"/musim/sanggahan/{obj.id}/penelaah",
                       data={f"o{obj.id}-reviewer": "auto"}).status_code == 302
    session.expire_all()
    assert session.get(Objection, obj.id).reviewer_id == judges["penilai4"].id
    entry = session.query(AuditLog).filter_by(action="objection.assign").one()
    assert entry.detail["auto"] is True and entry.detail["reviewer"] == judges["penilai4"].id
    assert session.query(Notice).filter_by(user_id=judges["penilai4"].id, kind="objection_review").count() == 1
    # the unit never learns who reviews it
    login(client, auth, "op-32")
    page = client.get(f"/musim/sanggahan/{obj.id}").get_data(as_text=True)
    assert "Agus Wibowo" not in page and "penilai4" not in page


def test_auto_assignment_picks_the_least_loaded_eligible_judge(client, auth, session, season, make_user):
    period = season["period"]
    extra = make_user(username="penilai5", role="judge", unit_code=None, name="Rina Putri")
    season["judges"]["penilai3"].unit_code = UNIT      # a conflict: never a reviewer here
    session.commit()
    rubric = season["rubric"]
    scored = [i for i in rubric.indicators if i.scored][:3]
    objections = [_objection(client, auth, session, season, ind) for ind in scored]
    admin = session.query(User).filter_by(username="admin-uji").one()
    ops.assign_reviewer(session, objections[0], season["judges"]["penilai4"], admin)
    session.commit()
    done, left = ops.auto_assign_all(session, period, admin)
    session.commit()
    assert (done, left) == (2, 0)
    reviewers = [session.get(Objection, o.id).reviewer_id for o in objections]
    # penilai5 had none, so takes the next; then both have one and the lower id wins
    assert reviewers[1] == extra.id
    assert reviewers[2] == min(season["judges"]["penilai4"].id, extra.id)


def _assigned(client, auth, session, season):
    obj = _objection(client, auth, session, season)
    admin = session.query(User).filter_by(username="admin-uji").one()
    ops.assign_reviewer(session, obj, season["judges"]["penilai4"], admin)
    session.commit()
    return obj


def test_the_reviewer_sees_the_case_and_accepts_with_a_new_value(client, auth, session, season):
    period, ind = season["period"], season["scale"]
    obj = _assigned(client, auth, session, season)
    login(client, auth, "penilai1")        # scored the unit, not the reviewer
    assert client.get(f"/musim/sanggahan/{obj.id}").status_code == 403
    assert client.post(f"/musim/sanggahan/{obj.id}", data={"decision": "accept", "value": "0"}).status_code == 403
    login(client, auth, "penilai4")
    page = client.get(f"/musim/sanggahan/{obj.id}").get_data(as_text=True)
    assert "SK sudah ditandatangani" in page and "Judge 1" in page and "Your decision" in page
    assert client.get(f"/musim/sanggahan/{obj.id}/berkas").status_code == 404   # no file filed
    top = len(ind.levels) - 1
    bad = client.post(f"/musim/sanggahan/{obj.id}", data={"decision": "accept", "value": "99"})
    assert bad.status_code == 422 and "is not one of the levels" in bad.get_data(as_text=True)
    assert client.post(f"/musim/sanggahan/{obj.id}",
                       data={"decision": "accept", "value": str(top),
                             "reason": "SK baru sah."}).status_code == 302
    session.expire_all()
    obj = session.get(Objection, obj.id)
    assert obj.status == "accepted" and unwrap(obj.new_value) == top
    mod = session.query(Moderation).filter_by(objection_id=obj.id).one()
    assert (mod.source, mod.unit_code, mod.indicator_id, unwrap(mod.value)) == ("objection", UNIT, ind.id, top)
    doc = export_exchange(session, period)
    response = next(r for r in doc["responses"] if r["unit"] == UNIT)
    assert response["moderated"][ind.id] == top
    assert session.query(AuditLog).filter_by(action="objection.decide").one().detail["status"] == "accepted"
    operator = session.query(User).filter_by(username="op-32").one()
    assert session.query(Notice).filter_by(user_id=operator.id, kind="objection_decided").count() == 1
    # decided once only
    assert client.post(f"/musim/sanggahan/{obj.id}", data={"decision": "reject", "reason": "x"}).status_code == 409
    login(client, auth, "op-32")
    page = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert "Accepted. New verified value" in page and "SK baru sah." in page
    assert ind.levels[top].label in page


def test_a_rejection_needs_a_reason_and_keeps_the_value(client, auth, session, season):
    period, ind = season["period"], season["scale"]
    before = export_exchange(session, period)
    obj = _assigned(client, auth, session, season)
    login(client, auth, "penilai4")
    undecided = client.post(f"/musim/sanggahan/{obj.id}", data={"reason": "Bukti tidak relevan."})
    assert undecided.status_code == 422 and "accept or reject" in undecided.get_data(as_text=True)
    no_reason = client.post(f"/musim/sanggahan/{obj.id}", data={"decision": "reject", "reason": " "})
    assert no_reason.status_code == 422 and "reason for rejecting" in no_reason.get_data(as_text=True)
    assert client.post(f"/musim/sanggahan/{obj.id}",
                       data={"decision": "reject", "reason": "Bukti tidak relevan."}).status_code == 302
    session.expire_all()
    assert session.get(Objection, obj.id).status == "rejected"
    assert session.query(Moderation).count() == 0
    assert export_exchange(session, period) == before
    login(client, auth, "op-32")
    page = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert "Bukti tidak relevan." in page and "Rejected" in page
    # a new objection to the same indicator is possible once the first is decided
    assert file(client, ind.id, reason="Bukti tambahan").status_code == 302


def test_reviewer_sees_unit_evidence_but_only_of_that_indicator(client, auth, session, season, app):
    from assessment import uploads
    from assessment.models import Evidence, Submission
    ind = season["scale"]
    sub = session.query(Submission).filter_by(unit_code=UNIT).one()
    stored = uploads.store(app.config["UPLOAD_DIR"], PDF)
    evs = [Evidence(submission_id=sub.id, indicator_id=indicator, kind="file", filename="sk.pdf",
                    stored_name=stored.stored_name, content_type=stored.content_type,
                    size=stored.size, sha256=stored.sha256)
           for indicator in (ind.id, next(i.id for i in season["rubric"].indicators if i.id != ind.id))]
    session.add_all(evs)
    session.commit()
    obj = _assigned(client, auth, session, season)
    login(client, auth, "penilai4")
    assert client.get(f"/musim/sanggahan/{obj.id}/bukti/{evs[0].id}").data == PDF
    assert client.get(f"/musim/sanggahan/{obj.id}/bukti/{evs[1].id}").status_code == 404
    login(client, auth, "penilai2")
    assert client.get(f"/musim/sanggahan/{obj.id}/bukti/{evs[0].id}").status_code == 403


def test_a_reviewer_with_a_conflict_arising_later_is_refused(client, auth, session, season):
    obj = _assigned(client, auth, session, season)
    judge = season["judges"]["penilai4"]
    judge.unit_code = UNIT
    session.commit()
    login(client, auth, "penilai4")
    assert client.get(f"/musim/sanggahan/{obj.id}").status_code == 403
    with pytest.raises(NotAllowed):
        ops.decide(session, obj, judge, False, reason="x")



def test_a_stage_not_scored_yet_is_said_so_not_shown_as_zero(client, auth, session, season):
    """A provisional run made before the unit's stage-two scores: the unit reads "not scored
    yet" instead of a bare 0,00 (the rules count the missing stage as 0 in that total)."""
    from assessment.models import StageScore
    session.query(StageScore).filter_by(unit_code=UNIT).delete()
    session.commit()
    login(client, auth, "admin-uji")
    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": "Ulang"}).status_code == 302
    login(client, auth, "op-32")
    page = client.get(f"/musim/{SLUG}/hasil-sementara").get_data(as_text=True)
    assert "not scored yet" in page and "shortlisted" in page
