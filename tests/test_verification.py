"""The judge's verification workspace: who may see what (conflicts of interest in pages,
evidence files and the API), partial saves that keep invalid values, completing only when
every scored indicator is verified, reopening, the verification closing, and the audit log."""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from assessment.models import AuditLog, Evidence, JudgeAssignment, Submission, Verification
from assessment.operations import Closed, Invalid
from assessment.operations import verification as ops
from assessment.operations.evidence import add_file, add_link
from assessment.operations.judging import unwrap
from assessment.operations.tokens import create_token
from rubrics import load_rubric
from rubrics.loader import EDITIONS_DIR
from scoring import answer_fraction
from tests.conftest import english

SLUG = "bakohumas-2025"
UNIT = "33.74"          # KPU Kota Semarang, Jawa Tengah
OTHER = "11.71"         # KIP Kota Banda Aceh
API = f"/api/v1/periods/{SLUG}/verifications"
RUBRIC = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")   # the edition of these periods
SCORED = [i for i in RUBRIC.indicators if i.scored]


def png() -> bytes:
    """A valid 1x1 PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def answers() -> dict:
    """A unit's answers to every scored indicator, each earning something."""
    value = {"yesno": lambda i: True, "scale": lambda i: 2, "number": lambda i: 3,
             "choice": lambda i: list(i.options[:2])}
    out = {i.id: value[i.type](i) for i in SCORED}
    out["kendala-dukungan"] = "Anggaran terbatas."
    return out


def html(response) -> str:
    return response.get_data(as_text=True)


def headers(session, user) -> dict:
    _, secret = create_token(session, user, "uji")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def season(app, session, make_user, make_period):
    """A period with KPU Kota Semarang's questionnaire submitted with a PNG and a link as
    evidence; penilai1 (no affiliation) and penilai3 (seconded from KPU Provinsi Jawa Tengah)
    both assigned to it - penilai3 by mistake - and penilai2 assigned to Banda Aceh."""
    period = make_period(slug=SLUG, levels=["provinsi", "kabkota"])
    op = make_user(username="op-33.74", unit_code=UNIT)
    sub = Submission(period_id=period.id, unit_code=UNIT, status="draft", answers=answers(),
                     pending={}, updated_by=op.id)
    session.add(sub)
    session.flush()
    image = add_file(session, sub, "sk-bakohumas", "sk.png", png(), op,
                     upload_dir=app.config["UPLOAD_DIR"], max_bytes=10_000_000)
    add_link(session, sub, "sk-bakohumas", "https://kota-semarang.kpu.go.id/sk", op)
    sub.status = "submitted"
    session.add(Submission(period_id=period.id, unit_code=OTHER, status="submitted",
                           answers=answers(), pending={}))
    judges = {name: make_user(username=name, role="judge", unit_code=unit)
              for name, unit in (("penilai1", None), ("penilai2", None), ("penilai3", "33"))}
    for name, code in (("penilai1", UNIT), ("penilai3", UNIT), ("penilai2", OTHER)):
        session.add(JudgeAssignment(period_id=period.id, unit_code=code,
                                    judge_id=judges[name].id))
    session.commit()
    return {"period": period, "judges": judges, "image": image.id, "op": op}


def assignment(session, judge, code=UNIT) -> JudgeAssignment:
    session.expire_all()
    return session.query(JudgeAssignment).filter_by(unit_code=code, judge_id=judge.id).one()


def stored_values(session, judge) -> dict:
    return {row.indicator_id: row.value for row in assignment(session, judge).verifications}


def login(client, auth, name):
    auth.login(name)
    english(client)


def audit(session, action):
    return session.query(AuditLog).filter_by(action=action).order_by(AuditLog.id).all()


# ---- authorisation --------------------------------------------------------------------------

