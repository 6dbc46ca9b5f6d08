"""Unit scorecards (rapor satuan kerja): one- or two-page A4 PDFs in Indonesian.

``scorecard_data`` turns a scoring result into plain data for one unit; ``scorecard_pdf``
lays that data out with reportlab - the one renderer, so the web and the command line give
the same text for the same data; ``write_scorecards`` writes one file per unit of the result.
The aspect chart is drawn with reportlab's own graphics (no matplotlib figure per unit).
Every font is DejaVu Sans, registered once and embedded (subset); the PDF carries its
title and language (``id``). reportlab does not write a structure tree (tagged PDF), so the
reading order is the content order: header, summary, chart, tables, comments, footer.
"""
from __future__ import annotations

import io
import re
import sys
import textwrap
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable, Mapping
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from rubrics.model import Rubric
from scoring.engine import Result, UnitResult, round2
from scoring.order import order_sentence, tie_breaks

from .feedback import Baselines, baselines, comparison_labels, feedback_data
from .indonesian import CATEGORY_NAMES, unranked_text, wib_text


CATEGORY_LABELS = CATEGORY_NAMES
TOP_INDICATORS = 3
QUESTION_CHARS = 110
GAP_NOTE = Decimal(5)      # a claim this many points above the verified score is worth a note

# colours of the report (KPU maroon and gold, greys for the means)
MAROON, GOLD, INK, MUTED = "#7a1020", "#c9a227", "#1f2933", "#5f6b7a"
RULE, BAND = "#d5d9de", "#f4f1ea"


# ---------------------------------------------------------------- numbers and words

def id_number(value, places: int = 2) -> str:
    """A number in Indonesian notation: 1.234,50 (dash when missing)."""
    if value is None:
        return "–"
    if isinstance(value, Fraction):
        value = round2(value) if value >= 0 else -round2(-value)
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def signed_number(value) -> str:
    """An Indonesian number with an explicit sign (+3,50 / −1,25 / 0,00)."""
    if value is None:
        return "–"
    if value > 0:
        return "+" + id_number(value)
    return ("−" + id_number(-value)) if value < 0 else id_number(value)


def province_text(province: str) -> str:
    """'Provinsi Jawa Tengah' from 'Jawa Tengah', 'Provinsi Jawa Tengah' or 'KPU Provinsi
    Jawa Tengah' (never a doubled 'Provinsi KPU Provinsi ...')."""
    name = " ".join(str(province).split())
    for prefix in ("KPU Provinsi ", "KIP Provinsi ", "KPU ", "Provinsi "):
        if name.lower().startswith(prefix.lower()):
            name = name[len(prefix):]
    return f"Provinsi {name}" if name else ""


def rank_text(rank: int | None, ranked: int, category: str, *, entry_unmet=()) -> str:
    """'Peringkat 3 dari 38 KPU Provinsi' (``ranked`` counts ranked units only), or why
    there is no rank: 'Tidak diperingkat: syarat keikutsertaan tidak terpenuhi'."""
    if rank is None:
        return unranked_text(entry_unmet)
    return f"Peringkat {rank} dari {ranked} {CATEGORY_LABELS.get(category, category)}"


def shorten(text: str, width: int = QUESTION_CHARS) -> str:
    """Text cut at a word boundary to at most ``width`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    return text[: width - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def slug(text: str) -> str:
    """An ASCII file-name slug: 'KPU Provinsi Jawa Tengah' -> 'kpu-provinsi-jawa-tengah'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "satker"


# ---------------------------------------------------------------- plain data

