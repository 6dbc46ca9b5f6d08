"""The ranking workbook: sheets, numbers as numbers, codes and user text as literal text,
shared ranks, print setup; and that LibreOffice opens every sheet."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from rubrics import default_rubric_path, load_rubric
from scoring import Assessment, Unit, score
from scoring.engine import round2
from scoring.synthetic import responses_for
from reports.workbook import large_ranking_workbook, ranking_workbook, sheet_name, wib_text

from . import scoring_helpers as h

FORMULA = '=HYPERLINK("x")'
SHEETS = ["Ringkasan", "Peringkat KPU RI", "Peringkat Provinsi", "Peringkat Kabupaten-Kota",
          "Rincian Indikator", "Penghargaan", "Rubrik", "Metadata"]
GENERATED = datetime(2025, 8, 21, 7, 5, tzinfo=timezone.utc)


def season_units() -> list[Unit]:
    units = [Unit("00", "KPU RI", "pusat")]
    units += [Unit(f"{n:02d}", f"KPU Provinsi {n:02d}", "provinsi", f"Provinsi {n:02d}")
              for n in range(1, 13)]
    units += [Unit(f"{n // 3 + 1:02d}.{n:02d}", f"KPU Kabupaten {n:02d}", "kabkota",
                   f"Provinsi {n // 3 + 1:02d}") for n in range(27)]
    units[2] = Unit("02", FORMULA, "provinsi", "Provinsi 02")
    units[5] = Unit("05", "+62 21 555", "provinsi", "Provinsi 05")
    units[7] = Unit("07", "#N/A", "provinsi", "Provinsi 07")
    units[8] = Unit("08", "-1", "provinsi", "Provinsi 08")
    return units


@pytest.fixture(scope="module")
def season():
    rubric = load_rubric(default_rubric_path())
    units = season_units()
    result = score(rubric, Assessment(rubric.id, tuple(units), tuple(responses_for(rubric, units))),
                   detail=True)
    data = ranking_workbook(result, rubric, period_title="Penilaian 2025", input_sha256="ab" * 32,
                            generated_at=GENERATED, software_version="0.1.0")
    return rubric, result, data


@pytest.fixture(scope="module")
def book(season):
    return load_workbook(io.BytesIO(season[2]))


def table(sheet):
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return {name: n for n, name in enumerate(header)}, rows[1:]


def test_sheet_names(book):
    assert book.sheetnames == SHEETS


@pytest.mark.parametrize("category, name", [("pusat", "Peringkat KPU RI"),
                                            ("provinsi", "Peringkat Provinsi"),
                                            ("kabkota", "Peringkat Kabupaten-Kota"),
                                            ("desa", "Peringkat desa")])
def test_sheet_name_per_category(category, name):
    assert sheet_name(category) == name


def test_ranking_values_match_the_result(season, book):
    rubric, result, _ = season
    col, rows = table(book["Peringkat Provinsi"])
    expected = [r for r in result.ranking if r.unit.category == "provinsi"]
    assert len(rows) == len(expected) == 12
    for row, want in zip(rows, expected):
        assert row[col["Peringkat"]].value == want.rank
        assert row[col["Kode"]].value == want.unit.code
        assert row[col["Nilai Total"]].value == float(round2(want.total))
        aspect = rubric.aspects[0]
        assert row[col[aspect.title]].value == float(round2(want.aspects[aspect.id]))
        gap = row[col["Selisih Mandiri - Verifikasi"]].value
        verified = row[col["Nilai Verifikasi Kuesioner"]].value
        assert gap == pytest.approx(row[col["Nilai Mandiri"]].value - verified, abs=1e-9)


@pytest.mark.parametrize("sheet", SHEETS[1:])
def test_numbers_are_numbers_with_two_decimals(book, sheet):
    col, rows = table(book[sheet])
    numeric = [n for n, cell in enumerate(rows[0]) if isinstance(cell.value, float)]
    if sheet != "Metadata":
        assert numeric, sheet
    for row in rows:
        for n in numeric:
            cell = row[n]
            if cell.value is not None:
                assert cell.data_type == "n" and cell.number_format == "0.00", (sheet, cell)


@pytest.mark.parametrize("sheet", ["Peringkat Provinsi", "Peringkat Kabupaten-Kota",
                                   "Rincian Indikator", "Penghargaan"])
def test_codes_are_text_and_keep_leading_zeros(book, sheet):
    col, rows = table(book[sheet])
    codes = [row[col["Kode"]] for row in rows]
    assert all(c.data_type == "s" and isinstance(c.value, str) for c in codes)
    assert any(c.value.startswith("0") for c in codes)


def test_user_text_never_becomes_a_formula(book):
    col, rows = table(book["Peringkat Provinsi"])
    names = {row[col["Kode"]].value: row[col["Satuan Kerja"]] for row in rows}
    assert (names["02"].value, names["02"].data_type) == (FORMULA, "s")
    assert (names["05"].value, names["05"].data_type) == ("+62 21 555", "s")
    assert (names["07"].value, names["07"].data_type) == ("#N/A", "s")
    assert (names["08"].value, names["08"].data_type) == ("-1", "s")
    for sheet in book:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title


@pytest.mark.parametrize("sheet", SHEETS[1:])
def test_frozen_header_filter_and_print_setup(book, sheet):
    ws = book[sheet]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert all(8 <= w <= 70 for w in widths)


def test_colour_scale_on_totals(book):
    ws = book["Peringkat Kabupaten-Kota"]
    ranges = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    assert ranges == {f"E2:E{ws.max_row}": ["colorScale"]}


def test_summary_has_charts_and_top_three(book, season):
    _, result, _ = season
    ws = book["Ringkasan"]
    assert len(ws._charts) == 2                 # provinsi and kabkota; one unit is no chart
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    top = next(r for r in result.ranking if r.unit.category == "kabkota")
    assert top.unit.name in values and "Penilaian 2025" in values
    assert "Tiga teratas per penghargaan" in values


def test_indicator_detail_rows_and_anonymous_judges(book, season):
    rubric, result, _ = season
    col, rows = table(book["Rincian Indikator"])
    scored = [i.id for i in rubric.indicators if i.scored]
    assert len(rows) == len(result.ranking) * len(scored)
    assert "Penilai 1" in col and "Penilai 2" in col and "Penilai 3" not in col
    assert not any("penilai-0" in str(c.value) for row in rows for c in row)
    first = result.ranking[0]
    unit_rows = [r for r in rows if r[col["Kode"]].value == first.unit.code]
    total = sum(r[col["Kontribusi ke Nilai Verifikasi"]].value for r in unit_rows)
    assert total == pytest.approx(float(first.stages["verifikasi"]), abs=0.01 * len(scored))
    detail = first.indicators[scored[0]]
    judges = [float(detail.judge_fractions[n]) for n in sorted(detail.judge_fractions)]
    assert [unit_rows[0][col["Penilai 1"]].value, unit_rows[0][col["Penilai 2"]].value] == \
        pytest.approx(judges, abs=0.006)


def test_without_detail_the_indicator_sheet_says_why(season):
    rubric, _, _ = season
    units = season_units()[:5]
    result = score(rubric, Assessment(rubric.id, tuple(units), tuple(responses_for(rubric, units))))
    ws = load_workbook(io.BytesIO(ranking_workbook(result, rubric)))["Rincian Indikator"]
    assert ws.max_row == 1 and "tanpa rincian" in ws["A1"].value


def test_shared_ranks_show_as_numbers():
    same = {"sk": True, "sop": 4}
    responses = [h.resp("A", self_answers={"sk": True, "sop": 4, "unggahan": 9}),
                 h.resp("B", self_answers=same), h.resp("C", self_answers=same),
                 h.resp("D", self_answers={"sk": False})]
    rubric = h.rubric()
    result = score(rubric, h.assessment(responses), detail=True)
    ws = load_workbook(io.BytesIO(ranking_workbook(result, rubric)))["Peringkat Provinsi"]
    ranks = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert ranks == [1, 2, 2, 4]
    assert all(ws.cell(n, 1).data_type == "n" for n in range(2, 6))


def test_awards_mark_winners(book, season):
    _, result, _ = season
    col, rows = table(book["Penghargaan"])
    assert len(rows) == sum(len(v) for v in result.awards.values())
    winners = [r for r in rows if r[col["Pemenang"]].value == "Pemenang"]
    assert len(winners) == sum(r.winner for v in result.awards.values() for r in v)
    assert all(r[col["Satuan Kerja"]].font.b for r in winners)


def test_rubric_weights_add_up_to_one_hundred(book, season):
    col, rows = table(book["Rubrik"])
    weights = [r[col["Bobot (% total)"]].value for r in rows if r[col["Bobot (% total)"]].value]
    assert sum(weights) == pytest.approx(100, abs=0.01 * len(weights))
    levels = [r[col["Tingkatan / Pilihan"]].value for r in rows]
    assert any(v and v.startswith("0: ") for v in levels)


def test_metadata(book, season):
    rubric, _, _ = season
    meta = dict(book["Metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["Dibuat pada"] == "21 Agustus 2025 14.05 WIB"
    assert meta["ID rubrik"] == rubric.id and meta["SHA-256 rubrik"] == rubric.sha256
    assert meta["SHA-256 data masukan"] == "ab" * 32 and meta["Versi perangkat lunak"] == "0.1.0"


@pytest.mark.parametrize("moment, text", [
    (datetime(2025, 8, 21, 7, 5, tzinfo=timezone.utc), "21 Agustus 2025 14.05 WIB"),
    (datetime(2025, 12, 31, 17, 30), "1 Januari 2026 00.30 WIB"),      # naive means UTC
])
def test_wib_text(moment, text):
    assert wib_text(moment) == text


def test_large_workbook_streams_without_charts_or_detail(season):
    rubric, result, _ = season
    book = load_workbook(io.BytesIO(large_ranking_workbook(result, rubric)))
    assert book.sheetnames == SHEETS
    assert not book["Ringkasan"]._charts
    assert book["Rincian Indikator"].max_row == 1
    col, rows = table(book["Peringkat Provinsi"])
    assert [r[col["Kode"]].value for r in rows] == \
        [r.unit.code for r in result.ranking if r.unit.category == "provinsi"]
    assert rows[0][col["Nilai Total"]].number_format == "0.00"


# -- LibreOffice -----------------------------------------------------------------------------

@pytest.mark.slow
def test_libreoffice_converts_every_sheet(season, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("soffice (LibreOffice) is not installed; CI installs libreoffice-calc")
    rubric, result, data = season
    src = tmp_path / "peringkat.xlsx"
    src.write_bytes(data)
    out = tmp_path / "csv"
    profile = f"file:///tmp/lo-{uuid.uuid4().hex}"
    try:
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
             'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1',
             "--outdir", str(out), str(src)], capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    assert done.returncode == 0, done.stderr
    sheets = {p.stem.removeprefix("peringkat-"): p for p in out.glob("*.csv")}
    assert set(sheets) == set(SHEETS), (sorted(sheets), done.stdout, done.stderr)

    def read(name):
        return list(csv.reader(io.StringIO(sheets[name].read_text(encoding="utf-8"))))

    rows = read("Peringkat Provinsi")
    col = {name: n for n, name in enumerate(rows[0])}
    expected = [r for r in result.ranking if r.unit.category == "provinsi"]
    assert [r[col["Peringkat"]] for r in rows[1:]] == [str(r.rank) for r in expected]
    assert [r[col["Kode"]] for r in rows[1:]] == [r.unit.code for r in expected]
    assert [r[col["Satuan Kerja"]] for r in rows[1:]] == [r.unit.name for r in expected]
    assert FORMULA in [r[col["Satuan Kerja"]] for r in rows[1:]]
    shown = [r[col["Nilai Total"]] for r in rows[1:]]
    assert shown == [str(round2(r.total)) for r in expected]
    for name in SHEETS:
        assert read(name), name
