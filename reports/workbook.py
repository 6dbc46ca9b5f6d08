"""The ranking workbook (.xlsx): summary, one ranking sheet per category, indicator detail,
awards, the rubric as used and metadata.

Every sheet is streamed with openpyxl's write-only mode, so a workbook costs little memory
beyond the Result it is built from. Numbers are stored as numbers (format ``0.00``), codes
and any user text as literal text cells (never formulas, see ``cells.py``).

``large_ranking_workbook`` is the national-scale variant (tens of thousands of units): the
same sheets without charts and without the per-indicator sheet (that would exceed Excel's
1,048,576 rows), rows generated one at a time from the Result.
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from itertools import groupby, islice
from typing import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.legend import LegendEntry
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.formatting.formatting import ConditionalFormattingList

from rubrics.model import Rubric, Stage
from scoring.engine import Assessment, Result, Unit, UnitResult, round2, stage_score
from scoring.order import order_sentence

from .cells import text_cell
from .indonesian import CATEGORY_NAMES, in_wib, number_text, unranked_text
from .rank_changes import rank_changes, ranking_rows
from .charts import (distribution_chart, distribution_data, heatmap_data, interval_data,
                     predicate_bands)
from .sheetxml import CellStyle, RowEncoder, StreamedSheet, save_with_streams

CATEGORY_SHEETS = {"pusat": "Peringkat KPU RI", "provinsi": "Peringkat Provinsi",
                   # "/" is not allowed in a sheet name; the print header says "Kabupaten/Kota"
                   "kabkota": "Peringkat Kabupaten-Kota"}
CATEGORY_TITLES = CATEGORY_NAMES
NUMBER_FORMAT = "0.00"
PERCENT_FORMAT = "0.00%"
# Indonesian month names whatever the reader's locale ([$-421] is Bahasa Indonesia)
DATETIME_FORMAT = '[$-421]d mmmm yyyy hh.mm "WIB"'
HEADER_COLOUR, WINNER_COLOUR = "9B1C1C", "FFF2CC"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOUR)
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=11, color=HEADER_COLOUR)
WINNER_FILL = PatternFill("solid", fgColor=WINNER_COLOUR)
CHANGE_FORMAT = '+0;"\u2212"0;0'
# the cell formats of streamed rows, by column kind (and the header and winner rows)
CELL_STYLES = {
    "num": CellStyle(number_format=NUMBER_FORMAT),
    "pct": CellStyle(number_format=PERCENT_FORMAT),
    "int": CellStyle(number_format="0", horizontal="center"),
    # a rank change with its sign, as the page writes it: +83, −6, 0
    "change": CellStyle(number_format=CHANGE_FORMAT, horizontal="center"),
    "datetime": CellStyle(number_format=DATETIME_FORMAT, horizontal="left"),
    "header": CellStyle(bold=True, colour="FFFFFF", fill=HEADER_COLOUR, wrap=True,
                        vertical="center"),
    "wrap": CellStyle(wrap=True, vertical="top"),
    "winner": CellStyle(fill=WINNER_COLOUR, bold=True),
}
# summary cells (ordinary openpyxl cells): public style attributes per kind
_TOP = Alignment(vertical="top")      # a row's cells start on its first line when names wrap
SUMMARY_STYLES = {
    None: {"alignment": _TOP},
    "num": {"number_format": NUMBER_FORMAT, "alignment": _TOP},
    "pct": {"number_format": PERCENT_FORMAT, "alignment": _TOP},
    "int": {"number_format": "0", "alignment": Alignment(horizontal="center", vertical="top")},
    "datetime": {"number_format": DATETIME_FORMAT,
                 "alignment": Alignment(horizontal="left", vertical="top")},
    "header": {"font": HEADER_FONT, "fill": HEADER_FILL,
               "alignment": Alignment(wrap_text=True, vertical="center")},
    # long names (awards, units): wrapped at the column's width, the row made tall enough
    "wrap": {"alignment": Alignment(wrap_text=True, vertical="top")},
}
SUMMARY_TEXT_WIDTH = 40       # a summary column holds this many characters before wrapping
LINE_HEIGHT = 15              # points per line of 11-point text
# a colour-blind-safe sequential scale (ColorBrewer YlGnBu, light end): low pale, high blue
SCALE_COLOURS = ("FFFFCC", "A1DAB4", "41B6C4")
CHART_MAX_BARS = 40
# ranking sheets print one page wide at a legible size: names wrap, numbers stay narrow
RANKING_WRAP = ("Satuan Kerja", "Provinsi", "Tahap Tercapai")
RANKING_WIDTH = 30
MAX_WIDTH = 50
WIDTH_SAMPLE = 2000
IMAGE_DPI = 96          # images shown at their size: one image pixel per screen pixel
IMAGE_WIDTH = 860
IMAGE_TOP = 30
CHART_COLUMNS = 15         # a 24 cm chart spans about this many default-width columns


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: header and kind (text, code, num, int, pct: a share
    0..1 shown as a percentage, change: a signed whole number, datetime: a naive local
    date-time)."""

    header: str
    kind: str = "text"


@dataclass(frozen=True)
class Extras:
    """Plain data beyond the Result: the period's ``units`` (names of those that did not
    submit), the self-assessment ``answers`` ``{unit code: {indicator id: answer}}`` and
    the ``previous`` published ranking ``{"title": str, "ranking": [{"unit", "name",
    "category", "rank"}]}`` (``rank_changes.ranking_rows``) and the judges' later-stage
    marks ``stages`` as the exchange document gives them ``{unit code: {stage id: {judge:
    score or {criterion id: mark}}}}``, for the sheet of a stage scored per criterion."""

    units: tuple[Unit, ...] = ()
    answers: Mapping[str, Mapping[str, object]] | None = None
    previous: Mapping | None = None
    stages: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None