def scorecard_data(result: Result, rubric: Rubric, unit_code: str, *, comments=None,
                   means: Baselines | None = None, feedback: dict | None = None,
                   ties: Mapping[str, str] | None = None) -> dict:
    """Plain data for one unit's scorecard. The aspect scores and means, and the aspect
    that decided a tie, come from ``feedback`` (``reports.feedback.feedback_data``: the
    unit's category, nationally and within its province, with n), computed here when not
    given; pass ``means`` (``reports.feedback.baselines``) and ``ties``
    (``scoring.order.tie_breaks``) to reuse them across units."""
    row = _find(result, unit_code)
    if feedback is None:
        ties = tie_breaks(rubric, result) if ties is None else ties
        feedback = feedback_data(result, unit_code, means, ties=ties)
    first_stage = rubric.stages[0].id
    verified_stage1 = round2(row.stages[first_stage])
    aspects = _aspect_rows(rubric, row, feedback)
    national_label, provincial_label = comparison_labels(feedback, row.unit.province)
    data = {
        "code": row.unit.code, "name": row.unit.name, "category": row.unit.category,
        "category_label": CATEGORY_LABELS.get(row.unit.category, row.unit.category),
        "province": row.unit.province, "rank": row.rank, "entry_unmet": list(row.entry_unmet),
        "ranked": sum(1 for r in result.ranking
                      if r.unit.category == row.unit.category and r.rank is not None),
        "total": round2(row.total), "self_total": round2(row.self_total),
        "verified_stage1": verified_stage1, "predicate": row.predicate,
        "predicate_band": _band_text(rubric, row.predicate), "stage_reached": row.stage_reached,
        "stage_title": _stage_title(rubric, row.stage_reached),
        "stage_scores": [(_stage_title(rubric, sid), round2(v)) for sid, v in row.stages.items()],
        "rubric_id": rubric.id, "rubric_title": rubric.title, "aspects": aspects,
        "national_label": national_label, "provincial_label": provincial_label,
        "unranked_in_means": feedback.get("unranked_in_means") or {},
        "comments": _comments(comments), "comment_groups": comment_groups(rubric, comments),
    }
    data["rank_text"] = rank_text(data["rank"], data["ranked"], data["category"],
                                  entry_unmet=data["entry_unmet"])
    data["decided_by"] = _aspect_title(rubric, feedback.get("decided_by"))
    data["order_text"] = order_sentence(rubric)
    data.update(_strong_weak(rubric, row))
    data["claims"] = _claims(data["self_total"], verified_stage1, aspects)
    return data


def _find(result: Result, unit_code: str) -> UnitResult:
    for row in result.ranking:
        if row.unit.code == unit_code:
            return row
    raise KeyError(f"unit {unit_code!r} is not in this result")


def _aspect_title(rubric: Rubric, aspect_id: str | None) -> str | None:
    if aspect_id is None:
        return None
    return next((a.title for a in rubric.aspects if a.id == aspect_id), aspect_id)


def tie_text(aspect_title: str) -> str:
    """The tie mark, as the pages word it: 'nilai sama, ditentukan oleh aspek X'."""
    return f"nilai sama, ditentukan oleh aspek {aspect_title}"


def _band_text(rubric: Rubric, label: str) -> str:
    """'nilai 80,00–89,99' for the predicate band with this label."""
    bands = sorted(rubric.predicates, key=lambda b: b.min)
    for n, band in enumerate(bands):
        if band.label == label:
            low = id_number(band.min)
            if n + 1 == len(bands):
                return f"nilai ≥ {low}"
            return f"nilai {low}–{id_number(bands[n + 1].min - Fraction(1, 100))}"
    return ""


def _stage_title(rubric: Rubric, stage_id: str) -> str:
    for stage in rubric.stages:
        if stage.id == stage_id:
            return stage.title or stage.id
    return stage_id


def _aspect_rows(rubric: Rubric, row: UnitResult, feedback: dict) -> list[dict]:
    by_id = {a["id"]: a for a in feedback["aspects"]}
    weight_sum = sum(a.weight for a in rubric.aspects)
    out = []
    for aspect in rubric.aspects:
        item = by_id[aspect.id]
        verified = item["score"] if item["score"] is not None else Decimal(0)
        claimed = round2(row.self_aspects[aspect.id] or Fraction(0))
        national, province = item["national"] or {}, item["province"] or {}
        out.append({"id": aspect.id, "title": aspect.title,
                    "weight_pct": round2(aspect.weight / weight_sum * 100),
                    "verified": verified, "self": claimed, "gap": claimed - verified,
                    "national_mean": national.get("mean"), "national_n": national.get("n"),
                    "provincial_mean": province.get("mean"),
                    "provincial_n": province.get("n")})
    return out


def _strong_weak(rubric: Rubric, row: UnitResult) -> dict:
    """Top and bottom indicators by points earned and points lost (verified x share)."""
    if not row.indicators:
        return {"strongest": [], "weakest": []}
    shares = rubric.indicator_shares()
    items = []
    for ind_id, detail in row.indicators.items():
        if detail.not_applicable:
            continue   # "tidak-berlaku" earns and loses nothing
        ind = rubric.indicator(ind_id)
        share = shares[ind_id]
        items.append({
            "id": ind_id, "aspect": rubric.aspect(ind.aspect_id).title if ind.aspect_id else "",
            "question": shorten(ind.question), "weight_pct": round2(share * 100),
            "verified_pct": round2(detail.verified * 100),
            "self_pct": (round2(detail.self_fraction * 100)
                         if detail.self_fraction is not None else None),
            "_earned": detail.verified * share, "_lost": (1 - detail.verified) * share})
    strongest = sorted(items, key=lambda i: (-i["_earned"], i["id"]))[:TOP_INDICATORS]
    weakest = sorted(items, key=lambda i: (-i["_lost"], i["id"]))[:TOP_INDICATORS]
    return {"strongest": [_points(i, "_earned") for i in strongest],
            "weakest": [_points(i, "_lost") for i in weakest]}


