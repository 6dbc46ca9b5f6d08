"""Charts as PNG or SVG bytes: plain data in, bytes out, Indonesian labels (87,50).

Every chart is a function of plain numbers and strings, drawn on its own
``matplotlib.figure.Figure`` with the Agg canvas (never ``pyplot``: no global state in a
server). The ``*_data`` adapters turn a scoring ``Result`` into that plain data.

Predicate colours run from green (best band) to red (worst) in the rubric's order, the
same in every chart. Data shapes:

- ``bands``: ``[(label, min), ...]`` best first, as in the rubric (``predicate_bands``).
- ranking rows: ``{"rank", "name", "total", "predicate"}`` in ranking order.
"""
from __future__ import annotations

import io
import math
import textwrap
from collections import defaultdict
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from rubrics.model import Rubric
from scoring.engine import Result, round2

FORMATS = ("png", "svg")
_SWAP_SEPARATORS = str.maketrans({",": ".", ".": ","})
DPI = 110
_RAMP = LinearSegmentedColormap.from_list(
    "predikat", ["#1a9641", "#a6d96a", "#f2c93c", "#f98e52", "#d7191c"])
NATIONAL_COLOUR, PROVINCIAL_COLOUR, UNIT_COLOUR = "#555555", "#e08214", "#2166ac"
CLAIMED_COLOUR, VERIFIED_COLOUR = "#e08214", "#2166ac"


# ---------------------------------------------------------------- formatting and colours

def number_id(value: float, decimals: int = 2) -> str:
    """A number in Indonesian notation: 1.234,50 (dot thousands, comma decimals)."""
    text = f"{value:,.{decimals}f}".translate(_SWAP_SEPARATORS)
    if text.startswith("-"):
        # a typographic minus, and no "-0,00" for a value that rounds to zero
        text = "\u2212" + text[1:] if text.strip("-0.,") else text[1:]
    return text


def predicate_colours(labels: Sequence[str]) -> dict[str, str]:
    """Colour per predicate label, best (first) green through worst (last) red."""
    n = len(labels)
    return {label: to_hex(_RAMP(k / (n - 1) if n > 1 else 0.0)) for k, label in enumerate(labels)}


def _figure(width: float, height: float, dpi: int = DPI) -> Figure:
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; use one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    # SVG keeps text as text (searchable, accessible); no dates, so output is reproducible
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "bakohumas"}):
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _id_axis(axis, decimals: int = 0):
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: number_id(v, decimals)))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def _shade_bands(ax, bands, colours, *, vertical: bool, alpha: float = 0.13):
    """Shade each predicate band of the 0-100 axis and label it."""
    upper = 100.0
    for label, low in bands:
        span = ax.axvspan if vertical else ax.axhspan
        span(float(low), upper, color=colours[label], alpha=alpha, lw=0, zorder=0)
        upper = float(low)


# ---------------------------------------------------------------- ranking of one category

def ranking_chart(rows: Sequence[Mapping], bands, *, title: str, top: int = 30,
                  fmt: str = "png") -> bytes:
    """Horizontal bars of one category's ranking in predicate colours.

    Up to ``top`` units: every unit as a bar. More (514 kab/kota): the top ``top`` as bars
    plus a second panel with the distribution of all totals, so the picture stays one
    readable page instead of a metre-long strip.
    """
    colours = predicate_colours([label for label, _ in bands])
    shown = list(rows[:top])
    more = len(rows) > top
    height = max(3.0, 0.28 * len(shown) + 1.6)
    fig = _figure(13.0 if more else 9.0, height)
    if more:
        ax, side = fig.subplots(1, 2, width_ratios=[2.1, 1])
    else:
        ax, side = fig.subplots(), None
    _ranking_bars(ax, shown, colours)
    if more:
        ax.set_title(f"{len(shown)} teratas dari {number_id(len(rows), 0)} satuan kerja",
                     fontsize=10, loc="left")
        _histogram(side, [r["total"] for r in rows], bands, colours, bins=20)
        side.set_title("Sebaran nilai seluruh satuan kerja", fontsize=10, loc="left")
        if shown:
            cut = shown[-1]["total"]
            side.axvline(cut, color="#333333", ls="--", lw=1)
            side.annotate(f"batas {len(shown)} teratas\n{number_id(cut)}", (cut, 0.97),
                          xycoords=("data", "axes fraction"), ha="right", va="top",
                          fontsize=8, xytext=(-4, 0), textcoords="offset points")
    _predicate_legend(fig, bands, colours)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    return _save(fig, fmt)