def ranking_workbook(result: Result, rubric: Rubric, *, period_title: str = "",
                     input_sha256: str = "", generated_at: datetime | None = None,
                     software_version: str = "", intervals: dict | None = None,
                     assessment: Assessment | None = None, units: Sequence[Unit] = (),
                     answers: Mapping[str, Mapping[str, object]] | None = None,
                     previous: Mapping | None = None,
                     stages: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None
                     ) -> bytes:
    """The full ranking workbook as .xlsx bytes (charts and per-indicator detail included).

    ``intervals`` (the output of ``scoring.robustness.rank_intervals`` for this result)
    adds the "Ketahanan Peringkat" sheet; pass ``assessment`` instead (the scored input) to
    have them computed here with ``rank_intervals``' defaults (seconds to minutes).
    ``units``, ``answers``, ``previous`` and ``stages``: see ``Extras`` (taken from
    ``assessment`` when it is given and they are not). A later stage with criteria (edition
    2026 onwards) gets a sheet of every judge's mark per criterion."""
    extras = _extras(units, answers, previous, assessment, stages)
    intervals = _intervals(rubric, intervals, assessment)
    meta = _metadata(result, rubric, period_title, input_sha256, generated_at, software_version,
                     intervals)
    return _build(result, rubric, meta, large=False, intervals=intervals, extras=extras)


def large_ranking_workbook(result: Result, rubric: Rubric, *, period_title: str = "",
                           input_sha256: str = "", generated_at: datetime | None = None,
                           software_version: str = "", intervals: dict | None = None,
                           units: Sequence[Unit] = (), previous: Mapping | None = None) -> bytes:
    """The national-scale workbook: no charts, no per-indicator sheet, rows streamed."""
    meta = _metadata(result, rubric, period_title, input_sha256, generated_at, software_version,
                     intervals)
    return _build(result, rubric, meta, large=True, intervals=intervals,
                  extras=_extras(units, None, previous, None))


def _extras(units, answers, previous, assessment, stages=None) -> Extras:
    if assessment is not None:
        units = units or assessment.units
        if answers is None:
            answers = {r.unit: r.self_answers for r in assessment.responses}
        if stages is None:
            stages = {r.unit: r.stages for r in assessment.responses if r.stages}
    return Extras(tuple(units), answers, previous, stages)


def _intervals(rubric: Rubric, intervals: dict | None, assessment: Assessment | None):
    if intervals is None and assessment is not None:
        from scoring.robustness import rank_intervals
        return rank_intervals(rubric, assessment)
    return intervals


def table_workbook(title: str, columns: list[Column], rows) -> bytes:
    """A one-sheet workbook of a table, formatted like the ranking sheets."""
    writer = _TableWriter(Workbook(write_only=True))
    writer.write(title, columns, rows, colour_header="Nilai Total")
    return writer.save()


def sheet_name(category: str) -> str:
    """The ranking sheet's name for a category ("Peringkat <category>" when unknown)."""
    return _sheet_title(CATEGORY_SHEETS.get(category, f"Peringkat {category}"))


def wib_local(moment: datetime) -> datetime:
    """A moment as a naive WIB date-time (to the minute): what a date-time cell holds."""
    return in_wib(moment).replace(tzinfo=None, second=0, microsecond=0)


# -- building --------------------------------------------------------------------------------

def _build(result: Result, rubric: Rubric, meta: list, large: bool,
           intervals: dict | None = None, extras: Extras = Extras()) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet("Ringkasan")
    groups = _category_groups(result)
    writer = _TableWriter(book)
    charts = []
    for category, rows in groups.items():
        columns, table = ranking_table(rows, rubric)
        sheet = writer.write(sheet_name(category), columns, table, count=len(rows),
                             colour_header="Nilai Total", wrap=RANKING_WRAP,
                             max_width=RANKING_WIDTH,
                             print_header=f"Peringkat {CATEGORY_TITLES.get(category, category)}")
        if not large and len(rows) >= 2:
            charts.append(_bar_chart(sheet, category, len(rows)))
    detailed = sum(1 for r in result.ranking if r.indicators)
    if large:
        writer.write_note("Rincian Indikator", "Rincian per indikator tidak dimuat dalam buku "
                          "kerja skala besar (jumlah barisnya melebihi batas lembar kerja).")
    elif not detailed:
        writer.write_note("Rincian Indikator", "Hasil ini dihitung tanpa rincian indikator; "
                          "hitung ulang dengan rincian untuk mengisi lembar ini.")
    else:
        scored = sum(len(a.scored_indicators) for a in rubric.aspects)
        writer.write("Rincian Indikator", *indicator_table(result, rubric, extras.answers),
                     count=detailed * scored)
    writer.write("Tidak Mengirim", *not_submitted_table(result, extras.units))
    _write_rank_changes(writer, result, extras.previous)
    writer.write("Penghargaan", *award_table(result, rubric), highlight="Pemenang")
    _write_stage_criteria(writer, result, rubric, extras.stages)
    charts_later = None
    if intervals is not None:
        charts_later = _write_robustness(writer, intervals, images=not large)
    writer.write("Rubrik", *rubric_table(rubric), wrap=("Indikator", "Tingkatan / Pilihan"))
    writer.write("Metadata", [Column("Keterangan"), Column("Nilai")], meta, max_width=70)
    if charts_later:
        charts_later()          # their data sheet comes last, hidden
    images = [] if large else [_distribution_image(result, rubric)]
    _write_summary(summary, writer, result, rubric, groups, meta, charts, images,
                   heatmap=not large)
    return writer.save()


def _category_groups(result: Result) -> dict[str, list[UnitResult]]:
    """Ranking rows by category, in the result's category order (rows keep rank order)."""
    groups = {c: [] for c in result.categories}
    for category, rows in groupby(result.ranking, key=lambda r: r.unit.category):
        groups.setdefault(category, []).extend(rows)
    return {c: rows for c, rows in groups.items() if rows}


