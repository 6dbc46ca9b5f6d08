"""Tanda terima: the receipt of a submitted questionnaire, an A4 PDF in Indonesian with
every answer, the evidence list, the head's integrity statement, the time of submission in
WIB and the unit's own zone, and the SHA-256 of the submitted snapshot.

``snapshot_sha256`` is the one definition of that digest (canonical JSON of the snapshot's
answers and evidence), so anyone holding the snapshot can check a receipt. DejaVu Sans is
embedded (as in the scorecards)."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from rubrics.model import Rubric

from .indonesian import WIB, in_wib, wib_text
from .scorecard import fonts
from .workbook import answer_text

ZONES = {"WIB": WIB, "WITA": ZoneInfo("Asia/Makassar"),
         "WIT": ZoneInfo("Asia/Jayapura")}
STATEMENT = ("Saya menyatakan bahwa jawaban dan bukti dalam kuesioner ini benar, lengkap, dan "
             "dapat dipertanggungjawabkan, serta bersedia menerima konsekuensinya, termasuk "
             "diskualifikasi, apabila ada yang terbukti tidak benar.")
MAROON, MUTED, RULE, BAND = "#7a1020", "#5f6b7a", "#d5d9de", "#f4f1ea"


def snapshot_sha256(answers: dict, evidence: list) -> str:
    """The SHA-256 of a submitted snapshot: canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps({"answers": answers, "evidence": evidence}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def zoned_text(moment: datetime, zone: str) -> str:
    """'21 Agustus 2025 14.05 WIB (15.05 WITA)': WIB, and the unit's own zone beside it."""
    text = wib_text(moment)
    if zone in ZONES and zone != "WIB":
        local = in_wib(moment).astimezone(ZONES[zone])
        day = "" if local.date() == in_wib(moment).date() else f"{format_date(local, 'd MMMM y', locale='id')} "
        text += f" ({day}{format_time(local, 'HH.mm', locale='id')} {zone})"
    return text


def receipt_rows(rubric: Rubric, answers: dict) -> list[tuple[str, str, str]]:
    """(number, question, answer) for every indicator in rubric order ('2.1', ...)."""
    rows = []
    for a_number, aspect in enumerate(rubric.aspects, start=1):
        for i_number, indicator in enumerate(aspect.indicators, start=1):
            value = answer_text(answers.get(indicator.id), indicator)
            if isinstance(value, float) or isinstance(value, int) and not isinstance(value, bool):
                value = f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)
            rows.append((f"{a_number}.{i_number}", indicator.question,
                         value if value not in (None, "") else "–"))
    return rows


def _styles() -> dict:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12)
    return {"base": base,
            "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=14, leading=18,
                                    textColor=HexColor(MAROON), spaceAfter=4),
            "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=11, leading=14,
                                 spaceBefore=8, spaceAfter=4),
            "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5,
                                    textColor=HexColor(MUTED)),
            "mono": ParagraphStyle("mono", parent=base, fontSize=8, leading=10)}


def receipt_pdf(data: dict, rubric: Rubric) -> bytes:
    """The receipt. ``data``: unit_code, unit_name, time_zone, period_title, submitted_at,
    submitted_by, head_name, head_position, head_nip, answers, evidence (list of dicts with
    indicator, kind, url or filename, sha256), version, sha256."""
    styles = _styles()
    p = lambda text, style="base": Paragraph(text, styles[style])  # noqa: E731
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, lang="id",
                            title=f"Tanda terima kuesioner {data['unit_name']}",
                            author="Penilaian Tata Kelola Bakohumas KPU")
    numbers = {ind.id: f"{a}.{i}" for a, aspect in enumerate(rubric.aspects, start=1)
               for i, ind in enumerate(aspect.indicators, start=1)}
    head = [[p("Satuan kerja"), p(f"{escape(data['unit_name'])} ({escape(data['unit_code'])})")],
            [p("Periode"), p(escape(data["period_title"]))],
            [p("Dikirim"), p(zoned_text(data["submitted_at"], data["time_zone"]))],
            [p("Dikirim oleh"), p(escape(data.get("submitted_by") or "–"))],
            [p("Versi"), p(str(data.get("version") or "–"))]]
    story = [p("Komisi Pemilihan Umum Republik Indonesia · Penilaian Tata Kelola Bakohumas", "small"),
             p("Tanda Terima Pengiriman Kuesioner", "title"), _table(head, [36 * mm, 142 * mm]),
             p("Pernyataan integritas", "h2"), p(STATEMENT),
             p(f"Kepala satuan kerja: <b>{escape(data['head_name'] or '–')}</b>, "
               f"{escape(data['head_position'] or '–')}, NIP {escape(data['head_nip'] or '–')}"),
             p("Jawaban", "h2"),
             _table([[p("<b>No</b>"), p("<b>Pertanyaan</b>"), p("<b>Jawaban</b>")]]
                    + [[p(n), p(escape(q)), p(escape(str(a)))]
                       for n, q, a in receipt_rows(rubric, data["answers"])],
                    [12 * mm, 112 * mm, 54 * mm], header=True),
             p("Bukti", "h2")]
    evidence = sorted(data["evidence"], key=lambda e: (numbers.get(e.get("indicator"), "~"),
                                                        e.get("id") or 0))
    if evidence:
        story.append(_table([[p("<b>No</b>"), p("<b>Bukti</b>"), p("<b>SHA-256 berkas</b>")]] + [
            [p(numbers.get(e.get("indicator"), escape(str(e.get("indicator"))))),
             p(escape(e.get("url") or e.get("filename") or "–")),
             p(escape(e.get("sha256") or "tautan"), "small")] for e in evidence],
            [12 * mm, 100 * mm, 66 * mm], header=True))
    else:
        story.append(p("Tidak ada bukti yang dilampirkan."))
    story += [Spacer(0, 5 * mm), p("Sidik jari (SHA-256) salinan yang dikirim", "h2"),
              p(data["sha256"], "mono"),
              p("Dihitung dari JSON kanonik jawaban dan daftar bukti salinan yang dikirim "
                "(kunci terurut, tanpa spasi, UTF-8). Simpan tanda terima ini sebagai bukti "
                "pengiriman.", "small")]
    doc.build(story)
    return out.getvalue()


def _table(rows, widths, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, HexColor(RULE)),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HexColor(BAND)))
    table.setStyle(TableStyle(style))
    return table
