"""Streamed worksheet rows: the big table sheets of a workbook written as XML directly.

openpyxl builds and serialises an element tree per cell, which dominates the time of a
workbook with hundreds of thousands of cells. Here openpyxl still writes everything that
is not cell data (workbook, styles, sheet settings such as frozen panes, filters, column
widths, colour scales, print setup, charts and images): a streamed sheet is created as an
empty openpyxl sheet, a *shell*, and after ``Workbook.save`` its ``<sheetData>`` is
filled with rows written here, straight into the final zip entry:

- numbers as ``<v>`` numbers with a style id registered in the workbook's own style list
  (so ``styles.xml`` written by openpyxl holds it);
- text as inline strings (``t="inlineStr"``), XML-escaped, control characters and the
  ``_xHHHH_`` escape of OOXML kept literal, so user text never becomes a formula, an
  error value or anything but the same text;
- ``None`` and ``""`` as no cell at all.

Memory stays bounded: rows are generated, encoded and compressed a chunk at a time.
"""
from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence
from xml.etree.ElementTree import fromstring

from openpyxl.utils import get_column_letter

from .cells import ooxml_text

CHUNK_ROWS = 2000
TEXT_CACHE = 4096
COMPRESS_LEVEL = 6

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
# characters XML 1.0 cannot hold, and the OOXML escape sequence that would be decoded
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def escape_text(value: str) -> str:
    """``value`` as the content of an OOXML ``<t>`` element that reads back unchanged:
    ``&<>`` escaped, and OOXML's own escapes (``cells.ooxml_text``)."""
    if not _SPECIAL.search(value):
        return value
    value = ooxml_text(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_xml(value: str) -> str:
    """The ``<is>`` element of an inline string cell."""
    text = escape_text(value)
    if text[:1].isspace() or text[-1:].isspace() or "\n" in text:
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


def number_text(value) -> str:
    """A number as the text of ``<v>``: ints exactly, floats shortest round-trip."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Fraction, Decimal)):
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a spreadsheet cannot hold the number {value!r}")
    return repr(value)


class RowEncoder:
    """Encodes table rows as ``<row>`` XML with one style id per column (and other ids for
    marked rows). Strings become text cells, numbers number cells, ``None`` no cell."""

    def __init__(self, styles: Sequence[int], marked_styles: Sequence[int] | None = None):
        self.columns = [(get_column_letter(n + 1), _attr(style)) for n, style in enumerate(styles)]
        self.marked = ([(letter, _attr(style)) for (letter, _), style
                        in zip(self.columns, marked_styles)] if marked_styles else self.columns)
        self._texts: dict[str, str] = {}

    def row(self, index: int, values: Sequence, *, marked: bool = False,
            height: float | None = None) -> str:
        """One row (1-based ``index``) of values (``None`` and ``""`` leave the cell out)."""
        texts = self._texts
        out = [f'<row r="{index}" ht="{height:g}" customHeight="1">' if height
               else f'<row r="{index}">']
        for (letter, s), value in zip(self.marked if marked else self.columns, values):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str:
                xml = texts.get(value)
                if xml is None:
                    xml = text_xml(value)
                    if len(texts) >= TEXT_CACHE:     # names repeat on nearby rows only:
                        texts.clear()                # a small cache, bounded memory
                    texts[value] = xml
                out.append(f'<c r="{letter}{index}"{s} t="inlineStr">{xml}</c>')
            elif kind is float and math.isfinite(value):
                out.append(f'<c r="{letter}{index}"{s}><v>{value!r}</v></c>')
            elif kind is bool:
                out.append(f'<c r="{letter}{index}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float, Fraction, Decimal)):
                out.append(f'<c r="{letter}{index}"{s}><v>{number_text(value)}</v></c>')
            else:
                out.append(f'<c r="{letter}{index}"{s} t="inlineStr">{text_xml(str(value))}</c>')
        out.append("</row>")
        return "".join(out)


def _attr(style: int) -> str:
    return f' s="{style}"' if style else ""


@dataclass
class StreamedSheet:
    """The rows of one shell sheet, filled in after the workbook is saved.

    ``rows`` yields ``<row>`` XML strings; ``expected`` is how many rows the shell's
    filter and colour-scale ranges were made for (checked after writing)."""

    title: str
    rows: Iterable[str]
    expected: int | None = None
    written: int = field(default=0, init=False)


def fill_shells(data: bytes, sheets: Sequence[StreamedSheet],
                compresslevel: int = COMPRESS_LEVEL) -> bytes:
    """The saved workbook ``data`` with each shell sheet's ``<sheetData>`` filled."""
    src = zipfile.ZipFile(io.BytesIO(data))
    paths = sheet_parts(src)
    by_part = {paths[s.title]: s for s in sheets}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as dst:
        for info in src.infolist():
            sheet = by_part.get(info.filename)
            if sheet is None:
                dst.writestr(info.filename, src.read(info.filename))
            else:
                _fill(dst, info.filename, src.read(info.filename), sheet, compresslevel)
    return out.getvalue()


def _fill(dst: zipfile.ZipFile, name: str, shell: bytes, sheet: StreamedSheet, level: int):
    match = _SHEET_DATA.search(shell)
    if match is None:
        raise ValueError(f"sheet {sheet.title!r}: no empty <sheetData> to fill")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = level        # ZipFile.open("w") takes the level from the ZipInfo
    with dst.open(info, "w") as handle:
        handle.write(shell[:match.start()] + b"<sheetData>")
        chunk = []
        for row in sheet.rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                handle.write("".join(chunk).encode("utf-8"))
                sheet.written += len(chunk)
                chunk = []
        handle.write("".join(chunk).encode("utf-8"))
        sheet.written += len(chunk)
        handle.write(b"</sheetData>" + shell[match.end():])
    if sheet.expected is not None and sheet.written != sheet.expected:
        raise ValueError(f"sheet {sheet.title!r}: {sheet.written} rows written, "
                         f"{sheet.expected} expected")


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """``{sheet name: zip part name}`` from the workbook and its relationships."""
    book = fromstring(archive.read("xl/workbook.xml"))
    rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets[sheet.get(f"{_REL}id")]
        parts[sheet.get("name")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join("xl", target)))
    return parts


def save_with_streams(book, sheets: Sequence[StreamedSheet]) -> bytes:
    """Save an openpyxl workbook, then fill its shell sheets with their streamed rows."""
    buf = io.BytesIO()
    book.save(buf)
    return fill_shells(buf.getvalue(), sheets)


def register_style(book, style_array) -> int:
    """The workbook's style id (``s``) for an openpyxl StyleArray, registered if new."""
    return book._cell_styles.add(style_array)

