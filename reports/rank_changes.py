"""Rank changes between two published rankings, as plain data.

A ranking is a list of rows ``{"unit": code, "name": str, "category": str, "rank": int}``
(``ranking_rows`` makes them from a scoring ``Result``). ``rank_changes`` compares two such
lists per category and returns, for each category, rows

    {"unit": code, "name": str, "previous_rank": r0 or None, "rank": r or None,
     "entry_unmet": True (only present then) when the unit is listed now without rank for a
     condition of entry,
     "change": r0 - r or None}

A positive change means the unit moved up (89 -> 6 is +83). Units new to the ranking have
``previous_rank`` and ``change`` None; units ranked before but not now are listed after the
others with ``rank`` None. Order: current rank, then previous rank, then code.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from scoring.engine import Result


def ranking_rows(result: Result) -> list[dict]:
    """A Result's ranking as plain rows (unit, name, category, rank), in ranking order; a
    row carries ``entry_unmet`` (the conditions) only for a unit that does not meet one, as
    a stored result does (scoring.exchange)."""
    return [{"unit": r.unit.code, "name": r.unit.name, "category": r.unit.category,
             "rank": r.rank, **({"entry_unmet": list(r.entry_unmet)} if r.entry_unmet else {})}
            for r in result.ranking]


def rank_changes(previous: Iterable[Mapping], current: Iterable[Mapping]) -> dict[str, list[dict]]:
    """``{category: [change rows]}`` from two rankings' rows (see the module docstring);
    categories in the current ranking's order, then any found only in the previous one."""
    before = {(r["category"], r["unit"]): r for r in previous}
    now = {(r["category"], r["unit"]): r for r in current}
    categories = list(dict.fromkeys([c for c, _ in now] + [c for c, _ in before]))
    out: dict[str, list[dict]] = {}
    for category in categories:
        keys = {k for k in list(now) + list(before) if k[0] == category}
        rows = [_change(before.get(k), now.get(k)) for k in keys]
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0,
                                 r["previous_rank"] is None, r["previous_rank"] or 0, r["unit"]))
        out[category] = rows
    return out


def _change(before: Mapping | None, now: Mapping | None) -> dict:
    row = now or before
    previous_rank = before["rank"] if before else None
    rank = now["rank"] if now else None
    change = previous_rank - rank if previous_rank is not None and rank is not None else None
    out = {"unit": row["unit"], "name": row["name"], "previous_rank": previous_rank,
           "rank": rank, "change": change}
    if now and now.get("entry_unmet"):   # only then: rankings without conditions stay as they were
        out["entry_unmet"] = True
    return out