def _points(item: dict, key: str) -> dict:
    out = {k: v for k, v in item.items() if not k.startswith("_")}
    out["points"] = round2(item[key] * 100)
    return out


def _per_indicator(comments) -> bool:
    return (isinstance(comments, Mapping) and bool(comments)
            and all(isinstance(k, str) and not isinstance(v, str) for k, v in comments.items()))


def comment_groups(rubric: Rubric, comments) -> list[dict]:
    """Comments per indicator, in rubric order: ``comments`` as ``{indicator id: [(judge
    number, text), ...]}`` gives ``[{"indicator", "aspect", "question", "comments":
    [{"judge": "Penilai n", "text"}]}]``; other shapes (one list for the unit) give one
    group without an indicator."""
    if not comments:
        return []
    if not _per_indicator(comments):
        flat = _comments(comments)
        return [{"indicator": "", "aspect": "", "question": "Catatan umum",
                 "comments": flat}] if flat else []
    groups = []
    order = {ind.id: n for n, ind in enumerate(rubric.indicators)}
    for ind_id in sorted(comments, key=lambda i: (order.get(i, len(order)), i)):
        items = [{"judge": f"Penilai {n}", "text": str(text).strip()}
                 for n, text in sorted(comments[ind_id], key=lambda c: c[0])
                 if text and str(text).strip()]
        if not items:
            continue
        try:
            ind = rubric.indicator(ind_id)
            question = ind.question
            aspect = rubric.aspect(ind.aspect_id).title if ind.aspect_id else ""
        except KeyError:
            question, aspect = ind_id, ""
        groups.append({"indicator": ind_id, "aspect": aspect, "question": question,
                       "comments": items})
    return groups


def _comments(comments) -> list[dict]:
    """Judges' comments, anonymised as Penilai 1, 2, ... in the order given; a mapping keyed
    by judge numbers (int) keeps those numbers, so a judge without comments leaves a gap."""
    if not comments:
        return []
    if _per_indicator(comments):
        return [{"judge": f"Penilai {n}", "text": str(t).strip()}
                for pairs in comments.values() for n, t in pairs if t and str(t).strip()]
    if isinstance(comments, Mapping) and all(isinstance(k, int) for k in comments):
        return [{"judge": f"Penilai {n}", "text": str(comments[n]).strip()} for n in sorted(comments)
                if comments[n] and str(comments[n]).strip()]
    texts = list(comments.values()) if isinstance(comments, Mapping) else list(comments)
    texts = [str(t).strip() for t in texts if t and str(t).strip()]
    return [{"judge": f"Penilai {n}", "text": text} for n, text in enumerate(texts, start=1)]


def _claims(self_total: Decimal, verified: Decimal, aspects: list[dict]) -> dict:
    over = [a for a in aspects if a["gap"] >= GAP_NOTE]
    under = [a for a in aspects if a["gap"] <= -GAP_NOTE]
    return {"self_total": self_total, "verified_total": verified, "gap": self_total - verified,
            "overclaimed": [a["title"] for a in sorted(over, key=lambda a: -a["gap"])],
            "underclaimed": [a["title"] for a in sorted(under, key=lambda a: a["gap"])]}


def claims_note(claims: dict) -> str:
    """One Indonesian paragraph on the self-assessment against the verified score."""
    gap = claims["gap"]
    head = (f"Nilai penilaian mandiri {id_number(claims['self_total'])}, nilai terverifikasi "
            f"tahap kuesioner {id_number(claims['verified_total'])} "
            f"(selisih {signed_number(gap)}).")
    if gap >= GAP_NOTE:
        head += " Penilaian mandiri lebih tinggi daripada hasil verifikasi."
    elif gap <= -GAP_NOTE:
        head += " Penilaian mandiri lebih rendah daripada hasil verifikasi."
    else:
        head += " Penilaian mandiri sejalan dengan hasil verifikasi."
    if claims["overclaimed"]:
        head += (" Aspek dengan klaim lebih dari 5 poin di atas hasil verifikasi: "
                 + ", ".join(claims["overclaimed"]) + ".")
    if claims["underclaimed"]:
        head += (" Aspek yang dinilai terlalu rendah oleh satuan kerja sendiri: "
                 + ", ".join(claims["underclaimed"]) + ".")
    return head + " Lengkapi bukti dukung agar klaim dapat diverifikasi."


