"""Figures worked out from a period's season data, kept per process until that data changes.

The final gates (stage two scored for the shortlist), claimed versus verified and judge
quality need every judge's value of the period, exported and scored by the rules: seconds
for a national season, on every view of the scoring-runs and moderation pages. ``kept``
returns the figure worked out earlier while ``season_version`` is unchanged, and works it
out again otherwise.

``season_version`` is the period's version row (``models.period_version``: one primary-key
read, bumped in the same transaction as every write to what ``export_exchange`` and judge
quality read) with the period's rubric and judging settings. A figure is worked out afresh
and not kept when the period has no version row yet, or when this session holds changes
not yet bumped (they would be in the figure but not in the version)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from ..models import period_version

_KEPT: OrderedDict = OrderedDict()    # (period id, name) -> (version, value)
_KEPT_MAX = 64


def season_version(session, period) -> tuple | None:
    """What the period's scored figures depend on, or None when it cannot be told (no
    version row yet, or changes of this session not bumped yet)."""
    if period_version.unbumped(session):
        return None
    row = period_version.read(session, period.id)
    if row is None:
        return None
    edition = getattr(period, "rubric_edition", None)
    return (row, period.rubric_id, getattr(edition, "sha256", None),
            repr(sorted((period.settings or {}).items())))


def kept(session, period, name: str, compute: Callable[[], object]):
    """``compute()``'s value for the period, worked out again only when ``season_version``
    changed since it was last worked out in this process (the last few figures are kept)."""
    key = (period.id, name)
    version = season_version(session, period)
    if version is None:
        return compute()
    found = _KEPT.get(key)
    if found is not None and found[0] == version:
        _KEPT.move_to_end(key)
        return found[1]
    value = compute()
    _KEPT[key] = (version, value)
    _KEPT.move_to_end(key)
    while len(_KEPT) > _KEPT_MAX:
        _KEPT.popitem(last=False)
    return value


def forget() -> None:
    """Drop every kept figure (tests)."""
    _KEPT.clear()
