"""Streamed worksheet rows: the big table sheets of a workbook written as XML directly.

openpyxl builds and serialises an element tree per cell, which dominates the time of a
workbook with hundreds of thousands of cells. Here openpyxl still writes everything that
is not cell data (workbook, sheet settings such as frozen panes, filters, column widths,
colour scales, print setup, charts and images), through its public API only: a streamed
sheet is created as an empty openpyxl sheet, a *shell*. The saved file is then treated as
what it is, an OOXML package (ECMA-376 part 1, a zip of XML parts), and two kinds of part
are completed here, never openpyxl's objects:

- ``xl/styles.xml`` gains the cell formats the streamed rows use (``CellStyle``), appended
  to its ``<fonts>``, ``<fills>``, ``<numFmts>`` and ``<cellXfs>`` lists;
- each shell sheet's empty ``<sheetData/>`` is filled with rows written here, straight
  into the final zip entry:

- numbers as ``<v>`` numbers with the id of one of those cell formats (dates and times as
  serial numbers with a date format);
- text as inline strings (``t="inlineStr"``), XML-escaped, control characters and the
  ``_xHHHH_`` escape of OOXML kept literal, so user text never becomes a formula, an
  error value or anything but the same text;
- ``None`` and ``""`` as no cell at all.

Memory stays bounded: rows are generated, encoded and compressed a chunk at a time.
"""
from __future__ import annotations

import io
import math
from datetime import date, datetime
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence
from xml.etree import ElementTree
from xml.etree.ElementTree import fromstring

from openpyxl.utils import get_column_letter

from .cells import ooxml_text

CHUNK_ROWS = 2000
TEXT_CACHE = 4096
COMPRESS_LEVEL = 6

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_EPOCH = datetime(1899, 12, 30)
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
    """A number as the text of ``<v>``: ints exactly, floats shortest round-trip, a
    (naive) date or date-time as its spreadsheet serial number (days since 1899-12-30)."""
    if isinstance(value, (date, datetime)):
        return repr(serial(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Fraction, Decimal)):
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a spreadsheet cannot hold the number {value!r}")
    return repr(value)


def serial(value: date | datetime) -> float:
    """A naive date or date-time as a spreadsheet serial number (1900 date system)."""
    if value.__class__ is date:
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        raise ValueError("convert date-times to local time (naive) before writing them")
    delta = value - _EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


class RowEncoder:
    """Encodes table rows as ``<row>`` XML with one style id per column (and other ids for
    marked rows). Strings become text cells, numbers number cells, ``None`` no cell."""

    def __init__(self, styles: Sequence[int], marked_styles: Sequence[int] | None = None,
                 date_style: int = 0):
        self.date_attr = _attr(date_style)     # dates in a column without a number format
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
            elif isinstance(value, date):
                out.append(f'<c r="{letter}{index}"{s or self.date_attr}>'
                           f'<v>{number_text(value)}</v></c>')
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

    ``rows`` yields ``<row>`` XML strings, or is a function of ``{style name: id}`` (the
    ids ``add_cell_styles`` gave) returning them; ``expected`` is how many rows the shell's
    filter and colour-scale ranges were made for (checked after writing)."""

    title: str
    rows: Iterable[str] | Callable[[Mapping[str, int]], Iterable[str]]
    expected: int | None = None
    written: int = field(default=0, init=False)


def fill_shells(data: bytes, sheets: Sequence[StreamedSheet],
                styles: Mapping[str, "CellStyle"] | None = None,
                compresslevel: int = COMPRESS_LEVEL) -> bytes:
    """The saved workbook ``data`` with ``styles`` added to its style part and each shell
    sheet's ``<sheetData>`` filled."""
    src = zipfile.ZipFile(io.BytesIO(data))
    paths = sheet_parts(src)
    by_part = {paths[s.title]: s for s in sheets}
    ids: dict[str, int] = {}
    style_part = None
    if styles:
        style_part, ids = add_cell_styles(src.read("xl/styles.xml"), styles)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "xl/styles.xml" and style_part is not None:
                part = style_part
            sheet = by_part.get(info.filename)
            if sheet is None:
                dst.writestr(info.filename, part)
            else:
                _fill(dst, info.filename, part, sheet, ids)
    return out.getvalue()


def _fill(dst: zipfile.ZipFile, name: str, shell: bytes, sheet: StreamedSheet, ids):
    match = _SHEET_DATA.search(shell)
    if match is None:
        raise ValueError(f"sheet {sheet.title!r}: no empty <sheetData> to fill")
    rows = sheet.rows(ids) if callable(sheet.rows) else sheet.rows
    with dst.open(name, "w") as handle:      # the archive's own compression level
        handle.write(shell[:match.start()] + b"<sheetData>")
        chunk = []
        for row in rows:
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


