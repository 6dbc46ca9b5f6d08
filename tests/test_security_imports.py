"""Issue 12, item 1 for files: text read from Excel and CSV imports (the questionnaire
workbook, the roster, the registry, monitoring posts) goes through text.py's one check -
lone surrogates and control characters refused with a message naming the sheet and cell
or the row and column, accepted text put in NFC."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from assessment import text
from assessment.registry import RegistryError, read_rows
from assessment.roster import RosterError, read_roster
from assessment.spreadsheets import SpreadsheetError, read_xlsx_rows
from tests.conftest import SLUG, english, sub_of
from tests.test_offline_views import DOWNLOAD, cells, page, saved_draft, upload
from tests.test_reports_questionnaire_xlsx import edit

# C1 controls are legal in XML 1.0, so an .xlsx can carry them (C0 ones cannot be written)
CONTROL = "\x9f"


def workbook(rows, title="Akun") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_control_character_in_a_sheet_is_refused_naming_sheet_and_cell():
    data = workbook([["a", "b"], ["x", 3], ["y", f"ok{CONTROL}"]])
    with pytest.raises(SpreadsheetError) as refused:
        read_xlsx_rows(data, max_rows=10)
    assert "sheet 'Akun', cell B3" in str(refused.value) and "U+009F" in str(refused.value)


def test_sheet_text_is_read_in_nfc_and_other_values_stay():
    rows = read_xlsx_rows(workbook([["Caf" + "e\u0301", 7, None]]), max_rows=10)
    assert rows == [["Caf\u00e9", 7, None]]


def test_the_roster_names_the_cell():
    data = workbook([["username", "name", "email", "role", "unit_code"],
                     ["op-33", f"Nama{CONTROL}", "a@b.id", "operator", "33"]])
    with pytest.raises(RosterError) as refused:
        read_roster("akun.xlsx", data, max_rows=10)
    assert "akun.xlsx" in str(refused.value) and "cell B2" in str(refused.value)


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x85"])
def test_a_registry_csv_names_the_row_and_column(bad):
    raw = ("code,name,level,province_code,time_zone\n"
           f"99,KPU X{bad},provinsi,,WIB\n").encode("utf-8", "surrogatepass")
    with pytest.raises(RegistryError) as refused:
        read_rows("units.csv", raw)
    assert "row 2, column 2" in str(refused.value)


def test_a_surrogate_in_a_registry_csv_is_not_utf8():
    raw = "code,name,level,province_code,time_zone\n99,KPU \ud83d,provinsi,,WIB\n"
    with pytest.raises(RegistryError, match="not UTF-8"):
        read_rows("units.csv", raw.encode("utf-8", "surrogatepass"))


def test_a_registry_xlsx_names_the_cell():
    data = workbook([["code", "name", "level", "province_code", "time_zone"],
                     ["99", f"KPU{CONTROL}", "provinsi", None, "WIB"]], title="Satker")
    with pytest.raises(RegistryError) as refused:
        read_rows("units.xlsx", data)
    assert "sheet 'Satker', cell B2" in str(refused.value)


def test_clean_table_is_the_one_check():
    assert text.clean_table([["e\u0301", 1]], lambda r, c: f"{r}/{c}") == [["\u00e9", 1]]
    with pytest.raises(text.TextInvalid) as refused:
        text.clean_table([["ok"], ["x", "\ud800"]], lambda r, c: f"r{r}c{c}")
    assert refused.value.field == "r2c2"


def test_the_questionnaire_workbook_refuses_control_text_naming_the_cell(client, session, operator):
    user, period = operator
    saved_draft(session, user, period, {"kendala-dukungan": "lama"})
    before = sub_of(session)
    version, answers = before.version, dict(before.answers)
    where = cells(period)
    english(client)
    response = upload(client, edit(client.get(DOWNLOAD).get_data(),
                                   {where["kendala-dukungan"]: f"baru{CONTROL}"}))
    assert response.status_code == 422
    html = page(response)
    sheet, cell = where["kendala-dukungan"]
    assert cell in html and "U+009F" in html
    after = sub_of(session)
    assert (after.version, after.answers) == (version, answers)


def test_the_questionnaire_workbook_is_read_in_nfc(client, session, operator):
    where = cells(operator[1])
    response = upload(client, edit(client.get(DOWNLOAD).get_data(),
                                   {where["kendala-dukungan"]: "Cafe\u0301"}))
    assert response.status_code == 302
    assert sub_of(session).answers["kendala-dukungan"] == "Caf\u00e9"
