"""Issue 15, warm pages: a fixed number of queries whatever the number of periods, runs'
large texts loaded only when read, the admin's full ranking in pages of 50 with a search,
period states read once per request. Counted, never timed."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from assessment.models import ScoringRun
from assessment.operations import season as season_ops
from assessment.operations.ranking import runs_page
from assessment.operations.results import finalise
from tests.conftest import english
from tests.results_support import PROVINCES, REGENCIES, build_season
from tests.test_page_queries import queries


def test_the_operators_dashboard_asks_as_many_queries_for_three_periods_as_for_one(
        app, client, auth, make_user, make_period, session):
    make_user(username="op-33", unit_code="33")
    make_period(slug="bakohumas-2025")
    auth.login("op-33")
    client.get("/dasbor/")
    with queries(app) as one:
        assert client.get("/dasbor/").status_code == 200
    make_period(slug="bakohumas-2024", opens=-400, closes=-380)
    make_period(slug="bakohumas-2023", opens=-800, closes=-780)
    with queries(app) as three:
        page = client.get("/dasbor/").get_data(as_text=True)
    assert page.count('class="self-score"') == 0 and page.count("aspect-progress") == 3
    assert len(three) == len(one)


def test_period_states_are_read_once_per_request(app, session, make_period):
    periods = [make_period(slug=f"bakohumas-{y}", opens=-30 * n, closes=-30 * n + 10)
               for n, y in enumerate((2025, 2024, 2023), start=1)]
    session.commit()
    assert all(p.slug and p.extensions == [] for p in periods)   # loaded, as a page has them
    with queries(app) as sent:
        season_ops.prefetch_states(session, periods)
        stages = [season_ops.period_state(p).stage for p in periods for _ in range(3)]
    assert len(sent) == 2 and len(stages) == 9


@pytest.fixture
def ranked(app, session, make_period):
    period = make_period(slug="bakohumas-2024", opens=-40, closes=-10,
                         levels=["provinsi", "kabkota"])
    build_season(session, period)
    run = finalise(session, period, None)
    session.commit()
    return period, run


def test_listing_runs_leaves_their_large_texts_unread(session, ranked):
    period, run = ranked
    session.expire_all()
    rows = runs_page(session, period)["rows"]
    assert rows and all({"exchange", "result", "rubric_source"} & set(inspect(r).unloaded)
                        == {"exchange", "result", "rubric_source"} for r in rows)
    assert isinstance(session.get(ScoringRun, run.id).exchange, str)   # read when asked


def test_the_admins_full_ranking_comes_in_pages_with_a_search(client, auth, make_user, ranked,
                                                              monkeypatch):
    from assessment.views import results as views
    period, run = ranked
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    make_user(username="kepala-biro", role="admin", unit_code=None)
    auth.login("kepala-biro")
    english(client)
    base = f"/admin/periode/{period.slug}/penghitungan/{run.number}/"
    first = client.get(base).get_data(as_text=True)
    assert first.count('class="unit-name"') == 4              # 2 per category, 2 categories
    assert f"Ranking of KPU Provinces ({len(PROVINCES)})" in first
    assert f"Ranking of KPU Regencies/Cities ({len(REGENCIES)})" in first
    pages = -(-len(REGENCIES) // 2)
    assert f'href="{base}?hal_kabkota={pages}#rank-kabkota"' in first.replace("&amp;", "&")
    last = client.get(f"{base}?hal_kabkota={pages}&hal_provinsi=2").get_data(as_text=True)
    assert last.count('class="unit-name"') == 2 + (len(REGENCIES) - 2 * (pages - 1))
    assert 'aria-current="page">2<' in last
    found = client.get(f"{base}?q=semarang").get_data(as_text=True)
    assert found.count('class="unit-name"') == 1 and "KPU Kota Semarang" in found
    assert "Nothing matches the search." in found             # no province matches


def test_a_kept_feedback_chart_is_served_without_working_out_the_feedback(
        client, auth, make_user, session, monkeypatch):
    from assessment.views import feedback as views
    from tests.test_feedback import SEMARANG, build_season, url
    build_season(session)
    make_user(username="op-33.74", unit_code=SEMARANG)
    auth.login("op-33.74")
    assert client.get(url(tail="/radar.png")).status_code == 200     # drawn and kept
    calls = []
    real = views.unit_feedback
    monkeypatch.setattr(views, "unit_feedback", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    again = client.get(url(tail="/radar.png"))
    assert again.status_code == 200 and again.data.startswith(b"\x89PNG") and calls == []
    assert client.get(url(code="33.01", tail="/radar.png")).status_code == 403   # another unit's
