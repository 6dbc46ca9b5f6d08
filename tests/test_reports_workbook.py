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
from reports.sheetxml import RowEncoder, escape_text, text_xml
from reports.indonesian import wib_text
from reports.workbook import (CATEGORY_TITLES, Column, large_ranking_workbook, ranking_workbook,
                              robustness_table, sheet_name, table_workbook)
from scoring.robustness import rank_intervals

from . import scoring_helpers as h

FORMULA = '=HYPERLINK("x")'
# the 2026 edition scores stage two per criterion: its sheet follows the awards (a note
# here, where no judges' marks are given)
SHEETS = ["Ringkasan", "Peringkat KPU RI", "Peringkat Provinsi", "Peringkat Kabupaten-Kota",
          "Rincian Indikator", "Tidak Mengirim", "Perubahan Peringkat", "Penghargaan",
          "Tahap 2 per Kriteria", "Rubrik", "Metadata"]
ROBUST_SHEETS = SHEETS[:9] + ["Ketahanan Peringkat"] + SHEETS[9:]
PERCENT = "0.00%"
CHART_DATA = "Data Grafik Ketahanan"      # hidden, last: the rank-interval charts' numbers
# XML and OOXML specials, spaces at the ends, a line break: LibreOffice reads them back as is
ODD = ' KPU <Kota> & "Satu"\nbaris _x0041_ '
BELL = "KPU Kota Lonceng \x07"           # XML cannot hold it: written as _x0007_
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
    units[9] = Unit("09", ODD, "provinsi", "Provinsi 09")
    units[10] = Unit("10", BELL, "provinsi", "Provinsi 10")
    return units


@pytest.fixture(scope="module")
def season():
    rubric = load_rubric(default_rubric_path())
    units = season_units()
    assessment = Assessment(rubric.id, tuple(units), tuple(responses_for(rubric, units)))
    result = score(rubric, assessment, detail=True)
    intervals = rank_intervals(rubric, assessment, runs=30)
    data = ranking_workbook(result, rubric, period_title="Penilaian 2025", input_sha256="ab" * 32,
                            generated_at=GENERATED, software_version="0.1.0", intervals=intervals)
    return rubric, result, data, intervals


@pytest.fixture(scope="module")
def plain(season):
    """The workbook without rank intervals (what the score command writes)."""
    rubric, result = season[:2]
    return load_workbook(io.BytesIO(ranking_workbook(result, rubric)))


@pytest.fixture(scope="module")
def book(season):
    return load_workbook(io.BytesIO(season[2]))


def table(sheet):
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return {name: n for n, name in enumerate(header)}, rows[1:]


def test_sheet_names(book, plain):
    assert book.sheetnames == ROBUST_SHEETS + [CHART_DATA]
    assert [ws.sheet_state for ws in book] == ["visible"] * len(ROBUST_SHEETS) + ["hidden"]
    assert plain.sheetnames == SHEETS


@pytest.mark.parametrize("category, name", [("pusat", "Peringkat KPU RI"),
                                            ("provinsi", "Peringkat Provinsi"),
                                            ("kabkota", "Peringkat Kabupaten-Kota"),
                                            ("desa", "Peringkat desa")])
def test_sheet_name_per_category(category, name):
    assert sheet_name(category) == name


def test_ranking_values_match_the_result(season, book):
    rubric, result = season[:2]
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


SHARE_COLUMNS = {"Bobot (dari total)", "Bobot Aspek", "Capaian Mandiri", "Penilai 1",
                 "Penilai 2", "Moderasi", "Terverifikasi", "Tetap di Peringkatnya"}


@pytest.mark.parametrize("sheet", [s for s in ROBUST_SHEETS[1:]   # sheets with a note only: out
                                   if s not in ("Tidak Mengirim", "Perubahan Peringkat",
                                                "Tahap 2 per Kriteria")])
def test_numbers_are_numbers_with_two_decimals_or_percentages(book, sheet):
    col, rows = table(book[sheet])
    numeric = {name: n for name, n in col.items() if isinstance(rows[0][n].value, float)}
    if sheet != "Metadata":
        assert numeric, sheet
    for row in rows:
        for name, n in numeric.items():
            cell = row[n]
            if cell.value is not None and name != "Jawaban Mandiri":
                want = PERCENT if name in SHARE_COLUMNS else "0.00"
                assert cell.data_type == "n" and cell.number_format == want, (sheet, name, cell)
                if want == PERCENT:
                    assert 0 <= cell.value <= 1, (sheet, name, cell.value)


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
    # openpyxl does not decode OOXML's _xHHHH_ escapes (Excel and LibreOffice do)
    assert names["09"].value == ODD.replace("_x0041_", "_x005F_x0041_")
    assert names["10"].value == "KPU Kota Lonceng _x0007_"
    for sheet in book:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title


