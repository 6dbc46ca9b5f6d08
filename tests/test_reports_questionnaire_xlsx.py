"""The offline questionnaire workbook: building, reading back, and every refusal."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from defusedxml import ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from rubrics import load_rubric
from rubrics.loader import EDITIONS_DIR
from rubrics.model import Aspect, Indicator, Predicate, Rubric
from scoring.answers import counts_whole
from reports.questionnaire_xlsx import (META_SHEET, BASE_SHEET, answer_cells, build_questionnaire_workbook,
                                        parse_questionnaire_workbook, read_meta, sheet_titles)

RUBRIC = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")   # the edition of these periods
TITLES = sheet_titles(RUBRIC)
CELLS = answer_cells(RUBRIC)
PERIOD, UNIT = "bakohumas-2025", "33.74"


def sample_answers() -> dict:
    """One answer of every form for every indicator type, some left unanswered."""
    answers = {}
    for n, ind in enumerate(RUBRIC.indicators):
        if ind.type == "yesno":
            answers[ind.id] = n % 2 == 0
        elif ind.type == "scale":
            answers[ind.id] = n % len(ind.levels)
        elif ind.type == "number":
            value = [0, 12, 2.5, 1250000, 0.125][n % 5]
            answers[ind.id] = int(value) if counts_whole(ind) else value   # no 2,5 orang
        elif ind.type == "choice":
            answers[ind.id] = list(ind.options[n % 3::2])
        else:
            answers[ind.id] = "Baris pertama\nbaris kedua: \"kutip\" & <tanda>"
    answers["kanal-aktif"] = []                 # answered with no option at all
    answers["survei-persepsi"] = None           # unanswered
    answers["media-mitra"] = None
    answers["evaluasi-analitik"] = 0            # the first level is an answer, not a blank
    return answers


def build(answers=None, **overrides) -> bytes:
    kwargs = {"unit_code": UNIT, "unit_name": "KPU Kota Surakarta", "period_slug": PERIOD,
              "period_title": "Penilaian Tata Kelola Bakohumas 2025", "version": 4,
              "deadline": "31 Agustus 2025 23.59 WIB"} | overrides
    return build_questionnaire_workbook(RUBRIC, sample_answers() if answers is None else answers,
                                        **kwargs)


def parse(data: bytes, rubric=RUBRIC, **overrides):
    kwargs = {"period_slug": PERIOD, "unit_code": UNIT} | overrides
    return parse_questionnaire_workbook(data, rubric, **kwargs)


def edit(data: bytes, changes: dict) -> bytes:
    """The workbook with cells changed as a person would in Excel: {(sheet, cell): value}."""
    book = load_workbook(io.BytesIO(data))
    for (sheet, cell), value in changes.items():
        book[sheet][cell].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def option_cell(indicator_id: str, option: str) -> tuple[str, str]:
    sheet, first = CELLS[indicator_id]
    index = RUBRIC.indicator(indicator_id).options.index(option)
    return sheet, f"F{int(first[1:]) + index}"


def complete(answers: dict) -> dict:
    return {ind.id: answers.get(ind.id) for ind in RUBRIC.indicators}


# ---- round trip ------------------------------------------------------------------------

def test_round_trip_gives_back_every_answer():
    answers = sample_answers()
    assert {RUBRIC.indicator(k).type for k, v in answers.items() if v is not None} == \
        {"yesno", "scale", "number", "choice", "text"}
    got, errors = parse(build(answers))
    assert errors == []
    assert got == complete(answers)
    assert got["kanal-aktif"] == [] and got["survei-persepsi"] is None


def test_empty_questionnaire_reads_back_as_unanswered():
    got, errors = parse(build({}))
    assert errors == []
    assert got == {ind.id: None for ind in RUBRIC.indicators}


def _answer_strategy(ind: Indicator):
    if ind.type == "yesno":
        value = st.booleans()
    elif ind.type == "scale":
        value = st.integers(0, len(ind.levels) - 1)
    elif ind.type == "number":
        # Excel keeps 15 significant digits, as does the web form's number parsing
        value = st.one_of(st.integers(0, 10 ** 9), st.decimals(0, 10 ** 9, places=4).map(float)
                          .filter(lambda x: not x.is_integer()))
        if counts_whole(ind):   # a count of whole things (orang, kali) takes no fraction
            value = st.integers(0, 10 ** 9)
    elif ind.type == "choice":
        value = st.lists(st.sampled_from(ind.options), unique=True).map(
            lambda chosen: [o for o in ind.options if o in chosen])
    else:
        value = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).map(
            str.strip).filter(bool)
    return st.one_of(st.none(), value)


@settings(max_examples=15, deadline=None)
@given(st.fixed_dictionaries({ind.id: _answer_strategy(ind) for ind in RUBRIC.indicators}))
def test_round_trip_property(answers):
    got, errors = parse(build(answers))
    assert errors == []
    assert got == answers


def test_indonesian_and_plain_number_text_is_accepted():
    # read exactly as the web form reads them: "1.000" is one thousand (Indonesian grouping)
    cases = {"siaran-pers": "2,5", "pranata-humas": " 7 ", "pelatihan-kehumasan": "1.250.000",
             "berita-bulanan": "1.250,5", "produksi-video": "2.5", "temu-media": "1.000"}
    got, errors = parse(edit(build(), {CELLS[k]: v for k, v in cases.items()}))
    assert errors == []
    assert [got[k] for k in cases] == [2.5, 7, 1250000, 1250.5, 2.5, 1000]


def test_a_fraction_of_a_head_count_is_refused_with_the_cell_value():
    got, errors = parse(edit(build(), {CELLS["jumlah-personel"]: "2,5"}))
    assert [(e.cell, e.indicator_id, e.value) for e in errors] == [
        (CELLS["jumlah-personel"][1], "jumlah-personel", "2,5")]
    assert "whole number" in errors[0].message


def test_common_spellings_of_yes_and_no_are_accepted():
    changes = {CELLS["sk-bakohumas"]: "ya", CELLS["kalender-konten"]: "TIDAK",
               option_cell("sarana-kehumasan", "Kamera foto"): "x",
               option_cell("sarana-kehumasan", "Rumah Pintar Pemilu"): True}
    for option in RUBRIC.indicator("sarana-kehumasan").options[1:-1]:
        changes[option_cell("sarana-kehumasan", option)] = None
    got, errors = parse(edit(build(), changes))
    assert errors == []
    assert got["sk-bakohumas"] is True and got["kalender-konten"] is False
    assert got["sarana-kehumasan"] == ["Kamera foto", "Rumah Pintar Pemilu"]


def test_level_label_is_matched_without_regard_to_case_and_spacing():
    got, errors = parse(edit(build(), {CELLS["struktur-tim"]: "  terSTANDAR "}))
    assert errors == [] and got["struktur-tim"] == 3


# ---- formulas stay text --------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3",
                                  "=HYPERLINK(\"http://example.invalid\",\"klik\")"])
def test_formula_text_stays_literal_text(text):
    answers = sample_answers() | {"kendala-dukungan": text}
    data = build(answers, unit_name=text)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n)
                                  for n in sheets)
    sheet, cell = CELLS["kendala-dukungan"]
    book = load_workbook(io.BytesIO(data))
    assert book[sheet][cell].value == text and book[sheet][cell].data_type == "s"
    assert book[sheet]["A2"].value.startswith(text)
    got, errors = parse(data)
    assert errors == [] and got["kendala-dukungan"] == text


# ---- structure ------------------------------------------------------------------------------

def test_sheets_protection_and_layout():
    book = load_workbook(io.BytesIO(build()))
    assert book.sheetnames == ["Petunjuk", *TITLES.values(), META_SHEET, BASE_SHEET]
    assert book[META_SHEET].sheet_state == book[BASE_SHEET].sheet_state == "hidden"
    assert book.security.lockStructure
    for ws in book.worksheets:
        assert ws.protection.sheet and not ws.protection.password
    ws = book[TITLES["kelembagaan"]]
    assert [c.value for c in ws[3]] == ["No", "ID indikator", "Pertanyaan", "Jenis",
                                        "Pilihan/Petunjuk", "Jawaban", "Satuan", "Bukti dukung"]
    assert ws.freeze_panes == "A4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["B4"].value == "sk-bakohumas" and ws["F4"].value == "Ya"
    assert ws["E5"].value.startswith("1 = Belum ada: Belum ada susunan")
    assert ws["F5"].value == RUBRIC.indicator("struktur-tim").levels[
        sample_answers()["struktur-tim"]].label
    assert ws["C7"].value == "Kamera foto" and ws["F7"].value in ("Ya", "Tidak")
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
    expected = {CELLS["sk-bakohumas"][1], CELLS["struktur-tim"][1]} | {
        option_cell("sarana-kehumasan", o)[1] for o in RUBRIC.indicator("sarana-kehumasan").options}
    assert unlocked == expected
    assert all(ws.row_dimensions[r].height >= 15 for r in range(4, ws.max_row + 1))


def _validation_of(ws, coordinate):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def _list_values(book, formula: str) -> list[str]:
    sheet, ref = formula.rsplit("!", 1)
    return [c.value for row in book[sheet.strip("'")][ref.replace("$", "")] for c in row]


def test_every_answer_cell_has_its_drop_down_or_number_validation():
    book = load_workbook(io.BytesIO(build()))
    for ind in RUBRIC.indicators:
        sheet, cell = CELLS[ind.id]
        ws = book[sheet]
        if ind.type == "text":
            assert not any(cell in dv.sqref for dv in ws.data_validations.dataValidation)
            continue
        dv = _validation_of(ws, cell)
        if ind.type == "number":
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
            continue
        assert dv.type == "list" and dv.formula1.startswith(f"'{META_SHEET}'!")
        assert dv.showDropDown in (None, False)   # True would hide the arrow in Excel
        expected = [lv.label for lv in ind.levels] if ind.type == "scale" else ["Ya", "Tidak"]
        assert _list_values(book, dv.formula1) == expected
        if ind.type == "choice":
            for option in ind.options:
                assert _validation_of(ws, option_cell(ind.id, option)[1]) is dv


def test_sheet_titles_are_valid_and_unique_for_awkward_titles():
    ind = Indicator(id="a", type="yesno", question="?", weight=Fraction(1))
    awkward = "A/B: [uji]*?\\ aspek yang panjang sekali melebihi batas"
    aspects = tuple(Aspect(id=f"x{n}", title=title, weight=Fraction(1), indicators=(ind,))
                    for n, title in enumerate(["Petunjuk", awkward, awkward, "'kutip'", "x" * 80]))
    rubric = Rubric(id="r", title="R", aspects=aspects, predicates=(Predicate(Fraction(0), "-"),))
    titles = list(sheet_titles(rubric).values())
    assert len({t.lower() for t in titles} | {"petunjuk", "_meta"}) == len(titles) + 2
    for title in titles:
        assert 0 < len(title) <= 31 and not set(title) & set("[]:*?/\\")
        assert not title.startswith("'") and not title.endswith("'")
    assert list(sheet_titles(RUBRIC).values())[2] == "3. Perencanaan, Evaluasi"


def test_meta_names_period_unit_rubric_and_version():
    meta = read_meta(build(version=9))
    assert (meta.period_slug, meta.unit_code, meta.rubric_id, meta.rubric_sha256, meta.version) \
        == (PERIOD, UNIT, RUBRIC.id, RUBRIC.sha256, 9)


def test_pending_web_values_are_shown_and_must_be_fixed():
    answers = sample_answers() | {"jumlah-personel": None}
    data = build(answers, pending={"jumlah-personel": "dua belas"})
    sheet, cell = CELLS["jumlah-personel"]
    ws = load_workbook(io.BytesIO(data))[sheet]
    assert ws[cell].value == "dua belas" and ws[cell].comment is not None
    got, errors = parse(data)
    assert got == {}
    assert [(e.sheet, e.cell, e.indicator_id) for e in errors] == [(sheet, cell, "jumlah-personel")]


# ---- errors by sheet and cell --------------------------------------------------------------

ERROR_CASES = [
    ("wrong level label", "struktur-tim", "Sangat bagus", "is not one of the levels: Belum ada, "
     "Rintisan, Terkelola, Terstandar, Optimum"),
    ("level index beyond the scale", "struktur-tim", 7, "is not one of the levels"),
    ("negative number", "jumlah-personel", -3, "must not be negative"),
    ("negative number text", "jumlah-personel", "-3", "must not be negative"),
    ("letters in a number", "jumlah-personel", "abc", "Enter a number"),
    ("number with its unit", "jumlah-personel", "12 orang", "Enter a number"),
    ("yes/no typo", "sk-bakohumas", "Mungkin", "\u201cMungkin\u201d is neither Ya nor Tidak"),
]


@pytest.mark.parametrize("what,indicator_id,value,message", ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_a_wrong_value_is_reported_with_sheet_and_cell(what, indicator_id, value, message):
    sheet, cell = CELLS[indicator_id]
    got, errors = parse(edit(build(), {(sheet, cell): value}))
    assert got == {}
    assert len(errors) == 1
    error = errors[0]
    assert (error.sheet, error.cell, error.indicator_id) == (sheet, cell, indicator_id)
    assert message in error.message


def test_unknown_option_marker_is_reported_at_the_option_row():
    sheet, cell = option_cell("jenis-mitra", "Bawaslu")
    _, errors = parse(edit(build(), {(sheet, cell): "Mungkin"}))
    assert [(e.sheet, e.cell, e.indicator_id) for e in errors] == [(sheet, cell, "jenis-mitra")]
    assert "\u201cMungkin\u201d is neither Ya nor Tidak" in errors[0].message
    assert errors[0].params["option"] == "Bawaslu"


def test_all_errors_are_collected_at_once():
    changes = {CELLS["struktur-tim"]: "Sangat bagus", CELLS["jumlah-personel"]: "abc",
               CELLS["media-mitra"]: -1, option_cell("fitur-laman", "Peta situs (sitemap)"): "??",
               CELLS["sop-krisis"]: "mungkin"}
    got, errors = parse(edit(build(), changes))
    assert got == {}
    assert {(e.sheet, e.cell) for e in errors} == set(changes)
    assert all(e.indicator_id and e.message for e in errors)


@pytest.mark.parametrize("kwargs,cell,message", [
    ({"unit_code": "33.72"}, "B4", "belongs to work unit 33.74, not 33.72"),
    ({"period_slug": "bakohumas-2026"}, "B3",
     "belongs to period bakohumas-2025, not bakohumas-2026"),
])
def test_workbook_of_another_unit_or_period_is_refused(kwargs, cell, message):
    got, errors = parse(build(), **kwargs)
    assert got == {}
    assert [(e.sheet, e.cell) for e in errors] == [(META_SHEET, cell)]
    assert message in errors[0].message


@pytest.mark.parametrize("cell,value,message", [
    ("B7", "0" * 64, "another version of the questions"),
    ("B6", "bakohumas-2024", "made for rubric edition bakohumas-2024"),
    ("B8", "tiga", "data version of this workbook is missing"),
    ("B1", "lain", "not a questionnaire workbook"),
])
def test_tampered_meta_is_refused(cell, value, message):
    got, errors = parse(edit(build(), {(META_SHEET, cell): value}))
    assert got == {}
    assert any(e.sheet == META_SHEET and e.cell == cell and message in e.message for e in errors)


def test_a_rubric_changed_since_download_is_refused():
    changed = Rubric(id=RUBRIC.id, title=RUBRIC.title, aspects=RUBRIC.aspects,
                     predicates=RUBRIC.predicates, sha256="f" * 64)
    _, errors = parse(build(), rubric=changed)
    assert [(e.sheet, e.cell) for e in errors] == [(META_SHEET, "B7")]


def test_missing_meta_sheet_sheets_and_rows_are_reported():
    book = load_workbook(io.BytesIO(build()))
    del book[TITLES["laman"]]
    book[TITLES["sdm"]]["B4"].value = None                      # jumlah-personel's id erased
    book[TITLES["kelembagaan"]]["C8"].value = "Kamera lain"     # an option row renamed
    book.create_sheet("Catatan saya")["A1"] = "unknown sheets are ignored"
    out = io.BytesIO()
    book.save(out)
    _, errors = parse(out.getvalue())
    found = {(e.sheet, e.indicator_id): e.message for e in errors}
    assert "sheet 6. Pengelolaan Laman (Website) is missing" in found[(TITLES["laman"], "")]
    assert "row of indicator jumlah-personel is missing" in found[(TITLES["sdm"],
                                                                   "jumlah-personel")]
    assert "option Kamera video atau perekam video" in found[(TITLES["kelembagaan"],
                                                             "sarana-kehumasan")]
    assert len(errors) == 3
    del book[META_SHEET]
    out = io.BytesIO()
    book.save(out)
    _, errors = parse(out.getvalue())
    assert len(errors) == 1 and "sheet _meta is missing" in errors[0].message


def test_duplicated_indicator_row_is_reported():
    sheet, _ = CELLS["kalender-konten"]
    _, errors = parse(edit(build(), {(sheet, "B40"): "kalender-konten"}))
    assert [(e.sheet, e.cell, e.indicator_id) for e in errors] == [
        (sheet, "B40", "kalender-konten")]


def test_row_limit_is_respected():
    _, errors = parse(build(), max_rows=10)
    assert errors and all("more than 10 rows" in e.message for e in errors)
    sheet = TITLES["kelembagaan"]
    _, errors = parse(edit(build(), {(sheet, "A100000"): "x"}), max_rows=2000)
    assert [e.sheet for e in errors] == [sheet]


@pytest.mark.parametrize("data", [b"%PDF-1.7\n...", b"", b"PK\x03\x04 broken zip"])
def test_not_a_workbook_is_refused_clearly(data):
    got, errors = parse(data)
    assert got == {} and len(errors) == 1
    assert "cannot be read as an .xlsx workbook" in errors[0].message


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10)
                             for n in range(1, 10))
                  + b"]>")


def billion_laughs(data: bytes, member: str) -> bytes:
    """The workbook with an entity-expansion bomb in one of its XML parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                body = content.split(b"?>", 1)[-1] if content.startswith(b"<?xml") else content
                body = body.replace(b"<t>Ya</t>", b"<t>&lol9;</t>", 1)
                content = BILLION_LAUGHS + body
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet2.xml"])
def test_entity_expansion_is_refused(member):
    data = billion_laughs(build(), member)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<!ENTITY lol9" in archive.read(member)
    got, errors = parse(data)
    assert got == {} and len(errors) == 1
    assert "entity or document type declarations" in errors[0].message


