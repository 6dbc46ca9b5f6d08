"""Rank changes between two published periods (e.g. the 2021 and 2024 editions): a slope
chart per category on the later period's public page, only for units ranked in both."""
from __future__ import annotations

from pathlib import Path

import pytest

from assessment.models import Period
from assessment.operations.results import change_categories, previous_published
from tests.conftest import built_on, english
from tests.results_support import two_published_seasons

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


pytestmark = built_on(two_published_seasons)


@pytest.fixture
def two_seasons(session, built):
    """2021 and 2024 published (built once per session with the first-view tests)."""
    periods = {period.slug: period for period in session.query(Period)}
    return periods["bakohumas-2021"], periods["bakohumas-2024"]


def test_the_later_page_shows_rank_changes_per_category(client, session, two_seasons):
    earlier, later = two_seasons
    assert previous_published(session, later)[0] == earlier
    assert previous_published(session, earlier) is None
    english(client)
    page = client.get("/hasil/bakohumas-2024/").get_data(as_text=True)
    assert "Rank changes since Apresiasi Bakohumas 2021" in page
    run = previous_published(session, later)[1]
    assert change_categories(run, run) == ["kabkota", "provinsi"]
    chart = client.get("/hasil/bakohumas-2024/perubahan/1/provinsi.png")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    assert "immutable" in chart.headers["Cache-Control"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "rank-changes-provinsi.png").write_bytes(chart.data)   # to look at
    assert "Rank changes" not in client.get("/hasil/bakohumas-2021/").get_data(as_text=True)
    assert client.get("/hasil/bakohumas-2021/perubahan/1/provinsi.png").status_code == 404
    assert client.get("/hasil/bakohumas-2024/perubahan/9/provinsi.png").status_code == 404


def test_the_later_page_has_a_rank_change_table_and_explains_the_order(client, session,
                                                                       two_seasons):
    english(client)
    page = client.get("/hasil/bakohumas-2024/?perubahan=kabkota").get_data(as_text=True)
    assert "data-rank-changes" in page and "Rank changes of KPU Regencies/Cities as a table" in page
    assert "/api/v1/periods/bakohumas-2024/rank-changes" in page
    assert "data-order-rule" in page and "then the total rounded to two decimals" in page
    body = client.get("/api/v1/periods/bakohumas-2024/rank-changes").get_json()
    assert body["previous"] == "bakohumas-2021"
    assert all(r["change"] == r["previous_rank"] - r["rank"] for rows in body["categories"].values()
               for r in rows if r["change"] is not None)
