"""The questionnaire as an .xlsx workbook to fill in offline, and reading a filled one back.

Layout: a "Petunjuk" sheet (how to fill it in), one sheet per aspect and a hidden sheet
"_meta". On an aspect sheet rows 1-2 name the aspect, unit and period, row 3 holds the
headers and every indicator has one row with its answer in column F. Excel has no
multi-select, so a choice indicator is followed by one row per option, each answered
Ya/Tidak in column F. "_meta" names the period, unit, rubric edition (with its sha256) and
submission version the file was made from, and holds the lists the drop-downs read.

An indicator the rubric allows to be "tidak berlaku" (``allow_na``) offers "Tidak berlaku"
in its drop-down: after Ya/Tidak or the scale's levels; alone for a number (any number may
still be typed) and, for a choice, in the indicator's own row above its option rows. It is
read back as ``NOT_APPLICABLE`` by ``scoring.answers.parse_answer``.

Every piece of user text is written as a text cell, never as a formula. Reading uses
openpyxl read-only with cached values (formulas are never evaluated) and trusts nothing:
unknown sheets and rows are ignored, missing ones reported, row counts limited.
Messages of CellError are English msgids with %(name)s parameters, marked with N_ so the
application can translate them.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field

from defusedxml.common import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins

from rubrics.model import NOT_APPLICABLE, Aspect, Indicator, Rubric
from scoring import AnswerError, check_answer
from scoring.answers import (NO, NOT_APPLICABLE_TEXT, YES, N_, answer_text, parse_answer,
                             parse_yes_no)

from .cells import xml_text


FORMAT = "bakohumas-kuesioner"
FORMAT_VERSION = 1
GUIDE_SHEET, META_SHEET, BASE_SHEET = "Petunjuk", "_meta", "_dasar"
HEADERS = ("No", "ID indikator", "Pertanyaan", "Jenis", "Pilihan/Petunjuk", "Jawaban",
           "Satuan", "Bukti dukung")
WIDTHS = (6, 22, 48, 13, 58, 28, 14, 36)
ID_COL, OPTION_COL, ANSWER_COL = 2, 3, 6
HEADER_ROW = 3
GUIDE_WIDTH = 75
TYPE_NAMES = {"yesno": "Ya/Tidak", "scale": "Skala", "number": "Angka",
              "choice": "Pilihan ganda", "text": "Teks"}
EVIDENCE_NAMES = {"required": "Wajib", "optional": "Tidak wajib", "none": "Tidak perlu"}
MAX_ROWS = 2000
META_KEYS = ("format", "format_version", "period", "unit", "unit_name", "rubric",
             "rubric_sha256", "version")
LIST_ROW = 12                      # first row of the drop-down lists in _meta
_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
_DANGLING_WORDS = {"dan", "atau", "serta", "dengan", "yang", "untuk", "di", "ke", "dari",
                   "and", "or", "of", "the"}

_BORDER = Border(*(Side(style="thin", color="A6A6A6") for _ in range(4)))
_TOP_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="7B1E1E")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
_OPTION_FILL = PatternFill("solid", fgColor="F5F5F5")
_UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class CellError:
    """A problem found in an uploaded workbook: where it is and what is wrong."""

    sheet: str
    cell: str
    indicator_id: str
    msgid: str
    params: dict = field(default_factory=dict, hash=False)
    value: str = ""   # what the cell holds, as text: the refused value is repeated to people

    @property
    def message(self) -> str:
        """The English message with its parameters filled in."""
        return self.msgid % self.params if self.params else self.msgid


@dataclass(frozen=True)
class WorkbookMeta:
    """What the hidden _meta sheet says the workbook was made for."""

    period_slug: str
    unit_code: str
    rubric_id: str
    rubric_sha256: str
    version: int | None


# --------------------------------------------------------------------------- layout

def sheet_titles(rubric: Rubric) -> dict[str, str]:
    """Sheet title per aspect id: numbered, at most 31 characters, unique, no []:*?/\\."""
    titles, taken = {}, {GUIDE_SHEET.lower(), META_SHEET.lower()}
    for number, aspect in enumerate(rubric.aspects, 1):
        clean = " ".join(_BAD_TITLE_CHARS.sub(" ", aspect.title).split()).strip("'")
        title = _shorten(f"{number}. {clean}", 31)
        suffix = 2
        while title.lower() in taken:
            title = _shorten(f"{number}. {clean}", 31 - len(f" ({suffix})")) + f" ({suffix})"
            suffix += 1
        taken.add(title.lower())
        titles[aspect.id] = title
    return titles


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    words = cut.rstrip(" ,.;-").split(" ")
    while len(words) > 2 and words[-1].lower() in _DANGLING_WORDS:
        words.pop()
    return " ".join(words).rstrip(" ,.;-")


def answer_cells(rubric: Rubric) -> dict[str, tuple[str, str]]:
    """(sheet, cell) of each indicator's answer (its first option row for a choice) in a
    workbook as built, to point at an answer refused after reading."""
    titles, cells = sheet_titles(rubric), {}
    for aspect in rubric.aspects:
        row = HEADER_ROW + 1
        for ind in aspect.indicators:
            first = row + 1 if ind.type == "choice" else row
            cells[ind.id] = (titles[aspect.id], f"{get_column_letter(ANSWER_COL)}{first}")
            row += 1 + (len(ind.options) if ind.type == "choice" else 0)
    return cells


def drop_down(ind: Indicator) -> tuple[str, ...] | None:
    """The values offered in the drop-down of an indicator's answer cell (for a choice,
    of its own row; its option rows offer Ya/Tidak), None for none: "Tidak berlaku" is
    offered where the rubric allows it (``allow_na``)."""
    na = (NOT_APPLICABLE_TEXT,) if ind.allow_na else ()
    if ind.type == "yesno":
        return (YES, NO) + na
    if ind.type == "scale":
        return tuple(level.label for level in ind.levels) + na
    if ind.type in ("number", "choice") and ind.allow_na:
        return na
    return None


def _scale_lists(rubric: Rubric) -> dict[tuple[str, ...], int]:
    """The _meta row of each distinct drop-down list (plain Ya/Tidak sits at LIST_ROW): the
    scales' labels and, for ``allow_na`` indicators, the lists with "Tidak berlaku"."""
    rows: dict[tuple[str, ...], int] = {}
    for ind in rubric.indicators:
        labels = drop_down(ind)
        if labels is not None and labels != (YES, NO) and labels not in rows:
            rows[labels] = LIST_ROW + 1 + len(rows)
    return rows