def _metadata(result, rubric, period_title, input_sha256, generated_at, software_version,
              intervals=None) -> list:
    moment = generated_at or datetime.now(timezone.utc)
    meta = [["Periode", period_title], ["Dibuat pada", wib_local(moment)],
            ["Versi perangkat lunak", software_version], ["ID rubrik", rubric.id],
            ["Judul rubrik", rubric.title], ["SHA-256 rubrik", rubric.sha256],
            ["SHA-256 data masukan", input_sha256],
            ["Urutan peringkat", order_sentence(rubric)],
            ["Satuan kerja dinilai", len(result.ranking)],
            ["Satuan kerja diperingkat", sum(1 for r in result.ranking if r.rank is not None)],
            ["Satuan kerja tidak mengirim", len(result.not_submitted)]]
    if intervals is not None:
        meta.append(["Ketahanan peringkat", robustness_note(intervals)])
    return meta


def robustness_note(intervals: dict) -> str:
    """How the rank intervals were made, in one Indonesian sentence."""
    return (f"{intervals['runs']} ulangan (seed {intervals['seed']}): nilai penilai diambil "
            f"ulang dan bobot aspek diubah hingga \u00b1{_pct(intervals['weight_jitter'])}; "
            f"terlalu ketat bila urutan dua satuan kerja bertukar pada lebih dari "
            f"{_pct(intervals['close_share'])} ulangan. Hanya informasi bagi juri; "
            "peringkat resmi tidak berubah.")


def _pct(share: float) -> str:
    return number_text(100 * share) + "%"


# -- tables: (columns, rows) -----------------------------------------------------------------

def _num(value):
    return None if value is None else float(round2(value))


def ranking_columns(rubric: Rubric) -> list[Column]:
    """The columns of a ranking sheet."""
    return ([Column("Peringkat", "int"), Column("Kode", "code"), Column("Satuan Kerja"),
             Column("Provinsi"), Column("Nilai Total", "num"), Column("Predikat"),
             Column("Tahap Tercapai")]
            + [Column(f"Nilai {s.title or s.id}", "num") for s in rubric.stages]
            + [Column(a.title, "num") for a in rubric.aspects]
            + [Column("Nilai Mandiri", "num"), Column("Selisih Mandiri - Verifikasi", "num")])


def ranking_row(row: UnitResult, rubric: Rubric, stage_titles: dict) -> list:
    """One ranking row; the gap is the self-assessment minus the verified questionnaire score.
    A unit listed without rank says why in the rank's cell ('Tidak diperingkat: syarat
    keikutsertaan tidak terpenuhi')."""
    first = rubric.stages[0].id
    verified = round2(row.stages[first])
    rank = row.rank if row.rank is not None else unranked_text(row.entry_unmet)
    return ([rank, row.unit.code, row.unit.name, row.unit.province, _num(row.total),
             row.predicate, stage_titles.get(row.stage_reached, row.stage_reached)]
            + [_num(row.stages.get(s.id)) for s in rubric.stages]
            + [_num(row.aspects[a.id]) for a in rubric.aspects]
            + [_num(row.self_total), float(round2(row.self_total) - verified)])


def ranking_table(rows, rubric: Rubric):
    """(columns, rows) of one category's ranking; ``rows`` may be any iterable (streamed)."""
    titles = {s.id: s.title or s.id for s in rubric.stages}
    return ranking_columns(rubric), (ranking_row(r, rubric, titles) for r in rows)


def indicator_table(result: Result, rubric: Rubric,
                    answers: Mapping[str, Mapping[str, object]] | None = None):
    """(columns, rows): one row per unit and scored indicator, judges anonymised per unit;
    the answer the unit gave (``answers[code][indicator]``) beside its verified share and
    the judges' shares, all shares as percentages (stored 0..1)."""
    judges = max((len(d.judge_fractions) for r in result.ranking if r.indicators
                  for d in r.indicators.values()), default=0)
    columns = ([Column("Kode", "code"), Column("Satuan Kerja"), Column("Provinsi"),
                Column("Aspek"), Column("Kode Indikator", "code"),
                Column("Bobot (dari total)", "pct"), Column("Jawaban Mandiri"),
                Column("Capaian Mandiri", "pct")]
               + [Column(f"Penilai {n}", "pct") for n in range(1, judges + 1)]
               + [Column("Moderasi", "pct"), Column("Terverifikasi", "pct"),
                  Column("Kontribusi ke Nilai Verifikasi", "num")])
    return columns, _indicator_rows(result, rubric, judges, answers or {})


def answer_text(value, indicator=None):
    """A self-assessment answer as a cell value: numbers stay numbers, yes/no as Ya/Tidak,
    a scale level as its label when the ``indicator`` is given ("4 Optimum"), choices
    joined with "; ", anything else as its text (never a formula: text cells)."""
    if value is None or value == "":
        return None
    levels = getattr(indicator, "levels", ()) if getattr(indicator, "type", "") == "scale" else ()
    if (isinstance(value, int) and not isinstance(value, bool) and levels
            and 0 <= value < len(levels)):
        return f"{value} {levels[value].label}"
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, (int, float, Fraction)):
        return float(value) if isinstance(value, Fraction) else value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in value)
    return str(value)


def _indicator_rows(result: Result, rubric: Rubric, judges: int, answers):
    weights = indicator_weights(rubric)
    where = [(a.title, i, weights[i.id], _share(weights[i.id] / 100))
             for a in rubric.aspects for i in a.scored_indicators]
    rounded, contributions = _Rounded(), {}
    for row in result.ranking:
        if not row.indicators:
            continue
        code, name, province = row.unit.code, row.unit.name, row.unit.province
        given = answers.get(code, {})
        for title, indicator, weight, shown_weight in where:
            ind_id = indicator.id
            detail = row.indicators[ind_id]
            verified = detail.verified
            # stable anonymisation: judges sorted by name within this unit: Penilai 1, 2, ...
            fractions = detail.judge_fractions
            marks = [rounded(fractions[name]) for name in sorted(fractions)]
            marks += [None] * (judges - len(marks))
            if verified is None:     # "tidak berlaku": out of its aspect, no contribution
                part = None
            else:
                key = (verified.numerator, verified.denominator, ind_id)
                part = contributions.get(key)
                if part is None:
                    part = contributions[key] = _num(verified * weight)
            yield ([code, name, province, title, ind_id, shown_weight,
                    answer_text(given.get(ind_id), indicator),
                    rounded(detail.self_fraction)]
                   + marks + [rounded(detail.moderated), rounded(verified), part])