@pytest.mark.parametrize("sheet", [s for s in ROBUST_SHEETS[1:]     # notes only here: out
                                   if s not in ("Perubahan Peringkat", "Tahap 2 per Kriteria")])
def test_frozen_header_filter_and_print_setup(book, sheet):
    ws = book[sheet]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (the robustness sheet: its table, then its charts on a page beside)
    wide = 2 if sheet == "Ketahanan Peringkat" else 1
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (wide, 0)
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert all(8 <= w <= 70 for w in widths)


def test_colour_scale_on_totals(book):
    ws = book["Peringkat Kabupaten-Kota"]
    ranges = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    assert ranges == {f"E2:E{ws.max_row}": ["colorScale"]}


def test_summary_has_charts_and_top_three(book, season):
    result = season[1]
    ws = book["Ringkasan"]
    assert len(ws._charts) == 2                 # provinsi and kabkota; one unit is no chart
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    top = next(r for r in result.ranking if r.unit.category == "kabkota")
    assert top.unit.name in values and "Penilaian 2025" in values
    assert "Tiga teratas per penghargaan" in values


def test_summary_has_distribution_image_and_province_heat_map(book, season):
    rubric, result = season[:2]
    ws = book["Ringkasan"]
    assert len(ws._images) == 1                 # the distribution with predicate bands
    assert ws._images[0]._data()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(ws.iter_rows(values_only=True))
    start = next(n for n, r in enumerate(rows) if r[0] and str(r[0]).startswith("Rata-rata nilai"))
    assert "semua satuan kerja di provinsi" in rows[start][0]
    assert list(rows[start + 1][:len(rubric.aspects) + 2]) == \
        ["Provinsi", "n"] + [a.title for a in rubric.aspects]
    groups = {}
    for r in result.ranking:
        if r.unit.province:
            groups.setdefault(r.unit.province, []).append(r)
    # sorted by the mean total of all units in the province, highest first
    provinces = sorted(groups, key=lambda p: (-sum(r.total for r in groups[p]) / len(groups[p]), p))
    body = rows[start + 2:start + 2 + len(provinces)]
    assert [r[0] for r in body] == provinces
    assert [r[1] for r in body] == [len(groups[p]) for p in provinces]
    first = groups[provinces[0]]
    aspect = rubric.aspects[0].id
    mean = sum(r.aspects[aspect] for r in first) / len(first)
    assert body[0][2] == float(round2(mean))
    scales = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    last = chr(ord("A") + len(rubric.aspects) + 1)
    assert scales == {f"C{start + 3}:{last}{start + 2 + len(provinces)}": ["colorScale"]}