# --------------------------------------------------------------------------- writing

def build_questionnaire_workbook(rubric: Rubric, answers: dict, *, unit_code: str, unit_name: str,
                                 period_slug: str, period_title: str, version: int,
                                 deadline: str = "", pending: dict | None = None) -> bytes:
    """The questionnaire as .xlsx bytes, answer cells prefilled from exchange-format answers.

    ``deadline`` is shown on the Petunjuk sheet; ``pending`` ({indicator id: text typed but
    not valid yet}) fills the answer cells of unanswered indicators, marked with a comment,
    so that nothing typed on the website is lost in the file."""
    context = {"unit_code": unit_code, "unit_name": unit_name, "period_slug": period_slug,
               "period_title": period_title, "version": version, "deadline": deadline,
               "pending": pending or {}}
    book = Workbook()
    titles = sheet_titles(rubric)
    lists = _scale_lists(rubric)
    _write_guide(book.active, rubric, titles, context)
    for aspect in rubric.aspects:
        _write_aspect(book.create_sheet(titles[aspect.id]), aspect, answers, context, lists)
    _write_meta(book.create_sheet(META_SHEET), rubric, context, lists)
    _write_base(book.create_sheet(BASE_SHEET), rubric, answers)
    book.security = WorkbookProtection(lockStructure=True)
    book.properties.title = f"Kuesioner {period_title}"
    book.properties.creator = "Penilaian Tata Kelola Bakohumas KPU"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put_text(ws, row: int, col: int, value: str, **style):
    """Write ``value`` as literal text (a leading '=' or '@' never makes a formula)."""
    cell = ws.cell(row=row, column=col)
    cell.value = xml_text(value)
    cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def _protect(ws) -> None:
    """Protect without a password: the structure cannot be broken by accident, column
    widths and row heights can still be changed."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _print_setup(ws, footer: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.oddFooter.left.text = footer.replace("&", "&&")
    ws.oddFooter.right.text = "Halaman &P dari &N"


def _guide_lines(rubric: Rubric, titles: dict, ctx: dict) -> list[tuple[str, str]]:
    """(style, text) lines of the Petunjuk sheet."""
    deadline = (f"Batas waktu: {ctx['deadline']}. " if ctx["deadline"] else "") + \
        "Batas waktu yang berlaku adalah yang tertera di laman (termasuk perpanjangan); " \
        "unggahan setelah batas waktu ditolak."
    lines = [
        ("title", f"Kuesioner {ctx['period_title']}"),
        ("plain", f"Satuan kerja: {ctx['unit_name']} ({ctx['unit_code']})"),
        ("plain", f"Periode: {ctx['period_title']} ({ctx['period_slug']})"),
        ("plain", f"Instrumen: {rubric.title} ({rubric.id})"),
        ("plain", f"Versi data: {ctx['version']}. Jawaban yang sudah terisi adalah jawaban di "
                  "laman pada saat berkas ini diunduh."),
        ("plain", deadline),
        ("head", "Cara mengisi"),
        ("plain", "1. Setiap aspek penilaian ada pada lembar (sheet) tersendiri. Isi hanya sel "
                  "berwarna kuning pada kolom Jawaban (kolom F); sel lain dikunci agar susunan "
                  "berkas tidak rusak."),
        ("plain", "2. Ya/Tidak: pilih Ya atau Tidak dari daftar pilihan (drop-down) pada sel."),
        ("plain", "3. Skala: pilih label tingkat dari daftar pilihan; arti setiap tingkat (1 = "
                  "terendah, bernomor sama dengan di laman) tertulis pada kolom Pilihan/Petunjuk."),
        ("plain", "4. Angka: isi angka 0 atau lebih tanpa satuan; satuannya tertulis pada kolom "
                  "Satuan. Desimal boleh memakai koma, misalnya 2,5."),
        ("plain", "5. Pilihan ganda: setiap pilihan punya baris sendiri di bawah pertanyaannya. "
                  "Isi Ya pada setiap pilihan yang sesuai dan Tidak pada yang tidak sesuai. Bila "
                  "semua baris pilihan kosong, pertanyaan dianggap belum dijawab."),
        ("plain", "6. Teks: tulis jawaban bebas; teks yang diawali tanda = tetap disimpan sebagai "
                  "teks, bukan rumus."),
        ("plain", "7. Sel Jawaban yang kosong berarti belum dijawab: jawaban yang ada di laman "
                  "dihapus bila selnya dikosongkan di berkas ini."),
        ("plain", "8. Bukti dukung (dokumen, foto, tautan) tidak diisi di berkas ini; unggah "
                  "melalui laman pada indikator yang bersangkutan."),
    ]
    if any(ind.allow_na for ind in rubric.indicators):
        lines.append(("plain", "9. Tidak berlaku: indikator yang petunjuknya membolehkan "
                               "(misalnya tidak ada permohonan informasi, atau bukan tahun "
                               "tahapan) menawarkan \u201cTidak berlaku\u201d pada daftar "
                               "pilihan sel Jawaban; pada pilihan ganda, di baris pertanyaannya. "
                               "Indikator yang tidak berlaku tidak dihitung dalam nilai aspeknya."))
    lines += [
        ("head", "Mengunggah kembali"),
        ("plain", "Simpan sebagai Excel Workbook (.xlsx) tanpa mengubah nama atau urutan lembar, "
                  "lalu buka menu Kuesioner dan tekan tombol \u201cUnggah berkas Excel yang sudah "
                  "diisi\u201d untuk periode dan satuan "
                  "kerja yang sama. Berkas untuk periode, satuan kerja atau edisi instrumen lain "
                  "ditolak."),
        ("plain", "Bila ada satu saja isian yang tidak valid, tidak ada jawaban yang disimpan; "
                  "laman menampilkan setiap kesalahan dengan nama lembar dan selnya. Perbaiki, "
                  "lalu unggah lagi."),
        ("plain", "Hanya jawaban yang Anda ubah di berkas ini yang disimpan; jawaban lain tidak "
                  "disentuh. Bila jawaban yang sama juga diubah di laman setelah berkas ini "
                  "diunduh, unggahan ditolak dan laman menampilkan kedua nilai per sel."),
        ("plain", "Setelah kuesioner dikirim atau batas waktu lewat, unggahan tidak diterima."),
        ("head", "Arti kolom"),
        ("plain", "No: nomor indikator dalam aspek (huruf a, b, c untuk baris pilihan)."),
        ("plain", "ID indikator: kode tetap indikator; jangan diubah."),
        ("plain", "Pertanyaan: pertanyaan indikator, atau teks pilihan pada baris pilihan."),
        ("plain", "Jenis: Ya/Tidak, Skala, Angka, Pilihan ganda atau Teks."),
        ("plain", "Pilihan/Petunjuk: jawaban yang tersedia, arti setiap tingkat skala dan "
                  "petunjuk pengisian."),
        ("plain", "Jawaban: sel kuning tempat mengisi jawaban."),
        ("plain", "Satuan: satuan jawaban angka."),
        ("plain", "Bukti dukung: apakah bukti dukung wajib, dan bukti apa yang diminta."),
        ("head", "Daftar lembar"),
    ]
    for aspect in rubric.aspects:
        lines.append(("plain", f"{titles[aspect.id]}: {len(aspect.indicators)} indikator"))
    return lines


def _write_guide(ws, rubric: Rubric, titles: dict, ctx: dict) -> None:
    ws.title = GUIDE_SHEET
    ws.column_dimensions["A"].width = GUIDE_WIDTH
    fonts = {"title": Font(bold=True, size=14), "head": Font(bold=True, size=12), "plain": Font()}
    for row, (kind, text) in enumerate(_guide_lines(rubric, titles, ctx), 1):
        _put_text(ws, row, 1, text, font=fonts[kind], alignment=_TOP_WRAP)
        ws.row_dimensions[row].height = 15 * _lines(text, GUIDE_WIDTH) + 3
        if kind != "plain":
            ws.row_dimensions[row].height = 30
            ws.cell(row=row, column=1).alignment = Alignment(vertical="bottom")
    _protect(ws)
    _print_setup(ws, f"{ctx['unit_name']} - {ctx['period_title']}")
    ws.page_setup.orientation = "portrait"


def _write_meta(ws, rubric: Rubric, ctx: dict, lists: dict) -> None:
    values = (FORMAT, str(FORMAT_VERSION), ctx["period_slug"], ctx["unit_code"],
              ctx["unit_name"], rubric.id, rubric.sha256)
    for row, (key, value) in enumerate(zip(META_KEYS, values), 1):
        _put_text(ws, row, 1, key)
        _put_text(ws, row, 2, value)
    _put_text(ws, len(values) + 1, 1, "version")
    ws.cell(row=len(values) + 1, column=2, value=int(ctx["version"]))
    _put_text(ws, LIST_ROW - 1, 1, "lists")
    for labels, row in [((YES, NO), LIST_ROW)] + list(lists.items()):
        _put_text(ws, row, 1, "yesno" if row == LIST_ROW else "list")
        for col, label in enumerate(labels, 2):
            _put_text(ws, row, col, label)
    ws.sheet_state = "hidden"
    _protect(ws)


def base_fingerprint(value) -> str:
    """The SHA-256 of an answer in canonical JSON (4.0 and 4 are one): how a workbook
    remembers the answers it was downloaded with, whatever their length."""
    if type(value) is float and value.is_integer():
        value = int(value)
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_base(ws, rubric: Rubric, answers: dict) -> None:
    """The hidden sheet of the answers the file was made with (indicator id, fingerprint):
    an upload changes only the answers that differ from these."""
    _put_text(ws, 1, 1, "indicator")
    _put_text(ws, 1, 2, "sha256")
    for row, ind in enumerate(rubric.indicators, 2):
        _put_text(ws, row, 1, ind.id)
        _put_text(ws, row, 2, base_fingerprint(answers.get(ind.id)))
    ws.sheet_state = "hidden"
    _protect(ws)


def read_base(data: bytes, max_rows: int = MAX_ROWS) -> dict | None:
    """{indicator id: fingerprint} of the answers a workbook was downloaded with, or None
    for a workbook without them (made before they were kept)."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if BASE_SHEET not in book.sheetnames:
            return None
        out = {}
        for values in book[BASE_SHEET].iter_rows(min_row=2, max_row=max_rows + 1, max_col=2,
                                                  values_only=True):
            key, digest = (tuple(values) + (None, None))[:2]
            if isinstance(key, str) and isinstance(digest, str):
                out[key] = digest
        return out
    finally:
        book.close()


