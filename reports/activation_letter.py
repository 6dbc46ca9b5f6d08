"""Activation letters (surat aktivasi akun): one A4 PDF per work unit, in Indonesian, for
the bureau to send to each unit, and a ZIP of all of them.

A letter is plain data: the unit, and per operator account its username, the one-time
activation link and code and their expiry. DejaVu Sans is embedded (as in the scorecards).
The secrets exist only in these bytes: the application stores their hashes."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from itertools import groupby
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .indonesian import wib_text
from .scorecard import fonts

MAROON, MUTED, BAND = "#7a1020", "#5f6b7a", "#f4f1ea"


def _styles() -> dict:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10.5, leading=14.5, spaceAfter=6)
    return {"base": base,
            "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=15, leading=19,
                                    textColor=HexColor(MAROON), spaceAfter=4),
            "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11,
                                    textColor=HexColor(MUTED)),
            "code": ParagraphStyle("code", parent=base, fontName=bold, fontSize=16, leading=20),
            "cell": ParagraphStyle("cell", parent=base, spaceAfter=0)}


def activation_letter_pdf(letters: list[dict], link: str, issued: datetime) -> bytes:
    """One unit's letter: a page per operator account of the unit (``letters`` share one
    unit: unit_code, unit_name, username, name, token, code, expires_at)."""
    styles = _styles()
    out = io.BytesIO()
    unit = letters[0]
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm, lang="id",
                            title=f"Surat aktivasi akun {unit['unit_name']}",
                            author="Biro Partisipasi dan Hubungan Masyarakat KPU RI")
    story = []
    for number, letter in enumerate(letters):
        if number:
            story.append(PageBreak())
        story += _page(letter, link, issued, styles)
    doc.build(story)
    return out.getvalue()


def _page(letter: dict, link: str, issued: datetime, styles: dict) -> list:
    p = lambda text, style="base": Paragraph(text, styles[style])  # noqa: E731
    url = f"{link}?token={letter['token']}"
    rows = [[p("Satuan kerja", "cell"), p(f"{escape(letter['unit_name'])} ({escape(letter['unit_code'])})", "cell")],
            [p("Nama pengguna", "cell"), p(f"<b>{escape(letter['username'])}</b>", "cell")],
            [p("Kode aktivasi", "cell"), p(escape(letter["code"]), "code")],
            [p("Berlaku sampai", "cell"), p(wib_text(letter["expires_at"]), "cell")]]
    table = Table(rows, colWidths=[38 * mm, 128 * mm])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HexColor(BAND)),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return [
        p("Komisi Pemilihan Umum Republik Indonesia · Biro Partisipasi dan Hubungan Masyarakat", "small"),
        p("Surat Aktivasi Akun Penilaian Tata Kelola Bakohumas", "title"),
        p(f"Kepada Yth. Operator Bakohumas {escape(letter['unit_name'])}"),
        p("Akun Anda untuk mengisi kuesioner penilaian tata kelola Bakohumas telah disiapkan. "
          "Aktifkan akun dengan membuka tautan di bawah ini, lalu masukkan kode aktivasi dan "
          "buat kata sandi Anda sendiri (paling sedikit 10 karakter)."),
        Spacer(0, 3 * mm), table, Spacer(0, 4 * mm),
        p("<b>Tautan aktivasi</b> (sekali pakai):"),
        p(f'<link href="{escape(url)}" color="{MAROON}">{escape(url)}</link>', "small"),
        p(f"Jika tautan tidak dapat dibuka, kunjungi {escape(link)} lalu isi nama pengguna "
          "dan kode aktivasi di atas."),
        Spacer(0, 3 * mm),
        p("Tautan dan kode hanya dapat dipakai satu kali dan tidak berlaku lagi setelah tanggal "
          "di atas. Simpan surat ini secara rahasia; jangan bagikan kode kepada pihak lain. "
          "Jika kode sudah kedaluwarsa, mintalah surat baru kepada Biro Parmas KPU RI."),
        Spacer(0, 6 * mm),
        p(f"Diterbitkan {wib_text(issued)}.", "small"),
    ]


def activation_letters_zip(letters: list[dict], link: str,
                           units_without_account: list[tuple[str, str]] = (),
                           issued: datetime | None = None) -> bytes:
    """A ZIP of one PDF per unit (``surat-aktivasi-<code>.pdf``), and a text file naming the
    units that have no operator account yet (no letter for them)."""
    issued = issued or datetime.now(timezone.utc)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for code, group in groupby(letters, key=lambda row: row["unit_code"]):
            archive.writestr(f"surat-aktivasi-{code}.pdf",
                             activation_letter_pdf(list(group), link, issued))
        if units_without_account:
            lines = ["Satuan kerja tanpa akun operator (tidak ada surat):", ""]
            lines += [f"{code}\t{name}" for code, name in units_without_account]
            archive.writestr("tanpa-akun-operator.txt", "\n".join(lines) + "\n")
    return out.getvalue()
