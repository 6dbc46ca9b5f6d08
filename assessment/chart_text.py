"""What each results chart shows, as words and as a table: the text alternative states the
chart's main finding ("KPU Provinsi Jawa Tengah peringkat 1 dengan 93,99") and the table holds
the figures it summarises. Both are built from the very data functions that draw the chart
(``reports.charts.*_data``), so the words, the table and the picture cannot disagree.

A summary is ``{"alt": str, "caption": str, "headers": [str], "rows": [[str]]}``.
"""
from __future__ import annotations

import inspect
from statistics import median

from flask_babel import gettext as _

from reports import charts

from .formatting import number
from .operations.results import run_provinces, slope_data
from .operations.runs import scored_run

# the charts draw their top N; the tables list the same units
RANKING_TOP = inspect.signature(charts.ranking_chart).parameters["top"].default
SLOPE_TOP = inspect.signature(charts.slope_chart).parameters["top"].default


def run_chart_summary(run, name: str) -> dict:
    """The summary of one chart of a run (``operations.results.run_chart``'s names)."""
    rubric, result = scored_run(run)
    if name == "sebaran":
        return distribution_summary(charts.distribution_data(result), charts.predicate_bands(rubric))
    if name == "peta-provinsi":
        return heatmap_summary(**charts.heatmap_data(result, rubric,
                                                     provinces=run_provinces(run)))
    return ranking_summary(charts.ranking_data(result, name.removeprefix("peringkat-")))


def change_chart_summary(earlier, later, category: str) -> dict:
    """The summary of the rank-change chart of one category between two runs (from their
    stored results: neither is scored again)."""
    return slope_summary(**slope_data(earlier, later, category))


def ranking_summary(rows: list[dict]) -> dict:
    shown = rows[:RANKING_TOP]
    if not shown:
        return _empty()
    ranked = [r for r in rows if r["rank"] is not None]   # "n" counts ranked units only
    if ranked:
        first = ranked[0]
        alt = _("%(name)s ranks %(rank)d with %(total)s, of %(count)d ranked units.",
                name=first["name"], rank=first["rank"], total=number(first["total"]),
                count=len(ranked))
    else:   # every unit shown is unranked (entry condition not met)
        alt = _("No unit here is ranked: %(count)d units did not meet the entry condition.",
                count=len(rows))
    if len(rows) > len(shown):
        alt += " " + _("Bars show the top %(top)d; the lowest total is %(low)s.",
                       top=len(shown), low=number(rows[-1]["total"]))
    return {"alt": alt, "caption": _("The units the bars show"),
            "headers": [_("Rank"), _("Unit"), _("Total"), _("Predicate")],
            "rows": [[str(r["rank"]) if r["rank"] is not None else "–", r["name"],
                      number(r["total"]), r["predicate"]] for r in shown]}


def distribution_summary(totals: list[float], bands: list[tuple[str, float]]) -> dict:
    if not totals:
        return _empty()
    counts = {label: 0 for label, _low in bands}
    for total in totals:
        label = next((label for label, low in bands if total >= low), None)
        if label is not None:
            counts[label] += 1
    busiest = max(counts, key=counts.get) if counts else "-"
    alt = _("%(count)d units, median total %(median)s; most units (%(most)d) are in the "
            "predicate %(band)s.", count=len(totals), median=number(median(totals)),
            most=counts.get(busiest, 0), band=busiest)
    return {"alt": alt, "caption": _("Units per predicate band"),
            "headers": [_("Predicate"), _("From total"), _("Units")],
            "rows": [[label, number(low), str(counts[label])] for label, low in bands]}


def heatmap_summary(provinces: list[str], aspects: list[str], values: list[list],
                    counts: list[int] | None = None) -> dict:
    cells = [(v, p, a) for p, row in zip(provinces, values) for a, v in zip(aspects, row)
             if v is not None]
    if not cells:
        return _empty()
    high, low = max(cells), min(cells)
    alt = _("Highest mean: %(province)s in %(aspect)s with %(value)s; lowest: %(low_province)s "
            "in %(low_aspect)s with %(low_value)s.", province=high[1], aspect=high[2],
            value=number(high[0]), low_province=low[1], low_aspect=low[2], low_value=number(low[0]))
    counts = counts if counts is not None else [None] * len(provinces)
    return {"alt": alt, "caption": _("Mean aspect score per province"),
            "headers": [_("Province"), *([_("Units")] if any(counts) else []), *aspects],
            "rows": [[p, *([str(n)] if any(counts) else []),
                      *[number(v) if v is not None else "–" for v in row]]
                     for p, n, row in zip(provinces, counts, values)]}


def slope_summary(before: dict, after: dict, names: dict) -> dict:
    shown = sorted((c for c in after if c in before), key=lambda c: (after[c], c))[:SLOPE_TOP]
    if not shown:
        return _empty()
    riser = max(shown, key=lambda c: (before[c] - after[c], -after[c]))
    change = before[riser] - after[riser]
    if change > 0:
        alt = _("Of the top %(top)d, %(name)s rose most: from rank %(before)d to %(after)d.",
                top=len(shown), name=names.get(riser, riser), before=before[riser], after=after[riser])
    else:
        alt = _("No unit of the top %(top)d rose in rank.", top=len(shown))
    return {"alt": alt, "caption": _("Ranks in both periods"),
            "headers": [_("Unit"), _("Previous rank"), _("Rank"), _("Change")],
            "rows": [[names.get(c, c), str(before[c]), str(after[c]), _signed(before[c] - after[c])]
                     for c in shown]}


def _signed(change: int) -> str:
    return f"+{change}" if change > 0 else f"\u2212{-change}" if change < 0 else "0"


def _empty() -> dict:
    return {"alt": _("No units to show."), "caption": "", "headers": [], "rows": []}