def _share(value) -> float | None:
    """A share 0..1 rounded to a hundredth of a percent (0.9550 shows as 95,50%)."""
    return None if value is None else float(round2(100 * value)) / 100


class _Rounded(dict):
    """``_share`` memoised by numerator and denominator: the indicator sheet repeats a few
    fractions (0, 1/2, 3/4, 1, ...) hundreds of thousands of times."""

    def __call__(self, value):
        if value is None:
            return None
        key = (value.numerator, value.denominator)
        shown = self.get(key)
        if shown is None:
            shown = self[key] = _share(value)
        return shown


def indicator_weights(rubric: Rubric) -> dict[str, Fraction]:
    """Each scored indicator's weight as a percentage of the stage-1 total."""
    return {ind_id: 100 * share for ind_id, share in rubric.indicator_shares().items()}


def not_submitted_table(result: Result, units: Sequence[Unit] = ()):
    """(columns, rows): the units that did not submit, by category and code (names from
    ``units``, the period's units; a code alone when they are not given)."""
    known = {u.code: u for u in units}
    order = {c: n for n, c in enumerate(result.categories)}
    rows = []
    for code in result.not_submitted:
        unit = known.get(code)
        category = unit.category if unit else ""
        rows.append([CATEGORY_TITLES.get(category, category), code,
                     unit.name if unit else "", unit.province if unit else ""])
    rows.sort(key=lambda r: (order.get(_category_of(r[0]), len(order)), r[1]))
    columns = [Column("Kategori"), Column("Kode", "code"), Column("Satuan Kerja"),
               Column("Provinsi")]
    return columns, rows


def _category_of(title: str) -> str:
    return next((c for c, t in CATEGORY_TITLES.items() if t == title), title)


def rank_change_table(result: Result, previous: Mapping):
    """(columns, rows) of rank changes since ``previous`` (``Extras.previous``): per
    category, change = previous rank - rank (positive: moved up); empty cells for units
    new to the ranking and for units no longer ranked."""
    changes = rank_changes(previous["ranking"], ranking_rows(result))
    title = previous.get("title") or "periode sebelumnya"
    columns = [Column("Kategori"), Column("Kode", "code"), Column("Satuan Kerja"),
               Column(f"Peringkat {title}", "int"), Column("Peringkat", "int"),
               Column("Perubahan (naik +, turun \u2212)", "change")]
    rows = [[CATEGORY_TITLES.get(category, category), r["unit"], r["name"],
             r["previous_rank"], unranked_text(True) if r.get("entry_unmet") else r["rank"],
             r["change"]]
            for category, items in changes.items() for r in items]
    return columns, rows


def _write_rank_changes(writer, result: Result, previous: Mapping | None):
    if previous is None:
        writer.write_note("Perubahan Peringkat", "Belum ada periode sebelumnya yang "
                          "diterbitkan; perubahan peringkat tidak dapat dihitung.")
        return
    columns, rows = rank_change_table(result, previous)
    writer.write("Perubahan Peringkat", columns, rows,
                 print_header=f"Perubahan Peringkat sejak {previous.get('title') or 'periode sebelumnya'}")


def award_table(result: Result, rubric: Rubric):
    """(columns, rows): every award's rows with its winners marked."""
    titles = {a.id: a.title for a in rubric.awards}
    columns = [Column("Penghargaan"), Column("Peringkat", "int"), Column("Kode", "code"),
               Column("Satuan Kerja"), Column("Nilai", "num"), Column("Pemenang")]
    rows = ([titles.get(award_id, award_id), r.rank, r.unit.code, r.unit.name, float(r.score),
             "Pemenang" if r.winner else ""]
            for award_id, award_rows in result.awards.items() for r in award_rows)
    return columns, rows


def stage_sheet_title(rubric: Rubric, stage: Stage) -> str:
    """"Tahap 2 per Kriteria" for the second stage (the first is the questionnaire)."""
    return f"Tahap {rubric.stages.index(stage) + 1} per Kriteria"


def _write_stage_criteria(writer, result: Result, rubric: Rubric, stages) -> None:
    """A sheet per later stage scored on criteria; none for stages with one score (every
    edition before 2026 keeps its sheets as they were)."""
    for stage in rubric.stages[1:]:
        if not stage.criteria:
            continue
        if stages is None:
            writer.write_note(stage_sheet_title(rubric, stage), "Nilai per kriteria tidak "
                              "dimuat dalam buku kerja ini; lihat dokumen pertukaran (JSON).")
            continue
        writer.write(stage_sheet_title(rubric, stage), *stage_criteria_table(result, stage, stages),
                     print_header=f"{stage.title or stage.id}: nilai penilai per kriteria")


def stage_criteria_table(result: Result, stage: Stage, stages: Mapping):
    """(columns, rows): every judge's marks of ``stage`` per criterion (with the criterion's
    weight in the header), the judge's stage score computed from them by the engine
    (``scoring.stage_score``) and the stage score of the unit (the judges' scores combined
    as the rubric says), units in ranking order. A judge who gave one overall mark has
    empty criterion cells."""
    total = sum(c.weight for c in stage.criteria)
    columns = ([Column("Kategori"), Column("Kode", "code"), Column("Satuan Kerja"),
                Column("Penilai", "code")]
               + [Column(f"{c.title or c.id} (bobot {_plain(100 * c.weight / total)}%)", "num")
                  for c in stage.criteria]
               + [Column("Nilai Penilai", "num"), Column("Nilai Tahap", "num")])
    rows = []
    for row in result.ranking:
        marks = (stages.get(row.unit.code) or {}).get(stage.id) or {}
        for judge, mark in marks.items():
            given = mark if isinstance(mark, Mapping) else {}
            rows.append([CATEGORY_TITLES.get(row.unit.category, row.unit.category),
                         row.unit.code, row.unit.name, judge]
                        + [_mark(given.get(c.id)) for c in stage.criteria]
                        + [float(round2(stage_score(stage, mark))),
                           _num(row.stages.get(stage.id))])
    return columns, rows