# ---------------------------------------------------------------- aspect chart

CHART_WIDTH_MM = 170


def aspect_drawing(data: dict, width: float = CHART_WIDTH_MM * mm) -> Drawing:
    """A dot plot of the unit's verified aspect scores (0-100) against the national and
    provincial means of its category, drawn with reportlab graphics: one row per aspect,
    whole aspect titles on the left."""
    regular, bold = fonts()
    aspects = data["aspects"]
    label_w, right = 62 * mm, 6 * mm
    row_h, top, bottom = 15, 8, 34
    height = top + row_h * len(aspects) + bottom
    drawing = Drawing(width, height)
    drawing.initialFontName = regular   # the renderer's start state: no stray Helvetica
    x0, x1 = label_w, width - right

    def x(value) -> float:
        return x0 + (x1 - x0) * float(value) / 100

    axis_y = bottom - 6
    for tick in range(0, 101, 20):
        drawing.add(Line(x(tick), axis_y, x(tick), height - top, strokeColor=HexColor(RULE),
                         strokeWidth=0.4))
        drawing.add(String(x(tick), axis_y - 8, id_number(tick, 0), fontName=regular,
                           fontSize=6.5, fillColor=HexColor(MUTED), textAnchor="middle"))
    for n, aspect in enumerate(aspects):
        y = height - top - row_h * (n + 0.5)
        lines = _lines(aspect["title"], 44)[:2]
        for k, line in enumerate(lines):
            baseline = y - 2.5 + 4 * (len(lines) - 1) - 8 * k
            drawing.add(String(0, baseline, line, fontName=regular, fontSize=7,
                               fillColor=HexColor(INK)))
        provincial = aspect["provincial_mean"] if _provincial_shown(data) else None
        values = [v for v in (aspect["verified"], aspect["national_mean"], provincial)
                  if v is not None]
        drawing.add(Line(x(min(values)), y, x(max(values)), y, strokeColor=HexColor("#cfcfcf"),
                         strokeWidth=2))
        if aspect["national_mean"] is not None:
            drawing.add(_diamond(x(aspect["national_mean"]), y, 3.2, "#4a5568"))
        if provincial is not None:
            drawing.add(Rect(x(aspect["provincial_mean"]) - 2.8, y - 2.8, 5.6, 5.6,
                             fillColor=HexColor(GOLD), strokeColor=None))
        drawing.add(Circle(x(aspect["verified"]), y, 3.6, fillColor=HexColor(MAROON),
                           strokeColor=HexColor("#ffffff"), strokeWidth=0.6))
        drawing.add(String(x(aspect["verified"]), y + 5, id_number(aspect["verified"]),
                           fontName=bold, fontSize=6, fillColor=HexColor(MAROON),
                           textAnchor="middle"))
    _legend(drawing, data, regular, x0)
    return drawing


def _legend(drawing, data, font, x0):
    items = [("circle", MAROON, "Satuan kerja"),
             ("diamond", "#4a5568", data.get("national_label") or "Rata-rata nasional")]
    if _provincial_shown(data):
        items.append(("square", GOLD, data.get("provincial_label") or "Rata-rata provinsi"))
    x, y = x0, 4
    for shape, colour, label in items:
        if shape == "circle":
            drawing.add(Circle(x + 3, y + 2.5, 3, fillColor=HexColor(colour), strokeColor=None))
        elif shape == "diamond":
            drawing.add(_diamond(x + 3, y + 2.5, 3, colour))
        else:
            drawing.add(Rect(x, y, 5.5, 5.5, fillColor=HexColor(colour), strokeColor=None))
        drawing.add(String(x + 9, y, label, fontName=font, fontSize=6.5,
                           fillColor=HexColor(INK)))
        x += 16 + pdfmetrics.stringWidth(label, font, 6.5)