def save_with_streams(book, sheets: Sequence[StreamedSheet],
                      styles: Mapping[str, "CellStyle"] | None = None) -> bytes:
    """Save an openpyxl workbook, then add ``styles`` and fill its shell sheets."""
    buf = io.BytesIO()
    book.save(buf)
    return fill_shells(buf.getvalue(), sheets, styles)


# -- cell formats ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CellStyle:
    """A cell format of streamed rows: number format, bold/colour font, solid fill,
    alignment. Colours are RGB hex ("9B1C1C")."""

    number_format: str = ""
    bold: bool = False
    colour: str = ""
    fill: str = ""
    wrap: bool = False
    horizontal: str = ""
    vertical: str = ""


def add_cell_styles(styles_xml: bytes, styles: Mapping[str, CellStyle]) -> tuple[bytes, dict]:
    """``styles_xml`` (an ``xl/styles.xml`` part) with ``styles`` appended as cell formats,
    and ``{name: cellXfs index}`` for the ``s`` attribute of cells."""
    ElementTree.register_namespace("", _NS)
    root = fromstring(styles_xml)
    lists = {tag: _list(root, tag) for tag in ("numFmts", "fonts", "fills", "cellXfs")}
    formats = {f.get("formatCode"): int(f.get("numFmtId")) for f in lists["numFmts"]}
    ids = {}
    for name, style in styles.items():
        xf = ElementTree.SubElement(lists["cellXfs"], f"{{{_NS}}}xf", {
            "numFmtId": str(_number_format(lists["numFmts"], formats, style.number_format)),
            "fontId": str(_font(lists["fonts"], style)), "fillId": str(_fill_id(lists["fills"],
                                                                                 style)),
            "borderId": "0", "xfId": "0", "applyNumberFormat": "1", "applyFont": "1",
            "applyFill": "1", "applyAlignment": "1"})
        align = {k: v for k, v in (("horizontal", style.horizontal),
                                   ("vertical", style.vertical),
                                   ("wrapText", "1" if style.wrap else "")) if v}
        if align:
            ElementTree.SubElement(xf, f"{{{_NS}}}alignment", align)
        ids[name] = len(lists["cellXfs"]) - 1
    for element in lists.values():
        element.set("count", str(len(element)))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True), ids


BUILTIN_FORMATS = {"": 0, "0": 1, "0.00": 2, "0%": 9, "0.00%": 10}


def _list(root, tag: str):
    found = root.find(f"{{{_NS}}}{tag}")
    if found is None:             # schema order: numFmts comes first
        found = ElementTree.Element(f"{{{_NS}}}{tag}")
        root.insert(0 if tag == "numFmts" else len(root), found)
    return found


def _number_format(element, known: dict, code: str) -> int:
    if code in BUILTIN_FORMATS:
        return BUILTIN_FORMATS[code]
    if code not in known:
        known[code] = max([163, *known.values()]) + 1        # custom ids start at 164
        ElementTree.SubElement(element, f"{{{_NS}}}numFmt",
                               {"numFmtId": str(known[code]), "formatCode": code})
    return known[code]


def _font(element, style: CellStyle) -> int:
    if not (style.bold or style.colour):
        return 0
    font = ElementTree.SubElement(element, f"{{{_NS}}}font")
    if style.bold:
        ElementTree.SubElement(font, f"{{{_NS}}}b", {"val": "1"})
    ElementTree.SubElement(font, f"{{{_NS}}}sz", {"val": "11"})
    if style.colour:
        ElementTree.SubElement(font, f"{{{_NS}}}color", {"rgb": "FF" + style.colour})
    ElementTree.SubElement(font, f"{{{_NS}}}name", {"val": "Calibri"})
    ElementTree.SubElement(font, f"{{{_NS}}}family", {"val": "2"})
    return len(element) - 1


def _fill_id(element, style: CellStyle) -> int:
    if not style.fill:
        return 0
    fill = ElementTree.SubElement(element, f"{{{_NS}}}fill")
    pattern = ElementTree.SubElement(fill, f"{{{_NS}}}patternFill", {"patternType": "solid"})
    ElementTree.SubElement(pattern, f"{{{_NS}}}fgColor", {"rgb": "FF" + style.fill})
    ElementTree.SubElement(pattern, f"{{{_NS}}}bgColor", {"indexed": "64"})
    return len(element) - 1

