"""A unit left without rank by the condition of entry (edition bakohumas-2026,
``sk-bakohumas``, ``entry_unmet``) after a published final run: every page and download that
shows it answers 200 and says why instead of a rank ("Tidak diperingkat: syarat keikutsertaan
tidak terpenuhi"), and 'n dari m' counts ranked units only.

Season: ``test_stage_two.build_season`` on the 2026 edition (13 provinces, 3 regencies); a
judge's Tidak on unit 14's condition, then a final run, published."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from assessment.models import User
from assessment.operations.results import change_chart, slope_data
from assessment.operations.runs import create_run, publish, run_result
from reports.rank_changes import rank_changes
from tests.conftest import SLUG
from tests.test_assessment_api import matches_schema
from tests.test_feedback_api import bearer
from tests.test_stage_two import build_season, login
from tests.test_verification import html
from tests.test_verify_entry import ENTRY, UNIT, judge_refuses_entry

NOT_RANKED = "Tidak diperingkat: syarat keikutsertaan tidak terpenuhi"
NOT_RANKED_EN = "Not ranked: the condition of entry is not met."


@pytest.fixture
def season(app, session, make_user, make_period):
    period = make_period(slug=SLUG, opens=-30, closes=-10, rubric_id="bakohumas-2026")
    admin = make_user(username="admin-uji", role="admin", unit_code=None)
    make_user(username="op-14", unit_code=UNIT)
    data = build_season(session, period)
    judge_refuses_entry(session, data["judges"])
    create_run(session, period, "provisional", admin)
    final = create_run(session, period, "final", admin)
    publish(session, period, final, admin)
    session.commit()
    ranking = run_result(final)["ranking"]
    row = next(r for r in ranking if r["unit"] == UNIT)
    assert row["rank"] is None and row["entry_unmet"] == [ENTRY]
    return dict(data, period=period, run=final, ranking=ranking)


def ranked_provinces(season) -> int:
    return sum(1 for r in season["ranking"]
               if r["category"] == "provinsi" and r["rank"] is not None)


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def sheet(book_bytes, name="Peringkat Provinsi") -> list[tuple]:
    wb = load_workbook(io.BytesIO(book_bytes), read_only=True)
    return [row for row in wb[name].iter_rows(values_only=True)
            if any(v is not None for v in row)]


def check_workbook(book) -> None:
    """The provinces' sheet: 12 ranked rows (ranks 1..12 in order, ties allowed), then unit
    14 with the reason in the rank's cell."""
    assert book.status_code == 200
    rows = sheet(book.data)
    header = next(i for i, r in enumerate(rows) if r[0] == "Peringkat")
    body = rows[header + 1:]
    assert [r[1] for r in body][-1] == UNIT and body[-1][0] == NOT_RANKED
    ranks = [r[0] for r in body[:-1]]
    assert len(ranks) == 12 and ranks[0] == 1 and ranks == sorted(ranks) and max(ranks) <= 12