def _list_ref(row: int, count: int) -> str:
    return f"'{META_SHEET}'!$B${row}:${get_column_letter(count + 1)}${row}"


class _Validations:
    """The drop-down and number validations of one sheet, created as they are needed."""

    def __init__(self, ws, lists: dict):
        self.ws, self.lists, self.made = ws, lists, {}

    def add(self, key, cell) -> None:
        if key not in self.made:
            self.made[key] = self._make(key)
            self.ws.add_data_validation(self.made[key])
        self.made[key].add(cell)

    def _make(self, key) -> DataValidation:
        """``key``: "yesno" (plain Ya/Tidak), "number", "number-na" (a number or "Tidak
        berlaku"), "choice-na" (a choice's own row: empty or "Tidak berlaku") or the tuple
        of a list's values (a scale's labels, Ya/Tidak/Tidak berlaku)."""
        common = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True,
                  "errorTitle": "Jawaban tidak valid"}
        na = (NOT_APPLICABLE_TEXT,)
        if key == "yesno":
            return DataValidation(type="list", formula1=_list_ref(LIST_ROW, 2),
                                  error="Pilih Ya atau Tidak dari daftar.", promptTitle="Ya/Tidak",
                                  prompt="Pilih Ya atau Tidak.", **common)
        if key == "number":
            return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                  error="Isi angka 0 atau lebih, tanpa satuan.",
                                  promptTitle="Angka", prompt="Isi angka 0 atau lebih.", **common)
        if key == "number-na":
            # the list offers "Tidak berlaku"; without an error message a number can be
            # typed too (the upload checks it, with the cell named)
            return DataValidation(type="list", formula1=_list_ref(self.lists[na], 1),
                                  allow_blank=True, showErrorMessage=False, showInputMessage=True,
                                  promptTitle="Angka atau Tidak berlaku",
                                  prompt="Isi angka 0 atau lebih, tanpa satuan, atau pilih "
                                         "Tidak berlaku dari daftar.")
        if key == "choice-na":
            return DataValidation(type="list", formula1=_list_ref(self.lists[na], 1),
                                  error="Kosongkan, atau pilih Tidak berlaku dari daftar.",
                                  promptTitle="Tidak berlaku",
                                  prompt="Pilih Tidak berlaku bila indikator ini tidak berlaku; "
                                         "bila berlaku, kosongkan sel ini dan isi per pilihan.",
                                  **common)
        ref = _list_ref(self.lists[key], len(key))
        if key[:2] == (YES, NO):
            return DataValidation(type="list", formula1=ref,
                                  error="Pilih Ya, Tidak atau Tidak berlaku dari daftar.",
                                  promptTitle="Ya/Tidak", prompt="Pilih Ya, Tidak atau Tidak "
                                  "berlaku.", **common)
        return DataValidation(type="list", formula1=ref,
                              error="Pilih salah satu tingkat dari daftar.", promptTitle="Skala",
                              prompt="Pilih tingkat: " + ", ".join(key)[:200], **common)