def _mark(value):
    return None if value is None else float(value)


def robustness_table(intervals: dict):
    """(columns, rows) of the rank intervals (``scoring.robustness.rank_intervals``), in
    the official order: the 5th-95th percentile rank, the share of runs in which the unit
    kept its rank, and the neighbours too close to call with how often they swapped."""
    close = defaultdict(list)
    names = {u["code"]: u["name"] for u in intervals["units"]}
    for pair in intervals["pairs"]:
        if pair["too_close"]:
            share = _pct(round(pair["flip_share"], 2))
            close[pair["upper"]].append(f"{pair['lower']} {names[pair['lower']]} ({share})")
            close[pair["lower"]].append(f"{pair['upper']} {names[pair['upper']]} ({share})")
    columns = [Column("Kategori"), Column("Peringkat Resmi", "int"), Column("Kode", "code"),
               Column("Satuan Kerja"), Column("Provinsi"), Column("Persentil ke-5", "int"),
               Column("Persentil ke-95", "int"), Column("Tetap di Peringkatnya", "pct"),
               Column("Terlalu Ketat dengan (urutan bertukar)")]
    rows = [[CATEGORY_TITLES.get(u["category"], u["category"]), u["rank"], u["code"], u["name"],
             u["province"], u["p5"], u["p95"], round(u["keep_share"], 4),
             "; ".join(close[u["code"]])] for u in intervals["units"]]
    return columns, rows


def _write_robustness(writer, intervals: dict, images: bool):
    columns, rows = robustness_table(intervals)
    sheet = writer.write("Ketahanan Peringkat", columns, rows,
                         print_header="Ketahanan Peringkat (informasi bagi juri)")
    if not images:
        return None
    return lambda: _robustness_charts(writer, sheet, intervals, len(columns) + 2, len(rows))


INTERVAL_DATA_SHEET = "Data Grafik Ketahanan"
INTERVAL_FILL = "7FA7CF"
INTERVAL_CLOSE_FILL = "E8898A"
INTERVAL_MARK_FILL = "1F1F1F"


def interval_chart_table(intervals: dict, top: int = IMAGE_TOP):
    """(columns, rows, blocks) behind the native rank-interval charts: per category of two
    or more units its top ``top`` units in official order, each drawn as a floating bar over
    its ranks ``low``..``high`` (5th-95th percentile widened to the official rank, half a
    rank either side so a single rank still shows) cut by a dark mark at the official rank.
    ``blocks``: ``(category, first data row, rows, units in the category)``."""
    columns = [Column("Kategori"), Column("Satuan Kerja"), Column("Awal (tanpa warna)", "num"),
               Column("Rentang sebelum peringkat resmi", "num"),
               Column("Peringkat resmi (penanda)", "num"),
               Column("Rentang sesudah peringkat resmi", "num"), Column("Terlalu ketat", "int")]
    rows, blocks = [], []
    for category in dict.fromkeys(u["category"] for u in intervals["units"]):
        data = interval_data(intervals, category)
        if len(data) < 2:
            continue
        shown = data[:top]
        # the official-rank mark: wide enough to see on the category's axis, at most one rank
        half = min(0.5, max(0.15, (max(r["high"] for r in shown) + 0.5) / 150))
        label = CATEGORY_TITLES.get(category, category)
        blocks.append((category, len(rows) + 2, len(shown), len(data)))
        for r in shown:
            rows.append([label, f"{r['rank']}. {_short(r['name'])} (tetap "
                         f"{100 * r['keep_share']:.0f}%)", r["low"] - 0.5,
                         r["rank"] - r["low"] + 0.5 - half, 2 * half,
                         r["high"] - r["rank"] + 0.5 - half, int(r["too_close"])])
    return columns, rows, blocks


def _short(text: str, width: int = 36) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _robustness_charts(writer, sheet, intervals: dict, column: int, table_rows: int):
    """Native Excel charts of each category's rank intervals (stacked horizontal bars: an
    unfilled start, then the interval cut by the official rank), their numbers on a hidden
    sheet at the end of the workbook. Printed too: the print area takes in the charts,
    which start a page of their own (a column break before them)."""
    columns, rows, blocks = interval_chart_table(intervals)
    if not blocks:
        return
    data = writer.write(INTERVAL_DATA_SHEET, columns, rows)
    data.sheet_state = "hidden"
    anchor = 2
    for category, first, count, total in blocks:
        chart = _interval_bar_chart(data, first, count, total, category,
                                    [r[6] for r in rows[first - 2:first - 2 + count]])
        sheet.add_chart(chart, f"{get_column_letter(column)}{anchor}")
        anchor += int(chart.height / 0.53) + 2
    last = get_column_letter(column + CHART_COLUMNS - 1)
    sheet.print_area = f"A1:{last}{max(table_rows + 1, anchor)}"
    sheet.col_breaks.append(Break(id=column - 1))
    sheet.page_setup.fitToWidth = 2


