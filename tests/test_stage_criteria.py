"""Stage two scored per criterion (edition bakohumas-2026: inovasi 30, dampak 25,
keberlanjutan 20, replikasi 15, tanya-jawab 10): the judge's page has one field per
criterion, the stage score is the criteria's weighted mean computed by the scoring module,
the exchange document carries the marks and the run workbook shows them; editions without
criteria keep one score. Totals below are computed by hand."""
from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from assessment.models import AuditLog, StageScore
from assessment.operations import Invalid
from assessment.operations.results import run_workbook
from assessment.operations.runs import export_exchange, latest_run, run_result
from assessment.operations.stage import criteria_total, later_stage, parse_criteria
from assessment.rubric_store import rubric_for
from rubrics import load_rubric
from scoring import ScoringInputError, stage_score
from tests.conftest import SLUG
from tests.test_stage_two import build_season, engine_result, login

EDITION_2026 = load_rubric("rubrics/editions/bakohumas-2026.yaml")
STAGE = EDITION_2026.stages[1]
# 30*80 + 25*70 + 20*90 + 15*60 + 10*100 = 7850, over 100 -> 78.50
FIRST = {"inovasi": "80", "dampak": "70", "keberlanjutan": "90", "replikasi": "60",
         "tanya-jawab": "100"}
# 30*87.5 + 25*66.25 + 20*90 + 15*75.5 + 10*80 = 8013.75, over 100 -> 80.1375 (80.14 shown)
SECOND = {"inovasi": "87,5", "dampak": "66,25", "keberlanjutan": "90", "replikasi": "75,5",
          "tanya-jawab": "80"}
UNIT = "13"        # on the shortlist of this synthetic season (verified total >= 80)


def form_data(marks: dict, notes: str = "") -> dict:
    return {f"criterion-{cid}": mark for cid, mark in marks.items()} | {"notes": notes}


# ---- the scoring module computes the stage score ------------------------------------------

def test_the_engine_weighs_criteria_by_hand():
    assert [c.id for c in STAGE.criteria] == ["inovasi", "dampak", "keberlanjutan",
                                              "replikasi", "tanya-jawab"]
    assert stage_score(STAGE, {"inovasi": 80, "dampak": 70, "keberlanjutan": 90,
                               "replikasi": 60, "tanya-jawab": 100}) == Fraction(785, 10)
    assert stage_score(STAGE, {"inovasi": 87.5, "dampak": 66.25, "keberlanjutan": 90,
                               "replikasi": 75.5, "tanya-jawab": 80}) == Fraction(801375, 10000)
    assert stage_score(STAGE, {"inovasi": 100}) == 30          # a criterion not given counts 0
    assert stage_score(STAGE, 64.5) == Fraction(129, 2)        # one overall mark, as before
    with pytest.raises(ScoringInputError):
        stage_score(STAGE, {"inovasi": 101})
    with pytest.raises(ScoringInputError):
        stage_score(STAGE, {"kreativitas": 50})


def test_the_operation_reads_every_criterion_and_stores_the_total_in_cents(app):
    marks = parse_criteria(STAGE, SECOND)
    assert marks == {"inovasi": Decimal("87.50"), "dampak": Decimal("66.25"),
                     "keberlanjutan": Decimal("90.00"), "replikasi": Decimal("75.50"),
                     "tanya-jawab": Decimal("80.00")}
    assert criteria_total(STAGE, marks) == Decimal("80.14")
    assert criteria_total(STAGE, parse_criteria(STAGE, FIRST)) == Decimal("78.50")
    with pytest.raises(Invalid) as refused:
        parse_criteria(STAGE, dict(FIRST, dampak="", replikasi="101"))
    assert set(refused.value.details) == {"dampak", "replikasi"}


# ---- the judge's page, the stored marks, the exchange and the ranking ---------------------

