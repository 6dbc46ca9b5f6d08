"""Unit scorecards: the plain data (means, rank, strongest and weakest) and the PDF."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from reports.scorecard import (id_number, rank_text, scorecard_data,
                               scorecard_filename, scorecard_pdf, shorten, slug, text_progress,
                               wib_text, write_scorecards)
from scoring import Assessment, Unit, score
from tests.scoring_helpers import resp, rubric

# Four units in two provinces, one judge each, no self answers unless given.
# koordinasi (40 %): sk w1, sop w2; medsos (60 %): unggahan w2, kanal w1.
ANSWERS = {
    "A": {"sk": True, "sop": 4, "unggahan": 7, "kanal": ["web", "ig", "x", "fb"]},   # 100 / 100
    "A.1": {"sk": False, "sop": 2, "unggahan": 3, "kanal": ["web", "ig"]},         # 33.33 / 66.67
    "B": {"sk": True, "sop": 0, "unggahan": 0, "kanal": []},                       # 33.33 / 0
    "B.1": {"sk": True, "sop": 4, "unggahan": 1, "kanal": []},                     # 100 / 33.33
}
UNITS = (Unit("A", "KPU Provinsi Alfa", "provinsi", "Alfa"),
         Unit("A.1", "KPU Kota Alfa Satu", "kabkota", "Alfa"),
         Unit("B", "KPU Provinsi Beta", "provinsi", "Beta"),
         Unit("B.1", "KPU Kabupaten Beta Satu", "kabkota", "Beta"))
WHEN = datetime(2025, 9, 1, 3, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def small():
    rub = rubric()
    responses = [resp(code, self_answers={"sk": True, "sop": 4} if code == "A.1" else None,
                      judges={"j1": answers}) for code, answers in ANSWERS.items()]
    return rub, score(rub, Assessment("uji", UNITS, tuple(responses)), detail=True)


def by_id(rows):
    return {row["id"]: row for row in rows}


def test_means_are_of_the_units_own_category_with_n(small):
    rub, result = small
    data = scorecard_data(result, rub, "A.1")
    aspects = by_id(data["aspects"])
    # kab/kota nationally: A.1 (33.33 / 66.67) and B.1 (100 / 33.33), the unit included
    assert aspects["koordinasi"]["national_mean"] == Decimal("66.67")
    assert aspects["medsos"]["national_mean"] == Decimal("50.00")
    assert aspects["koordinasi"]["national_n"] == 2
    # kab/kota of Alfa: A.1 alone; the province's own KPU Provinsi is not mixed in
    assert (aspects["medsos"]["provincial_mean"], aspects["medsos"]["provincial_n"]) == (
        Decimal("66.67"), 1)
    assert data["national_label"] == "Rata-rata KPU Kab/Kota nasional (n=2)"
    assert data["provincial_label"] is None       # a mean of A.1 alone compares with nothing
    beta = by_id(scorecard_data(result, rub, "B")["aspects"])      # provinces: A and B
    assert (beta["medsos"]["national_mean"], beta["medsos"]["national_n"]) == (Decimal("50.00"), 2)
    assert beta["medsos"]["provincial_mean"] == Decimal("0.00")


def test_scores_rank_and_claims(small):
    rub, result = small
    data = scorecard_data(result, rub, "A.1")
    assert (data["rank"], data["ranked"]) == (2, 2)
    assert data["rank_text"] == "Peringkat 2 dari 2 KPU/KIP Kabupaten/Kota"
    assert data["total"] == Decimal("53.33")                  # 0.4 * 33.33 + 0.6 * 66.67
    assert data["predicate"] == "Kurang"
    koordinasi = by_id(data["aspects"])["koordinasi"]
    assert (koordinasi["verified"], koordinasi["self"], koordinasi["gap"]) == (
        Decimal("33.33"), Decimal("100.00"), Decimal("66.67"))
    assert data["claims"]["overclaimed"] == ["Koordinasi"]
    assert scorecard_data(result, rub, "B")["rank_text"] == "Peringkat 2 dari 2 KPU Provinsi"


def test_strongest_and_weakest_by_weighted_points(small):
    rub, result = small
    data = scorecard_data(result, rub, "A.1")
    # earned: unggahan .75 x 40 % = 30, sop .5 x 26.67 % = 13.33, kanal .5 x 20 % = 10, sk 0
    assert [i["id"] for i in data["strongest"]] == ["unggahan", "sop", "kanal"]
    assert [i["points"] for i in data["strongest"]] == [Decimal("30.00"), Decimal("13.33"),
                                                       Decimal("10.00")]
    # lost: sk 1 x 13.33 = sop .5 x 26.67 (tie, by id), then kanal = unggahan = 10 (tie, by id)
    assert [i["id"] for i in data["weakest"]] == ["sk", "sop", "kanal"]
    assert data["weakest"][0]["weight_pct"] == Decimal("13.33")
    assert data["weakest"][0]["aspect"] == "Koordinasi"


def test_comments_are_anonymised(small):
    rub, result = small
    data = scorecard_data(result, rub, "A",
                          comments={"budi@kpu": "Bagus.", "siti": " ", "x": "Rapi"})
    assert data["comments"] == [{"judge": "Penilai 1", "text": "Bagus."},
                                {"judge": "Penilai 2", "text": "Rapi"}]
    assert "budi" not in repr(data)


def test_comments_keyed_by_judge_number_keep_their_numbers(small):
    """The app numbers judges once for all pages; a judge without comments leaves a gap."""
    rub, result = small
    data = scorecard_data(result, rub, "A", comments={2: "Rapi", 1: " "})
    assert data["comments"] == [{"judge": "Penilai 2", "text": "Rapi"}]


def test_unknown_unit(small):
    rub, result = small
    with pytest.raises(KeyError):
        scorecard_data(result, rub, "ZZ")


@pytest.mark.parametrize("value, text", [(Decimal("87.5"), "87,50"), (Decimal("0"), "0,00"),
                                         (Decimal("1234.5"), "1.234,50"), (None, "–")])
def test_id_number(value, text):
    assert id_number(value) == text


def test_small_helpers():
    assert rank_text(3, 38, "provinsi") == "Peringkat 3 dari 38 KPU Provinsi"
    assert wib_text(WHEN) == "1 September 2025 10.30 WIB"
    assert slug("KIP Kabupaten Aceh Besar") == "kip-kabupaten-aceh-besar"
    assert slug("Kota Bau-Bau (Sulawesi)") == "kota-bau-bau-sulawesi"
    short = shorten("kata " * 40, 30)
    assert len(short) <= 30 and short.endswith("…")


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_pdf_is_a_one_or_two_page_pdf(small):
    rub, result = small
    pdf = scorecard_pdf(scorecard_data(result, rub, "A.1"), period_title="Periode 2025",
                        generated_at=WHEN)
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert 1 <= page_count(pdf) <= 2


def test_user_text_is_escaped(small):
    rub, result = small
    data = scorecard_data(result, rub, "A.1", comments=["<script>alert(1)</script> & <b>", "a < b"])
    data["name"] = "KPU <script>&amp; \"Kota\""
    pdf = scorecard_pdf(data, period_title="Periode <2025> & ulang", generated_at=WHEN)
    assert pdf.startswith(b"%PDF") and 1 <= page_count(pdf) <= 2


def test_write_scorecards_and_progress(small, tmp_path):
    rub, result = small
    calls = []
    paths = write_scorecards(result, rub, tmp_path / "rapor", period_title="Periode 2025",
                             progress=lambda done, total: calls.append((done, total)))
    assert sorted(p.name for p in paths) == [
        "A-kpu-provinsi-alfa.pdf", "A.1-kpu-kota-alfa-satu.pdf", "B-kpu-provinsi-beta.pdf",
        "B.1-kpu-kabupaten-beta-satu.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF") for p in paths)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert scorecard_filename({"code": "33", "name": "KPU Provinsi Jawa Tengah"}) == \
        "33-kpu-provinsi-jawa-tengah.pdf"
    assert scorecard_filename({"code": "../x", "name": "Ä/b"}) == "x-a-b.pdf"


def test_text_progress():
    out = io.StringIO()
    bar = text_progress(out, width=10)
    bar(1, 4)
    bar(4, 4)
    assert out.getvalue() == "\r[##--------] 1/4 (25%)\r[##########] 4/4 (100%)\n"


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("pdftoppm"),
                    reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_renders_with_poppler(small, tmp_path):
    rub, result = small
    data = scorecard_data(result, rub, "A.1", comments=["Bukti <lengkap> & rapi."])
    data["name"] += " <script>&"
    pdf = scorecard_pdf(data, period_title="Periode 2025", generated_at=WHEN)
    (tmp_path / "rapor.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(tmp_path / "rapor.pdf"),
                    str(tmp_path / "hal")], check=True, timeout=60)
    pngs = sorted(tmp_path.glob("hal*.png"))
    assert len(pngs) == page_count(pdf) and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "rapor.pdf"), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    for expected in ("KPU Kota Alfa Satu <script>&", "Peringkat 2 dari 2", "53,33",
                     "Bukti <lengkap> & rapi.", "1 September 2025 10.30 WIB", "Penilai 1"):
        assert expected in text


def _pdf_tool(name, *args):
    return subprocess.run([name, *args], capture_output=True, text=True, check=True).stdout


needs_poppler = pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils missing")


@needs_poppler
def test_every_font_is_embedded(small, tmp_path):
    rub, result = small
    path = tmp_path / "rapor.pdf"
    path.write_bytes(scorecard_pdf(scorecard_data(result, rub, "A.1"), period_title="P 2024"))
    lines = _pdf_tool("pdffonts", str(path)).splitlines()[2:]
    assert lines and all(line.split()[-5] == "yes" for line in lines), lines    # emb column
    assert not any("Helvetica" in line for line in lines)


def test_title_and_language(small):
    rub, result = small
    pdf = scorecard_pdf(scorecard_data(result, rub, "A.1"), period_title="Penilaian 2024")
    assert b"/Lang (id)" in pdf
    assert b"(Rapor KPU Kota Alfa Satu - Penilaian 2024)" in pdf


@needs_poppler
def test_footer_names_period_run_and_input(small, tmp_path):
    rub, result = small
    path = tmp_path / "rapor.pdf"
    path.write_bytes(scorecard_pdf(scorecard_data(result, rub, "A.1"),
                                   period_title="Penilaian Bakohumas 2024", run_number=3,
                                   input_sha256="ab" * 32, generated_at=WHEN))
    text = _pdf_tool("pdftotext", "-layout", str(path), "-")
    assert "Penilaian Bakohumas 2024" in text and "perhitungan ke-3" in text
    assert "ab" * 32 in text


@needs_poppler
def test_comments_grouped_per_indicator(small, tmp_path):
    rub, result = small
    comments = {"sop": [(2, "SOP belum disahkan."), (1, "Lampirkan SK.")],
                "sk": [(1, "SK lengkap.")]}
    data = scorecard_data(result, rub, "A.1", comments=comments)
    groups = data["comment_groups"]
    assert [g["indicator"] for g in groups] == ["sk", "sop"]          # rubric order
    assert [c["judge"] for c in groups[1]["comments"]] == ["Penilai 1", "Penilai 2"]
    path = tmp_path / "rapor.pdf"
    path.write_bytes(scorecard_pdf(data, period_title="P"))
    text = " ".join(_pdf_tool("pdftotext", str(path), "-").split())
    assert "Catatan Penilai per Indikator" in text
    assert text.index("SK lengkap.") < text.index("Lampirkan SK.") < text.index("SOP belum")
    assert "Penilai 1: Lampirkan SK." in text


def test_same_data_same_pdf(small):
    """One renderer: the web and the command line pass the same data and get the same bytes."""
    rub, result = small
    data = scorecard_data(result, rub, "A.1", comments={"sk": [(1, "SK lengkap.")]})
    args = {"period_title": "P 2024", "generated_at": WHEN, "run_number": 2, "input_sha256": "c"}
    assert scorecard_pdf(data, **args) == scorecard_pdf(dict(data), **args)


@pytest.mark.parametrize("province, text", [
    ("Jawa Tengah", "Provinsi Jawa Tengah"), ("Provinsi Jawa Tengah", "Provinsi Jawa Tengah"),
    ("KPU Provinsi Jawa Tengah", "Provinsi Jawa Tengah"), ("", "")])
def test_province_is_never_doubled(province, text):
    from reports.scorecard import province_text
    assert province_text(province) == text


@needs_poppler
def test_odd_names_render_literally(small, tmp_path):
    rub, result = small
    data = scorecard_data(result, rub, "A.1")
    data["name"] = "KPU $x^2$ \\alpha_b <i>" + " panjang" * 35
    path = tmp_path / "rapor.pdf"
    path.write_bytes(scorecard_pdf(data, period_title="P"))
    assert "KPU $x^2$ \\alpha_b <i>" in _pdf_tool("pdftotext", str(path), "-")


# A constructed tie (as in test_scoring_order): four kab/kota units; koordinasi 40 %,
# medsos 60 %, tie-break medsos then koordinasi. B and D: koordinasi 100, medsos 0 -> 40,00;
# C: koordinasi 0, medsos 2/3 of 100 -> 40,00; A: 100. C is above B and D by medsos alone.
TIE_ANSWERS = {"A": ANSWERS["A"],
               "B": {"sk": True, "sop": 4, "unggahan": 0, "kanal": []},
               "C": {"sk": False, "sop": 0, "unggahan": 3, "kanal": ["web", "ig"]},
               "D": {"sk": True, "sop": 4, "unggahan": 0, "kanal": []}}


@pytest.fixture(scope="module")
def tied():
    rub = rubric()
    units = tuple(Unit(code, f"KPU Kabupaten {code}", "kabkota", "Alfa") for code in TIE_ANSWERS)
    result = score(rub, Assessment("uji", units, tuple(
        resp(code, judges={"j1": a}) for code, a in TIE_ANSWERS.items())), detail=True)
    return rub, result


def test_scorecard_marks_the_aspect_that_decided_a_tie(tied):
    from scoring.order import tie_breaks
    rub, result = tied
    ranks = {r.unit.code: (r.rank, id_number(r.total)) for r in result.ranking}
    assert ranks == {"A": (1, "100,00"), "C": (2, "40,00"), "B": (3, "40,00"), "D": (3, "40,00")}
    assert tie_breaks(rub, result) == {"B": "medsos", "D": "medsos"}
    decided = {code: scorecard_data(result, rub, code)["decided_by"] for code in TIE_ANSWERS}
    assert decided == {"A": None, "B": "Media sosial", "C": None, "D": "Media sosial"}
    # the ties given by the caller (once per result) are the ones used
    assert scorecard_data(result, rub, "B", ties={})["decided_by"] is None


@needs_poppler
def test_scorecard_pdf_shows_the_tie_mark_under_the_rank(tied, tmp_path):
    rub, result = tied
    texts = {}
    for code in ("B", "C"):
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(scorecard_pdf(scorecard_data(result, rub, code), period_title="P 2025",
                                       generated_at=WHEN))
        texts[code] = " ".join(_pdf_tool("pdftotext", str(path), "-").split())
    assert "nilai sama, ditentukan oleh aspek Media sosial" in texts["B"]
    rank = texts["B"].index("Peringkat 3 dari 4 KPU/KIP Kabupaten/Kota")
    assert texts["B"].index("nilai sama, ditentukan oleh aspek Media sosial") > rank
    assert "ditentukan oleh aspek" not in texts["C"]