# ---- LibreOffice -------------------------------------------------------------------------------

def _soffice(args: list[str], cwd: Path) -> None:
    profile = f"file:///tmp/lo-profile-{uuid.uuid4().hex}"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", *args],
                       cwd=cwd, check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)


def _lo_validations(fods: Path) -> dict[str, list[str]]:
    """{"<sheet>.<cell>": list values} of the list validations LibreOffice understood."""
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
    tree = ElementTree.parse(fods)
    tables = {}
    for table in tree.iter(f"{{{ns['table']}}}table"):
        rows = []
        for row in table.iter(f"{{{ns['table']}}}table-row"):
            cells = []
            for cell in row:
                if cell.tag not in (f"{{{ns['table']}}}table-cell",
                                    f"{{{ns['table']}}}covered-table-cell"):
                    continue
                repeat = int(cell.get(f"{{{ns['table']}}}number-columns-repeated", "1"))
                text = "".join(p.text or "" for p in cell.iter(f"{{{ns['text']}}}p"))
                validation = cell.get(f"{{{ns['table']}}}content-validation-name")
                cells += [(text, validation)] * min(repeat, 50)
            rows += [cells] * min(int(row.get(f"{{{ns['table']}}}number-rows-repeated", "1")), 50)
        tables[table.get(f"{{{ns['table']}}}name")] = rows
    conditions = {v.get(f"{{{ns['table']}}}name"): v.get(f"{{{ns['table']}}}condition")
                  for v in tree.iter(f"{{{ns['table']}}}content-validation")}

    def values(condition):
        # of:cell-content-is-in-list([$_meta.$B$12:.$C$12])
        ref = condition.split("([", 1)[1].rstrip("])")
        sheet, start = ref.split(".", 1)[0].lstrip("$"), ref.split(":", 1)[0].split(".")[-1]
        end = ref.split(":", 1)[1].lstrip(".")
        row = int(start.split("$")[-1]) - 1
        first, last = (ord(x.split("$")[1]) - ord("A") for x in (start, end))
        return [tables[sheet][row][c][0] for c in range(first, last + 1)]
    out = {}
    for sheet, rows in tables.items():
        for r, row in enumerate(rows, 1):
            for c, (_text, name) in enumerate(row):
                if name and "is-in-list" in (conditions.get(name) or ""):
                    out[f"{sheet}.{chr(ord('A') + c)}{r}"] = values(conditions[name])
    return out