def _write_aspect(ws, aspect: Aspect, answers: dict, ctx: dict, lists: dict) -> None:
    _put_text(ws, 1, 1, aspect.title, font=Font(bold=True, size=14))
    intro = f"{ctx['unit_name']} ({ctx['unit_code']}) \u00b7 {ctx['period_title']}"
    if aspect.description:
        intro += "\n" + " ".join(aspect.description.split())
    _put_text(ws, 2, 1, intro, alignment=_TOP_WRAP)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws.row_dimensions[2].height = 15 * _lines(intro, sum(WIDTHS)) + 3
    for col, (name, width) in enumerate(zip(HEADERS, WIDTHS), 1):
        _put_text(ws, HEADER_ROW, col, name, font=_HEADER_FONT, fill=_HEADER_FILL,
                  alignment=_TOP_WRAP, border=_BORDER)
        ws.column_dimensions[get_column_letter(col)].width = width
    validations = _Validations(ws, lists)
    row = HEADER_ROW + 1
    for number, ind in enumerate(aspect.indicators, 1):
        row = _write_indicator(ws, row, number, ind, answers.get(ind.id), validations)
        if answers.get(ind.id) is None and ind.type != "choice" and ind.id in ctx["pending"]:
            _put_pending(ws, row - 1, str(ctx["pending"][ind.id]))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _protect(ws)
    _print_setup(ws, f"{ctx['unit_name']} - {aspect.title}")


