"""Charts: valid PNG and SVG bytes with Indonesian labels, drawn without pyplot."""
import ast
import io
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import pytest

from reports import charts
from rubrics import default_rubric_path, load_rubric
from scoring import Assessment, Unit, score
from scoring.robustness import rank_intervals
from scoring.synthetic import responses_for

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUBRIC = load_rubric(default_rubric_path())
BANDS = charts.predicate_bands(RUBRIC)


def national(count: int, seed: int = 2025):
    units = [Unit("00", "KPU RI", "pusat")]
    units += [Unit(f"P{p:02d}", f"KPU Provinsi Uji {p}", "provinsi", f"Provinsi {p}")
              for p in range(4)]
    units += [Unit(f"K{n:03d}", f"KPU Kabupaten Uji {n}", "kabkota", f"Provinsi {n % 4}")
              for n in range(count)]
    data = Assessment(RUBRIC.id, tuple(units), tuple(responses_for(RUBRIC, units, seed=seed)))
    return data, score(RUBRIC, data)


@pytest.fixture(scope="module")
def season():
    return national(24)


@pytest.fixture(scope="module")
def big():
    return national(514)[1]


def aspect_kwargs(result, code):
    """A unit against its category's national and provincial means (test data only)."""
    row = next(r for r in result.ranking if r.unit.code == code)
    peers = [r for r in result.ranking if r.unit.category == row.unit.category]
    local = [r for r in peers if r.unit.province == row.unit.province]
    mean = lambda rows, a: float(sum(r.aspects[a] for r in rows) / len(rows))  # noqa: E731
    ids = [a.id for a in RUBRIC.aspects]
    return {"aspects": charts.aspect_titles(RUBRIC),
            "unit": [float(row.aspects[a]) for a in ids],
            "national": [mean(peers, a) for a in ids],
            "provincial": [mean(local, a) for a in ids], "unit_name": row.unit.name,
            "national_label": f"Rata-rata KPU Kab/Kota nasional (n={len(peers)})",
            "provincial_label": f"Rata-rata KPU Kab/Kota se-{row.unit.province} "
                                f"(n={len(local)})"}


def chart_cases(season):
    data, result = season
    earlier = national(24, seed=2021)[1]
    intervals = rank_intervals(RUBRIC, data, runs=5)
    return {
        "ranking": (lambda fmt: charts.ranking_chart(
            charts.ranking_data(result, "kabkota"), BANDS, title="Peringkat Kabupaten/Kota",
            top=10, fmt=fmt), "Nilai total"),
        "distribution": (lambda fmt: charts.distribution_chart(
            charts.distribution_data(result), BANDS, title="Sebaran nilai total", fmt=fmt),
            "Jumlah satuan kerja"),
        "aspects": (lambda fmt: charts.aspect_chart(
            **aspect_kwargs(result, "K001"), fmt=fmt), "Rata-rata KPU Kab/Kota nasional"),
        "heatmap": (lambda fmt: charts.heatmap_chart(
            **charts.heatmap_data(result, RUBRIC, "kabkota"), title="Rata-rata per provinsi",
            fmt=fmt), "Rata-rata nilai aspek"),
        "gap": (lambda fmt: charts.gap_chart(
            **charts.gap_data(result, RUBRIC), title="Mandiri dan verifikasi", fmt=fmt),
            "Penilaian mandiri"),
        "slope": (lambda fmt: charts.slope_chart(
            **charts.slope_data(earlier, result, "kabkota"), periods=("2021", "2025"),
            title="Perubahan peringkat", top=10, fmt=fmt), "2021"),
        "interval": (lambda fmt: charts.interval_chart(
            charts.interval_data(intervals, "kabkota"), title="Ketahanan peringkat", fmt=fmt),
            "Peringkat resmi"),
    }


CHARTS = ["ranking", "distribution", "aspects", "heatmap", "gap", "slope", "interval"]


@pytest.fixture(scope="module")
def cases(season):
    return chart_cases(season)


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", CHARTS)
def test_png_is_valid_and_readable(cases, name):
    data = cases[name][0]("png")
    assert data.startswith(PNG_MAGIC)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.shape[0] > 200 and image.shape[1] > 200


def svg_texts(data: bytes) -> list[str]:
    """The visible text of an SVG chart (text is kept as text, not paths)."""
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    return ["".join(node.itertext()) for node in root.iter() if node.tag.endswith("}text")]