@pytest.mark.slow
def test_libreoffice_opens_the_workbook_with_drop_downs_and_answers(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; CI installs libreoffice-calc")
    answers = sample_answers()
    (tmp_path / "q.xlsx").write_bytes(build(answers))
    _soffice(["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,"
              "false,false,-1", "--outdir", "csv", "q.xlsx"], tmp_path)
    _soffice(["--convert-to", "fods", "--outdir", "fods", "q.xlsx"], tmp_path)
    _soffice(["--convert-to", "xlsx", "--outdir", "saved", "q.xlsx"], tmp_path)

    for aspect in RUBRIC.aspects:
        path = tmp_path / "csv" / f"q-{TITLES[aspect.id]}.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for ind in aspect.indicators:
            row = int(CELLS[ind.id][1][1:]) - 1
            value = answers.get(ind.id)
            if ind.type == "choice":
                shown = [rows[row + i][5] for i in range(len(ind.options))]
                assert shown == ["" if value is None else "Ya" if o in value else "Tidak"
                                 for o in ind.options], ind.id
                continue
            assert rows[row - 1 if ind.type == "choice" else row][1] == ind.id
            shown = rows[row][5]
            if ind.type == "number" and value is not None:
                assert float(shown.replace(",", ".")) == value, ind.id   # locale's decimal mark
                continue
            expected = "" if value is None else {
                "yesno": lambda v: {True: "Ya", False: "Tidak"}[v],
                "scale": lambda v: ind.levels[v].label, "number": str,
                "text": lambda v: v}[ind.type](value)
            assert shown == expected, (ind.id, shown)

    lists = _lo_validations(tmp_path / "fods" / "q.fods")
    for ind in RUBRIC.indicators:
        sheet, cell = CELLS[ind.id]
        if ind.type in ("yesno", "choice"):
            assert lists[f"{sheet}.{cell}"] == ["Ya", "Tidak"], ind.id
        elif ind.type == "scale":
            assert lists[f"{sheet}.{cell}"] == [lv.label for lv in ind.levels], ind.id

    got, errors = parse((tmp_path / "saved" / "q.xlsx").read_bytes())
    assert errors == [] and got == complete(answers)


def test_the_no_column_numbers_indicators_as_numbers():
    book = load_workbook(io.BytesIO(build()))
    sheet = book[answer_cells(RUBRIC)[RUBRIC.aspects[0].indicators[0].id][0]]
    ids = {ind.id: n for n, ind in enumerate(RUBRIC.aspects[0].indicators, 1)}
    numbered = [(row[1].value, row[0].value) for row in sheet.iter_rows()
                if row[1].value in ids]
    assert numbered and all(no == ids[ind] and isinstance(no, int) for ind, no in numbered)


def test_the_workbook_remembers_the_answers_it_was_made_with():
    from reports.questionnaire_xlsx import base_fingerprint, read_base
    answers = {"sk-bakohumas": True, "jumlah-personel": 4}
    base = read_base(build(answers=answers))
    assert base["sk-bakohumas"] == base_fingerprint(True)
    assert base["jumlah-personel"] == base_fingerprint(4.0) == base_fingerprint(4)
    assert base["struktur-tim"] == base_fingerprint(None)


def test_scale_levels_are_numbered_from_1_as_on_the_web():
    book = load_workbook(io.BytesIO(build()))
    ws = book[TITLES["kelembagaan"]]
    helps = [c.value for c in ws["E"] if isinstance(c.value, str) and "= " in c.value]
    assert helps and helps[0].startswith("1 = ") and "0 = " not in helps[0]
