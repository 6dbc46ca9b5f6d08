"""Issue 14: feedback as data and rank changes as data.

- ``GET /api/v1/periods/<p>/units/<c>/feedback``: hand-computed category means with n for a
  small season (test_feedback's three kab/kota units), the people who may see it (403 for
  others, 404 before publication);
- the web and command-line scorecards of the same unit and run give the same text
  (``pdftotext``);
- ``GET /api/v1/periods/<p>/rank-changes`` against two hand-written rankings.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

import run as run_py
from assessment.extensions import db
from assessment.models import Publication, ScoringRun
from assessment.operations.tokens import create_token
from tests.conftest import SLUG
from tests.test_assessment_api import matches_schema
from tests.test_feedback import CILACAP, JAKPUS, SEMARANG, build_season

BASE = "/api/v1"


def bearer(session, user) -> dict:
    _, secret = create_token(session, user, "uji")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def people(make_user):
    return {"op": make_user(username="op-33.74", unit_code=SEMARANG),
            "other": make_user(username="op-33.01", unit_code=CILACAP),
            "monitor": make_user(username="monitor-33", role="monitor", unit_code="33"),
            "monitor31": make_user(username="monitor-31", role="monitor", unit_code="31"),
            "judge": make_user(username="penilai-x", role="judge")}


def feedback_url(code=SEMARANG, slug=SLUG):
    return f"{BASE}/periods/{slug}/units/{code}/feedback"


def aspect(body, aspect_id):
    return next(a for a in body["aspects"] if a["id"] == aspect_id)


def test_feedback_means_by_hand(session, client, people):
    build_season(session)
    response = client.get(feedback_url(), headers=bearer(session, people["op"]))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"unit", "category", "total", "rank", "ranked", "entry_unmet",
                         "not_ranked", "decided_by", "aspects"}
    matches_schema("Feedback", body)
    assert body["decided_by"] is None
    # the 2025 edition has no condition of entry: all three regencies ranked
    assert (body["ranked"], body["entry_unmet"], body["not_ranked"]) == (3, [], None)
    assert (body["unit"], body["category"]) == (SEMARANG, "kabkota")
    # kelembagaan: sk-bakohumas, struktur-tim (levels 0-4), sarana-kehumasan, weight 2 each.
    # Verified: Semarang yes, 0/4, none -> 2/6; Cilacap yes, 4/4, none -> 4/6; Jakarta 0.
    kelembagaan = aspect(body, "kelembagaan")
    assert set(kelembagaan) == {"id", "score", "national", "province"}
    assert kelembagaan["score"] == 33.33
    assert kelembagaan["national"] == {"mean": 33.33, "n": 3}      # (2/6 + 4/6 + 0) / 3
    assert kelembagaan["province"] == {"mean": 50.0, "n": 2}       # Jawa Tengah: (2/6 + 4/6) / 2
    jakarta = client.get(feedback_url(JAKPUS), headers=bearer(session, people["monitor31"]))
    assert aspect(jakarta.get_json(), "kelembagaan")["province"] == {"mean": 0.0, "n": 1}
    ranking = json.loads(client.get(f"{BASE}/periods/{SLUG}/ranking").data)["ranking"]
    row = next(r for r in ranking if r["unit"] == SEMARANG)
    assert (body["total"], body["rank"]) == (row["total"], row["rank"])
    assert {a["id"]: a["score"] for a in body["aspects"]} == row["aspects"]


def test_feedback_page_labels_say_what_is_compared(session, client, auth, people):
    build_season(session)
    auth.login("monitor-33")
    page = client.get(f"/umpan-balik/{SLUG}/{SEMARANG}").get_data(as_text=True)
    assert "Rata-rata KPU Kab/Kota nasional (n=3)" in page
    assert "Rata-rata KPU Kab/Kota se-Jawa Tengah (n=2)" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_feedback_api_and_scorecard_mark_the_aspect_that_decided_a_tie(session, client, auth,
                                                                      people, tmp_path):
    """The tie of test_feedback: full marks on grup-koordinasi (koordinasi, weight 4 of the
    edition's 200 -> 2,00) for Semarang and on keterpaduan-zona (zona informasi, 2,00) for
    Cilacap; media sosial, the first tie-break aspect, is 0 for both, so koordinasi puts
    Semarang first. The API names the aspect by id, the scorecard by title under the rank,
    from the same scoring.order.tie_breaks the results pages use."""
    tie = {SEMARANG: {"grup-koordinasi": 4}, CILACAP: {"keterpaduan-zona": 4}}
    build_season(session, claimed=tie, verified=tie)
    below = client.get(feedback_url(CILACAP), headers=bearer(session, people["monitor"]))
    above = client.get(feedback_url(SEMARANG), headers=bearer(session, people["monitor"]))
    body = below.get_json()
    matches_schema("Feedback", body)
    assert (body["rank"], body["decided_by"]) == (2, "koordinasi")
    assert (above.get_json()["rank"], above.get_json()["decided_by"]) == (1, None)
    assert body["total"] == above.get_json()["total"] == 2.0
    assert aspect(body, "media-sosial")["score"] == aspect(above.get_json(), "media-sosial")[
        "score"] == 0.0
    ranking = json.loads(client.get(f"{BASE}/periods/{SLUG}/ranking").data)["ranking"]
    assert {r["unit"]: r["rank"] for r in ranking} == {SEMARANG: 1, CILACAP: 2}

    def scorecard_text(code):
        response = client.get(f"/umpan-balik/{SLUG}/{code}/rapor.pdf")
        assert response.status_code == 200
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(response.data)
        return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
    auth.login("monitor-33")
    mark = "nilai sama, ditentukan oleh aspek Koordinasi dan Kemitraan Pemangku Kepentingan"
    assert mark in scorecard_text(CILACAP)
    assert "ditentukan oleh aspek" not in scorecard_text(SEMARANG)


@pytest.mark.parametrize("who, code, status", [
    ("op", SEMARANG, 200), ("monitor", SEMARANG, 200), ("monitor", CILACAP, 200),
    ("admin", JAKPUS, 200), ("other", SEMARANG, 403), ("monitor31", SEMARANG, 403),
    ("judge", SEMARANG, 403), ("op", "99.99", 404)])
def test_feedback_is_for_the_units_people_only(session, client, people, who, code, status):
    build_season(session)
    from assessment.models import User
    user = people.get(who) or session.query(User).filter_by(role="admin").first()
    response = client.get(feedback_url(code), headers=bearer(session, user))
    assert response.status_code == status
    if status != 200:
        assert response.get_json()["error"] in ("forbidden", "not_found")


def test_feedback_is_404_before_publication_even_for_the_admin_and_401_without_token(
        session, client, people):
    build_season(session, publish_it=False)
    from assessment.models import User
    admin = session.query(User).filter_by(role="admin").first()
    assert client.get(feedback_url(), headers=bearer(session, people["op"])).status_code == 404
    assert client.get(feedback_url(), headers=bearer(session, admin)).status_code == 404
    assert client.get(feedback_url()).status_code == 401


# ---------------------------------------------------------------- one scorecard renderer

@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_web_and_command_line_scorecards_have_the_same_text(app, session, client, auth, people,
                                                             monkeypatch, tmp_path):
    period, scoring_run, _judges = build_season(session)
    auth.login("op-33.74")
    web = client.get(f"/umpan-balik/{SLUG}/{SEMARANG}/rapor.pdf")
    assert web.status_code == 200
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("UPLOAD_DIR", app.config["UPLOAD_DIR"])
    out = tmp_path / "rapor"
    assert run_py.main(["export", SLUG, "--scorecards", str(out), "--unit", SEMARANG]) == 0
    db.session.expire_all()
    files = list(out.iterdir())
    assert [f.name for f in files] == [f"{SEMARANG}-kpu-kota-semarang.pdf"]
    (tmp_path / "web.pdf").write_bytes(web.data)

    def text(path):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
    web_text, cli_text = text(tmp_path / "web.pdf"), text(files[0])
    assert web_text == cli_text
    flat = " ".join(web_text.split())
    assert period.title in flat and f"perhitungan ke-{scoring_run.number}" in flat
    assert scoring_run.exchange_sha256 in flat
    assert "Penilai 1: SK sudah ditandatangani" in flat and "Penilai 2:" in flat
    assert "sk-bakohumas" in flat            # comments grouped under their indicator
    fonts = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True).stdout
    assert "Helvetica" not in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])   # embedded


# ---------------------------------------------------------------- rank changes

EARLIER = [("provinsi", "33", "KPU Provinsi Jawa Tengah", 1),
           ("provinsi", "31", "KPU Provinsi DKI Jakarta", 2),
           ("kabkota", "73.16", "KPU Kabupaten Polewali Mandar", 89),
           ("kabkota", "33.74", "KPU Kota Semarang", 6),
           ("kabkota", "33.01", "KPU Kabupaten Cilacap", 8)]
LATER = [("provinsi", "31", "KPU Provinsi DKI Jakarta", 1),
         ("provinsi", "33", "KPU Provinsi Jawa Tengah", 2),
         ("provinsi", "93", "KPU Provinsi Papua Selatan", 3),
         ("kabkota", "73.16", "KPU Kabupaten Polewali Mandar", 6),
         ("kabkota", "33.01", "KPU Kabupaten Cilacap", 8)]


def published_ranking(session, period, rows):
    """A final run whose result is the hand-written ranking, published."""
    result = {"rubric": "bakohumas-2025", "awards": {}, "not_submitted": [],
              "ranking": [{"category": c, "rank": r, "unit": u, "name": n, "total": 50.0}
                          for c, u, n, r in rows]}
    text = json.dumps(result)
    scoring_run = ScoringRun(period_id=period.id, number=1, kind="final", rubric_id="bakohumas-2025",
                             rubric_sha256="0" * 64, rubric_source="", exchange="{}",
                             exchange_sha256=hashlib.sha256(text.encode()).hexdigest(),
                             result=text)
    session.add(scoring_run)
    session.flush()
    session.add(Publication(period_id=period.id, run_id=scoring_run.id))
    session.commit()
    return scoring_run


def test_rank_changes_api_against_two_hand_written_rankings(session, client, make_period):
    earlier = make_period(slug="bakohumas-2021", opens=-1500, closes=-1480,
                          title="Penilaian Tata Kelola Bakohumas 2021")
    later = make_period(slug="bakohumas-2024", opens=-400, closes=-380,
                        title="Penilaian Tata Kelola Bakohumas 2024")
    url = f"{BASE}/periods/bakohumas-2024/rank-changes"
    assert client.get(url).status_code == 404                  # nothing published yet
    published_ranking(session, earlier, EARLIER)
    published_ranking(session, later, LATER)
    response = client.get(url)                                 # public: no token
    assert response.status_code == 200
    assert response.get_json() == {"previous": "bakohumas-2021", "categories": {
        "provinsi": [
            {"unit": "31", "name": "KPU Provinsi DKI Jakarta", "previous_rank": 2, "rank": 1,
             "change": 1},
            {"unit": "33", "name": "KPU Provinsi Jawa Tengah", "previous_rank": 1, "rank": 2,
             "change": -1},
            {"unit": "93", "name": "KPU Provinsi Papua Selatan", "previous_rank": None,
             "rank": 3, "change": None}],
        "kabkota": [
            {"unit": "73.16", "name": "KPU Kabupaten Polewali Mandar", "previous_rank": 89,
             "rank": 6, "change": 83},
            {"unit": "33.01", "name": "KPU Kabupaten Cilacap", "previous_rank": 8, "rank": 8,
             "change": 0},
            {"unit": "33.74", "name": "KPU Kota Semarang", "previous_rank": 6, "rank": None,
             "change": None}]}}
    matches_schema("RankChanges", response.get_json())
    first = client.get(f"{BASE}/periods/bakohumas-2021/rank-changes").get_json()
    assert first == {"previous": None, "categories": {}}
    assert client.get(f"{BASE}/periods/tidak-ada/rank-changes").status_code == 404