def _help_text(ind: Indicator) -> str:
    if ind.type == "scale":
        text = "\n".join(f"{n} = {lv.label}" + (f": {lv.descriptor}" if lv.descriptor else "")
                         for n, lv in enumerate(ind.levels, 1))
    else:
        text = {"yesno": "Pilih Ya atau Tidak.",
                "number": "Isi angka 0 atau lebih" + (f", dalam {ind.unit}" if ind.unit else "")
                          + "; desimal boleh memakai koma (2,5).",
                "choice": "Isi Ya pada setiap pilihan yang sesuai dan Tidak pada yang tidak "
                          "sesuai (baris-baris di bawah).",
                "text": "Tulis jawaban bebas."}[ind.type]
    if ind.allow_na:
        text += ("\nBila tidak berlaku, pilih Tidak berlaku pada sel Jawaban baris ini (baris "
                 "pilihan dikosongkan)." if ind.type == "choice" else
                 "\nBila tidak berlaku, pilih Tidak berlaku dari daftar.")
    if ind.guidance:
        text += "\n\nPetunjuk: " + " ".join(ind.guidance.split())
    return text


def _evidence_text(ind: Indicator) -> str:
    text = EVIDENCE_NAMES.get(ind.evidence, ind.evidence)
    if ind.evidence != "none":
        text += " (unggah di laman)"
        if ind.evidence_hint:
            text += ": " + " ".join(ind.evidence_hint.split())
    return text


