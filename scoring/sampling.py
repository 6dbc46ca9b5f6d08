"""Random dates a judge checks, drawn so that a unit cannot choose what is checked.

The draw is seeded by the period's seed, the unit, the indicator and the period window,
through SHA-256 (not Python's salted ``hash``), so the same inputs give the same dates on
every machine and in every process: the dates can be shown to the judge, recorded, and
drawn again by anyone who wants to check them.
"""
from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta


def sample_dates(unit_code: str, indicator_id: str, start: date, end: date, seed: str | int,
                 count: int) -> list[date]:
    """``count`` distinct dates from ``start`` to ``end`` (inclusive), ascending, seeded;
    every date of the window when it holds fewer than ``count``."""
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    if count < 1:
        raise ValueError("count must be at least 1")
    days = (end - start).days + 1
    key = f"{seed}|{unit_code}|{indicator_id}|{start.isoformat()}|{end.isoformat()}"
    rnd = random.Random(int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest(), "big"))
    offsets = sorted(rnd.sample(range(days), min(count, days)))
    return [start + timedelta(days=n) for n in offsets]


def sampled_indicators(rubric) -> list:
    """The indicators of a rubric that a judge checks on sampled dates, in rubric order."""
    return [ind for ind in rubric.indicators if ind.sample is not None]