@pytest.fixture
def season_2026(app, session, make_user, make_period, client, auth):
    period = make_period(slug=SLUG, opens=-30, closes=-10, rubric_id="bakohumas-2026")
    make_user(username="admin-uji", role="admin", unit_code=None)
    data = build_season(session, period)
    login(client, auth, "admin-uji")
    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": "Sementara"}).status_code == 302
    run = latest_run(session, period, "provisional")
    shortlisted = {r["unit"] for r in run_result(run)["ranking"] if r["stage_reached"] == "presentasi"}
    assert UNIT in shortlisted
    return dict(data, period=period)


def test_a_judge_marks_each_criterion_and_the_total_reaches_the_ranking(client, auth, session,
                                                                       season_2026):
    period = season_2026["period"]
    assert later_stage(period).criteria == STAGE.criteria
    login(client, auth, "penilai1")
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    for cid in FIRST:
        assert f'name="criterion-{cid}" id="c-{UNIT}-{cid}"' in page
    assert "Inovasi <span class=\"text-muted\">(weight 30%)</span>" in page
    assert 'name="score"' not in page
    response = client.post(f"/musim/{SLUG}/tahap-dua/{UNIT}", data=form_data(FIRST, "Runtut."))
    assert response.status_code == 302
    login(client, auth, "penilai4")
    assert client.post(f"/musim/{SLUG}/tahap-dua/{UNIT}",
                       data=form_data(SECOND)).status_code == 302

    rows = {r.judge.username: r for r in session.query(StageScore).filter_by(unit_code=UNIT)}
    assert rows["penilai1"].score == "78.50"
    assert rows["penilai1"].criteria == {"inovasi": "80.00", "dampak": "70.00",
                                         "keberlanjutan": "90.00", "replikasi": "60.00",
                                         "tanya-jawab": "100.00"}
    assert rows["penilai4"].score == "80.14" and rows["penilai4"].criteria["dampak"] == "66.25"
    entry = session.query(AuditLog).filter_by(action="stage_score.save").order_by(AuditLog.id).first()
    assert entry.detail["score"] == "78.50" and entry.detail["criteria"]["inovasi"] == "80.00"
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert "80.14" in page and 'value="66.25"' in page      # the judge's own marks, shown again

    doc = export_exchange(session, period)
    marks = next(r for r in doc["responses"] if r["unit"] == UNIT)["stages"]["presentasi"]
    assert marks[f"J{rows['penilai1'].judge_id}"] == {
        "inovasi": 80.0, "dampak": 70.0, "keberlanjutan": 90.0, "replikasi": 60.0,
        "tanya-jawab": 100.0}

    login(client, auth, "admin-uji")
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "Dengan presentasi"})
    run = latest_run(session, period, "provisional")
    assert run_result(run) == engine_result(session, period)
    row = next(r for r in run_result(run)["ranking"] if r["unit"] == UNIT)
    # the judges' stage scores combined (mean): (78.5 + 80.1375) / 2 = 79.31875 -> 79.32
    assert row["stages"]["presentasi"] == 79.32
    stage1 = Decimal(str(row["stages"]["verifikasi"]))
    expected = (stage1 * 80 + Decimal("79.31875") * 20) / 100
    assert abs(Decimal(str(row["total"])) - expected) <= Decimal("0.01")
    # the admin sees every criterion's mark
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert ">Tanya Jawab</th>" in page and ">66.25</td>" in page and ">80.14</td>" in page

    book = load_workbook(io.BytesIO(run_workbook(period, run)), read_only=True)
    sheet = list(book["Tahap 2 per Kriteria"].iter_rows(values_only=True))
    assert sheet[0] == ("Kategori", "Kode", "Satuan Kerja", "Penilai", "Inovasi (bobot 30%)",
                        "Dampak (bobot 25%)", "Keberlanjutan (bobot 20%)",
                        "Replikasi (bobot 15%)", "Tanya Jawab (bobot 10%)", "Nilai Penilai",
                        "Nilai Tahap")
    mine = sorted(r[3:] for r in sheet[1:] if r[1] == UNIT)
    assert mine == sorted([
        (f"J{rows['penilai1'].judge_id}", 80, 70, 90, 60, 100, 78.5, 79.32),
        (f"J{rows['penilai4'].judge_id}", 87.5, 66.25, 90, 75.5, 80, 80.14, 79.32)])


