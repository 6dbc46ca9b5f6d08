"""Unit scorecards: the plain data (means, rank, strongest and weakest) and the PDF."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from reports.scorecard import (aspect_means, id_number, rank_text, scorecard_data,
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


def test_national_and_provincial_means(small):
    rub, result = small
    aspects = by_id(scorecard_data(result, rub, "A.1")["aspects"])
    assert aspects["koordinasi"]["national_mean"] == Decimal("66.67")   # (100+33.3+33.3+100)/4
    assert aspects["medsos"]["national_mean"] == Decimal("50.00")       # (100+66.7+0+33.3)/4
    assert aspects["koordinasi"]["provincial_mean"] == Decimal("66.67")  # Alfa: (100+33.3)/2
    assert aspects["medsos"]["provincial_mean"] == Decimal("83.33")      # Alfa: (100+66.7)/2
    beta = by_id(scorecard_data(result, rub, "B")["aspects"])      # a province and its kab/kota
    assert beta["medsos"]["provincial_mean"] == Decimal("16.67")
    assert aspect_means(result).provincial.keys() == {"Alfa", "Beta"}


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


def test_falls_back_to_helvetica_without_dejavu(small, tmp_path, monkeypatch):
    import reports.scorecard as sc
    monkeypatch.setattr(sc, "FONT_DIR", tmp_path)
    monkeypatch.setattr(sc, "_FONTS", None)
    rub, result = small
    pdf = scorecard_pdf(scorecard_data(result, rub, "A.1"), period_title="2025", generated_at=WHEN)
    assert b"Helvetica" in pdf and b"DejaVu" not in pdf
    assert sc.fonts() == ("Helvetica", "Helvetica-Bold")


def test_scorecard_radar_is_the_charts_radar_drawn_small(small, monkeypatch):
    import struct

    from reports import charts, scorecard
    rub, result = small
    data = scorecard_data(result, rub, "A.1")
    png = scorecard.scorecard_radar(data)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (int(14 / 2.54 * 170), int(8.5 / 2.54 * 170))
    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs, args=args)
        return b"png"
    monkeypatch.setattr(scorecard, "radar_chart", spy)
    assert scorecard.scorecard_radar(data) == b"png"
    assert seen["unit_label"] == "Satuan kerja" and seen["title"] == "" and not seen["values"]
    assert seen["args"][3] == [a["provincial_mean"] for a in data["aspects"]]
    assert scorecard.radar_chart is not charts.radar_chart       # the spy, not a copy
    assert not hasattr(scorecard, "radar_png")
