"""Weekly measures (scoring/activity.py): ISO weeks at year boundaries, time zones, gaps,
shares, coverage and title suggestions."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from scoring import activity as m

WIB, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")


@pytest.mark.parametrize("day, label", [
    (date(2020, 12, 31), "2020-W53"), (date(2021, 1, 1), "2020-W53"), (date(2021, 1, 3), "2020-W53"),
    (date(2021, 1, 4), "2021-W01"), (date(2024, 12, 30), "2025-W01"), (date(2026, 12, 31), "2026-W53"),
    (date(2027, 1, 3), "2026-W53"), (date(2027, 1, 4), "2027-W01"),
])
def test_iso_week_labels_at_year_boundaries(day, label):
    assert m.week_label(day) == label


def test_every_overlapping_week_is_listed_with_zero_weeks():
    weeks = m.weekly_counts([date(2020, 12, 28), date(2021, 1, 12)], date(2020, 12, 20), date(2021, 1, 14))
    assert weeks == [("2020-W51", 0), ("2020-W52", 0), ("2020-W53", 1), ("2021-W01", 0), ("2021-W02", 1)]
    # a range inside one week is that week; days outside the range are not counted
    assert m.weekly_counts([date(2021, 1, 4)], date(2021, 1, 6), date(2021, 1, 6)) == [("2021-W01", 0)]
    assert m.weekly_counts([], date(2021, 1, 6), date(2021, 1, 5)) == []


def test_days_are_taken_in_the_units_zone():
    late_sunday_utc = datetime(2026, 3, 8, 16, 30, tzinfo=timezone.utc)   # Sunday 23.30 WIB, Monday 01.30 WIT
    assert m.week_label(m.local_day(late_sunday_utc, WIB)) == "2026-W10"
    assert m.week_label(m.local_day(late_sunday_utc, WIT)) == "2026-W11"
    new_year = datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)        # 1 Jan 2027 in WIT, 31 Dec WIB
    assert m.local_day(new_year, WIT) == date(2027, 1, 1) and m.local_day(new_year, WIB) == date(2026, 12, 31)


def test_gaps_streaks_and_notices():
    counts = [1, 0, 0, 0, 2, 1, 0, 3, 0]
    assert m.longest_gap(counts) == 3 and m.empty_runs(counts) == [(1, 3), (6, 1), (8, 1)]
    assert m.current_streak(counts) == 1        # the last (current) week may still fill up
    assert m.current_streak([1, 1, 1]) == 3 and m.current_streak([0, 0]) == 0
    weeks = [(f"2026-W{i + 1:02d}", n) for i, n in enumerate([1, 0, 0, 0, 0, 1, 0, 0, 1, 0])]
    assert m.gap_notices(weeks) == ["2026-W03", "2026-W08"]   # once per gap, not per week


def test_shares_inside_and_outside_stages():
    weeks = [("2026-W01", 1), ("2026-W02", 0), ("2026-W03", 2), ("2026-W04", 0)]
    assert m.active_share(weeks) == 0.5
    stages = m.stage_weeks([(date(2026, 1, 12), date(2026, 1, 13))])
    assert stages == {"2026-W03"}
    assert m.active_share(weeks, stages) == pytest.approx(1 / 3)
    assert m.active_share([], set()) is None


def test_coverage_delays_same_day_and_median():
    pairs = [(date(2026, 3, 2), date(2026, 3, 2)), (date(2026, 3, 3), date(2026, 3, 5)),
             (date(2026, 3, 4), None), (date(2026, 3, 6), date(2026, 3, 6))]
    delays = m.coverage_delays(pairs)
    assert delays == [0, 2, 0]
    assert m.same_day_share(4, delays) == 0.5 and m.median_delay(delays) == 0.0
    assert m.same_day_share(0, []) is None and m.median_delay([]) is None


def test_suggestions_need_similar_titles_within_seven_days():
    day = date(2026, 3, 10)
    items = [m.Candidate(1, "Rapat Koordinasi Bakohumas KPU Jateng", date(2026, 3, 10)),
             m.Candidate(2, "rapat koordinasi BAKOHUMAS", date(2026, 3, 16)),
             m.Candidate(3, "Rapat koordinasi bakohumas", date(2026, 3, 18)),    # 8 days: too late
             m.Candidate(4, "Pelantikan PPK", date(2026, 3, 10))]
    found = m.suggest_coverage(day, "Rapat Koordinasi Bakohumas", items)
    assert [c.key for c, _ in found] == [1, 2]
    assert m.title_similarity("Sosialisasi", "") == 0.0
