"""Publishing measures between seasons: ISO weeks in a unit's time zone, weeks without
items and their runs, shares of active weeks, same-day coverage and title similarity.

Plain functions on dates and numbers (issue 16); the application turns rows into
``date`` values in the unit's zone (``local_day``) before calling them."""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from rubrics.model import MEASURES, SHARE_MEASURES  # noqa: F401  (the names measured_by takes)

SUGGEST_DAYS = 7          # items published within this many days of an activity
SIMILAR_AT = 0.35         # title similarity from which an item is suggested
GAP_NOTICE_WEEKS = 2      # "Belum ada konten selama 2 minggu"


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of an aware moment in a time zone."""
    return moment.astimezone(zone).date()


def week_label(day: date) -> str:
    """The ISO week of a day as 'YYYY-Www' (ISO year: 2021-01-01 is '2020-W53')."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    """The Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def weeks_overlapping(start: date, end: date) -> list[date]:
    """The Mondays of every ISO week that overlaps [start, end] (both included)."""
    if end < start:
        return []
    monday, last = week_monday(start), week_monday(end)
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


SEASON_WEEKS = 52


def season_window(opens: date, weeks: int = SEASON_WEEKS) -> tuple[date, date]:
    """The window a season's ``measured_by`` indicators are measured over: the ``weeks``
    full ISO weeks (Monday to Sunday) before the week in which the period opens."""
    end = week_monday(opens) - timedelta(days=1)
    return end - timedelta(days=7 * weeks - 1), end


def weekly_counts(days: Iterable[date], start: date, end: date) -> list[tuple[str, int]]:
    """Items per ISO week for every week overlapping [start, end], 0-item weeks included;
    days outside the range are not counted."""
    counts = {monday: 0 for monday in weeks_overlapping(start, end)}
    for day in days:
        if start <= day <= end:
            counts[week_monday(day)] += 1
    return [(week_label(monday), n) for monday, n in counts.items()]


def empty_runs(counts: Sequence[int]) -> list[tuple[int, int]]:
    """(first index, length) of every run of consecutive zero weeks."""
    runs, begin = [], None
    for i, n in enumerate(list(counts) + [1]):
        if n == 0 and begin is None:
            begin = i
        elif n != 0 and begin is not None:
            runs.append((begin, i - begin))
            begin = None
    return runs


def longest_gap(counts: Sequence[int]) -> int:
    """The longest run of consecutive weeks without an item."""
    return max((length for _, length in empty_runs(counts)), default=0)


def current_streak(counts: Sequence[int]) -> int:
    """Consecutive weeks with at least one item, counted back from the last week; a last week
    still empty does not break the streak (it may not be over)."""
    values = list(counts)
    if values and values[-1] == 0:
        values = values[:-1]
    streak = 0
    for n in reversed(values):
        if n == 0:
            break
        streak += 1
    return streak


def gap_notices(weeks: Sequence[tuple[str, int]], weeks_needed: int = GAP_NOTICE_WEEKS) -> list[str]:
    """One notice per gap: the label of the week in which a run of empty weeks reaches
    ``weeks_needed`` weeks (a longer run gives no second notice)."""
    labels = [label for label, _ in weeks]
    return [labels[begin + weeks_needed - 1]
            for begin, length in empty_runs([n for _, n in weeks]) if length >= weeks_needed]


def stage_weeks(stages: Iterable[tuple[date, date]]) -> set[str]:
    """Labels of the ISO weeks that overlap any election stage (start, end)."""
    return {week_label(monday) for start, end in stages for monday in weeks_overlapping(start, end)}


def active_share(weeks: Sequence[tuple[str, int]], excluded: set[str] = frozenset()) -> float | None:
    """The share of weeks with at least one item, leaving out ``excluded`` weeks; None when
    no week is left."""
    kept = [n for label, n in weeks if label not in excluded]
    if not kept:
        return None
    return sum(1 for n in kept if n > 0) / len(kept)


def coverage_delays(pairs: Iterable[tuple[date, date | None]]) -> list[int]:
    """Days from each activity to its covering item's publication (both local days);
    uncovered activities give nothing."""
    return [(published - held).days for held, published in pairs if published is not None]


def same_day_share(activities: int, delays: Sequence[int]) -> float | None:
    """The share of activities covered on the same day (delay 0 or less); None without any."""
    if not activities:
        return None
    return sum(1 for d in delays if d <= 0) / activities


def median_delay(delays: Sequence[int]) -> float | None:
    """The median coverage delay in days; None when nothing is covered."""
    return float(statistics.median(delays)) if delays else None


def items_per_week(total: int, weeks: int) -> float | None:
    """Items per week over the window."""
    return total / weeks if weeks else None


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def title_similarity(a: str, b: str) -> float:
    """0..1: how alike two titles are (case, accents and punctuation ignored), the better of
    the character ratio and the share of the shorter title's words found in the other."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    ratio = SequenceMatcher(None, wa, wb).ratio()
    sa, sb = set(wa.split()), set(wb.split())
    overlap = len(sa & sb) / min(len(sa), len(sb))
    return max(ratio, overlap)


@dataclass(frozen=True)
class Candidate:
    key: object
    title: str
    day: date


def suggest_coverage(held: date, title: str, candidates: Iterable[Candidate],
                     limit: int = 5) -> list[tuple[Candidate, float]]:
    """Items published within SUGGEST_DAYS of an activity whose titles are similar, best
    first (then the earliest)."""
    found = []
    for c in candidates:
        if abs((c.day - held).days) <= SUGGEST_DAYS:
            score = title_similarity(title, c.title)
            if score >= SIMILAR_AT:
                found.append((c, score))
    found.sort(key=lambda pair: (-pair[1], pair[0].day))
    return found[:limit]


def as_answer(measure: str, value: float | None) -> float | None:
    """A measure as the number a unit would type: shares in percent (one decimal), items
    per week with two decimals."""
    if value is None:
        return None
    return round(value * 100, 1) if measure in SHARE_MEASURES else round(value, 2)
