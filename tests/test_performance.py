"""Issue 15: compressed answers, long-lived static files, files of a run built once.

No timings here (bench/pages.py and bench/season.py measure): only that the headers are
there and that charts are drawn once per run and unit, counted."""
from __future__ import annotations

import gzip

import brotli
import pytest

from assessment import run_files
from tests.conftest import Counter
from tests.test_feedback import SEMARANG, SLUG, build_season, url  # noqa: F401 (fixtures)
from tests.test_feedback import season, users  # noqa: F401

IMMUTABLE = "public, max-age=31536000, immutable"


def _static_urls(app):
    from flask import url_for
    with app.test_request_context():
        return {"css": url_for("static", filename="app.css"),
                "js": url_for("static", filename="app.js"),
                "svg": url_for("static", filename="favicon.svg"),
                "bootstrap-css": url_for("bootstrap.static", filename="css/bootstrap.min.css"),
                "bootstrap-js": url_for("bootstrap.static",
                                        filename="js/bootstrap.min.js")}


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    return {"br": brotli.decompress, "gzip": gzip.decompress}[encoding](data)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_json_and_static_files_are_compressed(app, client, encoding):
    urls = dict(_static_urls(app), html="/akun/masuk", json="/api/v1/openapi.json")
    for kind, address in urls.items():
        response = client.get(address, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200, kind
        assert response.headers.get("Content-Encoding") == encoding, kind
        assert "Accept-Encoding" in response.headers.get("Vary", ""), kind
        plain = client.get(address, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers, kind
        assert _decoded(response) == plain.get_data(), kind


def test_brotli_is_preferred_when_offered(client):
    response = client.get("/akun/masuk", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"


def test_static_files_with_their_content_hash_are_immutable(app, client):
    urls = _static_urls(app)
    page = client.get("/akun/masuk").get_data(as_text=True)
    for kind, address in urls.items():
        assert "?v=" in address, kind
        if kind != "svg" or "favicon" in page:
            assert address.replace("&", "&amp;") in page or kind.endswith("js") or kind == "svg", kind
        response = client.get(address)
        assert response.headers["Cache-Control"] == IMMUTABLE, kind
        # an old or made-up hash, or none: the file, never cached for a year
        for stale in (address.split("?")[0], address.split("?")[0] + "?v=000000000000"):
            assert "immutable" not in client.get(stale).headers.get("Cache-Control", ""), stale


def test_pages_keep_their_script_policy_and_stay_uncached(client):
    response = client.get("/akun/masuk", headers={"Accept-Encoding": "br"})
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert b"<script>" not in _decoded(response)


def test_feedback_charts_are_drawn_once_per_run_and_unit(season, client, auth, users,
                                                         monkeypatch):
    period, run, _judges = season
    radar, gaps = Counter(run_files.radar_png), Counter(run_files.gaps_png)
    monkeypatch.setitem(run_files.FEEDBACK_FILES, "radar.png", radar)
    monkeypatch.setitem(run_files.FEEDBACK_FILES, "selisih.png", gaps)
    auth.login("monitor-33")
    page = client.get(url()).get_data(as_text=True)
    from assessment.operations.results import run_file_key
    key = run_file_key(run)
    for name in ("radar.png", "selisih.png"):
        assert f"{url(tail='/' + name)}?run={key}" in page
    for _ in range(3):
        for name in ("radar.png", "selisih.png"):
            response = client.get(url(tail=f"/{name}?run={key}"))
            assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
            assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert (radar.calls, gaps.calls) == (1, 1)
    # without the run in the address: the same file, not cached for good
    assert client.get(url(tail="/radar.png")).headers["Cache-Control"] == "private, no-cache"
    assert (radar.calls, gaps.calls) == (1, 1)


def test_scorecard_pdf_is_written_once_per_run_and_unit(season, client, auth, users,
                                                         monkeypatch):
    from assessment.views import feedback
    counted = Counter(feedback.scorecard_file)
    monkeypatch.setattr(feedback, "scorecard_file", counted)
    auth.login("op-33.74")
    first = client.get(url(tail="/rapor.pdf"))
    second = client.get(url(tail="/rapor.pdf"))
    assert first.data.startswith(b"%PDF") and first.data == second.data
    assert counted.calls == 1


def test_publication_builds_the_public_charts_and_page(session, app, client, monkeypatch):
    from assessment.operations import results as ops
    from assessment.views import results as views
    period, run, _judges = build_season(session)
    built = run_files.prepare_published(session, period, run, run_files.cache_dir(app))
    assert [n for n in built if n.endswith(".json")] == [
        "halaman-publik-0-id.json", "halaman-publik-0-en.json"]   # the page, both languages
    draws = Counter(ops.run_chart)
    monkeypatch.setattr(views, "run_chart", draws)
    page = client.get(f"/hasil/{SLUG}/")
    assert page.status_code == 200
    charts = [n for n in built if n.endswith(".png")]
    assert charts
    for name in charts:
        response = client.get(f"/hasil/{SLUG}/grafik/{run.number}/{name}")
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
    assert draws.calls == 0


def test_the_unit_files_job_writes_the_workbook_and_every_units_files(session, app):
    period, run, _judges = build_season(session)
    folder = run_files.cache_dir(app)
    job = run_files.unit_files_job(session, period, run, folder)
    assert job.run_now() == 1 + 3 * len(job.cards) > 1     # the workbook, each unit's three
    assert job.run_now() == 0     # kept: nothing drawn again


def test_scorecard_export_uses_a_pool_and_prints_a_line_per_tenth(session, make_period,
                                                                   tmp_path, monkeypatch, capsys):
    import multiprocessing

    from assessment import results_export
    from assessment.operations.runs import create_run
    from assessment.operations.results import scored_run
    from tests.results_support import build_season as national_season
    period = make_period(slug="bakohumas-2025")
    national_season(session, period)
    run = create_run(session, period, "final", None)
    session.commit()
    rubric, result = scored_run(run)
    pools = []

    class Spy:
        def get_context(self, method):
            context = multiprocessing.get_context(method)
            pools.append(method)
            return context
    monkeypatch.setattr(results_export, "multiprocessing", Spy())
    count = results_export.write_scorecards(session, period, rubric, result, tmp_path / "kartu",
                                            run, processes=2)
    assert pools == ["spawn"]
    assert count == len(result.ranking) == len(list((tmp_path / "kartu").glob("*.pdf")))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("scorecards: ")]
    assert "\r" not in err and lines[-1] == f"scorecards: {count}/{count} (100%)"
    assert [int(line.split("(")[1].rstrip("%)")) // 10 for line in lines] == sorted(
        {int(line.split("(")[1].rstrip("%)")) // 10 for line in lines})   # one per tenth


def test_a_terminal_gets_a_bar_redrawn_in_place():
    import io

    from assessment.results_export import progress_reporter

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    stream = Terminal()
    progress = progress_reporter(stream, "scorecards")
    for done in range(1, 41):
        progress(done, 40)
    assert stream.getvalue().count("\r") == 40 and "40/40" in stream.getvalue()
