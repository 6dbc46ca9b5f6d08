"""Charts of publishing between seasons (issue 16): a unit's items per ISO week per channel,
and a province x week heat map of the share of active units. Plain data in, PNG/SVG bytes
out, on ``matplotlib.figure.Figure`` (never pyplot); text drawn literally (no mathtext),
colour-blind safe colours (cividis for series, viridis for the heat map)."""
from __future__ import annotations

from typing import Sequence

from .charts import _figure, _save, count_axis, literal_text, mpl, number_id, title_text


def _week_ticks(ax, labels: Sequence[str], every: int) -> None:
    ticks = list(range(0, len(labels), max(1, every)))
    ax.set_xticks(ticks, [labels[i].replace("-W", "\nM") for i in ticks], fontsize=7)


@literal_text
def weekly_trend_chart(weeks: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
                       title: str, *, item_label: str = "Konten", fmt: str = "png") -> bytes:
    """Items per ISO week, one line per channel (stacked bars for the total), weeks without
    any item marked below the axis."""
    fig = _figure(8.0, 3.4)
    ax = fig.add_subplot()
    n = len(series)
    bottom = [0] * len(weeks)
    for k, (name, counts) in enumerate(series):
        colour = mpl().to_hex(mpl().ramp(0.1 + 0.8 * k / max(1, n - 1)) if n > 1
                                 else mpl().ramp(0.15))
        ax.bar(range(len(weeks)), counts, bottom=bottom, color=colour, width=0.85,
               label=title_text(name, 40, 1), edgecolor="white", linewidth=0.3)
        bottom = [b + c for b, c in zip(bottom, counts)]
    empty = [i for i, total in enumerate(bottom) if total == 0]
    if empty:
        ax.scatter(empty, [0] * len(empty), marker="|", color="#b2182b", s=60, zorder=3,
                   label="Minggu tanpa konten", clip_on=False)
    ax.set_title(title_text(title, 80), fontsize=10, loc="left")
    ax.set_ylabel(item_label, fontsize=8)
    count_axis(ax)   # whole items only; a unit without content reads 0 and 1, not 0 0 0
    _week_ticks(ax, list(weeks), every=max(1, len(weeks) // 13))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(-0.7, len(weeks) - 0.3)
    if series:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, fmt)


@literal_text
def province_week_heatmap(weeks: Sequence[str], rows: Sequence[tuple[str, Sequence[float]]],
                          title: str, *, fmt: str = "png") -> bytes:
    """Rows (provinces) x ISO weeks coloured by the share of units with at least one item."""
    height = max(2.5, 0.19 * len(rows) + 1.3)
    fig = _figure(9.0, height)
    ax = fig.add_subplot()
    grid = [list(values) for _, values in rows] or [[0.0] * len(weeks)]
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(rows)), [title_text(name, 28, 1) for name, _ in rows], fontsize=6.5)
    _week_ticks(ax, list(weeks), every=max(1, len(weeks) // 13))
    ax.set_title(title_text(title, 90), fontsize=10, loc="left")
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    bar.ax.yaxis.set_major_formatter(lambda v, _p: f"{number_id(v * 100, 0)}%")
    bar.ax.tick_params(labelsize=7)
    bar.set_label("Satuan kerja aktif", fontsize=7)
    return _save(fig, fmt)
