"""The 2026 rubric features, each against a hand-computed expectation: "tidak-berlaku",
bands per category, number bounds, stage criteria, per-category shortlist and pass mark,
unranked categories, awards on indicators and across categories, sampled dates."""
import copy
from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest
import yaml

from rubrics import NOT_APPLICABLE as NA, parse_rubric
from scoring import (AnswerError, ScoringInputError, answer_fraction, assessment_from_dict,
                     check_answer, result_to_dict, sample_dates, score)
from tests.scoring_helpers import assessment, resp, unit

DOC = {
    "id": "fitur", "title": "Rubrik fitur",
    "predicates": [{"min": 50, "label": "Baik"}, {"min": 0, "label": "Kurang"}],
    "aspects": [
        {"id": "layanan", "title": "Layanan", "weight": 1, "indicators": [
            {"id": "i1", "type": "yesno", "weight": 1, "question": "q"},
            {"id": "i2", "type": "number", "weight": 1, "question": "q", "allow_na": True,
             "bands": [[0, 0], [50, 0.5], [100, 1]], "min": 0, "max": 100}]},
        {"id": "adhoc", "title": "Badan adhoc", "weight": 1, "indicators": [
            {"id": "i3", "type": "scale", "weight": 1, "question": "q", "allow_na": True,
             "levels": ["a", "b", "c", "d", "e"]}]},
        {"id": "medsos", "title": "Medsos", "weight": 2, "indicators": [
            {"id": "i4", "type": "number", "weight": 2, "question": "q", "integer": True,
             "bands": {"provinsi": [[0, 0], [3, 0.5], [10, 1]],
                       "kabkota": [[0, 0], [1, 0.5], [7, 1]]}},
            {"id": "i5", "type": "yesno", "weight": 1, "question": "q"}]},
    ],
}


def make(**overrides):
    doc = copy.deepcopy(DOC)
    doc.update(overrides)
    return parse_rubric(yaml.safe_dump(doc), source="fitur.yaml")


R = make()


def row(result, code):
    return next(r for r in result.ranking if r.unit.code == code)


def one(self_answers=None, judges=None, moderated=None, category="provinsi", rubric=R):
    a = assessment([resp("A", self_answers, judges, moderated)], [unit("A", category)],
                   rubric_id=rubric.id)
    return row(score(rubric, a, detail=True), "A")


# ---- tidak berlaku ---------------------------------------------------------------------------

def test_na_indicator_leaves_numerator_and_denominator():
    r = one({"i1": True, "i2": NA, "i3": 4, "i4": 10, "i5": True})
    assert r.aspects["layanan"] == 100             # i1 alone, not (1 + 0) / 2
    assert r.indicators["i2"].not_applicable and r.indicators["i2"].verified is None


def test_all_na_aspect_is_null_and_leaves_the_total():
    r = one({"i1": True, "i2": NA, "i3": NA, "i4": 5, "i5": True})
    assert r.aspects["adhoc"] is None and r.self_aspects["adhoc"] is None
    # layanan 100 (w 1), medsos (2 * 0.5 + 1) / 3 = 2/3 (w 2); adhoc leaves: (100 + 400/3) / 3
    assert r.total == F(700, 9) == r.self_total
    data = result_to_dict(score(R, assessment([resp("A", {"i3": NA})], [unit("A")], "fitur")))
    assert data["ranking"][0]["aspects"]["adhoc"] is None


@pytest.mark.parametrize("judges, moderated, expected", [
    ({"p1": {"i2": NA}, "p2": {"i2": 60}}, {}, F(1, 2)),       # NA judges are left out
    ({"p1": {"i2": NA}, "p2": {"i2": NA}}, {}, None),          # all judges who answered: NA
    ({"p1": {"i1": True}}, {}, F(1)),                           # no judge answered i2: own 100
    ({"p1": {"i2": 60}}, {"i2": NA}, None),                     # moderated stands alone
    ({"p1": {"i2": NA}}, {"i2": 100}, F(1)),
])
def test_verified_value_rule(judges, moderated, expected):
    r = one({"i2": 100}, judges, moderated)
    assert r.indicators["i2"].verified == expected
    assert r.indicators["i2"].not_applicable == (expected is None)