def test_workspace_lists_assigned_units_with_progress(client, auth, session, season):
    login(client, auth, "penilai1")
    page = html(client.get(f"/penilai/{SLUG}"))
    assert "KPU Kota Semarang" in page and 'data-unit="33.74"' in page
    assert 'data-unit="11.71"' not in page            # penilai2's unit
    assert f"0/{len(SCORED)}" in page
    assert client.get("/penilai/").headers["Location"].endswith(f"/penilai/{SLUG}")
    filtered = html(client.get(f"/penilai/{SLUG}?state=completed"))
    assert 'data-unit="33.74"' not in filtered
    assert 'data-unit="33.74"' in html(client.get(f"/penilai/{SLUG}?q=semarang&sort=progress"))


def test_a_conflicted_judge_is_refused_everywhere_even_with_an_assignment(client, auth, session,
                                                                          season):
    login(client, auth, "penilai3")
    page = html(client.get(f"/penilai/{SLUG}"))
    assert 'data-unit="33.74"' not in page and "conflict of interest" in page
    for url in (f"/penilai/{SLUG}/{UNIT}", f"/penilai/{SLUG}/{UNIT}/kelembagaan",
                f"/bukti/{season['image']}/unduh", f"/bukti/{season['image']}/lihat"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/penilai/{SLUG}/{UNIT}/kelembagaan",
                       data={"verified-sk-bakohumas": "ya"}).status_code == 403
    assert client.post(f"/penilai/{SLUG}/{UNIT}/selesai").status_code == 403
    api = headers(session, season["judges"]["penilai3"])
    assert client.get(f"{API}/{UNIT}", headers=api).status_code == 403
    assert client.put(f"{API}/{UNIT}", json={"values": {"sk-bakohumas": True}},
                      headers=api).status_code == 403
    assert client.post(f"{API}/{UNIT}/complete", headers=api).status_code == 403
    assert session.query(Verification).count() == 0


def test_the_assigned_judge_sees_the_unit_and_its_evidence_inline(client, auth, session, season):
    login(client, auth, "penilai1")
    page = html(client.get(f"/penilai/{SLUG}/{UNIT}/kelembagaan"))
    assert "https://kota-semarang.kpu.go.id/sk" in page
    assert f"/bukti/{season['image']}/lihat" in page and 'name="verified-sk-bakohumas"' in page
    # the unit's self-score of the indicator comes from scoring (yes -> 1 -> 100,00)
    assert 'data-self="sk-bakohumas">100.00<' in page
    inline = client.get(f"/bukti/{season['image']}/lihat")
    assert inline.status_code == 200 and inline.mimetype == "image/png"
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in inline.headers["Content-Security-Policy"]
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/bukti/{season['image']}/unduh")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    link = session.query(Evidence).filter_by(kind="link").one()
    assert client.get(f"/bukti/{link.id}/lihat").status_code == 404   # only files show inline
    assert "/penilai/" in html(client.get("/dasbor/"))                  # the dashboard leads here


def test_other_judges_units_operators_and_monitors_are_refused(client, auth, session, season,
                                                               make_user):
    login(client, auth, "penilai1")
    assert client.get(f"/penilai/{SLUG}/{OTHER}").status_code == 403
    assert client.get(f"/penilai/{SLUG}/{OTHER}/kelembagaan").status_code == 403
    assert client.get(f"/penilai/{SLUG}/99.99").status_code == 404
    api = headers(session, season["judges"]["penilai1"])
    assert client.get(f"{API}/{OTHER}", headers=api).status_code == 403
    assert client.get(f"{API}/99.99", headers=api).status_code == 404
    make_user(username="monitor-33", role="monitor", unit_code="33")
    for name in ("op-33.74", "monitor-33"):
        auth.logout()
        login(client, auth, name)
        assert client.get("/penilai/").status_code == 403
        assert client.get(f"/penilai/{SLUG}/{UNIT}").status_code == 403
        assert client.get(f"/penilai/{SLUG}/{UNIT}/kelembagaan").status_code == 403
    user = session.query(type(season["op"])).filter_by(username="op-33.74").one()
    assert client.get(f"{API}/{UNIT}", headers=headers(session, user)).status_code == 403


def test_an_ended_assignment_refuses_verifying(client, auth, session, season):
    row = assignment(session, season["judges"]["penilai1"])
    row.active = False
    session.commit()
    login(client, auth, "penilai1")
    assert client.get(f"/penilai/{SLUG}/{UNIT}").status_code == 403


