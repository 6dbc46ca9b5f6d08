"""Cell values that are safe in spreadsheets: user text never becomes a formula."""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# characters XML 1.0 cannot hold: C0 controls but tab, LF and CR, lone surrogates, and the
# noncharacters U+FFFE and U+FFFF (text that passes assessment.text's checks may hold these)
NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{NOT_XML}]")
# and CR, which XML readers turn into LF
_UNWRITABLE = re.compile(f"[\r{NOT_XML}]")
_ESCAPE_LIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def ooxml_text(value: str) -> str:
    """``value`` with OOXML's own escapes, so Excel and LibreOffice read back the same text:
    characters XML cannot hold become ``_xHHHH_``, and a literal ``_x0041_`` gets its
    underscore escaped (``_x005F_x0041_``) so it is not decoded. (openpyxl's reader does
    not decode these escapes; it shows them as written.)"""
    if "_x" in value:
        value = _ESCAPE_LIKE.sub("_x005F_", value)
    return _UNWRITABLE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold, for a workbook this application
    reads back itself (its reader does not decode ``_xHHHH_`` escapes, so the round trip
    keeps every other character, a literal ``_x0041_`` included). A workbook written with
    such a character is not well-formed: Excel, LibreOffice and openpyxl refuse to open it."""
    return _NOT_XML.sub("", value)


def text_cell(sheet, value: str, **style) -> WriteOnlyCell:
    """A write-only cell that holds ``value`` as literal text, even if it starts with '='."""
    cell = WriteOnlyCell(sheet, value=ooxml_text(value))
    cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


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