def _ranking_bars(ax, rows, colours):
    y = list(range(len(rows)))
    totals = [float(r["total"]) for r in rows]
    ax.barh(y, totals, color=[colours.get(r["predicate"], "#999999") for r in rows],
            edgecolor="#444444", linewidth=0.4, height=0.75)
    ax.set_yticks(y, [f"{r['rank']}. {_short(r['name'], 44)}" for r in rows], fontsize=9)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(0, 108)
    ax.set_xlabel("Nilai total")
    _id_axis(ax.xaxis)
    for yy, total in zip(y, totals):
        ax.text(total + 0.8, yy, number_id(total), va="center", fontsize=8)
    _stage_boundaries(ax, rows)


def _stage_boundaries(ax, rows):
    """Units that reached a later stage rank above those that stopped earlier, whatever
    their totals: mark where the stage changes so the order does not look like an error."""
    for n in range(1, len(rows)):
        before, after = rows[n - 1].get("stage"), rows[n].get("stage")
        if before and after and before != after:
            ax.axhline(n - 0.5, color="#333333", ls=":", lw=1)
            ax.text(1.5, n - 0.5, f"\u2191 mencapai tahap {before}", ha="left", va="center",
                    fontsize=8, style="italic", color="#222222",
                    bbox={"facecolor": "white", "edgecolor": "#333333", "pad": 1.5, "lw": 0.5})
    ax.spines[["top", "right"]].set_visible(False)


def _short(text: str, width: int) -> str:
    text = "".join(c for c in text if c.isprintable()) if not text.isprintable() else text
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _predicate_legend(fig, bands, colours):
    handles = [Patch(facecolor=colours[label], edgecolor="#444444",
                     label=f"{label} (\u2265 {number_id(float(low), 0)})")
               for label, low in bands]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
               fontsize=9, frameon=False, title="Predikat", title_fontsize=9)


# ---------------------------------------------------------------- distribution of totals

def distribution_chart(totals: Sequence[float], bands, *, title: str, fmt: str = "png",
                       dpi: int = DPI) -> bytes:
    """Histogram of totals (0-100) with the predicate bands shaded and counted."""
    colours = predicate_colours([label for label, _ in bands])
    fig = _figure(10.0, 5.2, dpi)
    ax = fig.subplots()
    _histogram(ax, totals, bands, colours, bins=40)
    counts = _band_counts(totals, bands)
    upper = 100.0
    for label, low in bands:
        middle = (float(low) + upper) / 2
        ax.text(middle, 0.98, f"{label}\n{number_id(counts[label], 0)}", ha="center", va="top",
                fontsize=8.5, transform=ax.get_xaxis_transform(), color="#222222")
        upper = float(low)
    if totals:
        mean = sum(map(float, totals)) / len(totals)
        ax.axvline(mean, color="#222222", lw=1.2, ls="--", ymax=0.84)
        ax.annotate(f"rata-rata {number_id(mean)}", (mean, 0.80), xytext=(4, 0),
                    textcoords="offset points", xycoords=("data", "axes fraction"), fontsize=9)
    ax.set_title(f"{title} ({number_id(len(totals), 0)} satuan kerja)", fontsize=12,
                 fontweight="bold")
    return _save(fig, fmt)


def _histogram(ax, totals, bands, colours, *, bins: int):
    _shade_bands(ax, bands, colours, vertical=True)
    edges = [100 * k / bins for k in range(bins + 1)]
    ax.hist([float(t) for t in totals], bins=edges, color="#4d4d4d", alpha=0.85,
            edgecolor="white", linewidth=0.5)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
    ax.set_xlabel("Nilai total")
    ax.set_ylabel("Jumlah satuan kerja")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _id_axis(ax.xaxis)
    _id_axis(ax.yaxis)
    ax.spines[["top", "right"]].set_visible(False)


def _band_counts(totals, bands) -> dict[str, int]:
    counts = {label: 0 for label, _ in bands}
    for t in totals:
        label = next((lb for lb, low in bands if float(low) <= float(t)), bands[-1][0])
        counts[label] += 1
    return counts


# ---------------------------------------------------------------- radar of one unit