def _provincial_shown(data: dict) -> bool:
    """Whether the provincial mean is shown: only when it covers more than the unit itself
    (a KPU Provinsi is the only one of its category in its province)."""
    if "provincial_label" in data and not data["provincial_label"]:
        return False
    return any(a["provincial_mean"] is not None and (a.get("provincial_n") or 2) > 1
               for a in data["aspects"])


def _diamond(cx, cy, r, colour) -> Polygon:
    return Polygon([cx, cy + r, cx + r, cy, cx, cy - r, cx - r, cy],
                   fillColor=HexColor(colour), strokeColor=None)


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(str(text).split()), width, break_on_hyphens=False) or [""]


# ---------------------------------------------------------------- PDF

def _matplotlib_font_dir() -> str | None:
    """matplotlib's bundled DejaVu fonts, the fallback when the system has none."""
    try:
        import matplotlib
    except ImportError:          # optional here: only a fallback for the fonts
        return None
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


_FONTS: tuple[str, str] | None = None
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)         # fonts-dejavu-core


def _font_dirs():
    """FONT_DIRS, then matplotlib's fonts: matplotlib is imported only when the system has
    no DejaVu (importing it at module level cost every process's start a third of a second)."""
    yield from FONT_DIRS
    if (matplotlib_fonts := _matplotlib_font_dir()) is not None:
        yield Path(matplotlib_fonts)


def fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans, registered once (embedded as subsets)."""
    global _FONTS
    if _FONTS is None:
        _FONTS = _register_fonts()
    return _FONTS


def _register_fonts() -> tuple[str, str]:
    folder = next((d for d in _font_dirs() if (d / "DejaVuSans.ttf").is_file()
                   and (d / "DejaVuSans-Bold.ttf").is_file()), None)
    if folder is None:
        raise RuntimeError("DejaVu Sans not found: install fonts-dejavu-core or matplotlib")
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    for italic in (0, 1):
        addMapping("DejaVuSans", 0, italic, "DejaVuSans")
        addMapping("DejaVuSans", 1, italic, "DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


def _styles() -> dict:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=11,
                          textColor=HexColor(INK))

    def style(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)
    return {
        "base": base,
        "org": style("org", fontName=bold, fontSize=9, textColor=HexColor("#ffffff"), leading=11),
        "org_r": style("org_r", fontName=bold, fontSize=9, textColor=HexColor("#ffffff"),
                       leading=11, alignment=TA_RIGHT),
        "org_sub": style("org_sub", fontSize=8, textColor=HexColor("#f3e6c0"), leading=10),
        "org_sub_r": style("org_sub_r", fontSize=8, textColor=HexColor("#f3e6c0"), leading=10,
                           alignment=TA_RIGHT),
        "title": style("title", fontName=bold, fontSize=16, leading=20, textColor=HexColor(MAROON)),
        "subtitle": style("subtitle", fontSize=9, leading=12, textColor=HexColor(MUTED)),
        "h2": style("h2", fontName=bold, fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=4,
                    textColor=HexColor(MAROON)),
        "kpi_label": style("kpi_label", fontSize=7, leading=9, textColor=HexColor(MUTED),
                           alignment=TA_CENTER),
        "kpi_value": style("kpi_value", fontName=bold, fontSize=17, leading=21,
                           textColor=HexColor(MAROON), alignment=TA_CENTER),
        "kpi_small": style("kpi_small", fontName=bold, fontSize=10.5, leading=13,
                           alignment=TA_CENTER),
        "kpi_note": style("kpi_note", fontSize=7, leading=9, textColor=HexColor(MUTED),
                          alignment=TA_CENTER),
        "cell": style("cell", fontSize=7.5, leading=9.5),
        "cell_b": style("cell_b", fontName=bold, fontSize=7.5, leading=9.5),
        "num": style("num", fontSize=7.5, leading=9.5, alignment=TA_RIGHT),
        "num_b": style("num_b", fontName=bold, fontSize=7.5, leading=9.5, alignment=TA_RIGHT),
        "head": style("head", fontName=bold, fontSize=7, leading=9, textColor=HexColor("#ffffff")),
        "head_r": style("head_r", fontName=bold, fontSize=7, leading=9,
                        textColor=HexColor("#ffffff"), alignment=TA_RIGHT),
        "note": style("note", fontSize=7.5, leading=10, textColor=HexColor(MUTED)),
        "quote": style("quote", fontSize=8.5, leading=11.5, leftIndent=6),
    }


def _text(text) -> str:
    """Escaped markup text (user text is never markup)."""
    return escape(str(text))


def _p(text: str, style) -> Paragraph:
    """A Paragraph of plain (user) text: markup characters are shown literally."""
    return Paragraph(_text(text), style)


def scorecard_pdf(data: dict, *, period_title: str, generated_at: datetime | None = None,
                  run_number: int | None = None, input_sha256: str = "") -> bytes:
    """The scorecard of one unit as a one- or two-page A4 PDF (bytes): the one renderer
    for the web and the command line. ``period_title`` is the period's own title with its
    year ("Penilaian Bakohumas 2024"); the footer names it with the run number and the
    input SHA-256."""

    generated_at = generated_at or datetime.now(timezone.utc)
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=16 * mm,
                            title=f"Rapor {data['name']} - {period_title}",
                            author="Komisi Pemilihan Umum", subject=period_title,
                            creator="bakohumas-assessment", lang="id", invariant=True,
                            initialFontName=fonts()[0])     # no stray Helvetica
    width = doc.width - 12      # the frame's own 6 pt padding on each side
    story = (_header(data, period_title, st, width) + _summary(data, st, width)
             + _radar_block(data, st, width) + _aspect_table(data, st, width)
             + _indicator_tables(data, st, width) + _comment_block(data, st)
             + _claims_block(data, st))
    footer = _footer(period_title, wib_text(generated_at), run_number, input_sha256)
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buf.getvalue()


def _header(data, period_title, st, width) -> list:
    band = Table([[_p("KOMISI PEMILIHAN UMUM", st["org"]),
                   _p("Rapor Penilaian Tata Kelola Bakohumas", st["org_r"])],
                  [_p("Badan Koordinasi Kehumasan (Bakohumas)", st["org_sub"]),
                   _p(period_title, st["org_sub_r"])]],
                 colWidths=[width * 0.45, width * 0.55])
    band.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts()[0]),
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(MAROON)),
                              ("LINEBELOW", (0, -1), (-1, -1), 2.5, HexColor(GOLD)),
                              ("LEFTPADDING", (0, 0), (-1, -1), 8),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                              ("TOPPADDING", (0, 0), (-1, 0), 7),
                              ("BOTTOMPADDING", (0, -1), (-1, -1), 7)]))
    where = f"Kode satuan kerja {data['code']} · {data['category_label']}"
    if data["province"] and data["category"] != "provinsi":
        where += f" · {province_text(data['province'])}"
    return [band, Spacer(1, 5 * mm), _p(data["name"], st["title"]), _p(where, st["subtitle"]),
            Spacer(1, 4 * mm)]


def _summary(data, st, width) -> list:
    cells = [
        [_p("NILAI AKHIR", st["kpi_label"]), _p("PERINGKAT", st["kpi_label"]),
         _p("PREDIKAT", st["kpi_label"]), _p("TAHAP TERAKHIR", st["kpi_label"])],
        [_p(id_number(data["total"]), st["kpi_value"]),
         _p("–" if data["rank"] is None else f"{data['rank']} / {data['ranked']}",
            st["kpi_value"]),
         _p(data["predicate"], st["kpi_small"]), _p(data["stage_title"], st["kpi_small"])],
        [_p("skala 0–100", st["kpi_note"]), _rank_note(data, st),
         _p(data["predicate_band"], st["kpi_note"]),
         _p(" · ".join(f"{t} {id_number(v)}" for t, v in data["stage_scores"]), st["kpi_note"])],
    ]
    table = Table(cells, colWidths=[width / 4] * 4)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts()[0]),
                
        ("BACKGROUND", (0, 0), (-1, -1), HexColor(BAND)),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.8, HexColor("#ffffff")),
        ("LINEABOVE", (0, 0), (-1, 0), 1.2, HexColor(GOLD)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, 0), 6), ("BOTTOMPADDING", (0, -1), (-1, -1), 6)]))
    if not data.get("order_text"):
        return [table]
    return [table, Spacer(1, 1.5 * mm), _p(data["order_text"], st["note"])]


def _rank_note(data, st) -> Paragraph:
    """'Peringkat 2 dari 38 KPU Kab/Kota', and under it the aspect that decided a tie."""
    if not data.get("decided_by"):
        return _p(data["rank_text"], st["kpi_note"])
    return Paragraph(f"{_text(data['rank_text'])}<br/><b>{_text(tie_text(data['decided_by']))}"
                     "</b>", st["kpi_note"])


def _radar_block(data, st, width) -> list:
    caption = ("Nilai terverifikasi per aspek (0–100): satuan kerja (bulatan), "
               + (data.get("national_label") or "rata-rata nasional kategorinya") + " (belah "
               "ketupat)")
    if _provincial_shown(data):
        caption += " dan " + (data.get("provincial_label")
                              or "rata-rata kategorinya di provinsi") + " (persegi)"
    return [_section("Profil Aspek", st), aspect_drawing(data, width), _p(caption + ".",
                                                                          st["note"]),
            Spacer(1, 2 * mm)]


def _section(title, st):
    return _p(title, st["h2"])


def _aspect_table(data, st, width) -> list:
    provincial = _provincial_shown(data)
    head = ["Aspek", "Bobot", "Nilai terverifikasi", "Nilai mandiri", "Selisih",
            _mean_head(data, "national_n", "Rata-rata nasional")]
    head += [_mean_head(data, "provincial_n", "Rata-rata provinsi")] if provincial else []
    rows = [[_p(head[0], st["head"])] + [_p(h, st["head_r"]) for h in head[1:]]]
    for a in data["aspects"]:
        rows.append([_p(a["title"], st["cell"]), _p(id_number(a["weight_pct"], 0) + "%", st["num"]),
                     _p(id_number(a["verified"]), st["num_b"]), _p(id_number(a["self"]), st["num"]),
                     _p(signed_number(a["gap"]), st["num"]),
                     _p(id_number(a["national_mean"]), st["num"])]
                    + ([_p(id_number(a["provincial_mean"]), st["num"])] if provincial else []))
    numbers = len(head) - 2
    widths = [width * (1 - 0.09 - 0.115 * numbers)] + [width * 0.09] + [width * 0.115] * numbers
    return [KeepTogether([
        _section("Nilai per Aspek", st), _grid(rows, widths),
        _p("Selisih = nilai mandiri dikurangi nilai terverifikasi. Nilai aspek adalah hasil "
           "tahap verifikasi kuesioner; bobot adalah porsi aspek dalam nilai tahap itu. "
           + _means_note(data), st["note"])])]


def _mean_head(data: dict, key: str, title: str) -> str:
    counts = [a.get(key) for a in data["aspects"] if a.get(key)]
    return f"{title} (n={max(counts)})" if counts else title


def _means_note(data: dict) -> str:
    """What the two means cover, in the words of the labels (both include the unit)."""
    labels = [label for label in (data.get("national_label"), data.get("provincial_label"))
              if label]
    if not labels:
        return ""
    return ("Rata-rata nasional: " + labels[0] + ("; rata-rata provinsi: " + labels[1]
                                                   if len(labels) > 1 else "")
            + "; keduanya termasuk satuan kerja ini.")


def _grid(rows, widths, header_colour=MAROON):
    table = Table(rows, colWidths=widths, repeatRows=1)
    commands = [("BACKGROUND", (0, 0), (-1, 0), HexColor(header_colour)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(RULE)),
                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
    commands += [("BACKGROUND", (0, n), (-1, n), HexColor("#faf8f3"))
                 for n in range(2, len(rows), 2)]
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts()[0])] + commands))
    return table


def _indicator_tables(data, st, width) -> list:
    out = []
    for key, title, points in (("strongest", "Indikator Terkuat", "Poin diperoleh"),
                               ("weakest", "Indikator Terlemah", "Poin hilang")):
        if not data[key]:
            continue
        rows = [[_p("Indikator", st["head"]), _p("Bobot", st["head_r"]),
                 _p("Mandiri", st["head_r"]), _p("Terverifikasi", st["head_r"]),
                 _p(points, st["head_r"])]]
        for item in data[key]:
            rows.append([_indicator_cell(item, st), _p(_pct(item["weight_pct"]), st["num"]),
                         _p(_pct(item["self_pct"]), st["num"]),
                         _p(_pct(item["verified_pct"]), st["num_b"]),
                         _p(id_number(item["points"]), st["num"])])
        widths = [width * 0.5, width * 0.1, width * 0.11, width * 0.14, width * 0.15]
        colour = "#2f6b3a" if key == "strongest" else MAROON
        out.append(KeepTogether([_section(title, st), _grid(rows, widths, colour)]))
    if out:
        out.append(_p("Bobot = porsi indikator dalam nilai tahap kuesioner; poin = bobot × "
                      "capaian terverifikasi (terkuat) atau bobot × kekurangan capaian (terlemah).",
                      st["note"]))
    return out


def _indicator_cell(item, st):
    return Paragraph(f"{_text(item['question'])}<br/><font size='6.5' color='{MUTED}'>"
                     f"{_text(item['aspect'])}</font>", st["cell"])


def _pct(value) -> str:
    return "–" if value is None else id_number(value) + "%"


def _comment_block(data, st) -> list:
    groups = data.get("comment_groups")
    if groups is None:                      # data made before groups existed
        groups = [{"indicator": "", "aspect": "", "question": "Catatan umum",
                   "comments": data["comments"]}] if data["comments"] else []
    if not groups:
        return []
    out = [_section("Catatan Penilai per Indikator", st)]
    for group in groups:
        head = _text(group["question"])
        if group["indicator"]:
            head = (f"<b>{_text(group['indicator'])}</b> {head}"
                    + (f" <font color='{MUTED}'>({_text(group['aspect'])})</font>"
                       if group["aspect"] else ""))
        items = [Paragraph(head, st["cell_b"] if not group["indicator"] else st["cell"])]
        for c in group["comments"]:
            text = _text(c["text"]).replace("\n", "<br/>")
            items.append(Paragraph(f"<b>{_text(c['judge'])}:</b> {text}", st["quote"]))
        out.append(KeepTogether(items + [Spacer(1, 1.5 * mm)]))
    return out


def _claims_block(data, st) -> list:
    return [KeepTogether([_section("Penilaian Mandiri dan Hasil Verifikasi", st),
                          _p(claims_note(data["claims"]), st["base"])])]


def _footer(period_title: str, when: str, run_number: int | None,
            input_sha256: str) -> Callable:
    regular, _ = fonts()
    left = f"{period_title} · dibuat {when}"
    if run_number is not None:
        left += f" · perhitungan ke-{run_number}"
    sha = f"SHA-256 data masukan: {input_sha256}" if input_sha256 else ""

    def draw(canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(HexColor(RULE))
        canvas.line(16 * mm, 11 * mm, A4[0] - 16 * mm, 11 * mm)
        canvas.setFont(regular, 6.5)
        canvas.setFillColor(HexColor(MUTED))
        canvas.drawString(16 * mm, 7 * mm, left)
        if sha:
            canvas.setFont(regular, 5.5)
            canvas.drawString(16 * mm, 4 * mm, sha)
            canvas.setFont(regular, 6.5)
        canvas.drawRightString(A4[0] - 16 * mm, 7 * mm, f"Halaman {page} dari {pages}")
        canvas.restoreState()
    return draw


def _numbered_canvas(footer: Callable):
    """A canvas class that draws the footer with 'Halaman n dari N' once N is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for n, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                footer(self, n, len(self._pages))
                super().showPage()
            super().save()
    return NumberedCanvas


