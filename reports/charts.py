r"""Charts as PNG or SVG bytes: plain data in, bytes out, Indonesian labels (87,50).

Every chart is a function of plain numbers and strings, drawn on its own
``matplotlib.figure.Figure`` with the Agg canvas (never ``pyplot``: no global state in a
server). The ``*_data`` adapters turn a scoring ``Result`` into that plain data.

Colours are colour-blind safe: predicates on the cividis ramp (dark blue for the best band
through yellow for the worst, never red against green), heat maps on viridis, two-series
comparisons in ColorBrewer's blue and orange. User text (unit names, aspect titles,
periods) is drawn literally: mathtext is off for every chart, so ``$x^2$``, ``\``,
``_`` and ``^`` show as typed, and long names are shortened with an ellipsis. Data shapes:

- ``bands``: ``[(label, min), ...]`` best first, as in the rubric (``predicate_bands``).
- ranking rows: ``{"rank", "name", "total", "predicate"}`` in ranking order.
"""
from __future__ import annotations

import functools
import io
import textwrap
from collections import defaultdict
from fractions import Fraction
from types import SimpleNamespace
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from rubrics.model import Rubric
from scoring.engine import Result, round2

from .feedback import province_short

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
_SWAP_SEPARATORS = str.maketrans({",": ".", ".": ","})
DPI = 110
HEAT_MAP = "viridis"
NATIONAL_COLOUR, PROVINCIAL_COLOUR, UNIT_COLOUR = "#666666", "#e08214", "#2166ac"
CLAIMED_COLOUR, VERIFIED_COLOUR = "#e08214", "#2166ac"
UP_COLOUR, DOWN_COLOUR, SAME_COLOUR = "#2166ac", "#e08214", "#777777"
TITLE_CHARS = 90
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


@functools.cache
def mpl() -> SimpleNamespace:
    """The pieces of matplotlib the charts use, imported when the first chart is drawn:
    importing matplotlib (and numpy) costs about a third of a second of CPU, which every
    process importing this module for its data functions (the web app, the demo's start)
    would otherwise pay without drawing anything."""
    import matplotlib
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex, to_rgb
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    return SimpleNamespace(rc_context=matplotlib.rc_context, colormaps=colormaps,
                           FigureCanvasAgg=FigureCanvasAgg, to_hex=to_hex, to_rgb=to_rgb,
                           Figure=Figure, Line2D=Line2D, Patch=Patch,
                           FuncFormatter=FuncFormatter, MaxNLocator=MaxNLocator,
                           ramp=colormaps["cividis"])


def literal_text(chart):
    """Draw ``chart`` with mathtext and TeX off: every string is shown as typed."""
    @functools.wraps(chart)
    def draw(*args, **kwargs):
        with mpl().rc_context(LITERAL_TEXT):
            return chart(*args, **kwargs)
    return draw


# ---------------------------------------------------------------- formatting and colours

def number_id(value: float, decimals: int = 2) -> str:
    """A number in Indonesian notation: 1.234,50 (dot thousands, comma decimals)."""
    text = f"{value:,.{decimals}f}".translate(_SWAP_SEPARATORS)
    if text.startswith("-"):
        # a typographic minus, and no "-0,00" for a value that rounds to zero
        text = "\u2212" + text[1:] if text.strip("-0.,") else text[1:]
    return text


def predicate_colours(labels: Sequence[str]) -> dict[str, str]:
    """Colour per predicate label on the cividis ramp: best (first) dark blue through
    worst (last) yellow, told apart by lightness alone (colour-blind and grey-scale safe)."""
    n = len(labels)
    return {label: mpl().to_hex(mpl().ramp(0.05 + 0.9 * k / (n - 1) if n > 1 else 0.05))
            for k, label in enumerate(labels)}


def ink_on(colour) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = mpl().to_rgb(colour)
    return "#111111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#ffffff"


def title_text(text: str, width: int = TITLE_CHARS, lines: int = 2) -> str:
    """A title wrapped to ``lines`` lines of ``width`` characters (cut with an ellipsis)."""
    text = " ".join(_printable(text).split())
    wrapped = textwrap.wrap(text, width, break_on_hyphens=False) or [text]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = _short(wrapped[-1], width - 1).rstrip("\u2026") + "\u2026"
    return "\n".join(wrapped)


