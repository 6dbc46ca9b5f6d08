"""Final ranking and publication: finalising freezes a run that `score` reproduces exactly,
runs and publications never change, corrections are new runs, and only what is published
is public (pages, charts, workbook and the API)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assessment.extensions import db
from assessment.models import AuditLog, Moderation, Period, Publication, ScoringRun
from assessment.operations.judging import wrap
from assessment.operations.runs import create_run, published_run, run_rubric
from assessment.rubric_store import rubric_for
from tests.conftest import add_period, add_user, built_on, english
from tests.results_support import PROVINCES, TWIN, bottom, build_season

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bakohumas-2025"
RUNS = f"/admin/periode/{SLUG}/penghitungan/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def judged_season(app):
    """The judged season and the bureau's admin, an operator and a monitor (built once per
    session, copied per test)."""
    period = add_period(db.session, slug=SLUG)
    build_season(db.session, period)
    add_user(db.session, "admin-biro", role="admin", unit_code=None)
    add_user(db.session, "op-33", unit_code="33")
    add_user(db.session, "monitor-33", role="monitor", unit_code="33")


pytestmark = built_on(judged_season)


@pytest.fixture
def season(app, session, built, tmp_path):
    app.config["RESULTS_CACHE_DIR"] = str(tmp_path / "cache")
    period = session.query(Period).filter_by(slug=SLUG).one()
    return period, {"rubric": rubric_for(period)}


def login(client, auth, username):
    auth.logout()
    auth.login(username)
    english(client)


def finalise(client, reason=""):
    return client.post(RUNS, data={"confirm": "y", "reason": reason})


def runs(session, period):
    session.expire_all()
    return (session.query(ScoringRun).filter_by(period_id=period.id)
            .order_by(ScoringRun.number).all())


def publish(client, number, confirm="y"):
    return client.post(f"{RUNS}{number}/terbitkan", data={"confirm": confirm} if confirm else {})


# -- the reproduction test ---------------------------------------------------------------------

def test_score_command_reproduces_a_final_run_exactly(client, auth, session, season, tmp_path):
    period, _data = season
    login(client, auth, "admin-biro")
    response = finalise(client)
    assert response.status_code == 302
    (run,) = runs(session, period)
    assert run.kind == "final" and run.number == 1
    result = json.loads(run.result)
    # the season really went through judging: moderated, two stages, a shared rank
    exchange = json.loads(run.exchange)
    assert any(r.get("moderated") for r in exchange["responses"])
    assert any(len(r.get("judges", {})) == 2 for r in exchange["responses"])
    assert any(row["stage_reached"] == "presentasi" for row in result["ranking"])
    twins = [row for row in result["ranking"] if row["unit"] in TWIN]
    assert twins[0]["rank"] == twins[1]["rank"]

    rubric_file = tmp_path / f"{run.rubric_id}.yaml"
    rubric_file.write_text(run.rubric_source, encoding="utf-8")
    exchange_file = tmp_path / "masukan.json"
    exchange_file.write_text(run.exchange, encoding="utf-8")
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, "run.py", "score", str(rubric_file),
                           str(exchange_file), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_bytes()) == result
    assert out.read_bytes() == run.result.encode("utf-8")
    # the files a run offers are exactly what it froze (their hashes are the run's)
    for name, digest in (("masukan.json", run.exchange_sha256), ("rubrik.yaml", run.rubric_sha256)):
        body = client.get(f"{RUNS}1/{name}").data
        assert hashlib.sha256(body).hexdigest() == digest
    assert client.get(f"{RUNS}1/hasil.json").data == out.read_bytes()


# -- runs and publications never change --------------------------------------------------------

def test_runs_and_publications_refuse_update_and_delete(app, session, season):
    period, _data = season
    run = create_run(session, period, "final", None)
    pub = Publication(period_id=period.id, run_id=run.id)
    session.add(pub)
    session.commit()
    for obj, attr, value in ((run, "result", "{}"), (pub, "run_id", run.id + 1)):
        setattr(obj, attr, value)
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
        session.delete(session.get(type(obj), obj.id))
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
    for sql in ("UPDATE scoring_run SET result = '{}'", "DELETE FROM scoring_run",
                "UPDATE publication SET published_by = NULL", "DELETE FROM publication"):
        with pytest.raises(DBAPIError, match="never changed"):
            session.execute(text(sql))
        session.rollback()
    session.expire_all()
    assert session.get(ScoringRun, run.id).result != "{}"
    assert session.query(Publication).count() == 1


# -- corrections, publication -----------------------------------------------------------------

def test_correction_is_a_new_run_and_the_published_one_stays_until_republished(
        client, auth, session, season):
    period, _data = season
    login(client, auth, "admin-biro")
    finalise(client)
    assert publish(client, 1).status_code == 302
    first = runs(session, period)[0]
    api = f"/api/v1/periods/{SLUG}/ranking"
    assert client.get(api).data == first.result.encode()

    # a moderated value changes the data: the correction needs a reason
    target = json.loads(first.result)["ranking"][0]["unit"]
    ind = season[1]["rubric"].aspects[1].scored_indicators[0]
    session.add(Moderation(period_id=period.id, unit_code=target, indicator_id=ind.id,
                           value=wrap(bottom(ind)), reason="Sanggahan diterima."))
    session.commit()
    refused = finalise(client)
    assert refused.status_code == 200
    assert "needs a reason" in refused.get_data(as_text=True)
    assert len(runs(session, period)) == 1
    assert finalise(client, "Sanggahan KPU Aceh diterima").status_code == 302
    first, second = runs(session, period)
    assert second.kind == "final" and second.reason == "Sanggahan KPU Aceh diterima"
    assert second.result != first.result

    # the public still sees run 1, and run 1 stays readable
    assert client.get(api).data == first.result.encode()
    assert client.get(api).headers["X-Scoring-Run"] == "1"
    assert "run 1," in client.get(f"/hasil/{SLUG}/").get_data(as_text=True)
    assert client.get(f"{RUNS}1/").status_code == 200
    page = client.get(RUNS).get_data(as_text=True)
    assert "Sanggahan KPU Aceh diterima" in page and "published" in page

    assert publish(client, 2).status_code == 302
    assert client.get(api).data == second.result.encode()
    assert "run 2," in client.get(f"/hasil/{SLUG}/").get_data(as_text=True)
    # the old run's chart and workbook addresses are gone from the public, not changed
    assert client.get(f"/hasil/{SLUG}/peringkat-1.xlsx").status_code == 404
    # publishing the published run again is refused
    again = client.post(f"{RUNS}2/terbitkan", data={"confirm": "y"}, follow_redirects=True)
    assert "already published" in again.get_data(as_text=True)
    assert session.query(Publication).count() == 2

    actions = [(e.action, e.detail.get("number")) for e in session.query(AuditLog).filter(
        AuditLog.action.like("run.%")).order_by(AuditLog.id)]
    assert actions == [("run.final", 1), ("run.publish", 1), ("run.final", 2),
                       ("run.publish", 2)]
    correction = session.query(AuditLog).filter_by(action="run.final").all()[-1]
    assert correction.detail["reason"] == "Sanggahan KPU Aceh diterima"
    assert correction.detail["correction_of"] == 1


def test_finalising_needs_the_confirmation_and_a_provisional_run_cannot_be_published(
        client, auth, session, season):
    period, _data = season
    login(client, auth, "admin-biro")
    response = client.post(RUNS, data={"reason": ""})
    assert response.status_code == 200 and "Tick the box" in response.get_data(as_text=True)
    assert runs(session, period) == []
    create_run(session, period, "provisional", None)
    session.commit()
    response = publish(client, 1)
    assert response.status_code == 302
    assert published_run(session, period) is None
    # no final run yet: the publication gate refuses (operations/season.py)
    assert "No final ranking has been computed yet" in client.get(RUNS).get_data(as_text=True)
    create_run(session, period, "final", None)
    session.commit()
    assert publish(client, 2, confirm=None).status_code == 302
    assert "Tick the box" in client.get(RUNS).get_data(as_text=True)
    assert published_run(session, period) is None
    assert session.query(AuditLog).filter_by(action="run.publish").count() == 0


# -- nothing unpublished is public --------------------------------------------------------------

def public_urls(number=1):
    return [f"/hasil/{SLUG}/", f"/hasil/{SLUG}/kabkota", f"/hasil/{SLUG}/peringkat-{number}.xlsx",
            f"/hasil/{SLUG}/grafik/{number}/sebaran.png"]


def test_before_publication_the_public_page_api_and_files_are_404(client, auth, session, season):
    period, _data = season
    create_run(session, period, "provisional", None)
    create_run(session, period, "final", None)
    session.commit()
    for url in public_urls(2):
        assert client.get(url).status_code == 404, url
    response = client.get(f"/api/v1/periods/{SLUG}/ranking")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.get("/api/v1/periods/tidak-ada/ranking").status_code == 404
    assert SLUG not in client.get("/hasil/").get_data(as_text=True)
    # operators and monitors see no run at all, published or not
    for username in ("op-33", "monitor-33"):
        login(client, auth, username)
        for url in (RUNS, f"{RUNS}2/", f"{RUNS}2/hasil.json", f"{RUNS}2/masukan.json",
                    f"{RUNS}2/peringkat.xlsx", "/admin/penghitungan/"):
            assert client.get(url).status_code == 403, (username, url)
        assert client.post(RUNS, data={"confirm": "y"}).status_code == 403
        assert client.post(f"{RUNS}2/terbitkan").status_code == 403
        for url in public_urls(2):
            assert client.get(url).status_code == 404, url
    assert len(runs(session, period)) == 2 and published_run(session, period) is None
    auth.logout()
    assert client.get(RUNS).status_code == 302     # to the login page


def test_public_results_page_ranking_awards_and_charts(client, auth, session, season):
    period, _data = season
    login(client, auth, "admin-biro")
    finalise(client)
    publish(client, 1)
    run = runs(session, period)[0]
    result = json.loads(run.result)
    auth.logout()
    client.post("/bahasa/id")

    index = client.get("/hasil/").get_data(as_text=True)
    assert period.title in index
    html = client.get(f"/hasil/{SLUG}/").get_data(as_text=True)   # Indonesian, no login
    best = result["ranking"][0]
    assert best["name"] in html
    assert f"{best['total']:.2f}".replace(".", ",") in html
    assert best["predicate"] in html
    assert 'class="shared-rank"' in html                       # the twins share a rank
    for award in result["awards"].values():
        for row in award:
            if row["winner"]:
                assert row["name"] in html
    assert "Presentasi dan Wawancara" in html                  # stage reached
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 4                                    # two categories, spread, map
    assert all(re.search(r'loading="lazy".*width="\d+".*height="\d+"', i, re.S) for i in images)
    charts = [re.search(r'src="([^"]+)"', i).group(1) for i in images]
    for url in charts:
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
        assert "immutable" in response.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    assert client.get(f"/hasil/{SLUG}/grafik/2/sebaran.png").status_code == 404
    assert client.get(f"/hasil/{SLUG}/grafik/1/lain.png").status_code == 404

    book = client.get(f"/hasil/{SLUG}/peringkat-1.xlsx")
    assert book.status_code == 200 and book.mimetype == XLSX
    wb = load_workbook(io.BytesIO(book.data), read_only=True)
    meta = {row[0]: row[1] for row in wb["Metadata"].iter_rows(values_only=True)}
    assert "penghitungan ke-1 (final)" in meta["Periode"]
    assert meta["SHA-256 data masukan"] == run.exchange_sha256
    assert meta["SHA-256 rubrik"] == run.rubric_sha256
    assert "Rincian Indikator" in wb.sheetnames
    detail = list(wb["Rincian Indikator"].iter_rows(values_only=True))
    assert len(detail) > 100


def test_category_page_paginates_and_filters_by_province(client, auth, session, season,
                                                          monkeypatch):
    from assessment.views import results as views
    period, _data = season
    create_run(session, period, "final", None)
    session.commit()
    login(client, auth, "admin-biro")
    publish(client, 1)
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    auth.logout()
    first = client.get(f"/hasil/{SLUG}/kabkota").get_data(as_text=True)
    assert "halaman=3" in first and "halaman=4" not in first      # 7 regencies, 3 a page
    assert first.count("<tr>") - 1 == 3
    assert client.get(f"/hasil/{SLUG}/kabkota?halaman=3").status_code == 200
    assert client.get(f"/hasil/{SLUG}/kabkota?halaman=4").status_code == 404
    one = client.get(f"/hasil/{SLUG}/kabkota", query_string={
        "provinsi": "Jawa Tengah"}).get_data(as_text=True)
    assert one.count("<tr>") - 1 == 2                           # 33.01 and 33.74
    assert client.get(f"/hasil/{SLUG}/pusat").status_code == 404  # nobody ranked there


def test_ranking_api_is_public_and_the_score_command_shape(client, session, season):
    period, _data = season
    run = create_run(session, period, "final", None)
    session.add(Publication(period_id=period.id, run_id=run.id))
    session.commit()
    for headers in ({}, {"Authorization": "Bearer bkh_tidak_dikenal"}):
        response = client.get(f"/api/v1/periods/{SLUG}/ranking", headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"rubric", "ranking", "awards", "not_submitted"}
        assert body["rubric"] == "bakohumas-2025"
        assert {r["unit"] for r in body["ranking"]} == set(PROVINCES) | {
            "11.71", "31.71", "32.73", "33.01", "33.74", "35.78", "51.71"}
    # the rest of the API still wants a token
    assert client.get(f"/api/v1/periods/{SLUG}").status_code == 401


def test_admin_pages_show_runs_with_hashes_and_downloads(client, auth, session, season):
    period, _data = season
    create_run(session, period, "provisional", None)
    session.commit()
    login(client, auth, "admin-biro")
    finalise(client)
    page = client.get(RUNS).get_data(as_text=True)
    first, second = runs(session, period)
    for run in (first, second):
        assert run.exchange_sha256 in page and run.rubric_sha256 in page
    assert "provisional" in page and "final" in page and "admin-biro" in page
    detail = client.get(f"{RUNS}1/").get_data(as_text=True)
    assert json.loads(first.result)["ranking"][0]["name"] in detail
    book = client.get(f"{RUNS}2/peringkat.xlsx")
    assert book.status_code == 200 and book.headers["Content-Disposition"].endswith('-2.xlsx"')
    assert client.get(f"{RUNS}9/").status_code == 404
    assert "Scoring runs" in client.get("/admin/penghitungan/").get_data(as_text=True)


def test_admin_downloads_the_workbook_with_rank_robustness_built_once(
        client, auth, session, season, monkeypatch, app):
    from assessment.operations import results as ops
    from assessment.views import results as views
    from scoring import assessment_from_dict
    from scoring.robustness import rank_intervals
    period, _data = season
    create_run(session, period, "final", None)
    session.commit()
    url = f"{RUNS}1/peringkat-ketahanan.xlsx"
    for username in ("op-33", "monitor-33"):
        login(client, auth, username)
        assert client.get(url).status_code == 403, username
    login(client, auth, "admin-biro")
    assert client.get(f"{RUNS}9/peringkat-ketahanan.xlsx").status_code == 404
    page = client.get(f"{RUNS}1/").get_data(as_text=True)
    assert url in page and "about half a minute" in page
    built = []
    monkeypatch.setattr(views, "run_intervals",
                        lambda run: built.append(run.number) or ops.run_intervals(run, runs=20))
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].endswith(
        f'filename="peringkat-ketahanan-{SLUG}-1.xlsx"')
    assert "private" in response.headers["Cache-Control"]
    book = load_workbook(io.BytesIO(response.data))
    (run,) = runs(session, period)
    expected = rank_intervals(run_rubric(run),
                              assessment_from_dict(json.loads(run.exchange)), runs=20)
    rows = list(book["Ketahanan Peringkat"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[5], r[6]) for r in rows] == [(u["code"], u["p5"], u["p95"])
                                                  for u in expected["units"]]
    assert len(book["Ketahanan Peringkat"]._charts) == 2        # provinces, regencies
    meta = {r[0]: r[1] for r in book["Metadata"].iter_rows(values_only=True)}
    assert meta["Ketahanan peringkat"].startswith("20 ulangan (seed 2025)")
    assert "penghitungan ke-1 (final)" in meta["Periode"]
    # built once per run, then served from the cache; the plain workbook is a separate file
    assert client.get(url).data == response.data and built == [1]
    plain = load_workbook(io.BytesIO(client.get(f"{RUNS}1/peringkat.xlsx").data))
    assert "Ketahanan Peringkat" not in plain.sheetnames
    cached = list(Path(app.config["RESULTS_CACHE_DIR"]).glob("*-peringkat-ketahanan.xlsx"))
    assert len(cached) == 1
    auth.logout()
    assert client.get(url).status_code == 302     # to the login page

