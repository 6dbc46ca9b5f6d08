""""Tidak berlaku" in the offline questionnaire workbook (edition bakohumas-2026): offered in
the drop-downs of the indicators the rubric allows it on (``allow_na``), only there, and read
back as not applicable, which the scoring module leaves out of the aspect."""
from __future__ import annotations

import copy
import io
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from reports.questionnaire_xlsx import (META_SHEET, answer_cells, build_questionnaire_workbook,
                                        drop_down, parse_questionnaire_workbook)
from rubrics import NOT_APPLICABLE, load_rubric, parse_rubric
from rubrics.loader import EDITIONS_DIR
from scoring import answer_fraction
from scoring.answers import counts_whole
from tests.scoring_helpers import BASE_RUBRIC
from tests.test_reports_questionnaire_xlsx import _lo_validations

RUBRIC = load_rubric(EDITIONS_DIR / "bakohumas-2026.yaml")
CELLS = answer_cells(RUBRIC)
PERIOD, UNIT = "bakohumas-2026", "33.74"
NA_IDS = ["pelibatan-badan-adhoc", "konten-tahapan", "ketepatan-layanan", "klarifikasi-24-jam",
          "klarifikasi-berbasis-data"]


def build(answers, rubric=RUBRIC) -> bytes:
    return build_questionnaire_workbook(rubric, answers, unit_code=UNIT,
                                        unit_name="KPU Kota Surakarta", period_slug=PERIOD,
                                        period_title="Penilaian Tata Kelola Bakohumas 2026",
                                        version=3)


def parse(data: bytes, rubric=RUBRIC):
    return parse_questionnaire_workbook(data, rubric, period_slug=PERIOD, unit_code=UNIT)


def edit(data: bytes, changes: dict) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for (sheet, cell), value in changes.items():
        book[sheet][cell].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def answers_with_na() -> dict:
    """Every allow_na indicator "tidak berlaku", every other one answered."""
    answers = {}
    for n, ind in enumerate(RUBRIC.indicators):
        if ind.allow_na:
            answers[ind.id] = NOT_APPLICABLE
        elif ind.type == "yesno":
            answers[ind.id] = n % 2 == 0
        elif ind.type == "scale":
            answers[ind.id] = n % len(ind.levels)
        elif ind.type == "number":         # within the bounds (publikasi-tepat-waktu: max 10)
            answers[ind.id] = 7 if counts_whole(ind) else 2.5
        elif ind.type == "choice":
            answers[ind.id] = list(ind.options[::2])
        else:
            answers[ind.id] = "Keputusan KPU Kota Surakarta Nomor 12 Tahun 2026"
    return answers


def _validation(ws, cell):
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, cell
    return found[0]


def _list_values(book, formula: str) -> list[str]:
    sheet, ref = formula.rsplit("!", 1)
    return [c.value for row in book[sheet.strip("'")][ref.replace("$", "")] for c in row]


def test_the_2026_edition_allows_na_on_scales_and_numbers():
    assert [i.id for i in RUBRIC.indicators if i.allow_na] == NA_IDS
    assert {RUBRIC.indicator(i).type for i in NA_IDS} == {"scale", "number"}


def test_na_round_trips_and_scores_as_not_applicable():
    answers = answers_with_na()
    data = build(answers)
    book = load_workbook(io.BytesIO(data))
    for ind_id in NA_IDS:                    # written as people read it
        sheet, cell = CELLS[ind_id]
        assert book[sheet][cell].value == "Tidak berlaku"
    got, errors = parse(data)
    assert errors == [] and got == answers
    for ind_id in NA_IDS:                    # the scoring module leaves it out (None), not 0
        assert answer_fraction(RUBRIC.indicator(ind_id), got[ind_id], "kabkota") is None


def test_na_is_offered_in_the_drop_downs_where_the_rubric_allows_it_and_nowhere_else():
    book = load_workbook(io.BytesIO(build({})))
    for ind in RUBRIC.indicators:
        sheet, cell = CELLS[ind.id]
        if ind.type == "text" or (ind.type == "choice" and not ind.allow_na):
            continue
        dv = _validation(book[sheet], cell)
        if ind.type == "number" and not ind.allow_na:
            assert (dv.type, dv.formula1) == ("decimal", "0")
            continue
        assert dv.type == "list" and dv.formula1.startswith(f"'{META_SHEET}'!")
        shown = _list_values(book, dv.formula1)
        if ind.type == "scale":
            expected = [lv.label for lv in ind.levels] + (["Tidak berlaku"] if ind.allow_na else [])
        elif ind.type == "yesno":
            expected = ["Ya", "Tidak"] + (["Tidak berlaku"] if ind.allow_na else [])
        else:                                # a number that may be "tidak berlaku"
            expected = ["Tidak berlaku"]
            assert not dv.showErrorMessage   # any number may still be typed
        assert shown == expected, ind.id
        assert drop_down(ind) == tuple(expected)