@pytest.mark.parametrize("name", CHARTS)
def test_svg_parses_and_speaks_indonesian(cases, name):
    make, label = cases[name]
    texts = svg_texts(make("svg"))
    assert any(label in t for t in texts)
    assert not any(re.search(r"\d\.\d{1,2}$", t) for t in texts), "a dot-decimal number"
    if name not in ("slope", "interval"):      # these two show whole ranks only
        assert any(re.search(r"\d,\d\d?\b", t) for t in texts), "no comma-decimal number"


def test_svg_output_is_reproducible(cases):
    make = cases["gap"][0]
    assert make("svg") == make("svg")


def test_ranking_with_514_units_stays_readable(big):
    rows = charts.ranking_data(big, "kabkota")
    assert len(rows) == 514
    svg = charts.ranking_chart(rows, BANDS, title="Peringkat Kabupaten/Kota", fmt="svg").decode()
    assert "30 teratas dari 514 satuan kerja" in svg
    assert f"30. {rows[29]['name']}" in svg and f"31. {rows[30]['name']}" not in svg
    width, height = png_size(charts.ranking_chart(rows, BANDS, title="Peringkat", fmt="png"))
    # one screen or printed page, at about 30 px a bar
    assert 1000 <= width <= 2000 and 900 <= height <= 1600


def test_small_category_shows_every_unit(season):
    rows = charts.ranking_data(season[1], "provinsi")
    svg = charts.ranking_chart(rows, BANDS, title="Peringkat Provinsi", fmt="svg").decode()
    assert all(f"{r['rank']}. {r['name']}" in svg for r in rows)
    assert "Sebaran" not in svg


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        charts.gap_chart(["A"], [80], [70], title="x", fmt="gif")


@pytest.mark.parametrize("value, decimals, text", [
    (87.5, 2, "87,50"), (0, 2, "0,00"), (1234.5, 2, "1.234,50"), (-6.78, 2, "\u22126,78"),
    (-0.001, 2, "0,00"), (514, 0, "514"), (12345678, 0, "12.345.678"),
])
def test_indonesian_number_format(value, decimals, text):
    assert charts.number_id(value, decimals) == text


