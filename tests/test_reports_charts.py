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
        "radar": (lambda fmt: charts.radar_chart(
            **charts.radar_data(result, RUBRIC, "K001"), fmt=fmt), "Rata-rata nasional"),
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


CHARTS = ["ranking", "distribution", "radar", "heatmap", "gap", "slope", "interval"]


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


def test_predicate_colours_run_from_green_to_red():
    colours = charts.predicate_colours([label for label, _ in BANDS])
    assert list(colours) == ["Sangat Baik", "Baik", "Cukup", "Kurang", "Sangat Kurang"]
    best, worst = colours["Sangat Baik"], colours["Sangat Kurang"]
    assert int(best[3:5], 16) > int(best[1:3], 16)      # green dominates
    assert int(worst[1:3], 16) > int(worst[3:5], 16)    # red dominates
    assert charts.predicate_colours(["A", "B", "C"])["A"] == best


def test_radar_compares_with_the_province_only_when_it_has_peers(season):
    result = season[1]
    assert charts.radar_data(result, RUBRIC, "K001")["provincial"] is not None
    assert charts.radar_data(result, RUBRIC, "P01")["provincial"] is None
    with pytest.raises(KeyError):
        charts.radar_data(result, RUBRIC, "nope")


def test_slope_chart_uses_only_shared_units():
    svg = charts.slope_chart({"a": 1, "b": 2, "old": 3}, {"b": 1, "a": 2, "new": 3},
                             {"a": "KPU A", "b": "KPU B", "old": "KPU Lama", "new": "KPU Baru"},
                             periods=("2021", "2024"), title="Perubahan", fmt="svg").decode()
    assert "KPU A" in svg and "KPU Lama" not in svg and "KPU Baru" not in svg
    assert "(+1)" in svg and "(\u22121)" in svg


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


def test_radar_size_title_and_colours_are_parameters(season):
    _, result = season
    data = charts.radar_data(result, RUBRIC, "K001")
    png = charts.radar_chart(**data, size=(4.0, 3.0), dpi=100, title="", font_size=6,
                             values=False, colours=("#7a1020", "#4a5568", "#c9a227"))
    assert struct.unpack(">II", png[16:24]) == (400, 300)
    svg = charts.radar_chart(**data, fmt="svg", title="", values=False)
    assert "Nilai per aspek" not in svg.decode() and "Rata-rata nasional" in svg.decode()
    assert "Nilai per aspek" in charts.radar_chart(**data, fmt="svg").decode()