def _figure(width: float, height: float, dpi: int = DPI) -> Figure:
    fig = mpl().Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    mpl().FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; use one of {', '.join(FORMATS)}")
    buf = io.BytesIO()
    # SVG keeps text as text (searchable, accessible); no dates, so output is reproducible
    with mpl().rc_context({"svg.fonttype": "none", "svg.hashsalt": "bakohumas"}):
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _id_axis(axis, decimals: int = 0):
    axis.set_major_formatter(mpl().FuncFormatter(lambda v, _pos: number_id(v, decimals)))


def count_axis(ax, headroom: float = 1.0) -> None:
    """Make the y axis of ``ax`` (drawn already) a count axis: whole-number ticks only, from
    0 to at least 1 (times ``headroom``), so a chart whose counts are all 0 reads "0" and "1"
    instead of a column of repeated "0" labels on fractional ticks."""
    ax.yaxis.set_major_locator(mpl().MaxNLocator(integer=True))
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]) * headroom)
    _id_axis(ax.yaxis)


def _wrap(text: str, width: int, lines: int = 3) -> str:
    """``text`` wrapped to at most ``lines`` lines, the last cut with an ellipsis."""
    return title_text(text, width, lines)


def _shade_bands(ax, bands, colours, *, vertical: bool, alpha: float = 0.13):
    """Shade each predicate band of the 0-100 axis and label it."""
    upper = 100.0
    for label, low in bands:
        span = ax.axvspan if vertical else ax.axhspan
        span(float(low), upper, color=colours[label], alpha=alpha, lw=0, zorder=0)
        upper = float(low)


# ---------------------------------------------------------------- ranking of one category

@literal_text
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
    fig.suptitle(title_text(title), fontsize=13, fontweight="bold")
    return _save(fig, fmt)


def _ranking_bars(ax, rows, colours):
    y = list(range(len(rows)))
    totals = [float(r["total"]) for r in rows]
    ax.barh(y, totals, color=[colours.get(r["predicate"], "#999999") for r in rows],
            edgecolor="#444444", linewidth=0.4, height=0.75)
    ax.set_yticks(y, [f"{'–' if r['rank'] is None else r['rank']}. {_short(r['name'], 44)}"
                      for r in rows], fontsize=9)
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


def _printable(text) -> str:
    text = str(text)
    return text if text.isprintable() else "".join(c if c.isprintable() else " " for c in text)


