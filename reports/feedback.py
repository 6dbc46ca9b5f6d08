"""A unit's feedback as plain data: its aspect scores against its own category's means.

A unit is compared with units of its own category (KPU Provinsi with KPU Provinsi, KPU
Kab/Kota with KPU Kab/Kota): the national mean of the category and the mean of the same
category within the unit's province. Both means include the unit itself, and both carry
their n (per aspect: an aspect that is "tidak-berlaku" for a unit leaves it out of that
aspect's mean). Scores and means are rounded half up to two decimals from the exact
values. ``feedback_data`` returns the shape the API serves::

    {"unit": code, "category": id, "total": x, "rank": r or None, "ranked": m,
     "entry_unmet": [condition ids], "decided_by": aspect id or None,
     "aspects": [{"id": aspect id, "score": x, "national": {"mean": m, "n": k},
                  "province": {"mean": m, "n": k} or None}],
     "unranked_in_means": {"national": k, "province": k}}

``rank`` is None for a unit listed without rank (``entry_unmet`` names the conditions of entry
it does not meet); ``ranked`` counts the category's ranked units only (the m of 'n dari m').
The means take every scored unit of the category, units listed without rank too, and
``unranked_in_means`` says how many of those they hold (the labels say so).

``decided_by`` is the tie-break aspect that placed the unit below a unit with the same
stage and rounded total (``scoring.order.tie_breaks``), None when no aspect decided its rank.

with ``Decimal`` numbers (two places); the feedback page, its charts and the scorecard
are drawn from this data. ``comparison_labels`` says in words what each mean covers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from scoring.engine import Result, UnitResult, round2

# what a category's units are called in the comparison labels
CATEGORY_PLURALS = {"pusat": "KPU RI", "provinsi": "KPU Provinsi", "kabkota": "KPU Kab/Kota"}
_PROVINCE_PREFIXES = ("KPU Provinsi ", "KIP Provinsi ", "KIP ", "KPU ", "Provinsi ")


@dataclass(frozen=True)
class Baselines:
    """Exact aspect sums and counts per category and per (category, province)."""

    national: Mapping[str, Mapping[str, tuple[Fraction, int]]]
    provincial: Mapping[tuple[str, str], Mapping[str, tuple[Fraction, int]]]
    # units listed without rank (rank None: a condition of entry not met, an unranked
    # category) that the means include: per category, per (category, province)
    unranked: Mapping = None
    ranked: Mapping = None   # ranked units per category (the m of 'n dari m')


def baselines(result: Result) -> Baselines:
    """The sums and counts behind every unit's means, computed once for a whole result."""
    national: dict = defaultdict(lambda: defaultdict(lambda: [Fraction(0), 0]))
    provincial: dict = defaultdict(lambda: defaultdict(lambda: [Fraction(0), 0]))
    unranked: dict = defaultdict(int)
    ranked: dict = defaultdict(int)
    for row in result.ranking:
        if row.rank is None:
            unranked[row.unit.category] += 1
            unranked[(row.unit.category, row.unit.province)] += 1
        else:
            ranked[row.unit.category] += 1
        groups = [national[row.unit.category]]
        if row.unit.province:
            groups.append(provincial[(row.unit.category, row.unit.province)])
        for aspect_id, value in row.aspects.items():
            if value is None:
                continue
            for group in groups:
                group[aspect_id][0] += value
                group[aspect_id][1] += 1
    freeze = lambda g: {k: {a: (s, n) for a, (s, n) in v.items()} for k, v in g.items()}  # noqa: E731
    return Baselines(national=freeze(national), provincial=freeze(provincial),
                     unranked=dict(unranked), ranked=dict(ranked))


def _mean(pair: tuple[Fraction, int] | None) -> dict | None:
    if pair is None or pair[1] == 0:
        return None
    total, n = pair
    return {"mean": round2(total / n), "n": n}


def _score(value: Fraction | None) -> Decimal | None:
    return None if value is None else round2(value)


def find_row(result: Result, unit_code: str) -> UnitResult | None:
    """The unit's ranking row, or None when it is not in the result."""
    return next((r for r in result.ranking if r.unit.code == unit_code), None)


def feedback_data(result: Result, unit_code: str, base: Baselines | None = None, *,
                  ties: Mapping[str, str]) -> dict | None:
    """The unit's feedback (module docstring) or None when it is not ranked; pass ``base``
    (``baselines(result)``) to reuse the sums across units. ``ties`` is
    ``scoring.order.tie_breaks(rubric, result)`` (unit code -> the aspect that decided its
    rank), computed once per result by the caller."""
    row = find_row(result, unit_code)
    if row is None:
        return None
    base = base or baselines(result)
    national = base.national.get(row.unit.category, {})
    provincial = (base.provincial.get((row.unit.category, row.unit.province), {})
                  if row.unit.province else None)
    aspects = [{"id": aspect_id, "score": _score(value),
                "national": _mean(national.get(aspect_id)),
                "province": None if provincial is None else _mean(provincial.get(aspect_id))}
               for aspect_id, value in row.aspects.items()]
    unranked = base.unranked or {}
    return {"unit": row.unit.code, "category": row.unit.category, "total": round2(row.total),
            "rank": row.rank, "ranked": (base.ranked or {}).get(row.unit.category, 0),
            "entry_unmet": list(row.entry_unmet), "decided_by": ties.get(row.unit.code),
            "aspects": aspects,
            "unranked_in_means": {
                "national": unranked.get(row.unit.category, 0),
                "province": unranked.get((row.unit.category, row.unit.province), 0)}}


def province_short(province: str) -> str:
    """'Jawa Tengah' from 'KPU Provinsi Jawa Tengah', 'KIP Aceh' or 'Provinsi Jawa Tengah'."""
    name = " ".join(str(province or "").split())
    for prefix in _PROVINCE_PREFIXES:
        if name.lower().startswith(prefix.lower()):
            return name[len(prefix):]
    return name


def group_n(data: dict, key: str) -> int | None:
    """The largest n of the national or provincial means (aspects may have fewer)."""
    counts = [a[key]["n"] for a in data["aspects"] if a.get(key)]
    return max(counts) if counts else None


def comparison_labels(data: dict, province: str) -> tuple[str, str | None]:
    """(national label, provincial label or None) saying what each mean covers, with n:
    "Rata-rata KPU Kab/Kota nasional (n=514)", "Rata-rata KPU Kab/Kota se-Jawa Tengah (n=35)".
    None when the provincial mean covers the unit alone (a KPU Provinsi: the data still
    carries that mean with n=1, pages and scorecards leave it out)."""
    plural = CATEGORY_PLURALS.get(data["category"], data["category"])
    unranked = data.get("unranked_in_means") or {}
    national = (f"Rata-rata {plural} nasional (n={group_n(data, 'national') or 0}"
                f"{_unranked_note(unranked.get('national', 0))})")
    n_province = group_n(data, "province")
    if n_province is None or n_province < 2 or not province:
        return national, None       # a mean of the unit alone compares it with nothing
    return national, (f"Rata-rata {plural} se-{province_short(province)} (n={n_province}"
                      f"{_unranked_note(unranked.get('province', 0))})")


def _unranked_note(count: int) -> str:
    """What a mean includes besides ranked units: every scored unit of the category counts
    in the means (a score is a score), units listed without rank included, and says so."""
    return f", termasuk {count} tidak diperingkat" if count else ""