def test_robustness_sheet_lists_intervals_and_close_neighbours(book, season):
    intervals = season[3]
    ws = book["Ketahanan Peringkat"]
    col, rows = table(ws)
    assert len(rows) == len(intervals["units"])
    for row, unit in zip(rows, intervals["units"]):
        assert row[col["Kode"]].value == unit["code"]
        assert row[col["Peringkat Resmi"]].value == unit["rank"]
        assert (row[col["Persentil ke-5"]].value, row[col["Persentil ke-95"]].value) == \
            (unit["p5"], unit["p95"])
        assert row[col["Tetap di Peringkatnya"]].value == \
            pytest.approx(unit["keep_share"], abs=0.00005)
    close = [p for p in intervals["pairs"] if p["too_close"]]
    assert close, "the small season should have neighbours too close to call"
    pair = close[0]
    by_code = {r[col["Kode"]].value: r for r in rows}
    assert f"{pair['lower']} " in by_code[pair["upper"]][col["Terlalu Ketat dengan (urutan bertukar)"]].value
    assert f"{pair['upper']} " in by_code[pair["lower"]][col["Terlalu Ketat dengan (urutan bertukar)"]].value
    calm = {u["code"] for u in intervals["units"]} - {c for p in close for c in (p["upper"], p["lower"])}
    assert all(by_code[c][col["Terlalu Ketat dengan (urutan bertukar)"]].value is None for c in calm)
    # one native rank-interval chart per category of two or more units, printed too: the
    # print area takes in the charts (from column K) on a page of their own
    assert not ws._images
    assert len(ws._charts) == 2
    area = ws.print_area.split("!")[1].replace("$", "")
    first, last = area.split(":")
    assert first == "A1" and last.rstrip("0123456789") >= "Y"
    assert int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) >= len(rows) + 1
    assert [b.id for b in ws.col_breaks.brk] == [10]
    meta = dict(book["Metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["Ketahanan peringkat"].startswith("30 ulangan (seed 2025)")
    assert "peringkat resmi tidak berubah" in meta["Ketahanan peringkat"]


def test_rank_interval_charts_are_native_floating_bars(book, season):
    intervals = season[3]
    charts = book["Ketahanan Peringkat"]._charts
    data = book[CHART_DATA]
    col, rows = table(data)
    provinsi = [u for u in intervals["units"] if u["category"] == "provinsi"]
    chart = charts[0]
    assert (chart.type, chart.grouping, chart.overlap) == ("bar", "stacked", 100)
    assert chart.x_axis.scaling.orientation == "maxMin"          # rank 1 at the top
    start, before, mark, after = chart.series
    assert start.graphicalProperties.noFill and start.graphicalProperties.line.noFill
    assert not before.graphicalProperties.noFill
    # the categories are the unit names in official order, the bars end where the interval does
    names = start.cat.strRef.f
    assert names == f"'{CHART_DATA}'!$B$2:$B${len(provinsi) + 1}"
    shown = rows[:len(provinsi)]
    for row, unit in zip(shown, provinsi):
        assert row[col["Satuan Kerja"]].value.startswith(f"{unit['rank']}. ")
        parts = [row[n].value for n in range(2, 6)]    # start, before, mark, after
        assert parts[0] == pytest.approx(unit["low"] - 0.5)
        assert parts[0] + parts[1] + parts[2] / 2 == pytest.approx(unit["rank"])
        assert sum(parts) == pytest.approx(unit["high"] + 0.5)
        assert min(parts) >= 0
    # the too-close units' bars are red: data points of the interval series
    close = {p[c] for p in intervals["pairs"] if p["too_close"] and p["category"] == "provinsi"
             for c in ("upper", "lower")}
    assert {p.idx for p in before.dPt} == {n for n, u in enumerate(provinsi) if u["code"] in close}
    assert "30 teratas" not in chart.title.tx.rich.p[0].r[0].t


def test_robustness_can_be_computed_on_request():
    rubric = h.rubric()
    responses = [h.resp("A", self_answers={"sk": True, "sop": 4, "unggahan": 9}),
                 h.resp("B", self_answers={"sk": True, "sop": 4}),
                 h.resp("C", self_answers={"sk": False})]
    assessment = h.assessment(responses)
    result = score(rubric, assessment)
    book = load_workbook(io.BytesIO(ranking_workbook(result, rubric, assessment=assessment)))
    col, rows = table(book["Ketahanan Peringkat"])
    expected = rank_intervals(rubric, assessment)
    assert [r[col["Persentil ke-95"]].value for r in rows] == [u["p95"] for u in expected["units"]]


def test_robustness_table_in_official_order(season):
    intervals = season[3]
    columns, rows = robustness_table(intervals)
    assert [r[2] for r in rows] == [u["code"] for u in intervals["units"]]
    assert [c.kind for c in columns][:3] == ["text", "int", "code"]


def test_indicator_detail_rows_and_anonymous_judges(book, season):
    rubric, result = season[:2]
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
    rubric = season[0]
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
    result = season[1]
    col, rows = table(book["Penghargaan"])
    assert len(rows) == sum(len(v) for v in result.awards.values())
    winners = [r for r in rows if r[col["Pemenang"]].value == "Pemenang"]
    assert len(winners) == sum(r.winner for v in result.awards.values() for r in v)
    assert all(r[col["Satuan Kerja"]].font.b for r in winners)


def test_rubric_weights_add_up_to_one_hundred(book, season):
    col, rows = table(book["Rubrik"])
    weights = [r[col["Bobot (dari total)"]].value for r in rows
               if r[col["Bobot (dari total)"]].value]
    assert sum(weights) == pytest.approx(1, abs=0.0001 * len(weights))
    assert all(r[col["Bobot (dari total)"]].number_format == PERCENT for r in rows
               if r[col["Bobot (dari total)"]].value)
    levels = [r[col["Tingkatan / Pilihan"]].value for r in rows]
    assert any(v and v.startswith("0: ") for v in levels)


def test_metadata(book, season):
    rubric = season[0]
    meta = dict(book["Metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["Dibuat pada"] == datetime(2025, 8, 21, 14, 5)      # a date-time cell, WIB
    cell = next(r[1] for r in book["Metadata"].iter_rows() if r[0].value == "Dibuat pada")
    assert cell.is_date and "yyyy" in cell.number_format and "WIB" in cell.number_format
    summary = next(r[1] for r in book["Ringkasan"].iter_rows(max_row=8)
                   if r[0].value == "Dibuat pada")
    assert summary.value == datetime(2025, 8, 21, 14, 5) and summary.is_date
    assert meta["ID rubrik"] == rubric.id and meta["SHA-256 rubrik"] == rubric.sha256
    assert meta["SHA-256 data masukan"] == "ab" * 32 and meta["Versi perangkat lunak"] == "0.1.0"


@pytest.mark.parametrize("moment, text", [
    (datetime(2025, 8, 21, 7, 5, tzinfo=timezone.utc), "21 Agustus 2025 14.05 WIB"),
    (datetime(2025, 12, 31, 17, 30), "1 Januari 2026 00.30 WIB"),      # naive means UTC
])
def test_wib_text(moment, text):
    assert wib_text(moment) == text


def test_table_workbook_takes_a_generator():
    columns = [Column("Kode", "code"), Column("Nama"), Column("Nilai Total", "num")]
    rows = ([f"{n:03d}", f"Satuan {n}", n / 3] for n in range(50))
    ws = load_workbook(io.BytesIO(table_workbook("Daftar", columns, rows)))["Daftar"]
    assert ws.max_row == 51 and ws.auto_filter.ref == "A1:C51"
    assert [ws["A2"].value, ws["C3"].value] == ["000", pytest.approx(1 / 3)]
    assert ws["C3"].number_format == "0.00"


@pytest.mark.parametrize("value, xml", [
    ("plain", "plain"), ("a & <b>", "a &amp; &lt;b&gt;"), ("_x0041_", "_x005F_x0041_"),
    ("bell\x07", "bell_x0007_"), ("cr\r", "cr_x000D_"), ("=SUM(A1)", "=SUM(A1)")])
def test_escape_text(value, xml):
    assert escape_text(value) == xml


def test_text_keeps_spaces_and_line_breaks():
    assert text_xml(" a") == '<is><t xml:space="preserve"> a</t></is>'
    assert text_xml("a\nb") == '<is><t xml:space="preserve">a\nb</t></is>'
    assert text_xml("a b") == "<is><t>a b</t></is>"


def test_row_encoder_types_and_styles():
    encoder = RowEncoder([0, 3, 4, 0, 0], marked_styles=[5, 3, 4, 5, 5])
    assert encoder.row(2, ["=1", 2.5, 7, None, True]) == (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>=1</t></is></c>'
        '<c r="B2" s="3"><v>2.5</v></c><c r="C2" s="4"><v>7</v></c>'
        '<c r="E2" t="b"><v>1</v></c></row>')
    assert 's="5"' in encoder.row(3, ["x"], marked=True, height=30)
    assert encoder.row(3, ["x"], height=30).startswith('<row r="3" ht="30" customHeight="1">')
    with pytest.raises(ValueError):
        encoder.row(4, ["x", float("nan")])


def test_a_miscounted_table_is_refused():
    from reports.workbook import _TableWriter
    from openpyxl import Workbook
    writer = _TableWriter(Workbook(write_only=True))
    writer.write("T", [Column("A")], iter([["x"], ["y"]]), count=3)
    with pytest.raises(ValueError, match="2 rows written, 3 expected|3 rows written, 4 expected"):
        writer.save()


def test_large_workbook_streams_without_charts_or_detail(season):
    rubric, result = season[:2]
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
    rubric, result, data, intervals = season
    src = tmp_path / "peringkat.xlsx"
    src.write_bytes(data)
    out = tmp_path / "csv"
    profile = f"file:///tmp/lo-{uuid.uuid4().hex}"
    try:
        # filter token 9 "true": cells as shown (formatted), so totals read back as 50.60
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
             'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1',
             "--outdir", str(out), str(src)], capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    assert done.returncode == 0, done.stderr
    sheets = {p.stem.removeprefix("peringkat-"): p for p in out.glob("*.csv")}
    assert set(sheets) == set(ROBUST_SHEETS + [CHART_DATA]), (sorted(sheets), done.stdout,
                                                               done.stderr)

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
    names = [r[col["Satuan Kerja"]] for r in rows[1:]]
    assert ODD in names and BELL in names          # OOXML escapes decoded, spaces kept
    rows = read("Ketahanan Peringkat")
    col = {name: n for n, name in enumerate(rows[0])}
    assert [(r[col["Kode"]], r[col["Persentil ke-5"]], r[col["Persentil ke-95"]])
            for r in rows[1:]] == [(u["code"], str(u["p5"]), str(u["p95"]))
                                   for u in intervals["units"]]
    rows = read(CHART_DATA)          # the charts' labels: rank and the unit's name as text
    provinsi = [u for u in intervals["units"] if u["category"] == "provinsi"]
    assert [r[1].split(" (tetap ")[0] for r in rows[1:len(provinsi) + 1]] == \
        [f"{u['rank']}. {' '.join(u['name'].split())[:36]}" for u in provinsi]
    assert any(r[1].startswith(f"{FORMULA} ") or f". {FORMULA} " in r[1] for r in rows[1:])
    rows = read("Rincian Indikator")
    assert len(rows) == 1 + len(result.ranking) * sum(1 for i in rubric.indicators if i.scored)
    assert rows[1][:2] == [result.ranking[0].unit.code, result.ranking[0].unit.name]
    for name in ROBUST_SHEETS:
        assert read(name), name


# -- not submitted, rank changes, indicator answers ------------------------------------------

def test_not_submitted_sheet_lists_units_with_names():
    rubric = h.rubric()
    responses = [h.resp("A", self_answers={"sk": True, "sop": 4}),
                 h.resp("C", self_answers={"sk": False})]
    assessment = h.assessment(responses, units=[h.unit(c) for c in "ABCDE"])
    result = score(rubric, assessment, detail=True)
    assert result.not_submitted == ("B", "D", "E")
    book = load_workbook(io.BytesIO(ranking_workbook(result, rubric, units=assessment.units)))
    col, rows = table(book["Tidak Mengirim"])
    names = {u.code: u.name for u in assessment.units}
    assert [r[col["Kode"]].value for r in rows] == sorted(result.not_submitted)
    assert [r[col["Satuan Kerja"]].value for r in rows] == \
        [names[c] for c in sorted(result.not_submitted)]


def test_rank_changes_against_two_hand_written_rankings():
    from reports.rank_changes import rank_changes
    before = [{"unit": "A", "name": "Satu", "category": "kabkota", "rank": 89},
              {"unit": "B", "name": "Dua", "category": "kabkota", "rank": 8},
              {"unit": "C", "name": "Tiga", "category": "kabkota", "rank": 1},
              {"unit": "D", "name": "Empat", "category": "kabkota", "rank": 2}]
    after = [{"unit": "A", "name": "Satu", "category": "kabkota", "rank": 6},
             {"unit": "B", "name": "Dua", "category": "kabkota", "rank": 8},
             {"unit": "C", "name": "Tiga", "category": "kabkota", "rank": 9},
             {"unit": "E", "name": "Lima", "category": "kabkota", "rank": 1}]
    assert rank_changes(before, after) == {"kabkota": [
        {"unit": "E", "name": "Lima", "previous_rank": None, "rank": 1, "change": None},
        {"unit": "A", "name": "Satu", "previous_rank": 89, "rank": 6, "change": 83},
        {"unit": "B", "name": "Dua", "previous_rank": 8, "rank": 8, "change": 0},
        {"unit": "C", "name": "Tiga", "previous_rank": 1, "rank": 9, "change": -8},
        {"unit": "D", "name": "Empat", "previous_rank": 2, "rank": None, "change": None}]}


def test_rank_change_sheet(season):
    rubric, result = season[:2]
    provinsi = [r for r in result.ranking if r.unit.category == "provinsi"]
    # the previous period: the order reversed, the last unit absent, one unit since gone
    previous = [{"unit": r.unit.code, "name": r.unit.name, "category": "provinsi",
                 "rank": len(provinsi) - n} for n, r in enumerate(provinsi[:-1])]
    previous.append({"unit": "99", "name": "KPU Provinsi Lama", "category": "provinsi",
                     "rank": len(provinsi)})
    data = ranking_workbook(result, rubric, previous={"title": "Penilaian 2024",
                                                       "ranking": previous})
    col, rows = table(load_workbook(io.BytesIO(data))["Perubahan Peringkat"])
    assert "Peringkat Penilaian 2024" in col
    got = {r[col["Kode"]].value: (r[col["Peringkat Penilaian 2024"]].value,
                                  r[col["Peringkat"]].value,
                                  r[col["Perubahan (naik +, turun \u2212)"]].value)
           for r in rows}
    first = provinsi[0]
    assert got[first.unit.code] == (len(provinsi), first.rank, len(provinsi) - first.rank)
    assert got[provinsi[-1].unit.code] == (None, provinsi[-1].rank, None)
    assert got["99"] == (len(provinsi), None, None)
    codes = [r[col["Kode"]].value for r in rows if r[col["Kategori"]].value == "KPU Provinsi"]
    assert codes[-1] == "99"                   # no longer ranked: listed last
    for r in rows:
        assert r[col["Perubahan (naik +, turun \u2212)"]].data_type in ("n",)
    # shown with its sign, as the results page writes it: +3, −3, 0
    changed = next(r[col["Perubahan (naik +, turun \u2212)"]] for r in rows
                   if r[col["Perubahan (naik +, turun \u2212)"]].value is not None)
    assert changed.number_format == '+0;"\u2212"0;0'


def test_without_a_previous_period_the_change_sheet_says_why(plain):
    ws = plain["Perubahan Peringkat"]
    assert ws.max_row == 1 and "Belum ada periode sebelumnya" in ws["A1"].value


def test_indicator_rows_have_province_and_the_answer_given():
    rubric = h.rubric()
    responses = [h.resp("A", self_answers={"sk": True, "sop": 4, "unggahan": 9}),
                 h.resp("B", self_answers={"sk": False, "sop": 2})]
    assessment = h.assessment(responses)
    result = score(rubric, assessment, detail=True)
    book = load_workbook(io.BytesIO(ranking_workbook(result, rubric, assessment=assessment)))
    col, rows = table(book["Rincian Indikator"])
    assert list(col)[:8] == ["Kode", "Satuan Kerja", "Provinsi", "Aspek", "Kode Indikator",
                             "Bobot (dari total)", "Jawaban Mandiri", "Capaian Mandiri"]
    units = {u.code: u for u in assessment.units}
    answers = {(r[col["Kode"]].value, r[col["Kode Indikator"]].value): r for r in rows}
    assert answers[("A", "sk")][col["Jawaban Mandiri"]].value == "Ya"
    assert answers[("B", "sk")][col["Jawaban Mandiri"]].value == "Tidak"
    assert answers[("A", "unggahan")][col["Jawaban Mandiri"]].value == 9
    assert answers[("A", "sk")][col["Capaian Mandiri"]].value == 1
    assert answers[("A", "sk")][col["Provinsi"]].value == (units["A"].province or None)


def test_a_scale_answer_is_written_with_its_level_label():
    from types import SimpleNamespace
    from reports.workbook import answer_text
    scale = SimpleNamespace(type="scale", levels=[SimpleNamespace(label=t) for t in
                                                  ("Belum ada", "Rintisan", "Optimum")])
    assert answer_text(2, scale) == "2 Optimum"
    assert answer_text(True, scale) == "Ya" and answer_text(7) == 7


# -- long award names on Ringkasan -----------------------------------------------------------

def _longest_award():
    """(edition, award title): the longest award title of every rubric edition shipped."""
    from rubrics.loader import EDITIONS_DIR
    editions = [load_rubric(path) for path in sorted(EDITIONS_DIR.glob("*.yaml"))]
    return max(((e, a.title) for e in editions for a in e.awards), key=lambda p: len(p[1]))


@pytest.fixture(scope="module")
def long_award():
    rubric, title = _longest_award()
    units = season_units()
    result = score(rubric, Assessment(rubric.id, tuple(units), tuple(responses_for(rubric, units))),
                   detail=True)
    award_id = next(a.id for a in rubric.awards if a.title == title)
    assert result.awards[award_id]            # the season has rows for that award
    return title, ranking_workbook(result, rubric, period_title="Penilaian 2025")


def test_long_award_names_wrap_whole_on_the_summary(long_award):
    title, data = long_award
    # "Peliputan dan Kolaborasi Publikasi KPU Kabupaten/Kota Terbaik", 61 characters
    assert len(title) == 61
    ws = load_workbook(io.BytesIO(data))["Ringkasan"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == title]
    assert [c.column_letter for c in cells] == ["A"] * 3         # the top three, name whole
    # column A: its values at most 40 characters + 2 -> 42; the title wraps at 41:
    # "Peliputan dan Kolaborasi Publikasi KPU" (38) + " Kabupaten/Kota" would be 54 > 41,
    # so two lines of 15 points
    assert ws.column_dimensions["A"].width == 42
    for cell in cells:
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
        assert ws.row_dimensions[cell.row].height == 30
        rank = ws.cell(cell.row, 2)                            # the row's other cells align top
        assert rank.alignment.vertical == "top" and rank.value in (1, 2, 3)
    short = [c for row in ws.iter_rows() for c in row
             if c.value == "Bakohumas KPU Kabupaten/Kota Terbaik"]
    assert len(short) == 3 and all("\n" not in ws.cell(c.row, 4).value for c in short)
    assert {ws.row_dimensions[c.row].height for c in short} <= {None, 15}   # one line stays one


def test_summary_row_lines_by_hand():
    from reports.workbook import _wrapped_lines
    assert _wrapped_lines("Peliputan dan Kolaborasi Publikasi KPU Kabupaten/Kota Terbaik", 41,
                          char=1.0) == 2
    assert _wrapped_lines("Media Sosial KPU Kabupaten/Kota Terpuji", 41, char=1.0) == 1
    assert _wrapped_lines('KPU <Kota> & "Satu"\nbaris', 41, char=1.0) == 2     # its own break
    assert _wrapped_lines("x" * 100, 40, char=1.0) == 3                          # 40 + 40 + 20


@pytest.mark.slow
def test_libreoffice_prints_long_award_names_whole(long_award, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("soffice (LibreOffice) or pdftotext is not installed")
    title, data = long_award
    src = tmp_path / "peringkat.xlsx"
    src.write_bytes(data)
    profile = f"file:///tmp/lo-{uuid.uuid4().hex}"
    try:
        done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                               "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                              capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout",
                           str(tmp_path / "peringkat.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    first = [n for n, line in enumerate(text) if "Peliputan dan Kolaborasi Publikasi" in line]
    assert len(first) == 3                   # on the summary's first printed page, all three
    for n in first:                          # wrapped onto the next line, nothing cut
        assert text[n + 1].strip().startswith("Kabupaten/Kota Terbaik") or \
            text[n].strip().startswith(title)


def test_the_stage_two_sheet_shows_each_judges_criterion_marks(season):
    """Hand computation: (30*80 + 25*70 + 20*90 + 15*60 + 10*100) / 100 = 78.5 for J1; J2
    gave one overall mark, 90; the workbook repeats the unit's stage score from the result."""
    rubric, result = season[:2]
    row = next(r for r in result.ranking if "presentasi" in r.stages)
    marks = {row.unit.code: {"presentasi": {
        "J1": {"inovasi": 80, "dampak": 70, "keberlanjutan": 90, "replikasi": 60,
               "tanya-jawab": 100},
        "J2": 90}}}
    book = load_workbook(io.BytesIO(ranking_workbook(result, rubric, stages=marks)))
    sheet = book["Tahap 2 per Kriteria"]
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:K3")
    col, rows = table(sheet)
    assert list(col)[4:] == ["Inovasi (bobot 30%)", "Dampak (bobot 25%)",
                             "Keberlanjutan (bobot 20%)", "Replikasi (bobot 15%)",
                             "Tanya Jawab (bobot 10%)", "Nilai Penilai", "Nilai Tahap"]
    values = [[c.value for c in r] for r in rows]
    stage = float(round2(row.stages["presentasi"]))
    category = CATEGORY_TITLES[row.unit.category]
    assert values == [
        [category, row.unit.code, row.unit.name, "J1", 80, 70, 90, 60, 100, 78.5, stage],
        [category, row.unit.code, row.unit.name, "J2", None, None, None, None, None, 90, stage]]