def radar_chart(aspects: Sequence[str], unit: Sequence[float], national: Sequence[float],
                provincial: Sequence[float] | None = None, *, unit_name: str,
                province: str = "", fmt: str = "png", size: tuple[float, float] = (8.6, 8.4),
                dpi: int = DPI, font_size: float = 9.0, title: str | None = None,
                unit_label: str | None = None, colours: Sequence[str] | None = None,
                values: bool = True, label_width: int = 16) -> bytes:
    """A unit's aspect scores (0-100) against the national and provincial means.

    The one radar of the package: the results pages use the defaults; the PDF scorecard
    draws a small one (``size`` in inches, ``dpi``, ``font_size``, ``title=""`` for none,
    its own ``colours`` as (unit, national, provincial), no ``values`` written on it)."""
    n = len(aspects)
    angles = [2 * math.pi * k / n for k in range(n)]
    unit_colour, national_colour, provincial_colour = colours or (
        UNIT_COLOUR, NATIONAL_COLOUR, PROVINCIAL_COLOUR)
    fig = _figure(*size, dpi)
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    series = [(national, "Rata-rata nasional", national_colour, "--")]
    if provincial is not None and all(v is not None for v in provincial):
        series.append((provincial, f"Rata-rata {province or 'provinsi'}", provincial_colour, ":"))
    series.append((unit, unit_label or unit_name, unit_colour, "-"))
    small = font_size < 8
    for values_, label, colour, style in series:
        vals = [float(v) for v in values_]
        ax.plot(angles + angles[:1], vals + vals[:1], color=colour, ls=style,
                lw=(1.6 if small else 2) if style == "-" else (1.1 if small else 2), label=label)
        if values_ is unit:
            ax.fill(angles + angles[:1], vals + vals[:1], color=colour, alpha=0.16)
            for a, v in zip(angles, vals) if values else ():
                ax.annotate(number_id(v, 1), (a, v), fontsize=font_size - 1, color=colour,
                            ha="center", va="center", bbox={"boxstyle": "round,pad=0.15",
                                                            "fc": "white", "ec": "none",
                                                            "alpha": 0.8})
    _radar_labels(ax, angles, aspects, font_size, label_width)
    ax.set_rlabel_position(180 / n)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100], [number_id(v, 0) for v in (20, 40, 60, 80)] + [""],
                  fontsize=0.82 * font_size, color="#777777")
    ax.grid(color="#d5d9de", linewidth=0.6)
    ax.spines["polar"].set_color("#d5d9de")
    handles, labels = ax.get_legend_handles_labels()     # the unit first, drawn last
    fig.legend(handles[::-1], labels[::-1], loc="outside lower center", ncols=3,
               fontsize=font_size, frameon=False)
    if title is None:
        title = f"Nilai per aspek: {unit_name}"
    if title:
        fig.suptitle(title, fontsize=font_size + 3, fontweight="bold")
    return _save(fig, fmt)


def _radar_labels(ax, angles, aspects, font_size: float, width: int):
    """Aspect names outside the circle, each aligned away from it (no overlap)."""
    ax.set_xticks(angles, [""] * len(angles))
    for angle, text in zip(angles, aspects):
        x, y = math.sin(angle), math.cos(angle)
        lines = textwrap.wrap(text.replace("$", r"\$"), width, break_on_hyphens=False)[:3]
        ax.text(angle, 110, "\n".join(lines) or text, fontsize=font_size, color="#1f2933",
                clip_on=False, linespacing=1.1,
                ha="left" if x > 0.1 else "right" if x < -0.1 else "center",
                va="bottom" if y > 0.1 else "top" if y < -0.1 else "center")


# ---------------------------------------------------------------- heat map by province

def heatmap_chart(provinces: Sequence[str], aspects: Sequence[str],
                  values: Sequence[Sequence[float | None]], *, title: str,
                  fmt: str = "png") -> bytes:
    """Provinces x aspects, cells coloured and annotated with the mean aspect score."""
    rows, cols = len(provinces), len(aspects)
    fig = _figure(3.6 + 1.05 * cols, 1.9 + 0.3 * rows)
    ax = fig.subplots()
    grid = [[float("nan") if v is None else float(v) for v in row] for row in values]
    image = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v == v:
                ax.text(c, r, number_id(v, 1), ha="center", va="center", fontsize=8,
                        color="white" if v < 22 or v > 85 else "#111111")
    ax.set_xticks(range(cols), [_wrap(a, 13) for a in aspects], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(rows), list(provinces), fontsize=8)
    ax.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.5, pad=0.01)
    bar.set_label("Rata-rata nilai aspek")
    _id_axis(bar.ax.yaxis)
    ax.set_title(title, fontsize=12, fontweight="bold")
    return _save(fig, fmt)


# ---------------------------------------------------------------- claimed versus verified

