"""Callers of answer_fraction on the 2026 default: the unit's category picks the bands,
and "tidak-berlaku" (no fraction) is handled where the app compares or averages fractions."""
from fractions import Fraction

from rubrics import NOT_APPLICABLE, default_rubric_path, load_rubric
from scoring import Assessment, Response, Unit, score

from assessment.operations.moderation import judge_fractions
from assessment.operations.practice import answer_text
from assessment.operations.submission import earns_something
from reports.charts import _mean
from reports.scorecard import _strong_weak

R = load_rubric(default_rubric_path())
WEEKLY = R.indicator("unggahan-mingguan")     # kabkota 1/3/5/7, default 3/5/7/10
AD_HOC = R.indicator("pelibatan-badan-adhoc")  # allow_na scale


def test_default_is_2026_and_keeps_the_features_the_app_relies_on():
    assert R.id == "bakohumas-2026"
    assert AD_HOC.allow_na and WEEKLY.category_bands


def test_earns_something_uses_the_units_bands():
    # 2 a week: kabkota band [1, 0.25] earns; the provinsi (default) list starts at 3
    assert earns_something(WEEKLY, 2, "kabkota") is True
    assert earns_something(WEEKLY, 2, "provinsi") is False


def test_not_applicable_earns_nothing_so_no_evidence_is_required():
    assert earns_something(AD_HOC, NOT_APPLICABLE, "kabkota") is False


def test_judge_fractions_per_category_and_without_not_applicable():
    values = {"J1": 5, "J2": 2, "J3": None}
    # kabkota: 5 -> 3/4, 2 -> 1/4; provinsi: 5 -> 1/2, 2 -> 0
    assert judge_fractions(WEEKLY, values, {}, "kabkota") == {"J1": Fraction(3, 4),
                                                               "J2": Fraction(1, 4)}
    assert judge_fractions(WEEKLY, values, {}, "provinsi") == {"J1": Fraction(1, 2),
                                                                "J2": Fraction(0)}
    # the same memo for both categories must not mix them up
    memo = {}
    judge_fractions(WEEKLY, values, memo, "kabkota")
    assert judge_fractions(WEEKLY, values, memo, "provinsi")["J1"] == Fraction(1, 2)
    top = len(AD_HOC.levels) - 1
    assert judge_fractions(AD_HOC, {"J1": NOT_APPLICABLE, "J2": top}, {}, "kabkota") == {
        "J2": Fraction(1)}


def test_answer_text_of_not_applicable(app):
    with app.test_request_context():
        assert answer_text(AD_HOC, NOT_APPLICABLE) == "Tidak berlaku"
        assert answer_text(R.indicator("sk-bakohumas-nomor"), "12/HM.02/2026") == "12/HM.02/2026"


def test_scorecard_extremes_and_chart_means_leave_not_applicable_out():
    unit = Unit("11.01", "KPU Kabupaten Contoh", "kabkota")
    answers = {i.id: None for i in R.indicators}
    answers.update({"pelibatan-badan-adhoc": NOT_APPLICABLE, "unggahan-mingguan": 7})
    result = score(R, Assessment(R.id, (unit,), (Response(unit="11.01", self_answers=answers),)),
                   detail=True)
    row = result.ranking[0]
    assert row.indicators["pelibatan-badan-adhoc"].not_applicable
    extremes = _strong_weak(R, row)
    ids = {i["id"] for part in extremes.values() for i in part}
    assert "pelibatan-badan-adhoc" not in ids and "unggahan-mingguan" in ids
    assert _mean([Fraction(80), None, Fraction(60)]) == Fraction(70)
    assert _mean([None]) == Fraction(0)