def test_self_total_follows_the_same_rule():
    r = one({"i1": False, "i2": NA, "i3": NA, "i4": 10, "i5": True},
            judges={"p1": {"i2": 100, "i3": 4}})
    # self: layanan 0 (i1 only), adhoc null, medsos 100 -> (0 + 200) / 3
    assert r.self_total == F(200, 3)
    # verified: layanan (0 + 1) / 2 = 50, adhoc 100, medsos 100 -> (50 + 100 + 200) / 4
    assert r.total == F(350, 4)


def test_na_only_for_indicators_that_allow_it():
    with pytest.raises(AnswerError):
        check_answer(R.indicator("i1"), NA)
    check_answer(R.indicator("i3"), NA)
    assert answer_fraction(R.indicator("i3"), NA) is None
    with pytest.raises(ScoringInputError, match=r"responses\[0\]\.self\.i5"):
        one({"i5": NA})


def test_typed_tidak_berlaku_is_read_only_where_allowed():
    from scoring.answers import parse_answer   # the one reader of typed answers
    assert parse_answer(R.indicator("i2"), "Tidak berlaku") == NA
    assert parse_answer(R.indicator("i3"), "tidak-berlaku") == NA
    with pytest.raises(AnswerError):
        parse_answer(R.indicator("i4"), "tidak berlaku")


def test_null_aspect_sorts_below_every_number_in_tie_breaks():
    rubric = make(tie_break=["adhoc"])
    a_ans = {"i1": True, "i2": NA, "i3": NA, "i4": 0, "i5": False}   # (100 + 0) / 3
    b_ans = {"i1": False, "i2": 0, "i3": 0, "i4": 3, "i5": True}     # (0 + 0 + 2 * 200/3) / 4
    res = score(rubric, assessment([resp("A", a_ans), resp("B", b_ans)], rubric_id="fitur"))
    assert row(res, "A").total == row(res, "B").total == F(100, 3)
    assert [(r.unit.code, r.rank) for r in res.ranking] == [("B", 1), ("A", 2)]
    res = score(R, assessment([resp("A", a_ans), resp("B", b_ans)], rubric_id="fitur"))
    assert [r.rank for r in res.ranking] == [1, 1]     # without the tie-break they share


# ---- bands per category and bounds -----------------------------------------------------------

@pytest.mark.parametrize("category, value, expected", [
    ("provinsi", 0, F(0)), ("provinsi", 3, F(1, 2)), ("provinsi", 7, F(1, 2)), ("provinsi", 10, F(1)),
    ("kabkota", 1, F(1, 2)), ("kabkota", 7, F(1)),
])
def test_bands_per_category(category, value, expected):
    assert answer_fraction(R.indicator("i4"), value, category) == expected
    assert one({"i4": value}, category=category).indicators["i4"].verified == expected


def test_a_category_without_bands_is_refused_unless_there_is_a_default():
    with pytest.raises(ScoringInputError, match=r"units\[0\]\.category.*'pusat'"):
        one({"i4": 3}, category="pusat")
    aspects = copy.deepcopy(DOC["aspects"])
    aspects[2]["indicators"][0]["bands"]["default"] = [[0, 0], [5, 1]]
    rubric = make(aspects=aspects)
    assert one({"i4": 5}, category="pusat", rubric=rubric).indicators["i4"].verified == 1
    assert one({"i4": 5}, category="kabkota", rubric=rubric).indicators["i4"].verified == F(1, 2)


@pytest.mark.parametrize("ind, value, words", [
    ("i2", 123, "at most 100, got 123"), ("i2", 100.5, "at most 100"),
    ("i4", 2.5, "whole number, got 2.5"), ("i4", -1, "negative"),
])
def test_number_bounds_are_enforced_with_the_bound_in_the_message(ind, value, words):
    with pytest.raises(AnswerError, match=words):
        check_answer(R.indicator(ind), value)
    with pytest.raises(ScoringInputError, match=words):
        one({ind: value})


def test_bounds_reach_people_typing_answers():
    from scoring.answers import parse_answer
    with pytest.raises(AnswerError, match="at most 100"):
        parse_answer(R.indicator("i2"), "123")
    assert parse_answer(R.indicator("i2"), "100") == 100
    assert parse_answer(R.indicator("i4"), "4,0") == 4


def test_minimum_bound():
    aspects = copy.deepcopy(DOC["aspects"])
    aspects[0]["indicators"][1]["min"] = 10
    with pytest.raises(AnswerError, match="at least 10, got 5"):
        check_answer(make(aspects=aspects).indicator("i2"), 5)


# ---- stages: criteria, per-category shortlist and pass mark ----------------------------------