def gap_chart(aspects: Sequence[str], claimed: Sequence[float], verified: Sequence[float], *,
              title: str, fmt: str = "png") -> bytes:
    """Mean self-assessed against mean verified score per aspect, the gap written out."""
    n = len(aspects)
    fig = _figure(10.0, 1.8 + 0.55 * n)
    ax = fig.subplots()
    y = list(range(n))
    for yy, c, v in zip(y, claimed, verified):
        ax.plot([float(v), float(c)], [yy, yy], color="#bbbbbb", lw=3, zorder=1)
        ax.annotate(f"selisih {number_id(float(v) - float(c))}", (max(float(c), float(v)), yy),
                    xytext=(8, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.scatter([float(c) for c in claimed], y, color=CLAIMED_COLOUR, s=60, zorder=2,
               label="Penilaian mandiri")
    ax.scatter([float(v) for v in verified], y, color=VERIFIED_COLOUR, s=60, zorder=3,
               label="Hasil verifikasi")
    ax.set_yticks(y, [_wrap(a, 34) for a in aspects], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel("Rata-rata nilai aspek")
    _id_axis(ax.xaxis)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    ax.set_title(title, fontsize=12, fontweight="bold")
    return _save(fig, fmt)


# ---------------------------------------------------------------- rank changes between periods

def slope_chart(before: Mapping[str, int], after: Mapping[str, int], names: Mapping[str, str],
                *, periods: tuple[str, str], title: str, top: int = 20,
                fmt: str = "png") -> bytes:
    """Rank changes of the units in both periods: the later period's top ``top``.

    Both columns list the shown units in their order of that period, labelled with the
    real rank, so labels never overlap even when a unit came from rank 300.
    """
    shared = [code for code in after if code in before]
    shown = sorted(shared, key=lambda c: (after[c], c))[:top]
    left = {c: k for k, c in enumerate(sorted(shown, key=lambda c: (before[c], c)))}
    right = {c: k for k, c in enumerate(shown)}
    fig = _figure(11.0, 1.8 + 0.34 * max(len(shown), 3))
    ax = fig.subplots()
    for code in shown:
        change = before[code] - after[code]
        colour = "#1a9641" if change > 0 else "#d7191c" if change < 0 else "#888888"
        ax.plot([0, 1], [left[code], right[code]], color=colour, lw=1.8, marker="o", ms=4)
        ax.text(-0.03, left[code], f"{before[code]}. {_short(names.get(code, code), 40)}",
                ha="right", va="center", fontsize=8.5)
        sign = "+" if change > 0 else "\u2212" if change < 0 else "\u00b1"
        ax.text(1.03, right[code], f"{after[code]}. {_short(names.get(code, code), 40)}"
                f"  ({sign}{abs(change)})", ha="left", va="center", fontsize=8.5, color=colour)
    ax.set_xlim(-0.9, 1.9)
    ax.set_ylim(max(len(shown), 1) - 0.5, -1.9)
    for x, label in zip((0, 1), periods):
        ax.text(x, -1.1, label, ha="center", va="center", fontsize=11, fontweight="bold")
    ax.axis("off")
    ax.set_title(f"{title}\n{len(shown)} teratas {periods[1]} dari {number_id(len(shared), 0)} "
                 "satuan kerja yang dinilai pada kedua periode", fontsize=11)
    return _save(fig, fmt)


# ---------------------------------------------------------------- rank intervals

def interval_chart(rows: Sequence[Mapping], *, title: str, top: int = 30,
                   fmt: str = "png", dpi: int = DPI) -> bytes:
    """Each unit's rank interval (5th-95th percentile) around its official rank.

    ``rows``: ``{"rank", "name", "low", "high", "keep_share", "too_close"}`` in official order.
    """
    shown = list(rows[:top])
    fig = _figure(11.0, max(3.0, 1.9 + 0.3 * len(shown)), dpi)
    ax = fig.subplots()
    y = range(len(shown))
    colours = ["#d7191c" if row.get("too_close") else "#2166ac" for row in shown]
    # one collection for all bars and one for all points: a third faster than a line each
    ax.hlines(y, [r["low"] for r in shown], [r["high"] for r in shown], colors=colours, lw=4,
              alpha=0.45, capstyle="round")
    ax.scatter([r["rank"] for r in shown], y, color=colours, s=36, zorder=3)
    for yy, row in zip(y, shown):
        ax.annotate(f"tetap {number_id(100 * row['keep_share'], 0)}%", (row["high"], yy),
                    xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(range(len(shown)), [f"{r['rank']}. {_short(r['name'], 36)}" for r in shown],
                  fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlabel("Peringkat (rentang persentil ke-5 sampai ke-95)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _id_axis(ax.xaxis)
    high = max((r["high"] for r in shown), default=1)
    ax.set_xlim(0.5, high * 1.12 + 2)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color="#2166ac", lw=4, alpha=0.6, label="Rentang peringkat"),
               Line2D([], [], color="#d7191c", lw=4, alpha=0.6,
                      label="Terlalu ketat untuk dipastikan"),
               Line2D([], [], color="#333333", marker="o", ls="", label="Peringkat resmi")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    ax.set_title(title, fontsize=12, fontweight="bold")
    return _save(fig, fmt)


# ---------------------------------------------------------------- adapters from a Result

def predicate_bands(rubric: Rubric) -> list[tuple[str, float]]:
    """The rubric's predicate bands as ``(label, min)``, best first."""
    return [(p.label, float(p.min)) for p in rubric.predicates]


def aspect_titles(rubric: Rubric) -> list[str]:
    """Aspect titles in rubric order."""
    return [a.title for a in rubric.aspects]


def _num(value: Fraction) -> float:
    return float(round2(value))


def _mean(values: Iterable[Fraction]) -> Fraction:
    values = list(values)
    return sum(values, Fraction(0)) / len(values) if values else Fraction(0)


def _rows(result: Result, category: str | None):
    return [r for r in result.ranking if category is None or r.unit.category == category]


def ranking_data(result: Result, category: str) -> list[dict]:
    """Rows for ``ranking_chart``: rank, name, rounded total, predicate and the stage
    reached, in rank order."""
    return [{"rank": r.rank, "name": r.unit.name, "total": _num(r.total), "predicate": r.predicate,
             "stage": r.stage_reached} for r in _rows(result, category)]


def distribution_data(result: Result, category: str | None = None) -> list[float]:
    """Rounded totals of one category (or all) for ``distribution_chart``."""
    return [_num(r.total) for r in _rows(result, category)]


def radar_data(result: Result, rubric: Rubric, code: str) -> dict:
    """Keyword arguments for ``radar_chart``: the unit against its category's means.

    The provincial mean covers the same category in the same province and is left out
    when the unit is alone there (a KPU Provinsi is compared with the nation only).
    """
    row = next((r for r in result.ranking if r.unit.code == code), None)
    if row is None:
        raise KeyError(f"unit {code!r} is not ranked in this result")
    peers = _rows(result, row.unit.category)
    local = [r for r in peers if row.unit.province and r.unit.province == row.unit.province]
    ids = [a.id for a in rubric.aspects]
    return {"aspects": aspect_titles(rubric),
            "unit": [_num(row.aspects[a]) for a in ids],
            "national": [_num(_mean(r.aspects[a] for r in peers)) for a in ids],
            "provincial": ([_num(_mean(r.aspects[a] for r in local)) for a in ids]
                           if len(local) > 1 else None),
            "unit_name": row.unit.name, "province": row.unit.province}


def heatmap_data(result: Result, rubric: Rubric, category: str | None = None) -> dict:
    """Keyword arguments for ``heatmap_chart``: mean aspect scores per province."""
    groups = defaultdict(list)
    for r in _rows(result, category):
        if r.unit.province:
            groups[r.unit.province].append(r)
    ids = [a.id for a in rubric.aspects]
    provinces = sorted(groups)
    return {"provinces": provinces, "aspects": aspect_titles(rubric),
            "values": [[_num(_mean(r.aspects[a] for r in groups[p])) for a in ids]
                       for p in provinces]}


def gap_data(result: Result, rubric: Rubric, category: str | None = None) -> dict:
    """Keyword arguments for ``gap_chart``: mean claimed and verified score per aspect."""
    rows = _rows(result, category)
    ids = [a.id for a in rubric.aspects]
    return {"aspects": aspect_titles(rubric),
            "claimed": [_num(_mean(r.self_aspects[a] for r in rows)) for a in ids],
            "verified": [_num(_mean(r.aspects[a] for r in rows)) for a in ids]}


def rank_map(result: Result, category: str) -> dict[str, int]:
    """``{unit code: rank}`` of one category, for ``slope_chart``."""
    return {r.unit.code: r.rank for r in _rows(result, category)}


def slope_data(earlier: Result, later: Result, category: str) -> dict:
    """Keyword arguments ``before``, ``after`` and ``names`` for ``slope_chart``."""
    names = {r.unit.code: r.unit.name for r in _rows(earlier, category) + _rows(later, category)}
    return {"before": rank_map(earlier, category), "after": rank_map(later, category),
            "names": names}


def interval_data(intervals: dict, category: str) -> list[dict]:
    """Rows for ``interval_chart`` from ``scoring.robustness.rank_intervals`` output."""
    close = set()
    for pair in intervals["pairs"]:
        if pair["category"] == category and pair["too_close"]:
            close.update((pair["upper"], pair["lower"]))
    return [dict(u, too_close=u["code"] in close)
            for u in intervals["units"] if u["category"] == category]