def test_every_page_and_download_of_an_unranked_unit_says_why(client, auth, session, season,
                                                              tmp_path, cli):
    assert ranked_provinces(season) == 12 and shutil.which("pdftotext")
    base = f"/umpan-balik/{SLUG}/{UNIT}"
    for who in ("op-14", "admin-uji"):
        login(client, auth, who)
        page = client.get(base)
        assert page.status_code == 200, who
        text = html(page)
        assert NOT_RANKED_EN in text and 'data-testid="entry-unmet"' in text
        assert "data-rank>–<" in text and "data-unranked>" + NOT_RANKED_EN in text
        # the means cover all 13 scored provinces, and say that one is unranked
        assert "Rata-rata KPU Provinsi nasional (n=13, termasuk 1 tidak diperingkat)" in text
        assert "units listed without rank too" in text
        for img in set(re.findall(rf'src="({re.escape(base)}/[^"]+\.png[^"]*)"', text)):
            shot = client.get(img.replace("&amp;", "&"))
            assert shot.status_code == 200 and shot.data.startswith(b"\x89PNG"), img
        pdf = client.get(f"{base}/rapor.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        (tmp_path / "rapor.pdf").write_bytes(pdf.data)
        assert NOT_RANKED in pdf_text(tmp_path / "rapor.pdf")
        user = session.query(User).filter_by(username=who).one()
        api = client.get(f"/api/v1/periods/{SLUG}/units/{UNIT}/feedback",
                         headers=bearer(session, user))
        assert api.status_code == 200
        body = api.get_json()
        matches_schema("Feedback", body)
        assert body["rank"] is None and body["entry_unmet"] == [ENTRY]
        assert body["not_ranked"] == "Not ranked: entry condition not met"
        assert body["ranked"] == 12
    # the admin's run page and workbook
    runs = f"/admin/periode/{SLUG}/penghitungan/{season['run'].number}/"
    assert "data-entry-unmet>" + NOT_RANKED_EN in html(client.get(runs))
    check_workbook(client.get(f"{runs}peringkat.xlsx"))
    robust = client.get(f"{runs}peringkat-ketahanan.xlsx")
    check_workbook(robust)      # rank intervals are drawn for ranked units only
    intervals = sheet(robust.data, "Ketahanan Peringkat")
    assert any("31" in row for row in intervals) and all(UNIT not in row for row in intervals)
    # the admin's provisional ranking page
    page = html(client.get(f"/musim/{SLUG}/peringkat"))
    row = page[page.rindex("<tr", 0, page.index(f'<span class="text-muted small">{UNIT}</span>')):]
    assert "data-entry-unmet>" + NOT_RANKED_EN in row[:row.index("</tr>")]
    assert '<td class="text-end">–</td>' in row[:row.index("</tr>")]
    # public pages and workbook (Indonesian, no login)
    auth.logout()
    client.post("/bahasa/id")
    for url in (f"/hasil/{SLUG}/", f"/hasil/{SLUG}/provinsi"):
        page = client.get(url)
        assert page.status_code == 200 and NOT_RANKED in html(page), url
        for img in re.findall(r'<img [^>]*src="([^"]+)"', html(page)):
            assert client.get(img.replace("&amp;", "&")).status_code == 200, img
    summary = html(client.get(f"/hasil/{SLUG}/"))
    # the top ten of the 12 ranked provinces; unit 14 counted apart, in the full ranking (13)
    assert "10 teratas dari 12 satuan kerja yang diperingkat." in summary
    assert "data-entry-unmet-count>" + NOT_RANKED in summary
    assert "Peringkat lengkap KPU Provinsi (13)</a>" in summary
    full = html(client.get(f"/hasil/{SLUG}/provinsi"))
    assert "data-entry-unmet>" + NOT_RANKED in full
    book = client.get(f"/hasil/{SLUG}/peringkat-{season['run'].number}.xlsx")
    check_workbook(book)
    # the rank-change chart and table compare ranks only: unit 14 is left out of the chart
    # and marked in the table
    final = season["run"]
    drawn = slope_data(final, final, "provinsi")
    assert UNIT not in drawn["before"] and UNIT not in drawn["after"] and len(drawn["after"]) == 12
    assert change_chart(final, "2025", final, "2026", "provinsi").startswith(b"\x89PNG")
    changes = rank_changes(run_result(final)["ranking"], run_result(final)["ranking"])["provinsi"]
    assert changes[-1]["unit"] == UNIT and changes[-1]["entry_unmet"] is True
    assert changes[-1]["rank"] is None and changes[-1]["change"] is None
    api = client.get(f"/api/v1/periods/{SLUG}/ranking")
    assert api.status_code == 200
    listed = next(r for r in api.get_json()["ranking"] if r["unit"] == UNIT)
    assert listed["rank"] is None and listed["entry_unmet"] == [ENTRY]
    # run.py export --scorecards: one PDF for the unranked unit too
    folder = tmp_path / "rapor"
    code, out, err = cli("export", SLUG, "--scorecards", folder)
    assert code == 0, err
    mine = [p for p in folder.iterdir() if p.name.startswith(f"{UNIT}-")]
    assert len(mine) == 1 and len(list(folder.iterdir())) == 16
    assert NOT_RANKED in pdf_text(mine[0])
