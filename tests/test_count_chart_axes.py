"""Count charts (issue 16): the y axis of every chart in reports/ that counts things (items
per week, units per score bin) has whole-number ticks only and reaches at least 1, so a unit
without any content reads "0" and "1" instead of a column of repeated "0" labels. The tick
labels are read from the very figure each chart draws (its ``_save`` is wrapped)."""
import pytest

from reports import activity_charts, charts

WEEKS = [f"2026-W{n:02d}" for n in range(1, 14)]
BANDS = [("Sangat Informatif", 90), ("Informatif", 80), ("Cukup Informatif", 60),
         ("Kurang Informatif", 40), ("Tidak Informatif", 0)]


@pytest.fixture
def drawn(monkeypatch):
    """The figures the charts draw, in order (each still saved as usual)."""
    figures, save = [], charts._save

    def keep(fig, fmt):
        figures.append(fig)
        return save(fig, fmt)

    monkeypatch.setattr(activity_charts, "_save", keep)
    monkeypatch.setattr(charts, "_save", keep)
    return figures


def y_labels(fig) -> list[str]:
    """The y tick labels as drawn: those of ticks inside the axis's view, bottom to top."""
    ax = fig.axes[0]
    fig.canvas.draw()
    low, high = ax.get_ylim()
    return [label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels())
            if low - 1e-9 <= tick <= high + 1e-9]


def test_weekly_chart_of_a_unit_without_content_reads_0_and_1(drawn):
    png = activity_charts.weekly_trend_chart(
        WEEKS, [("Situs web", [0] * 13), ("YouTube", [0] * 13)], "Konten per minggu")
    assert png.startswith(b"\x89PNG")
    assert y_labels(drawn[-1]) == ["0", "1"]
    assert drawn[-1].axes[0].get_ylim() == (0.0, 1.0)


def test_weekly_chart_without_any_channel_reads_0_and_1(drawn):
    activity_charts.weekly_trend_chart(WEEKS, [], "Konten per minggu", fmt="svg")
    assert y_labels(drawn[-1]) == ["0", "1"]


def test_weekly_chart_of_a_normal_series_counts_in_whole_items(drawn):
    site = [0, 1, 2, 3, 0, 5, 1, 0, 2, 1, 0, 0, 7]
    video = [1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1]
    activity_charts.weekly_trend_chart(WEEKS, [("Situs web", site), ("YouTube", video)], "K")
    labels = y_labels(drawn[-1])
    # stacked: the highest week is 7 + 1 = 8; matplotlib's 5% margin gives 0..8.4, and with
    # whole-number steps every count from 0 to 8 is a tick
    assert labels == [str(n) for n in range(9)]
    assert len(labels) == len(set(labels))


def test_weekly_chart_of_large_counts_has_distinct_whole_labels(drawn):
    activity_charts.weekly_trend_chart(WEEKS, [("Situs web", [1200] + [0] * 12)], "K")
    labels = y_labels(drawn[-1])
    assert len(labels) == len(set(labels)) >= 3
    # whole numbers with the Indonesian thousands separator (1.200), never a decimal comma
    assert labels[0] == "0" and all(label.replace(".", "").isdigit() for label in labels)
    assert int(labels[-1].replace(".", "")) >= 1200


def test_distribution_of_no_units_reads_0_and_1(drawn):
    charts.distribution_chart([], BANDS, title="Sebaran nilai total")
    assert y_labels(drawn[-1]) == ["0", "1"]
    # the 25% headroom above 1 for the band labels
    assert drawn[-1].axes[0].get_ylim() == (0.0, 1.25)


def test_distribution_of_a_season_counts_in_whole_units(drawn):
    # 40 bins of 2.5 points: 61.0, 61.5, 62.0 share the bin [60, 62.5) -> the highest bar is 3
    charts.distribution_chart([61.0, 61.5, 62.0, 75.0, 91.0], BANDS, title="Sebaran")
    labels = y_labels(drawn[-1])
    assert len(labels) == len(set(labels))
    assert labels[0] == "0" and "3" in labels
    assert all(label.isdigit() for label in labels)