# ---------------------------------------------------------------- all units

def scorecard_filename(data: dict) -> str:
    """'<code>-<slug of name>.pdf' (the code keeps its dots: 33.74-kpu-kota-semarang.pdf)."""
    code = re.sub(r"[^A-Za-z0-9.]+", "-", data["code"]).strip(".-") or "satker"
    return f"{code}-{slug(data['name'])}.pdf"


def write_scorecards(result: Result, rubric: Rubric, out_dir, *, period_title: str,
                     progress: Callable[[int, int], None] | None = None,
                     comments: Mapping[str, object] | None = None,
                     generated_at: datetime | None = None, run_number: int | None = None,
                     input_sha256: str = "") -> list[Path]:
    """Write one scorecard PDF per unit of the result into ``out_dir`` (a unit listed
    without rank says why where the rank would be); return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    means, ties = baselines(result), tie_breaks(rubric, result)
    generated_at = generated_at or datetime.now(timezone.utc)
    total, paths = len(result.ranking), []
    for done, row in enumerate(result.ranking, start=1):
        data = scorecard_data(result, rubric, row.unit.code, means=means, ties=ties,
                              comments=(comments or {}).get(row.unit.code))
        path = out / scorecard_filename(data)
        path.write_bytes(scorecard_pdf(data, period_title=period_title, generated_at=generated_at,
                                       run_number=run_number, input_sha256=input_sha256))
        paths.append(path)
        if progress:
            progress(done, total)
    return paths


def text_progress(stream=None, width: int = 30) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` that draws a one-line text bar on ``stream``."""
    stream = stream or sys.stderr

    def progress(done: int, total: int) -> None:
        filled = width * done // total if total else width
        pct = 100 * done // total if total else 100
        stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total} ({pct}%)")
        if done >= total:
            stream.write("\n")
        stream.flush()
    return progress
