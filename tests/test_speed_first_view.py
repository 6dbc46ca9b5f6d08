"""Issue 15: the first view of a period just published draws nothing and scores nothing,
in any worker and either language: publication built its charts, rank-change charts and
the public page's document (operations/public_results.py); the workbook and every unit's
files come from the job publication starts, in a pool of background processes. Counted,
never timed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assessment import run_files
from assessment.models import Period, ScoringRun
from assessment.operations import public_results, runs
from assessment.operations.results import finalise
from tests.conftest import Counter, built_on, english
from tests.results_support import build_season, two_published_seasons


@pytest.fixture
def published(session, built):
    """The 2024 period and its published run; for tests marked
    ``built_on(two_published_seasons)``."""
    period = session.query(Period).filter_by(slug="bakohumas-2024").one()
    return period, session.get(ScoringRun, built)


@pytest.fixture
def counted(monkeypatch):
    """A fresh worker (no run scored, no page kept in memory) that counts scorings, chart
    drawings and page documents worked out."""
    from reports import charts
    monkeypatch.setattr(runs, "_SCORED", type(runs._SCORED)())
    monkeypatch.setattr(public_results, "_MEMO", type(public_results._MEMO)())
    counts = {"score": Counter(runs.score), "draw": Counter(charts._save),
              "page": Counter(public_results._build)}
    monkeypatch.setattr(runs, "score", counts["score"])
    monkeypatch.setattr(charts, "_save", counts["draw"])
    monkeypatch.setattr(public_results, "_build", counts["page"])
    return counts


def _view_with_images(client, slug) -> int:
    page = client.get(f"/hasil/{slug}/")
    assert page.status_code == 200
    images = re.findall(r'<img[^>]+src="(/[^"]+)"', page.get_data(as_text=True))
    for address in images:
        response = client.get(address.replace("&amp;", "&"))
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    return len(images)


@built_on(two_published_seasons)
def test_the_first_view_after_publication_draws_and_scores_nothing(client, published, counted):
    period, run = published
    images = _view_with_images(client, period.slug)
    assert images == 6       # 2 ranking charts, distribution, heat map, 2 rank-change charts
    english(client)
    page = client.get(f"/hasil/{period.slug}/").get_data(as_text=True)
    assert "Rank changes since Apresiasi Bakohumas 2021" in page
    assert {name: c.calls for name, c in counted.items()} == {"score": 0, "draw": 0, "page": 0}


@built_on(two_published_seasons)
def test_the_page_document_is_the_page_worked_out_afresh(client, published, counted, app):
    """The kept document gives the same page as working it out now (files removed)."""
    period, run = published
    kept_page = client.get(f"/hasil/{period.slug}/?perubahan=kabkota").get_data(as_text=True)
    folder = run_files.cache_dir(app)
    key = public_results.run_file_key(run)
    for path in Path(folder).glob(f"{key}-halaman-publik-*.json"):
        path.unlink()
    public_results._MEMO.clear()
    fresh = client.get(f"/hasil/{period.slug}/?perubahan=kabkota").get_data(as_text=True)
    assert counted["page"].calls == 1 and counted["draw"].calls == 0
    strip = re.compile(r'name="csrf_token"[^>]*>|nonce="[^"]*"')
    assert strip.sub("", fresh) == strip.sub("", kept_page)


@built_on(two_published_seasons)
def test_the_job_writes_the_workbook_and_every_units_files_in_a_pool(session, app, published):
    period, run = published
    folder = run_files.cache_dir(app)
    job = run_files.unit_files_job(session, period, run, folder)
    job.start(processes=2).join(timeout=600)
    assert job.written == 1 + 3 * len(job.cards) > 1
    key = public_results.run_file_key(run)
    workbook = Path(folder) / f"{key}-{job.workbook[0]}"
    assert workbook.read_bytes()[:2] == b"PK"
    assert job.run_now() == 0        # kept: nothing built again


@built_on(two_published_seasons)
def test_rank_change_charts_read_the_stored_results(session, published):
    """The slope chart's data from the runs' stored results equals the data from scoring
    both runs again."""
    from reports import charts
    from assessment.operations.results import previous_published, slope_data
    period, run = published
    earlier = previous_published(session, period)[1]
    for category in ("provinsi", "kabkota"):
        expected = charts.slope_data(runs.scored_run(earlier)[1], runs.scored_run(run)[1],
                                     category)
        assert slope_data(earlier, run, category) == expected
        assert expected["before"] and expected["after"]


@built_on(two_published_seasons)
def test_a_published_chart_is_found_in_one_query(app, client, published, counted):
    """A chart or rank-change chart of the published run: one query (the publication, the
    previous published run and the period's version; the run's file key kept per process
    and publication), reading none of the run's long columns."""
    from tests.test_page_queries import queries
    period, run = published
    base, number = f"/hasil/{period.slug}", run.number
    client.get(f"{base}/")
    with queries(app) as chart:
        response = client.get(f"{base}/grafik/{number}/sebaran.png")
    assert response.status_code == 200 and len(chart) == 1
    with queries(app) as change:
        response = client.get(f"{base}/perubahan/{number}/kabkota.png")
    assert response.status_code == 200 and len(change) == 1
    etag = client.get(f"{base}/grafik/{number}/sebaran.png").headers["ETag"]
    assert client.get(f"{base}/grafik/{number}/sebaran.png",
                      headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"{base}/grafik/{number - 1}/sebaran.png").status_code == 404


def test_publication_draws_its_charts_in_a_pool(session, app, make_period, tmp_path):
    """The publishing request's charts as drawing orders, drawn by two processes: the same
    PNG as drawn here, each file written once."""
    from reports.parallel import draw, draw_files
    from assessment.operations.results import chart_names, run_chart_order
    period = make_period(slug="bakohumas-2024", opens=-40, closes=-10,
                         levels=["provinsi", "kabkota"])
    build_season(session, period)
    run = finalise(session, period, None)
    session.commit()
    orders = {name: run_chart_order(run, name) for name in chart_names(run)}
    jobs = [(str(tmp_path / f"{name}.png"), order) for name, order in orders.items()]
    assert sorted(draw_files(jobs, processes=2)) == sorted(path for path, _order in jobs)
    for path, order in jobs[:2]:
        assert Path(path).read_bytes() == draw(order)
    assert draw_files(jobs, processes=2) == []              # kept: nothing drawn again
