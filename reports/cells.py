"""Cell values that are safe in spreadsheets: user text never becomes a formula."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value: str, **style) -> WriteOnlyCell:
    """A write-only cell that holds ``value`` as literal text, even if it starts with '='."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def text_value(sheet, value: str):
    """``value`` itself when a plain append already stores it as text, else a text cell.

    openpyxl turns only strings starting with "=" into formulas and the exact error codes
    ("#N/A", ...) into errors; every other string is stored as text. Handing those on as
    plain strings spares a cell object per value in large sheets."""
    if value.startswith(FORMULA_PREFIXES) or value.startswith("#"):
        return text_cell(sheet, value)
    return value


def cell_value(sheet, value):
    """The value to append for a row: text as a text cell, exact numbers as floats."""
    if isinstance(value, str):
        return text_cell(sheet, value)
    if isinstance(value, (Fraction, Decimal)):
        return float(value)
    return value


def csv_text(value) -> str:
    """A CSV field that a spreadsheet program opens as text, never as a formula (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return str(value)