def _short(text: str, width: int) -> str:
    text = " ".join(_printable(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _predicate_legend(fig, bands, colours):
    handles = [mpl().Patch(facecolor=colours[label], edgecolor="#444444",
                     label=f"{label} (\u2265 {number_id(float(low), 0)})")
               for label, low in bands]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
               fontsize=9, frameon=False, title="Predikat", title_fontsize=9)


# ---------------------------------------------------------------- distribution of totals

@literal_text
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
    ax.set_title(title_text(f"{title} ({number_id(len(totals), 0)} satuan kerja)"),
                 fontsize=12, fontweight="bold")
    return _save(fig, fmt)


def _histogram(ax, totals, bands, colours, *, bins: int):
    _shade_bands(ax, bands, colours, vertical=True)
    edges = [100 * k / bins for k in range(bins + 1)]
    ax.hist([float(t) for t in totals], bins=edges, color="#4d4d4d", alpha=0.85,
            edgecolor="white", linewidth=0.5)
    ax.set_xlim(0, 100)
    count_axis(ax, headroom=1.25)   # room for the band labels at the top
    ax.set_xlabel("Nilai total")
    ax.set_ylabel("Jumlah satuan kerja")
    _id_axis(ax.xaxis)
    ax.spines[["top", "right"]].set_visible(False)


def _band_counts(totals, bands) -> dict[str, int]:
    counts = {label: 0 for label, _ in bands}
    for t in totals:
        label = next((lb for lb, low in bands if float(low) <= float(t)), bands[-1][0])
        counts[label] += 1
    return counts


# ---------------------------------------------------------------- aspects of one unit

@literal_text
def aspect_chart(aspects: Sequence[str], unit: Sequence[float], national: Sequence[float],
                 provincial: Sequence[float] | None = None, *, unit_name: str,
                 national_label: str = "Rata-rata nasional kategori",
                 provincial_label: str = "Rata-rata kategori di provinsi",
                 unit_label: str | None = None, fmt: str = "png",
                 size: tuple[float, float] | None = None, dpi: int = DPI,
                 font_size: float = 9.0, title: str | None = None,
                 colours: Sequence[str] | None = None, values: bool = True,
                 label_width: int = 30) -> bytes:
    """A dot plot of a unit's aspect scores (0-100) against its category's means: one row
    per aspect, whole aspect titles (wrapped, never cut mid-word), the unit's score written
    beside its dot. Label the means with what they cover and their n, e.g.
    ``national_label="Rata-rata KPU Kab/Kota nasional (n=514)"``."""
    n = len(aspects)
    unit_colour, national_colour, provincial_colour = colours or (
        UNIT_COLOUR, NATIONAL_COLOUR, PROVINCIAL_COLOUR)
    fig = _figure(*(size or (9.0, 1.6 + 0.62 * n)), dpi)
    ax = fig.subplots()
    y = list(range(n))
    series = [(national, national_label, national_colour, "D", 34)]
    if provincial is not None and all(v is not None for v in provincial):
        series.append((provincial, provincial_label, provincial_colour, "s", 34))
    series.append((unit, unit_label or _short(unit_name, 60), unit_colour, "o", 70))
    for yy, *row in zip(y, *(s[0] for s in series)):
        vals = [float(v) for v in row]
        ax.plot([min(vals), max(vals)], [yy, yy], color="#cccccc", lw=2, zorder=1)
    for vals, label, colour, marker, size_ in series:
        ax.scatter([float(v) for v in vals], y, color=colour, marker=marker, s=size_,
                   zorder=3 if vals is unit else 2, label=label, edgecolors="white",
                   linewidths=0.6)
    if values:
        for yy, v in zip(y, unit):
            ax.annotate(number_id(float(v)), (float(v), yy), xytext=(0, 7),
                        textcoords="offset points", ha="center", va="bottom",
                        fontsize=font_size - 1, color=unit_colour)
    ax.set_yticks(y, [_wrap(a, label_width) for a in aspects], fontsize=font_size)
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_xlim(0, 104)          # room for a dot and its label at 100
    ax.set_xticks(range(0, 101, 20))
    ax.spines["bottom"].set_bounds(0, 100)
    ax.set_xlabel("Nilai aspek (0\u2013100)", fontsize=font_size)
    ax.tick_params(axis="x", labelsize=font_size - 0.5)
    _id_axis(ax.xaxis)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()     # the unit first
    fig.legend(handles[::-1], [_short(t, 70) for t in labels[::-1]], loc="outside lower center",
               ncols=1 if max(map(len, labels)) > 40 else 3, fontsize=font_size, frameon=False)
    if title is None:
        title = f"Nilai per aspek: {unit_name}"
    if title:
        fig.suptitle(title_text(title, 80), fontsize=font_size + 3, fontweight="bold")
    return _save(fig, fmt)


def radar_chart(aspects, unit, national, provincial=None, *, unit_name: str,
                province: str = "", label_width: int = 30, **kwargs) -> bytes:
    """The aspect chart under its old name (it was a radar; now the dot plot
    ``aspect_chart``); ``province`` names the provincial mean when no label is given."""
    if province and "provincial_label" not in kwargs:
        kwargs["provincial_label"] = f"Rata-rata kategori di {province}"
    return aspect_chart(aspects, unit, national, provincial, unit_name=unit_name,
                        label_width=label_width, **kwargs)


# ---------------------------------------------------------------- heat map by province

@literal_text
def heatmap_chart(provinces: Sequence[str], aspects: Sequence[str],
                  values: Sequence[Sequence[float | None]], *, title: str,
                  counts: Sequence[int] | None = None, fmt: str = "png") -> bytes:
    """Provinces x aspects, cells coloured (viridis) and annotated with the mean aspect
    score of all units in the province; rows in the order given (``heatmap_data`` sorts
    them by mean), each labelled with its n when ``counts`` is given."""
    rows, cols = len(provinces), len(aspects)
    fig = _figure(6.2 + 1.05 * cols, 2.2 + 0.27 * rows)
    ax = fig.subplots()
    grid = [[float("nan") if v is None else float(v) for v in row] for row in values]
    cmap = mpl().colormaps[HEAT_MAP]
    image = ax.imshow(grid, cmap=cmap, vmin=0, vmax=100, aspect="auto")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v == v:
                ax.text(c, r, number_id(v, 1), ha="center", va="center", fontsize=7.5,
                        color=ink_on(cmap(v / 100)))
    ax.set_xticks(range(cols), [_wrap(a, 14) for a in aspects], fontsize=8)
    ax.xaxis.tick_top()
    labels = [f"semua satuan kerja di provinsi {_short(province_short(p), 30)}"
              + (f" (n={counts[k]})" if counts is not None else "")
              for k, p in enumerate(provinces)]
    ax.set_yticks(range(rows), labels, fontsize=7.5)
    ax.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.4, pad=0.01)
    bar.set_label("Rata-rata nilai aspek semua satuan kerja di provinsi")
    _id_axis(bar.ax.yaxis)
    ax.set_title(title_text(title), fontsize=12, fontweight="bold")
    return _save(fig, fmt)