CRITERIA = [{"id": "inovasi", "title": "Inovasi", "weight": 30},
            {"id": "dampak", "title": "Dampak", "weight": 30},
            {"id": "keberlanjutan", "title": "Keberlanjutan", "weight": 20},
            {"id": "replikasi", "title": "Replikasi", "weight": 10},
            {"id": "tanya-jawab", "title": "Tanya jawab", "weight": 10}]


def staged(**stage):
    return make(stages=[{"id": "verifikasi", "weight": 80},
                        dict({"id": "presentasi", "weight": 20, "criteria": CRITERIA}, **stage)])


FULL = {"i1": True, "i2": 100, "i3": 4, "i4": 10, "i5": True}


def test_criteria_marks_combine_to_the_stage_score():
    marks = {"p1": {"inovasi": 80, "dampak": 70, "keberlanjutan": 60, "replikasi": 100,
                    "tanya-jawab": 50},        # (2400 + 2100 + 1200 + 1000 + 500) / 100 = 72
             "p2": 90,                          # a number is the stage score as before
             "p3": {"inovasi": 100}}            # the other criteria count 0: 30
    rubric = staged()
    res = score(rubric, assessment([resp("A", FULL, stages={"presentasi": marks})], rubric_id="fitur"))
    r = row(res, "A")
    assert r.stages["presentasi"] == F(72 + 90 + 30, 3) == 64
    assert r.total == (100 * 80 + 64 * 20) / F(100)


@pytest.mark.parametrize("mark, words", [
    ({"gaya": 50}, "unknown criterion 'gaya'"), ({"inovasi": 101}, "0 to 100"),
    ({"inovasi": "baik"}, "0 to 100"),
])
def test_bad_criteria_marks_are_refused(mark, words):
    a = assessment([resp("A", FULL, stages={"presentasi": {"p1": mark}})], rubric_id="fitur")
    with pytest.raises(ScoringInputError, match=words):
        score(staged(), a)


def test_an_object_mark_needs_a_stage_with_criteria():
    rubric = make(stages=[{"id": "verifikasi", "weight": 80}, {"id": "presentasi", "weight": 20}])
    a = assessment([resp("A", FULL, stages={"presentasi": {"p1": {"inovasi": 9}}})], rubric_id="fitur")
    with pytest.raises(ScoringInputError, match="has no criteria"):
        score(rubric, a)


def test_shortlist_and_pass_mark_per_category():
    rubric = staged(shortlist={"provinsi": 1, "kabkota": 2}, pass_mark={"default": 50, "kabkota": 0})
    low = {"i1": False, "i2": 0, "i3": 0, "i4": 0, "i5": False}          # 0
    units = [unit("P1"), unit("P2"), unit("K1", "kabkota"), unit("K2", "kabkota"),
             unit("K3", "kabkota")]
    a = assessment([resp("P1", FULL), resp("P2", FULL), resp("K1", FULL), resp("K2", low),
                    resp("K3", low)], units, rubric_id="fitur")
    reached = {r.unit.code: r.stage_reached for r in score(rubric, a).ranking}
    # provinsi: top 1, but P1 and P2 tie at 100 and ties with the last place go on;
    # kabkota: top 2 with pass mark 0, K2 and K3 tie on 0 for place 2, so both go on
    assert reached == {"P1": "presentasi", "P2": "presentasi", "K1": "presentasi",
                       "K2": "presentasi", "K3": "presentasi"}
    a = assessment([resp("P1", FULL), resp("P2", {**FULL, "i5": False}), resp("K1", FULL),
                    resp("K2", low), resp("K3", {**low, "i1": True})], units, rubric_id="fitur")
    reached = {r.unit.code: r.stage_reached for r in score(rubric, a).ranking}
    assert reached == {"P1": "presentasi", "P2": "verifikasi", "K1": "presentasi",
                       "K2": "verifikasi", "K3": "presentasi"}
    rubric = staged(shortlist=5, pass_mark={"provinsi": 100})
    reached = {r.unit.code: r.stage_reached for r in score(rubric, a).ranking}
    assert reached["P2"] == "verifikasi" and reached["K2"] == "presentasi"


# ---- unranked categories and awards ----------------------------------------------------------