def _write_indicator(ws, row: int, number: int, ind: Indicator, value, validations) -> int:
    """Write an indicator's row (and its option rows); return the next free row."""
    cells = (str(number), ind.id, ind.question, TYPE_NAMES[ind.type], _help_text(ind), None,
             ind.unit if ind.type == "number" else "", _evidence_text(ind))
    for col, text in enumerate(cells, 1):
        if text is not None:
            _put_text(ws, row, col, text, alignment=_TOP_WRAP, border=_BORDER)
    no = ws.cell(row=row, column=1)       # the indicator's number as a number, not text
    no.value, no.number_format = number, "0"
    ws.cell(row=row, column=2).font = Font(bold=True)
    shown = value if ind.type == "text" and isinstance(value, str) else ""
    _fit_row(ws, row, dict(enumerate(cells, 1)) | {ANSWER_COL: shown})
    answer = ws.cell(row=row, column=ANSWER_COL)
    if ind.type == "choice" and ind.allow_na:
        _answer_style(answer)
        answer.number_format = "@"
        validations.add("choice-na", answer)
        if value == NOT_APPLICABLE:
            _put_text(ws, row, ANSWER_COL, NOT_APPLICABLE_TEXT)
        return _write_options(ws, row + 1, ind, value, validations)
    if ind.type == "choice":
        _put_text(ws, row, ANSWER_COL, "\u2193 isi per pilihan", border=_BORDER,
                  font=Font(italic=True, color="595959"), alignment=_TOP_WRAP)
        return _write_options(ws, row + 1, ind, value, validations)
    _answer_style(answer)
    _put_answer(ws, answer, ind, value, validations)
    return row + 1


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (generous:
    substitute fonts such as DejaVu Sans are wider than Calibri)."""
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _fit_row(ws, row: int, texts: dict[int, str]) -> None:
    """Set the row height to show all wrapped text (neither Excel nor LibreOffice fits rows
    of a generated file on opening)."""
    lines = max([1] + [_lines(text, WIDTHS[col - 1]) for col, text in texts.items() if text])
    ws.row_dimensions[row].height = min(409, 14.5 * lines + 3)


def _answer_style(cell) -> None:
    cell.fill, cell.border, cell.protection = _ANSWER_FILL, _BORDER, _UNLOCKED
    cell.alignment = _TOP_WRAP


def _put_answer(ws, cell, ind: Indicator, value, validations) -> None:
    """Prefill one answer cell in human form and attach its validation."""
    na = ind.allow_na and value == NOT_APPLICABLE
    if ind.type == "number":
        if type(value) in (int, float):
            cell.value = value
        cell.number_format = "General"
        validations.add("number-na" if ind.allow_na else "number", cell)
        if na:
            _put_text(ws, cell.row, cell.column, NOT_APPLICABLE_TEXT)
        return
    cell.number_format = "@"   # typed text stays text in Excel, '=' included
    if ind.type == "yesno":
        human = {True: YES, False: NO}.get(value) if type(value) is bool else None
        validations.add(drop_down(ind) if ind.allow_na else "yesno", cell)
    elif ind.type == "scale":
        in_range = type(value) is int and 0 <= value < len(ind.levels)
        human = ind.levels[value].label if in_range else None
        validations.add(drop_down(ind), cell)
    else:
        human = value if isinstance(value, str) else None
    if na:
        human = NOT_APPLICABLE_TEXT
    if human is not None:
        _put_text(ws, cell.row, cell.column, human)


def _put_pending(ws, row: int, raw: str) -> None:
    cell = _put_text(ws, row, ANSWER_COL, raw, font=Font(color="9C0006"))
    cell.comment = Comment("Isian ini dari laman dan belum valid; perbaiki sebelum diunggah.",
                           "Kuesioner")


def _write_options(ws, row: int, ind: Indicator, value, validations) -> int:
    chosen = set(value) if isinstance(value, list) else None
    for index, option in enumerate(ind.options):
        letter = chr(ord("a") + index) if index < 26 else str(index + 1)
        for col, text in ((1, letter), (OPTION_COL, option), (4, "Pilihan")):
            _put_text(ws, row, col, text, border=_BORDER, fill=_OPTION_FILL,
                      alignment=Alignment(wrap_text=True, vertical="top",
                                          indent=2 if col == OPTION_COL else 0))
        for col in (2, 5, 7, 8):
            cell = ws.cell(row=row, column=col)
            cell.border, cell.fill = _BORDER, _OPTION_FILL
        _fit_row(ws, row, {OPTION_COL: "    " + option})
        answer = ws.cell(row=row, column=ANSWER_COL)
        _answer_style(answer)
        answer.number_format = "@"
        validations.add("yesno", answer)
        if chosen is not None:
            _put_text(ws, row, ANSWER_COL, YES if option in chosen else NO)
        row += 1
    return row


# --------------------------------------------------------------------------- reading

def read_meta(data: bytes) -> WorkbookMeta:
    """What a workbook's _meta sheet says (ValueError when it cannot be read)."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise ValueError(f"not a readable .xlsx workbook: {type(exc).__name__}") from None
    try:
        if META_SHEET not in book.sheetnames:
            raise ValueError("the _meta sheet is missing")
        return _meta_values(_meta_cells(book[META_SHEET]))
    finally:
        book.close()


