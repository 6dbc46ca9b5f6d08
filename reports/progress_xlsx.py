"""Progress tables as an .xlsx workbook: text stays text (codes, names: never formulas),
a frozen header row with filters, and readable column widths."""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .cells import cell_value, text_cell

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="9B1C1C")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MAX_WIDTH = 60


def progress_xlsx(headers: list[str], rows: list[list], *, sheet_title: str = "Progress",
                  summary: tuple[list[str], list[list]] | None = None,
                  summary_title: str = "Summary") -> bytes:
    """The unit list (and optionally a per-province summary sheet) as .xlsx bytes.

    Datetimes must be naive local times (Excel has no time zones); say the zone in the header."""
    book = Workbook(write_only=True)
    _table_sheet(book, sheet_title, headers, rows)
    if summary is not None:
        _table_sheet(book, summary_title, *summary)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table_sheet(book, title: str, headers: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title=_sheet_title(title))
    widths = [len(str(h)) + 2 for h in headers]
    for rownum, row in enumerate(rows):
        for col, value in enumerate(row):
            widths[col] = max(widths[col], _shown_length(value) + 2)
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(width, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(headers), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    sheet.append([text_cell(sheet, str(h), font=HEADER_FONT, fill=HEADER_FILL) for h in headers])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def _cell(sheet, value):
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("datetimes in a workbook must be naive local times")
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    return cell_value(sheet, value)


def _shown_length(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (datetime, date)):
        return 16
    return max((len(part) for part in str(value).splitlines()), default=0)


def _sheet_title(title: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Sheet")[:31]