def test_typed_spellings_of_na_are_read_and_a_number_still_is_a_number():
    sheet, cell = CELLS["ketepatan-layanan"]
    other_sheet, other = CELLS["klarifikasi-24-jam"]
    scale_sheet, scale = CELLS["konten-tahapan"]
    data = edit(build({}), {(sheet, cell): " tidak-berlaku ", (other_sheet, other): 87.5,
                            (scale_sheet, scale): "TIDAK BERLAKU"})
    got, errors = parse(data)
    assert errors == []
    assert (got["ketepatan-layanan"], got["klarifikasi-24-jam"], got["konten-tahapan"]) == (
        NOT_APPLICABLE, 87.5, NOT_APPLICABLE)


def test_na_is_refused_where_the_rubric_does_not_allow_it():
    sheet, cell = CELLS["struktur-tim"]          # a scale without allow_na
    number_sheet, number = CELLS["berita-bulanan"]
    got, errors = parse(edit(build({}), {(sheet, cell): "Tidak berlaku",
                                         (number_sheet, number): "Tidak berlaku"}))
    assert got == {}
    assert {(e.indicator_id, e.cell, e.value) for e in errors} == {
        ("struktur-tim", cell, "Tidak berlaku"), ("berita-bulanan", number, "Tidak berlaku")}


# ---- a choice that may be "tidak berlaku": its own row holds it --------------------------------

def _choice_rubric():
    doc = copy.deepcopy(BASE_RUBRIC)
    doc["aspects"][1]["indicators"][1]["allow_na"] = True          # kanal
    doc["aspects"][0]["indicators"][0]["allow_na"] = True          # sk (yes/no)
    return parse_rubric(yaml.safe_dump(doc), source="uji.yaml")


def test_a_choice_takes_na_in_its_own_row_and_its_options_otherwise():
    rubric = _choice_rubric()
    cells = answer_cells(rubric)
    data = build({"kanal": NOT_APPLICABLE, "sk": NOT_APPLICABLE}, rubric)
    book = load_workbook(io.BytesIO(data))
    sheet, first_option = cells["kanal"]
    own = f"F{int(first_option[1:]) - 1}"
    assert book[sheet][own].value == "Tidak berlaku" and not book[sheet][own].protection.locked
    assert _list_values(book, _validation(book[sheet], own).formula1) == ["Tidak berlaku"]
    assert book[sheet][first_option].value is None                 # option rows left empty
    yes_no_sheet, yes_no = cells["sk"]
    assert _list_values(book, _validation(book[yes_no_sheet], yes_no).formula1) == [
        "Ya", "Tidak", "Tidak berlaku"]
    got, errors = parse(data, rubric)
    assert errors == [] and (got["kanal"], got["sk"]) == (NOT_APPLICABLE, NOT_APPLICABLE)

    # emptied, the options count again; anything else in the row is refused with its cell
    got, errors = parse(edit(data, {(sheet, own): None, (sheet, first_option): "Ya"}), rubric)
    assert errors == [] and got["kanal"] == ["web"]
    got, errors = parse(edit(data, {(sheet, own): "Ya"}), rubric)
    assert [(e.cell, e.value) for e in errors] == [(own, "Ya")]
    assert "choose Tidak berlaku" in errors[0].message


# ---- LibreOffice --------------------------------------------------------------------------------

def _soffice(args: list[str], cwd: Path) -> None:
    profile = f"file:///tmp/lo-profile-{uuid.uuid4().hex}"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", *args],
                       cwd=cwd, check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)


@pytest.mark.slow
def test_libreoffice_keeps_na_through_a_save(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; CI installs libreoffice-calc")
    answers = answers_with_na()
    (tmp_path / "q.xlsx").write_bytes(build(answers))
    _soffice(["--convert-to", "fods", "--outdir", "fods", "q.xlsx"], tmp_path)
    _soffice(["--convert-to", "xlsx", "--outdir", "saved", "q.xlsx"], tmp_path)
    lists = _lo_validations(tmp_path / "fods" / "q.fods")     # the drop-downs LibreOffice shows
    for ind_id in NA_IDS:
        ind = RUBRIC.indicator(ind_id)
        sheet, cell = CELLS[ind_id]
        expected = ([lv.label for lv in ind.levels] if ind.type == "scale" else []) + ["Tidak berlaku"]
        assert lists[f"{sheet}.{cell}"] == expected, ind_id
    got, errors = parse((tmp_path / "saved" / "q.xlsx").read_bytes())
    assert errors == [] and got == answers