def test_predicate_colours_are_colour_blind_safe():
    """cividis: lightness alone orders the bands (best darkest), no red against green."""
    colours = charts.predicate_colours([label for label, _ in BANDS])
    assert list(colours) == ["Sangat Baik", "Baik", "Cukup", "Kurang", "Sangat Kurang"]

    def lightness(hex_):
        r, g, b = (int(hex_[n:n + 2], 16) for n in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    values = [lightness(c) for c in colours.values()]
    assert values == sorted(values) and values[-1] - values[0] > 150
    for colour in colours.values():
        r, g, b = (int(colour[n:n + 2], 16) for n in (1, 3, 5))
        assert not (r > g + 60 and r > b + 60)          # nothing red
    assert charts.predicate_colours(["A", "B", "C"])["A"] == colours["Sangat Baik"]


def test_slope_chart_uses_only_shared_units():
    svg = charts.slope_chart({"a": 1, "b": 2, "old": 3}, {"b": 1, "a": 2, "new": 3},
                             {"a": "KPU A", "b": "KPU B", "old": "KPU Lama", "new": "KPU Baru"},
                             periods=("2021", "2024"), title="Perubahan", fmt="svg").decode()
    assert "KPU A" in svg and "KPU Lama" not in svg and "KPU Baru" not in svg
    assert "(+1)" in svg and "(\u22121)" in svg


def test_rank_change_chart_is_drawn_on_a_rank_scale():
    """89 -> 6 is drawn as a long bar, 8 -> 8 as a point: the x positions are the ranks."""
    from matplotlib.figure import Figure
    captured = {}
    original = Figure.savefig

    def keep(self, *args, **kwargs):
        captured["fig"] = self
        return original(self, *args, **kwargs)
    Figure.savefig = keep
    try:
        charts.slope_chart({"pm": 89, "st": 8}, {"pm": 6, "st": 8},
                           {"pm": "KPU Polewali Mandar", "st": "KPU Provinsi Sulawesi Tengah"},
                           periods=("2021", "2024"), title="Perubahan")
    finally:
        Figure.savefig = original
    ax = captured["fig"].axes[0]
    spans = sorted(tuple(sorted(line.get_xdata())) for line in ax.lines)
    assert spans == [(6, 89), (8, 8)]
    assert ax.get_xlim()[1] >= 89


def test_no_pyplot_in_charts_module():
    tree = ast.parse(Path(charts.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not any("pyplot" in name or name == "pylab" for name in names)


def test_ranking_marks_where_the_stage_reached_changes(big):
    # units that reached the presentation stage rank first even with lower totals
    rows = charts.ranking_data(big, "kabkota")
    reached = [r for r in rows[:30] if r["stage"] == "presentasi"]
    assert reached and rows[len(reached)]["stage"] == "verifikasi"
    svg = charts.ranking_chart(rows, BANDS, title="Peringkat", fmt="svg").decode()
    assert svg.count("mencapai tahap presentasi") == 1
    one_stage = [dict(r, stage="verifikasi") for r in rows]
    assert "mencapai tahap" not in charts.ranking_chart(one_stage, BANDS, title="P", fmt="svg").decode()


def test_aspect_chart_size_title_colours_and_labels(season):
    _, result = season
    data = aspect_kwargs(result, "K001")
    png = charts.aspect_chart(**data, size=(4.0, 3.0), dpi=100, title="", font_size=6,
                              values=False, colours=("#7a1020", "#4a5568", "#c9a227"))
    assert struct.unpack(">II", png[16:24]) == (400, 300)
    svg = charts.aspect_chart(**data, fmt="svg", title="", values=False).decode()
    assert "Nilai per aspek" not in svg and data["national_label"] in svg
    assert data["provincial_label"].replace("(", "(") in svg
    assert "Nilai per aspek" in charts.aspect_chart(**data, fmt="svg").decode()
    # whole aspect titles: every word of every title is drawn
    for title in data["aspects"]:
        assert all(word in svg for word in title.split())


ODD_TEXTS = ["$x^2$", "a\\nb \\alpha", "under_score ^caret", "KPU " + "Sangat Panjang " * 20,
             "Kota $\\frac{1}{2}$ & <b>", "line\nbreak"]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_user_text_is_drawn_literally(season, text):
    """Mathtext is off: $, \\, _ and ^ render as typed, a 300-character name is shortened."""
    data, result = season
    ranking = charts.ranking_data(result, "kabkota")
    ranking[0] = dict(ranking[0], name=text)
    svg = charts.ranking_chart(ranking, BANDS, title=text, top=10, fmt="svg").decode()
    shown = text if len(text) < 40 else text[:20]
    assert _svg_text(shown.split("\n")[0].strip()) in svg
    kwargs = aspect_kwargs(result, "K001")
    kwargs["aspects"] = [text] + kwargs["aspects"][1:]
    for fmt in ("png", "svg"):
        charts.aspect_chart(**dict(kwargs, unit_name=text), fmt=fmt)
        charts.heatmap_chart([text, "B"], [text, "x"], [[10, 20], [30, None]], title=text,
                             counts=[1, 2], fmt=fmt)
        charts.gap_chart([text], [50], [40], title=text, fmt=fmt)
        charts.slope_chart({"a": 3}, {"a": 1}, {"a": text}, periods=(text, "2024"), title=text,
                           fmt=fmt)
        charts.interval_chart([{"rank": 1, "name": text, "low": 1, "high": 2, "keep_share": 0.5,
                                "too_close": True}], title=text, fmt=fmt)
        charts.distribution_chart([50.0], BANDS, title=text, fmt=fmt)


def _svg_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_heat_map_data_sorted_by_mean_with_counts_and_every_province(season):
    _, result = season
    data = charts.heatmap_data(result, RUBRIC, provinces=["Provinsi Kosong"])
    totals = {}
    for r in result.ranking:
        if r.unit.province:
            totals.setdefault(r.unit.province, []).append(float(r.total))
    means = [sum(totals[p]) / len(totals[p]) for p in data["provinces"][:-1]]
    assert means == sorted(means, reverse=True)
    assert data["counts"][:-1] == [len(totals[p]) for p in data["provinces"][:-1]]
    assert data["provinces"][-1] == "Provinsi Kosong" and data["counts"][-1] == 0
    assert data["values"][-1] == [None] * len(RUBRIC.aspects)


def test_slope_legend_tells_the_periods_apart():
    from reports.charts import distinct_titles
    assert distinct_titles("Penilaian Tata Kelola Bakohumas 2021",
                           "Penilaian Tata Kelola Bakohumas 2024") == ("2021", "2024")
    assert distinct_titles("Apresiasi 2021", "Penilaian 2024") == ("Apresiasi 2021", "Penilaian 2024")