def parse_questionnaire_workbook(data: bytes, rubric: Rubric, *, period_slug: str, unit_code: str,
                                 max_rows: int = MAX_ROWS) -> tuple[dict, list[CellError]]:
    """Answers in exchange format (None = unanswered) and every error found, by sheet and cell."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged or hostile files
        return {}, [_unreadable(exc)]
    try:
        errors = _check_meta(book, rubric, period_slug, unit_code)
        if errors:
            return {}, errors
        return _read_answers(book, rubric, max_rows)
    except Exception as exc:  # sheets are parsed lazily: hostile XML surfaces only here
        return {}, [_unreadable(exc)]
    finally:
        book.close()


def _unreadable(exc: Exception) -> CellError:
    reason = f"{type(exc).__name__}: {exc}"[:200]
    cause, seen = exc, 0
    while cause is not None and not isinstance(cause, DefusedXmlException) and seen < 10:
        cause, seen = cause.__cause__ or cause.__context__, seen + 1   # openpyxl wraps it
    if cause is not None and isinstance(cause, DefusedXmlException):
        reason = f"{type(cause).__name__}: {cause}"[:200]
        return CellError("", "", "", N_("The workbook was refused: it contains XML entity or "
                                        "document type declarations, which are not allowed "
                                        "(%(reason)s)."), {"reason": reason})
    return CellError("", "", "", N_("The file cannot be read as an .xlsx workbook "
                                    "(%(reason)s)."), {"reason": reason})


def _meta_cells(ws) -> dict[str, tuple[str, object]]:
    found = {}
    for row, values in enumerate(ws.iter_rows(min_row=1, max_row=LIST_ROW, max_col=2,
                                              values_only=True), 1):
        values = tuple(values) + (None, None)
        key = _as_text(values[0])
        if key in META_KEYS and key not in found:
            found[key] = (f"B{row}", values[1])
    return found


def _meta_values(cells: dict) -> WorkbookMeta:
    def text(key):
        return _as_text(cells.get(key, ("", None))[1])
    return WorkbookMeta(period_slug=text("period"), unit_code=text("unit"),
                        rubric_id=text("rubric"), rubric_sha256=text("rubric_sha256"),
                        version=_as_version(cells.get("version", ("", None))[1]))


def _check_meta(book, rubric: Rubric, period_slug: str, unit_code: str) -> list[CellError]:
    """Refuse workbooks made for another period, unit or rubric edition."""
    if META_SHEET not in book.sheetnames:
        return [CellError(META_SHEET, "", "", N_("This is not a questionnaire workbook downloaded "
                                                  "from this site (the sheet _meta is missing)."))]
    cells = _meta_cells(book[META_SHEET])
    meta = _meta_values(cells)

    def where(key):
        return cells.get(key, ("",))[0]
    if _as_text(cells.get("format", ("", None))[1]) != FORMAT:
        return [CellError(META_SHEET, where("format"), "", N_(
            "This is not a questionnaire workbook downloaded from this site."))]
    checks = (
        ("period", meta.period_slug, period_slug, N_(
            "This workbook belongs to period %(found)s, not %(expected)s; download the "
            "questionnaire of this period.")),
        ("unit", meta.unit_code, unit_code, N_(
            "This workbook belongs to work unit %(found)s, not %(expected)s; download your own "
            "unit's questionnaire.")),
        ("rubric", meta.rubric_id, rubric.id, N_(
            "This workbook was made for rubric edition %(found)s, not %(expected)s; download the "
            "questionnaire again.")),
        ("rubric_sha256", meta.rubric_sha256, rubric.sha256, N_(
            "This workbook was made for another version of the questions (rubric fingerprint "
            "%(found)s, expected %(expected)s); download the questionnaire again.")),
    )
    errors = [CellError(META_SHEET, where(key), "", msgid,
                        {"found": found[:80] or "-", "expected": expected})
              for key, found, expected, msgid in checks if found != expected]
    if meta.version is None:
        errors.append(CellError(META_SHEET, where("version") or "", "", N_(
            "The data version of this workbook is missing or damaged; download the "
            "questionnaire again.")))
    return errors


def _read_answers(book, rubric: Rubric, max_rows: int) -> tuple[dict, list[CellError]]:
    answers, errors = {}, []
    titles = sheet_titles(rubric)
    for aspect in rubric.aspects:
        title = titles[aspect.id]
        if title not in book.sheetnames:
            errors.append(CellError(title, "", "", N_(
                "The sheet %(sheet)s is missing; download the questionnaire again."),
                {"sheet": title}))
            continue
        rows = _sheet_rows(book[title], max_rows)
        if rows is None:
            errors.append(CellError(title, "", "", N_(
                "The sheet %(sheet)s has more than %(max)s rows."),
                {"sheet": title, "max": max_rows}))
            continue
        found, duplicates = _locate(rows, aspect)
        errors += [CellError(title, f"B{row}", ind_id, N_(
            "Indicator %(indicator)s appears more than once; only one row may hold it."),
            {"indicator": ind_id}) for ind_id, row in duplicates]
        for ind in aspect.indicators:
            value, problems = _read_indicator(ind, title, found.get(ind.id), rows)
            errors += problems
            if not problems:
                answers[ind.id] = value
    return (answers, errors) if not errors else ({}, errors)


def _sheet_rows(ws, max_rows: int) -> list[tuple] | None:
    """The first ANSWER_COL values of every row, or None when there are too many rows."""
    rows = []
    for values in ws.iter_rows(min_row=1, max_row=max_rows + 1, max_col=ANSWER_COL,
                               values_only=True):
        rows.append(tuple(values) + (None,) * (ANSWER_COL - len(values)))
        if len(rows) > max_rows:
            return None
    return rows


def _locate(rows: list[tuple], aspect: Aspect) -> tuple[dict, list]:
    """{indicator id: (row, {option: row})} found by the id in column B and, for option
    rows under a choice indicator, the option text in column C; plus duplicated ids."""
    by_id = {ind.id: ind for ind in aspect.indicators}
    found, duplicates, current = {}, [], None
    for number, row in enumerate(rows, 1):
        key = _as_text(row[ID_COL - 1]).strip()
        if key:
            current = by_id.get(key)
            if current is not None and current.id in found:
                duplicates.append((current.id, number))
                current = None
            elif current is not None:
                found[current.id] = (number, {})
        elif current is not None and current.type == "choice":
            option = _as_text(row[OPTION_COL - 1]).strip()
            if option in current.options:
                found[current.id][1].setdefault(option, number)
    return found, duplicates


def _read_indicator(ind: Indicator, sheet: str, place, rows) -> tuple[object, list[CellError]]:
    """The answer of one indicator and the errors in its cells."""
    if place is None:
        return None, [CellError(sheet, "", ind.id, N_(
            "The row of indicator %(indicator)s is missing from sheet %(sheet)s."),
            {"indicator": ind.id, "sheet": sheet})]
    row, option_rows = place
    if ind.type == "choice" and ind.allow_na:
        own = rows[row - 1][ANSWER_COL - 1]
        if _as_text(own).strip():
            try:
                if parse_answer(ind, own) == NOT_APPLICABLE:   # the option rows do not matter
                    return NOT_APPLICABLE, []
            except AnswerError:
                pass
            return None, [CellError(sheet, f"{get_column_letter(ANSWER_COL)}{row}", ind.id, N_(
                "Leave this cell empty or choose Tidak berlaku; answer the options in the rows "
                "below."), {}, _as_text(own))]
    if ind.type == "choice":
        return _read_choice(ind, sheet, option_rows, rows)
    cell = f"{get_column_letter(ANSWER_COL)}{row}"
    try:
        return parse_answer(ind, rows[row - 1][ANSWER_COL - 1]), []
    except AnswerError as exc:
        return None, [CellError(sheet, cell, ind.id, exc.msgid, exc.params,
                                _as_text(rows[row - 1][ANSWER_COL - 1]))]


def _read_choice(ind: Indicator, sheet: str, option_rows: dict, rows) -> tuple[object, list]:
    errors, marks = [], {}
    for option in ind.options:
        row = option_rows.get(option)
        if row is None:
            errors.append(CellError(sheet, "", ind.id, N_(
                "The row of option %(option)s of indicator %(indicator)s is missing."),
                {"option": option, "indicator": ind.id}))
            continue
        try:
            marks[option] = parse_yes_no(rows[row - 1][ANSWER_COL - 1])
        except AnswerError as exc:
            errors.append(CellError(sheet, f"{get_column_letter(ANSWER_COL)}{row}", ind.id,
                                    exc.msgid, dict(exc.params, option=option),
                                    _as_text(rows[row - 1][ANSWER_COL - 1])))
    if errors:
        return None, errors
    if all(mark is None for mark in marks.values()):
        return None, []
    value = [option for option in ind.options if marks[option]]
    try:
        check_answer(ind, value)
    except AnswerError as exc:
        first = min(option_rows.values())
        return None, [CellError(sheet, f"{get_column_letter(ANSWER_COL)}{first}", ind.id,
                                exc.msgid, exc.params)]
    return value, []


# --------------------------------------------------------------------------- cell values

def _as_text(value) -> str:
    """A cell value as text: numbers without a spurious '.0', dates as ISO dates."""
    return answer_text(value)


def _as_version(value) -> int | None:
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is str and value.strip().isdigit():
        value = int(value.strip())
    return value if type(value) is int and value >= 1 else None