def test_a_missing_or_impossible_criterion_is_refused_field_by_field(client, auth, session,
                                                                     season_2026):
    login(client, auth, "penilai1")
    refused = client.post(f"/musim/{SLUG}/tahap-dua/{UNIT}",
                          data=form_data(dict(FIRST, dampak="", replikasi="101")))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Give every criterion a score from 0 to 100." in page
    assert f'id="c-{UNIT}-dampak-err">Enter a score from 0 to 100.</div>' in page
    assert f'id="c-{UNIT}-replikasi-err">The score must be from 0 to 100.</div>' in page
    assert f'name="criterion-inovasi" id="c-{UNIT}-inovasi"\n                   value="80"' in page
    assert session.query(StageScore).count() == 0


def test_an_edition_without_criteria_keeps_one_score(client, auth, session, make_user,
                                                     make_period):
    period = make_period(slug=SLUG, opens=-30, closes=-10)        # bakohumas-2025
    assert not later_stage(period).criteria
    make_user(username="admin-uji", role="admin", unit_code=None)
    build_season(session, period)
    login(client, auth, "admin-uji")
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "Sementara"})
    run = latest_run(session, period, "provisional")
    unit = next(r["unit"] for r in run_result(run)["ranking"] if r["stage_reached"] == "presentasi")
    login(client, auth, "penilai4")
    page = client.get(f"/musim/{SLUG}/tahap-dua").get_data(as_text=True)
    assert 'name="score"' in page and "criterion-" not in page
    assert client.post(f"/musim/{SLUG}/tahap-dua/{unit}",
                       data={"score": "87,5", "criterion-inovasi": "10"}).status_code == 302
    row = session.query(StageScore).one()
    assert (row.score, row.criteria) == ("87.50", None)
    doc = export_exchange(session, period)
    assert next(r for r in doc["responses"] if r["unit"] == unit)["stages"] == {
        "presentasi": {f"J{row.judge_id}": 87.5}}
    login(client, auth, "admin-uji")
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "x"})
    names = load_workbook(io.BytesIO(run_workbook(period, latest_run(session, period))),
                          read_only=True).sheetnames
    assert not any(name.startswith("Tahap") for name in names)
    assert rubric_for(period).id == "bakohumas-2025"


def test_a_unit_without_its_decree_is_listed_unranked_on_the_run_page(client, auth, session,
                                                                       season_2026):
    """The condition of entry (sk-bakohumas, edition 2026): unit 14 led the provinces; with
    Tidak it is listed after them without a rank, and 13 moves up to rank 1."""
    from assessment.models import Submission
    period = season_2026["period"]
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code="14").one()
    sub.answers = dict(sub.answers, **{"sk-bakohumas": False})
    session.commit()
    client.post(f"/musim/{SLUG}/peringkat", data={"note": "Tanpa Keputusan"})
    run = latest_run(session, period, "provisional")
    rows = [r for r in run_result(run)["ranking"] if r["category"] == "provinsi"]
    assert (rows[0]["unit"], rows[0]["rank"]) == ("13", 1)
    assert (rows[-1]["unit"], rows[-1]["rank"], rows[-1]["entry_unmet"]) == (
        "14", None, ["sk-bakohumas"])
    page = client.get(f"/admin/periode/{SLUG}/penghitungan/{run.number}/").get_data(as_text=True)
    assert page.count("Not ranked: the condition of entry is not met.") == 1
    assert ">None<" not in page and "None=" not in page