# ---- saving -----------------------------------------------------------------------------------

def test_partial_save_keeps_invalid_values_and_sets_started(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    response = client.post(f"/penilai/{SLUG}/{UNIT}/sdm", data={
        "verified-jumlah-personel": "tiga", "verified-pranata-humas": "2",
        "comment-jumlah-personel": "SK hanya memuat dua nama.", "save": "1"})
    assert response.status_code == 302
    values = stored_values(session, judge)
    assert values["pranata-humas"] == {"v": 2}
    assert values["jumlah-personel"]["raw"] == "tiga" and unwrap(values["jumlah-personel"]) is None
    assert assignment(session, judge).started_at is not None
    page = html(client.get(f"/penilai/{SLUG}/{UNIT}/sdm"))
    assert 'value="tiga"' in page and "Not valid yet, kept as typed" in page
    assert "SK hanya memuat dua nama." in page
    assert 'value="2"' in page                   # a head count: a whole number
    entries = audit(session, "verification.save")
    assert len(entries) == 1
    assert entries[0].detail["changed"] == ["jumlah-personel", "pranata-humas"]
    assert entries[0].detail["pending"] == ["jumlah-personel"]
    assert entries[0].unit_code == UNIT and entries[0].user_id == judge.id


def test_copy_the_units_answer_one_and_all(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    url = f"/penilai/{SLUG}/{UNIT}/kelembagaan"
    client.post(url, data={"copy": "struktur-tim"})
    assert stored_values(session, judge) == {"struktur-tim": {"v": 2}}
    client.post(url, data={"copy": "*", "verified-struktur-tim": "1"})
    assert stored_values(session, judge) == {
        "struktur-tim": {"v": 1}, "sk-bakohumas": {"v": True},
        "sarana-kehumasan": {"v": answers()["sarana-kehumasan"]}}
    client.post(url, data={"clear": "struktur-tim", "verified-struktur-tim": "1",
                           "verified-sk-bakohumas": "ya",
                           "verified-sarana-kehumasan": answers()["sarana-kehumasan"]})
    assert stored_values(session, judge)["struktur-tim"] is None
    assert len(audit(session, "verification.save")) == 3


def test_complete_is_refused_until_every_scored_indicator_is_verified(client, auth, session,
                                                                     season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    client.post(f"/penilai/{SLUG}/{UNIT}/kelembagaan", data={"copy": "*"})
    response = client.post(f"/penilai/{SLUG}/{UNIT}/selesai", follow_redirects=True)
    page = html(response)
    assert "cannot be completed yet" in page and "pranata-humas" in page
    assert assignment(session, judge).completed_at is None
    # the rest through the API: every scored indicator, a text indicator refused a value
    api = headers(session, judge)
    bad = client.put(f"{API}/{UNIT}", json={"values": {"kendala-dukungan": "x"}}, headers=api)
    assert bad.status_code == 422 and "kendala-dukungan" in bad.get_json()["details"]
    body = client.put(f"{API}/{UNIT}", headers=api, json={
        "values": {i.id: answers()[i.id] for i in SCORED},
        "comments": {"kendala-dukungan": "Dicatat."}}).get_json()
    assert body["missing"] == [] and body["progress"]["verified"] == len(SCORED)
    done = client.post(f"{API}/{UNIT}/complete", headers=api)
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    # completed: saving is refused until reopened (page and API)
    refused = client.post(f"/penilai/{SLUG}/{UNIT}/kelembagaan",
                          data={"verified-sk-bakohumas": "tidak"})
    assert refused.status_code == 409 and "Reopen it" in html(refused)
    assert client.put(f"{API}/{UNIT}", json={"values": {"sk-bakohumas": False}},
                      headers=api).status_code == 409
    assert client.post(f"/penilai/{SLUG}/{UNIT}/buka-kembali").status_code == 302
    assert assignment(session, judge).completed_at is None
    assert client.put(f"{API}/{UNIT}", json={"values": {"sk-bakohumas": False}},
                      headers=api).status_code == 200
    assert [e.action for e in session.query(AuditLog).filter(
        AuditLog.action.like("verification.%")).order_by(AuditLog.id)] == [
        "verification.save", "verification.save", "verification.complete",
        "verification.reopen", "verification.save"]


def test_api_complete_lists_what_is_missing(client, session, season):
    api = headers(session, season["judges"]["penilai1"])
    response = client.post(f"{API}/{UNIT}/complete", headers=api)
    assert response.status_code == 422
    missing = response.get_json()["details"]["missing"]
    assert [m["indicator"] for m in missing] == [i.id for i in SCORED]


def test_api_save_is_all_or_nothing_and_shows_scores(client, session, season):
    api = headers(session, season["judges"]["penilai1"])
    bad = client.put(f"{API}/{UNIT}", headers=api,
                     json={"values": {"sk-bakohumas": True, "struktur-tim": 9}})
    assert bad.status_code == 422 and list(bad.get_json()["details"]) == ["struktur-tim"]
    assert client.put(f"{API}/{UNIT}", headers=api,
                      json={"values": {"tidak-ada": 1}}).status_code == 422
    assert client.put(f"{API}/{UNIT}", headers=api, json={"other": {}}).status_code == 400
    assert session.query(Verification).count() == 0
    body = client.put(f"{API}/{UNIT}", headers=api,
                      json={"values": {"struktur-tim": 1}}).get_json()
    ind = RUBRIC.indicator("struktur-tim")
    entry = body["indicators"]["struktur-tim"]
    assert entry["value"] == 1 and entry["answer"] == 2
    assert entry["verified_score"] == float(answer_fraction(ind, 1) * 100)
    assert entry["self_score"] == float(answer_fraction(ind, 2) * 100)
    assert body["state"] == "started" and body["open"] is True


def test_saving_and_completing_after_verification_closed_is_refused(client, auth, session,
                                                                   season):
    period = season["period"]
    period.verification_closes_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    session.commit()
    login(client, auth, "penilai1")
    response = client.post(f"/penilai/{SLUG}/{UNIT}/kelembagaan",
                           data={"verified-sk-bakohumas": "ya"})
    assert response.status_code == 409 and "Verification closed on" in html(response)
    response = client.get(f"/penilai/{SLUG}/{UNIT}/kelembagaan")
    assert response.status_code == 200 and "Verification closed on" in html(response)
    assert 'name="verified-sk-bakohumas"' not in html(response)      # read-only now
    api = headers(session, season["judges"]["penilai1"])
    closed = client.put(f"{API}/{UNIT}", json={"values": {"sk-bakohumas": True}}, headers=api)
    assert closed.status_code == 409 and closed.get_json()["error"] == "closed"
    assert client.post(f"{API}/{UNIT}/complete", headers=api).status_code == 409
    assert session.query(Verification).count() == 0
    assert audit(session, "verification.save") == []


def test_operations_refuse_directly_too(session, season):
    judge = season["judges"]["penilai1"]
    row = assignment(session, judge)
    with pytest.raises(Invalid):
        ops.complete(session, row, judge)
    ops.save_verifications(session, row, {i.id: answers()[i.id] for i in SCORED}, {}, {}, judge)
    ops.complete(session, row, judge)
    with pytest.raises(Closed):
        ops.save_verifications(session, row, {"sk-bakohumas": False}, {}, {}, judge)
    later = datetime.now(timezone.utc) + timedelta(days=30)
    season["period"].verification_closes_at = later - timedelta(days=1)
    with pytest.raises(Closed):
        ops.reopen(session, row, judge, now=later)



def test_a_returned_questionnaire_pauses_verification(session, season):
    """While the unit revises a returned questionnaire, the judge's saves are refused."""
    from assessment.operations import Closed
    judge = season["judges"]["penilai1"]
    sub = session.query(Submission).filter_by(unit_code=UNIT).one()
    sub.status = "returned"
    session.flush()
    with pytest.raises(Closed, match="returned|dikembalikan"):
        ops.save_verifications(session, assignment(session, judge), {"sk-bakohumas": True}, {}, {}, judge)