def test_unranked_category_is_scored_and_listed_without_rank_shortlist_or_award():
    rubric = make(stages=[{"id": "verifikasi", "weight": 80},
                          {"id": "presentasi", "weight": 20, "shortlist": 1}],
                  unranked=["pusat"],
                  awards=[{"id": "semua", "title": "Semua", "categories": ["provinsi"],
                           "aspects": ["layanan"]}],
                  aspects=_with_default_bands())
    units = [unit("00", "pusat"), unit("P1"), unit("P2")]
    a = assessment([resp("00", FULL), resp("P1", {"i1": True}), resp("P2", {})], units,
                   rubric_id="fitur")
    res = score(rubric, a)
    pusat = row(res, "00")
    assert pusat.rank is None and pusat.stage_reached == "verifikasi" and pusat.total == 100
    assert row(res, "P1").rank == 1 and row(res, "P1").stage_reached == "presentasi"
    assert [r.unit.code for r in res.awards["semua"]] == ["P1", "P2"]
    assert result_to_dict(res)["ranking"][0]["rank"] is None


def _with_default_bands():
    aspects = copy.deepcopy(DOC["aspects"])
    aspects[2]["indicators"][0]["bands"]["default"] = [[0, 0], [5, 1]]
    return aspects


def test_award_on_indicators_across_categories():
    rubric = make(awards=[{"id": "tanggap", "title": "Tanggap", "categories": ["provinsi", "kabkota"],
                           "indicators": ["i2", "i5"], "winners": 1}])
    units = [unit("A"), unit("B"), unit("C", "kabkota"), unit("D", "kabkota")]
    a = assessment([resp("A", {"i2": NA, "i5": True}),     # i2 left out: 100 * 1 / 1 = 100
                    resp("B", {"i2": 0, "i5": True}),      # (1 * 0 + 1 * 1) / 2 = 50
                    resp("C", {"i2": 100, "i5": False}),   # (1 + 0) / 2 = 50
                    resp("D", {"i2": NA})],                # i5 unanswered counts 0: 0
                   units, rubric_id="fitur")
    rows = score(rubric, a).awards["tanggap"]
    assert [(r.unit.code, r.rank, r.score, r.winner) for r in rows] == [
        ("A", 1, Decimal("100.00"), True), ("B", 2, Decimal("50.00"), False),
        ("C", 2, Decimal("50.00"), False), ("D", 4, Decimal("0.00"), False)]


def test_a_unit_with_nothing_to_score_takes_no_part_in_an_award():
    rubric = make(awards=[{"id": "adhoc", "title": "Adhoc", "category": "provinsi",
                           "aspects": ["adhoc"]}])
    a = assessment([resp("A", {"i3": NA}), resp("B", {"i3": 2})], rubric_id="fitur")
    rows = score(rubric, a).awards["adhoc"]
    assert [(r.unit.code, r.score) for r in rows] == [("B", Decimal("50.00"))]


def test_exchange_file_with_new_answers_round_trips():
    doc = {"rubric": "fitur", "units": [{"code": "A", "name": "KPU A", "category": "kabkota"}],
           "responses": [{"unit": "A", "self": {"i2": "tidak-berlaku", "i4": 7},
                          "judges": {"p1": {"i3": "tidak-berlaku"}}}]}
    res = result_to_dict(score(R, assessment_from_dict(doc)))
    assert res["ranking"][0]["aspects"] == {"layanan": 0.0, "adhoc": None, "medsos": 66.67}
    assert res["ranking"][0]["total"] == 44.44     # (0 + 2 * 200/3) / 3


# ---- sampling ------------------------------------------------------------------------------

def test_sampled_dates_are_seeded_distinct_sorted_and_in_the_window():
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    dates = sample_dates("3321", "tingkat-interaksi", start, end, "2026-s1", 12)
    assert dates == sample_dates("3321", "tingkat-interaksi", start, end, "2026-s1", 12)
    assert len(set(dates)) == 12 and dates == sorted(dates)
    assert all(start <= d <= end for d in dates)
    assert dates != sample_dates("3322", "tingkat-interaksi", start, end, "2026-s1", 12)
    assert dates != sample_dates("3321", "tingkat-interaksi", start, end, "2026-s2", 12)
    assert sample_dates("33", "x", date(2026, 1, 1), date(2026, 1, 3), 1, 10) == [
        date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    with pytest.raises(ValueError):
        sample_dates("33", "x", end, start, 1, 3)


def test_sample_is_read_from_the_rubric():
    aspects = copy.deepcopy(DOC["aspects"])
    aspects[2]["indicators"][1]["sample"] = {"count": 12, "by": "date"}
    ind = make(aspects=aspects).indicator("i5")
    assert (ind.sample.count, ind.sample.by) == (12, "date")
