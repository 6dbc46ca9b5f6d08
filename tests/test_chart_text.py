"""Text alternatives of the ranking chart (assessment/chart_text.py) count ranked units only
and never format a missing rank (a unit whose entry condition is not met has none)."""
from __future__ import annotations

import pytest

from assessment.chart_text import ranking_summary


def row(name, rank, total):
    return {"name": name, "rank": rank, "total": total, "predicate": "Baik"}


@pytest.fixture
def indonesian(app):
    with app.test_request_context(headers={"Accept-Language": "id"}):
        yield


def test_the_first_ranked_unit_and_n_of_ranked_units_only(indonesian):
    rows = [row("KPU Provinsi Jawa Tengah", 1, 87.5), row("KPU Provinsi Bali", 2, 80.25),
            row("KPU Provinsi Papua", None, 90.0)]   # unranked: entry condition not met
    summary = ranking_summary(rows)
    assert "KPU Provinsi Jawa Tengah" in summary["alt"] and "87,50" in summary["alt"]
    assert " 2 " in summary["alt"]            # of 2 ranked units, not 3
    assert [r[0] for r in summary["rows"]] == ["1", "2", "–"]


def test_a_category_with_no_ranked_unit_says_so(indonesian):
    summary = ranking_summary([row("KPU Provinsi Papua", None, 90.0),
                               row("KPU Provinsi Aceh", None, 70.0)])
    assert summary["alt"] == ("Tidak ada satuan kerja yang diperingkat di sini: 2 satuan kerja "
                              "tidak memenuhi syarat keikutsertaan.")
    assert [r[0] for r in summary["rows"]] == ["–", "–"]