# ---------------------------------------------------------------- claimed versus verified

@literal_text
def gap_chart(aspects: Sequence[str], claimed: Sequence[float], verified: Sequence[float], *,
              title: str, fmt: str = "png", value_label: str = "Nilai aspek (0\u2013100)") -> bytes:
    """Self-assessed against verified score per aspect, the gap written out as the tables
    write it: selisih = mandiri \u2212 verifikasi (positive: the unit claimed more).
    ``value_label``: the x-axis ("Rata-rata nilai aspek" for means of many units)."""
    n = len(aspects)
    fig = _figure(10.0, 1.8 + 0.55 * n)
    ax = fig.subplots()
    y = list(range(n))
    for yy, c, v in zip(y, claimed, verified):
        ax.plot([float(v), float(c)], [yy, yy], color="#bbbbbb", lw=3, zorder=1)
        gap = float(c) - float(v)
        ax.annotate(("+" if gap > 0.004 else "") + number_id(gap), (max(float(c), float(v)), yy),
                    xytext=(8, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.scatter([float(c) for c in claimed], y, color=CLAIMED_COLOUR, s=60, zorder=2,
               label="Penilaian mandiri")
    ax.scatter([float(v) for v in verified], y, color=VERIFIED_COLOUR, s=60, zorder=3,
               label="Hasil verifikasi")
    ax.set_yticks(y, [_wrap(a, 34) for a in aspects], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel(f"{value_label}; angka: selisih mandiri \u2212 verifikasi")
    _id_axis(ax.xaxis)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    ax.set_title(title_text(title, 80), fontsize=12, fontweight="bold")
    return _save(fig, fmt)


# ---------------------------------------------------------------- rank changes between periods

@literal_text
def slope_chart(before: Mapping[str, int], after: Mapping[str, int], names: Mapping[str, str],
                *, periods: tuple[str, str], title: str, top: int = 20,
                fmt: str = "png") -> bytes:
    """Rank changes as a dumbbell chart on a true rank axis: for the later period's top
    ``top`` units ranked in both periods, a hollow dot at the earlier rank and a filled dot
    at the later one, joined by a line, so 89 -> 6 is a long bar and 8 -> 8 a single dot.
    The change (earlier rank - later rank, positive: moved up) is written on the right."""
    shared = [code for code in after if code in before]
    shown = sorted(shared, key=lambda c: (after[c], c))[:top]
    fig = _figure(11.0, 2.0 + 0.34 * max(len(shown), 3))
    ax = fig.subplots()
    y = list(range(len(shown)))
    for yy, code in zip(y, shown):
        old, new = before[code], after[code]
        change = old - new
        colour = UP_COLOUR if change > 0 else DOWN_COLOUR if change < 0 else SAME_COLOUR
        ax.plot([old, new], [yy, yy], color=colour, lw=2.2, alpha=0.55, zorder=1,
                solid_capstyle="butt")
        ax.scatter([old], [yy], s=42, facecolors="white", edgecolors=colour, linewidths=1.6,
                   zorder=2)
        ax.scatter([new], [yy], s=42, color=colour, zorder=3)
        sign = "+" if change > 0 else "\u2212" if change < 0 else "\u00b1"
        ax.annotate(f"{old} \u2192 {new}  ({sign}{abs(change)})", (1.0, yy),
                    xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8.5, color=colour)
    ax.set_yticks(y, [f"{after[c]}. {_short(names.get(c, c), 40)}" for c in shown], fontsize=8.5)
    high = max([before[c] for c in shown] + [after[c] for c in shown] + [top])
    ax.set_xlim(0, high * 1.04 + 1)
    ax.set_ylim(max(len(shown), 1) - 0.5, -0.7)
    ax.xaxis.set_major_locator(mpl().MaxNLocator(integer=True, nbins=12))
    _id_axis(ax.xaxis)
    ax.set_xlabel("Peringkat (1 = terbaik; skala peringkat sebenarnya)")
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    earlier, later = distinct_titles(*periods)
    handles = [mpl().Line2D([], [], marker="o", ls="", markerfacecolor="white",
                      markeredgecolor="#333333", label=f"Peringkat {_short(earlier, 30)}"),
               mpl().Line2D([], [], marker="o", ls="", color="#333333",
                      label=f"Peringkat {_short(later, 30)}"),
               mpl().Line2D([], [], color=UP_COLOUR, lw=2.2, label="naik"),
               mpl().Line2D([], [], color=DOWN_COLOUR, lw=2.2, label="turun"),
               mpl().Line2D([], [], color=SAME_COLOUR, lw=2.2, label="tetap")]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=8.5, frameon=False)
    ax.set_title(title_text(f"{title}: {len(shown)} teratas {periods[1]} dari "
                            f"{number_id(len(shared), 0)} satuan kerja yang dinilai pada "
                            "kedua periode", 100), fontsize=11)
    return _save(fig, fmt)


def distinct_titles(first: str, second: str) -> tuple[str, str]:
    """Two period titles by what tells them apart: "Penilaian ... 2021" and "Penilaian ...
    2024" give ("2021", "2024"); titles with nothing in common are kept whole."""
    a, b = " ".join(str(first).split()), " ".join(str(second).split())
    words_a, words_b = a.split(" "), b.split(" ")
    common = 0
    while (common < min(len(words_a), len(words_b)) - 1
           and words_a[common] == words_b[common]):
        common += 1
    if common == 0 or a == b:
        return a, b
    return " ".join(words_a[common:]), " ".join(words_b[common:])


# ---------------------------------------------------------------- rank intervals

@literal_text
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
    ax.xaxis.set_major_locator(mpl().MaxNLocator(integer=True))
    _id_axis(ax.xaxis)
    high = max((r["high"] for r in shown), default=1)
    ax.set_xlim(0.5, high * 1.12 + 2)
    ax.grid(axis="x", color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [mpl().Line2D([], [], color="#2166ac", lw=4, alpha=0.6, label="Rentang peringkat"),
               mpl().Line2D([], [], color="#d7191c", lw=4, alpha=0.6,
                      label="Terlalu ketat untuk dipastikan"),
               mpl().Line2D([], [], color="#333333", marker="o", ls="", label="Peringkat resmi")]
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


def _mean(values: Iterable[Fraction | None]) -> Fraction:
    """The mean of the values given (an aspect that is None, all "tidak-berlaku", is left out)."""
    values = [v for v in values if v is not None]
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


def heatmap_data(result: Result, rubric: Rubric, category: str | None = None,
                 provinces: Sequence[str] = ()) -> dict:
    """Keyword arguments for ``heatmap_chart``: mean aspect scores of all units in each
    province (every category unless ``category``), with their ``counts``, sorted by the
    mean total (highest first). ``provinces`` adds provinces without a ranked unit (an
    empty row, n=0), so every province is shown."""
    groups = defaultdict(list)
    for r in _rows(result, category):
        if r.unit.province:
            groups[r.unit.province].append(r)
    for province in provinces:
        groups.setdefault(province, [])
    ids = [a.id for a in rubric.aspects]
    order = sorted(groups, key=lambda p: (not groups[p], -_mean(r.total for r in groups[p]), p))
    return {"provinces": order, "aspects": aspect_titles(rubric),
            "counts": [len(groups[p]) for p in order],
            "values": [[_num(_mean(r.aspects[a] for r in groups[p])) if groups[p] else None
                        for a in ids] for p in order]}


def gap_data(result: Result, rubric: Rubric, category: str | None = None) -> dict:
    """Keyword arguments for ``gap_chart``: mean claimed and verified score per aspect."""
    rows = _rows(result, category)
    ids = [a.id for a in rubric.aspects]
    return {"aspects": aspect_titles(rubric),
            "claimed": [_num(_mean(r.self_aspects[a] for r in rows)) for a in ids],
            "verified": [_num(_mean(r.aspects[a] for r in rows)) for a in ids]}


def rank_map(result: Result, category: str) -> dict[str, int]:
    """``{unit code: rank}`` of one category's ranked units, for ``slope_chart`` (a unit
    listed without rank, e.g. one not meeting the condition of entry, is no rank to compare)."""
    return {r.unit.code: r.rank for r in _rows(result, category) if r.rank is not None}


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