def _interval_bar_chart(data, first: int, count: int, total: int, category: str,
                        close: list) -> BarChart:
    last = first + count - 1
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 35
    label = CATEGORY_TITLES.get(category, category)
    top = f": {count} teratas dari {total}" if count < total else ""
    chart.title = f"Rentang peringkat {label}{top}"
    for col in range(3, 7):
        chart.add_data(Reference(data, min_col=col, min_row=first, max_row=last))
    names = Reference(data, min_col=2, min_row=first, max_row=last)
    for series in chart.series:          # text categories: a string reference, not numbers
        series.cat = AxDataSource(strRef=StrRef(f=str(names)))
    start, before, mark, after = chart.series
    start.graphicalProperties = _fill(None)
    for series, fill in ((before, INTERVAL_FILL), (after, INTERVAL_FILL),
                         (mark, INTERVAL_MARK_FILL)):
        series.graphicalProperties = _fill(fill)
    for series in (before, after):
        series.dPt = [_point(n, INTERVAL_CLOSE_FILL) for n, flag in enumerate(close) if flag]
    for series, title in zip(chart.series, ("", "Rentang peringkat (persentil ke-5 s.d. ke-95;"
                                            " merah: terlalu ketat untuk dipastikan)",
                                            "Peringkat resmi", "")):
        series.tx = SeriesLabel(v=title)
    chart.legend.position = "b"
    chart.legend.legendEntry = [LegendEntry(idx=0, delete=True), LegendEntry(idx=3, delete=True)]
    chart.x_axis.scaling.orientation = "maxMin"     # rank 1 at the top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.crosses = "max"                    # rank numbers below the bars
    chart.y_axis.scaling.min = 0
    chart.y_axis.numFmt = "0"
    chart.y_axis.title = "Peringkat"
    chart.y_axis.majorGridlines = ChartLines()
    chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill="E4E4E4"))
    chart.width = 24
    chart.height = max(7.0, 0.55 * count + 3.5)
    return chart


def _point(index: int, fill: str) -> DataPoint:
    return DataPoint(idx=index, spPr=_fill(fill))


def _fill(colour: str | None) -> GraphicalProperties:
    """A bar's fill (none when ``colour`` is None), never an outline."""
    shape = GraphicalProperties(ln=LineProperties(noFill=True))
    if colour is None:
        shape.noFill = True
    else:
        shape.solidFill = colour
    return shape


