"""Safe reading of uploaded .xlsx files: size and row limits, no formulas evaluated,
XML parsed by defusedxml (openpyxl uses it when it is installed)."""
from __future__ import annotations

import io
import zipfile

import defusedxml  # noqa: F401  (openpyxl switches to defusedxml when importable)
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from . import text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"   # its media type
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1000     # a questionnaire workbook has a few dozen parts


class SpreadsheetError(ValueError):
    """An uploaded spreadsheet that cannot be read safely; the message says why."""


def check_zip(data: bytes) -> None:
    """Refuse non-zip data and zip bombs before openpyxl expands anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError(_("not an .xlsx workbook (the file is not a zip archive)")) from None
    if len(archive.infolist()) > MAX_MEMBERS:
        raise SpreadsheetError(_("the workbook holds more than %(num)d parts", num=MAX_MEMBERS))
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO \
                and info.file_size > 1024 * 1024:
            raise SpreadsheetError(_("%(name)s expands %(ratio)dx (a compressed bomb?)",
                                     name=info.filename,
                                     ratio=info.file_size // info.compress_size))
    if total > MAX_UNCOMPRESSED:
        raise SpreadsheetError(_("the workbook expands to %(mb)d MB", mb=total // (1024 * 1024)))


def open_workbook(data: bytes):
    """An openpyxl workbook (read-only, values not formulas) after the zip checks."""
    check_zip(data)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise SpreadsheetError(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from None


def cell_place(sheet: str, row: int, column: int) -> str:
    """Where a cell of an uploaded workbook is, as every import names it:
    "Lembar 'Unggahan', sel C7" (``row`` and ``column`` from 1)."""
    return _("sheet '%(sheet)s', cell %(cell)s", sheet=sheet,
             cell=f"{get_column_letter(column)}{row}")


def read_xlsx_rows(data: bytes, max_rows: int, sheet: str | None = None) -> list[list]:
    """The rows of one sheet (the first by default) as lists of cell values."""
    return read_xlsx_sheet(data, max_rows, sheet)[1]


def read_xlsx_sheet(data: bytes, max_rows: int,
                    sheet: str | None = None) -> tuple[str, list[list]]:
    """(the sheet's name, its rows as lists of cell values) of one sheet (the first by
    default): the name lets a refusal say where a bad cell is (``cell_place``)."""
    book = open_workbook(data)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
    except KeyError:
        raise SpreadsheetError(f"sheet {sheet!r} is missing") from None
    rows = []
    for row in ws.iter_rows(values_only=True):
        rows.append(list(row))
        if len(rows) > max_rows:
            raise SpreadsheetError(f"more than {max_rows} rows")
    book.close()
    title = ws.title
    try:   # the one text check of every import (roster, registry, monitoring posts)
        return title, text.clean_table(rows, lambda r, c: cell_place(title, r, c))
    except text.TextInvalid as exc:
        raise SpreadsheetError(str(exc)) from None