def _add_image(sheet, png: bytes, anchor: str, width: int = IMAGE_WIDTH) -> int:
    """Embed a PNG shown ``width`` pixels wide; returns how many rows it covers."""
    image = Image(io.BytesIO(png))
    image.height = round(image.height * width / image.width)
    image.width = width
    sheet.add_image(image, anchor)
    return -(-image.height // 20)          # default rows are 15 pt = 20 px high


def _distribution_image(result: Result, rubric: Rubric) -> bytes:
    return distribution_chart(distribution_data(result), predicate_bands(rubric),
                              title="Sebaran nilai total", dpi=IMAGE_DPI)


def rubric_table(rubric: Rubric):
    """(columns, rows): aspects and indicators, weights as % of the total, levels/options."""
    total = sum(a.weight for a in rubric.aspects)
    weights = indicator_weights(rubric)
    columns = [Column("Aspek"), Column("Bobot Aspek", "pct"), Column("Kode Indikator", "code"),
               Column("Indikator"), Column("Jenis"), Column("Bobot (dari total)", "pct"),
               Column("Tingkatan / Pilihan")]
    rows = []
    for aspect in rubric.aspects:
        share = _share(aspect.weight / total)
        for ind in aspect.indicators:
            weight = weights.get(ind.id)
            rows.append([aspect.title, share, ind.id, ind.question, ind.type,
                         None if weight is None else _share(weight / 100), _choices(ind)])
    return columns, rows


def _choices(ind) -> str:
    if ind.levels:
        return "; ".join(f"{n}: {level.label}" for n, level in enumerate(ind.levels))
    if ind.options:
        full = f" (penuh pada {ind.full_at})" if ind.full_at else ""
        return ", ".join(ind.options) + full
    if ind.bands:
        unit = f" {ind.unit}" if ind.unit else ""
        return "; ".join(f">= {_plain(low)}{unit}: {_plain(100 * frac)}%"
                         for low, frac in ind.bands)
    if ind.type == "yesno":
        return "Ya / Tidak"
    return "tidak dinilai" if not ind.scored else ""


def _plain(value: Fraction) -> str:
    return number_text(value)


# -- writing ---------------------------------------------------------------------------------

class _TableWriter:
    """Writes (columns, rows) tables: openpyxl makes each sheet's shell (widths, frozen
    header, filter, colour scale, print setup, images), ``sheetxml`` streams the rows."""

    def __init__(self, book):
        self.book = book
        self.streams: list[StreamedSheet] = []

    def write(self, title, columns, rows, *, count=None, colour_header=None, print_header="",
              wrap=(), highlight=None, max_width=MAX_WIDTH):
        """A table sheet: header row frozen, filtered, repeated on print; returns the sheet.

        ``count``: the number of rows when ``rows`` is a generator (else ``len(rows)``);
        the filter and colour-scale ranges are made for it before the rows are written."""
        if count is None:
            rows = rows if hasattr(rows, "__len__") else list(rows)
            count = len(rows)
        sheet = self.book.create_sheet(_sheet_title(title))
        rows = iter(rows)
        sample = list(islice(rows, WIDTH_SAMPLE))
        _set_widths(sheet, columns, sample, wrap, max_width)
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        heights = _wrapped_heights(sheet, columns, sample, wrap)
        heights[1] = 15 * _header_lines(columns, sheet)
        _landscape(sheet, print_header or title)
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
        where = next((n for n, c in enumerate(columns, 1) if c.header == colour_header), None)
        if where and count:
            col = get_column_letter(where)
            _colour_scale(sheet, f"{col}2:{col}{count + 1}")
        mark = next((n for n, c in enumerate(columns) if c.header == highlight), None)
        body = _chain(sample, rows)
        self.streams.append(StreamedSheet(
            sheet.title, lambda ids: self._lines(ids, columns, body, heights, wrap, mark),
            expected=count + 1))
        return sheet

    @staticmethod
    def _lines(ids, columns, rows, heights, wrap, mark):
        header = RowEncoder([ids["header"]] * len(columns))
        yield header.row(1, [c.header for c in columns], height=heights[1])
        styles = [ids[c.kind] if c.kind in ("num", "int", "change", "pct", "datetime")
                  else ids["wrap"] if c.header in wrap else 0 for c in columns]
        winners = [ids["winner"] if c.kind in ("text", "code") else style
                   for c, style in zip(columns, styles)]
        encoder = RowEncoder(styles, winners, date_style=ids["datetime"])
        for index, row in enumerate(rows, start=2):
            yield encoder.row(index, row, marked=mark is not None and bool(row[mark]),
                              height=heights.get(index))

    def write_note(self, title, note):
        """A sheet that only explains why it is empty."""
        sheet = self.book.create_sheet(_sheet_title(title))
        sheet.column_dimensions["A"].width = 100
        sheet.append([text_cell(sheet, note)])
        return sheet

    def save(self) -> bytes:
        """The workbook as .xlsx bytes, every streamed sheet filled in."""
        return save_with_streams(self.book, self.streams, CELL_STYLES)


def _chain(first, rest):
    yield from first
    yield from rest


def _set_widths(sheet, columns, sample, wrap, max_width=MAX_WIDTH):
    for n, column in enumerate(columns):
        longest = max((_shown(row[n]) for row in sample), default=0)
        word = max(map(len, column.header.split()), default=0)
        header = len(column.header) if column.kind in ("text", "code") else 0
        limit = 60 if column.header in wrap and max_width >= MAX_WIDTH else max_width
        width = min(max(header, longest) + 2, limit)
        # bold header words need about a tenth more room: no word breaks mid-way
        sheet.column_dimensions[get_column_letter(n + 1)].width = max(width, 8,
                                                                      round(word * 1.1 + 2.5))


def _wrapped_heights(sheet, columns, sample, wrap) -> dict[int, float]:
    """Explicit heights for rows with wrapped text (LibreOffice does not grow them itself)."""
    where = [(n, sheet.column_dimensions[get_column_letter(n + 1)].width - 2)
             for n, c in enumerate(columns) if c.header in wrap]
    heights = {}
    if not where:
        return heights
    for idx, row in enumerate(sample, start=2):
        lines = max(-(-len(str(row[n] or "")) // max(int(width), 1)) for n, width in where)
        if lines > 1:
            heights[idx] = 15 * lines
    return heights


def _header_lines(columns, sheet) -> int:
    """How many wrapped lines the longest header needs at its column's width."""
    lines = 1
    for n, column in enumerate(columns, 1):
        width = sheet.column_dimensions[get_column_letter(n)].width - 1
        words, line, count = column.header.split(), 0, 1
        for word in words:
            if line and line + 1 + len(word) > width:
                count, line = count + 1, len(word)
            else:
                line += len(word) + (1 if line else 0)
        lines = max(lines, count)
    return min(lines, 5)


def _shown(value) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:.2f}") + (1 if abs(value) <= 1 else 0)   # shares print as 95,50%
    if isinstance(value, datetime):
        return 24
    return len(str(value))


def _landscape(sheet, title: str):
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"     # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.center.text = "Halaman &P dari &N"


def _colour_scale(sheet, ref: str):
    if not hasattr(sheet, "conditional_formatting"):
        sheet.conditional_formatting = ConditionalFormattingList()
    sheet.conditional_formatting.add(ref, ColorScaleRule(
        start_type="min", start_color=SCALE_COLOURS[0], mid_type="percentile", mid_value=50,
        mid_color=SCALE_COLOURS[1], end_type="max", end_color=SCALE_COLOURS[2]))


def _bar_chart(sheet, category: str, count: int) -> BarChart:
    """Horizontal bars of the category's totals (the top CHART_MAX_BARS when larger)."""
    shown = min(count, CHART_MAX_BARS)
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    label = CATEGORY_TITLES.get(category, category)
    chart.title = (f"Nilai Total {label}" if shown == count
                   else f"Nilai Total {label}: {shown} teratas dari {count}")
    chart.add_data(Reference(sheet, min_col=5, min_row=1, max_row=shown + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=3, min_row=2, max_row=shown + 1))
    chart.legend = None
    chart.x_axis.scaling.orientation = "maxMin"     # rank 1 at the top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.y_axis.majorGridlines = None
    chart.y_axis.numFmt = "0"
    chart.gapWidth = 40
    chart.width = 24
    chart.height = max(6.0, 0.5 * shown + 2)
    return chart


# -- the summary sheet -----------------------------------------------------------------------

def _write_summary(sheet, writer, result, rubric, groups, meta, charts, images=(),
                   heatmap=False):
    _landscape(sheet, "Ringkasan")
    lines = []
    lines.append([("Ringkasan Peringkat Bakohumas", "title")])
    info = dict(meta)
    for label in ("Periode", "Judul rubrik", "ID rubrik", "Dibuat pada"):
        value = info[label]
        lines.append([(label, None), (value, "datetime" if isinstance(value, datetime)
                                      else None)])
    lines.append([])
    lines += _summary_counts(result, rubric, groups)
    lines.append([])
    lines += _summary_top(groups)
    lines.append([])
    lines += _summary_awards(result, rubric)
    heat = _summary_heatmap(result, rubric) if heatmap else []
    if len(heat) > 2:
        lines.append([])
        first = len(lines) + 3                  # section title, header, then the values
        lines += heat
        last = get_column_letter(len(rubric.aspects) + 2)
        _colour_scale(sheet, f"C{first}:{last}{len(lines)}")
    widths = _summary_widths(lines)
    for n, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    for index, line in enumerate(lines, 1):
        height = _summary_row_lines(line, widths)
        if height > 1 or any(style == "header" for _, style in line):
            sheet.row_dimensions[index].height = LINE_HEIGHT * height
    for line in lines:
        sheet.append([_summary_cell(sheet, value, style) for value, style in line])
    row = len(lines) + 2          # below the tables, so the printed page stays readable
    for chart in charts:
        sheet.add_chart(chart, f"A{row}")
        row += int(chart.height / 0.53) + 2
    for png in images:
        row += _add_image(sheet, png, f"A{row}") + 2
    # the printout takes in the charts and images below the tables
    columns = max(len(widths), _columns_spanned(widths, IMAGE_WIDTH / 7.0))
    sheet.print_area = f"A1:{get_column_letter(columns)}{row}"


def _summary_widths(lines) -> list[float]:
    """Each summary column wide enough for its values and for the longest word of every
    header in it (tables share the columns; a header may wrap, but never mid-word)."""
    widths: list[float] = []
    for line in lines:
        for n, (value, style) in enumerate(line):
            if style in ("title", "section") or value is None:
                continue
            text = str(value) if not isinstance(value, float) else f"{value:.2f}"
            if isinstance(value, datetime):
                text = "31 Desember 2025 23.59 WIB"
            need = (max(map(len, text.split()), default=0) * 1.1 + 3 if style == "header"
                    else min(len(text), SUMMARY_TEXT_WIDTH) + 2)
            widths += [8.0] * (n + 1 - len(widths))
            widths[n] = max(widths[n], round(need, 1))
    return widths


def _summary_row_lines(line, widths) -> int:
    """How many lines the row's wrapped cells (headers, long names) need at their columns'
    widths (headers at most 5)."""
    lines = 1
    for n, (value, style) in enumerate(line):
        if style == "header" and value:
            lines = max(lines, min(_wrapped_lines(str(value), widths[n] - 1), 5))
        elif style == "wrap" and value:
            lines = max(lines, _wrapped_lines(str(value), widths[n] - 1, char=1.0))
    return lines


def _wrapped_lines(text: str, width: float, char: float = 1.1) -> int:
    """Lines ``text`` takes when wrapped at ``width`` characters, a character counted
    ``char`` wide (1.1 for bold headers, on the safe side): its own line breaks kept, a word
    longer than a line broken."""
    count = 0
    for part in str(text).split("\n"):
        count, used = count + 1, 0.0
        for word in part.split():
            size = len(word) * char
            if used and used + 1 + size > width:
                count, used = count + 1, 0.0
            while size > width:           # LibreOffice and Excel break an over-long word
                count, size = count + 1, size - width
            used += size + (1 if used else 0)
    return count


def _columns_spanned(widths, characters: float) -> int:
    """How many columns (``widths``, then default 8.43) an object this wide covers."""
    total, n = 0.0, 0
    while total < characters:
        total += widths[n] if n < len(widths) else 8.43
        n += 1
    return n


def _summary_heatmap(result, rubric) -> list:
    """Mean aspect scores per province as a colour-scaled table: the spreadsheet's own
    heat map (numbers stay readable and sortable, no image needed)."""
    data = heatmap_data(result, rubric)
    lines = [[("Rata-rata nilai aspek semua satuan kerja di provinsi (semua kategori), "
               "urut rata-rata nilai total", "section")],
             [(h, "header") for h in ["Provinsi", "n"] + data["aspects"]]]
    for province, n, values in zip(data["provinces"], data["counts"], data["values"]):
        lines.append([(province, None), (n, "int")] + [(v, "num") for v in values])
    return lines


def _summary_cell(sheet, value, style):
    if value is None or value == "":
        return None
    if style == "title" or style == "section":
        return text_cell(sheet, value, font=TITLE_FONT if style == "title" else SECTION_FONT)
    cell = text_cell(sheet, value) if isinstance(value, str) else WriteOnlyCell(sheet, value)
    for key, attr in SUMMARY_STYLES.get(style, {}).items():
        setattr(cell, key, attr)
    return cell


def _summary_counts(result, rubric, groups) -> list:
    labels = [p.label for p in rubric.predicates]
    head = ["Kategori", "Dinilai", "Rata-rata", "Tertinggi", "Terendah"] + labels
    lines = [[("Jumlah dan sebaran predikat per kategori", "section")],
             [(h, "header") for h in head]]
    for category, rows in groups.items():
        totals = [float(round2(r.total)) for r in rows]
        spread = [sum(1 for r in rows if r.predicate == label) for label in labels]
        lines.append([(CATEGORY_TITLES.get(category, category), None), (len(rows), "int"),
                      (round(sum(totals) / len(totals), 2), "num"), (max(totals), "num"),
                      (min(totals), "num")] + [(n, "int") for n in spread])
    lines.append([("Tidak mengirim", None), (len(result.not_submitted), "int")])
    return lines


def _summary_top(groups) -> list:
    lines = [[("Tiga teratas per kategori", "section")],
             [(h, "header") for h in ("Kategori", "Peringkat", "Kode", "Satuan Kerja",
                                      "Nilai Total", "Predikat")]]
    for category, rows in groups.items():
        for r in rows:
            if r.rank is None or r.rank > 3:   # an unranked category (rank None) has no top three
                break
            lines.append([(CATEGORY_TITLES.get(category, category), None), (r.rank, "int"),
                          (r.unit.code, None), (r.unit.name, "wrap"),
                          (float(round2(r.total)), "num"), (r.predicate, None)])
    return lines


def _summary_awards(result, rubric) -> list:
    titles = {a.id: a.title for a in rubric.awards}
    lines = [[("Tiga teratas per penghargaan", "section")],
             [(h, "header") for h in ("Penghargaan", "Peringkat", "Kode", "Satuan Kerja",
                                      "Nilai", "Pemenang")]]
    for award_id, rows in result.awards.items():
        for r in rows:
            if r.rank > 3:
                break
            lines.append([(titles.get(award_id, award_id), "wrap"), (r.rank, "int"),
                          (r.unit.code, None), (r.unit.name, "wrap"), (float(r.score), "num"),
                          ("Pemenang" if r.winner else "", None)])
    return lines


def _sheet_title(title: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Lembar")[:31]
