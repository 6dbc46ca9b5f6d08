"""The scoring rules, each against a hand-computed expectation."""
from decimal import Decimal
from fractions import Fraction as F

import pytest

from scoring import (AnswerError, ScoringInputError, answer_fraction, check_answer, round2,
                     score)
from tests.scoring_helpers import assessment, resp, rubric, unit

R = rubric()
FULL = {"sk": True, "sop": 4, "unggahan": 7, "kanal": ["web", "ig", "x", "fb"]}


def row(result, code):
    return next(r for r in result.ranking if r.unit.code == code)


@pytest.mark.parametrize("ind, value, expected", [
    ("sk", True, F(1)), ("sk", False, F(0)), ("sk", None, F(0)),
    ("sop", 0, F(0)), ("sop", 1, F(1, 4)), ("sop", 3, F(3, 4)), ("sop", 4, F(1)),
    ("unggahan", 0, F(0)), ("unggahan", 0.99, F(0)), ("unggahan", 1, F(1, 2)),
    ("unggahan", 2.5, F(1, 2)), ("unggahan", 3, F(3, 4)), ("unggahan", 6.999, F(3, 4)),
    ("unggahan", 7, F(1)), ("unggahan", 10 ** 9, F(1)),
    ("kanal", [], F(0)), ("kanal", ["web"], F(1, 4)), ("kanal", ["web", "ig", "x"], F(3, 4)),
    ("kanal", ["web", "ig", "x", "fb", "yt", "tt"], F(1)),
    ("cerita", "teks bebas", F(0)),
], ids=lambda v: repr(v))
def test_indicator_fraction(ind, value, expected):
    assert answer_fraction(R.indicator(ind), value) == expected


def test_choice_full_at_defaults_to_number_of_options():
    doc = rubric(tie_break=[], aspects=[{"id": "a", "title": "A", "weight": 1, "indicators": [
        {"id": "c", "type": "choice", "weight": 1, "question": "q", "options": ["x", "y", "z"]}]}])
    assert answer_fraction(doc.indicator("c"), ["x", "z"]) == F(2, 3)


def test_decimal_thresholds_are_exact():
    doc = rubric(tie_break=[], aspects=[{"id": "a", "title": "A", "weight": 1, "indicators": [
        {"id": "n", "type": "number", "weight": 1, "question": "q",
         "bands": [[0, 0], [0.3, 0.1], [0.7, 1]]}]}])
    ind = doc.indicator("n")
    # 0.3 is below 3/10 as a binary float; the written decimal still reaches the band
    assert answer_fraction(ind, 0.3) == F(1, 10)
    assert answer_fraction(ind, 0.29999) == 0
    assert answer_fraction(ind, 0.7) == 1


@pytest.mark.parametrize("ind, value, words", [
    ("sk", 1, "true or false"), ("sk", "ya", "true or false"),
    ("sop", 5, "0 to 4"), ("sop", -1, "0 to 4"), ("sop", 2.0, "0 to 4"), ("sop", True, "0 to 4"),
    ("unggahan", -1, "negative"), ("unggahan", "5", "number"), ("unggahan", float("nan"), "number"),
    ("unggahan", float("inf"), "number"), ("unggahan", True, "number"),
    ("kanal", "web", "list"), ("kanal", ["tv"], "not one of"), ("kanal", ["web", "web"], "twice"),
    ("kanal", [["web"]], "not one of"), ("cerita", 5, "text"),
])
def test_invalid_answers_are_refused(ind, value, words):
    with pytest.raises(AnswerError, match=words):
        check_answer(R.indicator(ind), value)


def test_aspect_and_total_by_hand():
    # koordinasi: sk 1 (w1), sop 2/4 (w2) -> 100 * (1 + 1) / 3 = 66.67
    # medsos: unggahan 5 -> 3/4 (w2), kanal 2/4 (w1) -> 100 * (1.5 + 0.5) / 3 = 66.67
    answers = {"sk": True, "sop": 2, "unggahan": 5, "kanal": ["web", "ig"], "cerita": "x"}
    result = score(R, assessment([resp("11", answers)]))
    only = row(result, "11")
    assert only.aspects == {"koordinasi": F(200, 3), "medsos": F(200, 3)}
    assert only.total == F(200, 3) and only.self_total == F(200, 3)
    assert round2(only.total) == Decimal("66.67")
    assert only.predicate == "Cukup"


def test_verified_value_rules():
    # sk: judges 1 and 0 -> 1/2; sop: moderated 4 beats judges -> 1;
    # unggahan: no judge -> self 7 -> 1; kanal: one judge 1 option -> 1/4
    response = resp("11", FULL, judges={"p1": {"sk": True, "sop": 0, "kanal": ["web"]},
                                        "p2": {"sk": False, "sop": 1}},
                    moderated={"sop": 4})
    only = row(score(R, assessment([response]), detail=True), "11")
    assert only.aspects["koordinasi"] == F(100 * (F(1, 2) + 2), 3)
    assert only.aspects["medsos"] == F(100 * (2 + F(1, 4)), 3)
    assert only.self_total == 100
    detail = only.indicators
    assert detail["sk"].verified == F(1, 2) and detail["sk"].judge_fractions == {"p1": 1, "p2": 0}
    assert detail["sop"].moderated == 1 and detail["sop"].verified == 1
    assert detail["unggahan"].verified == 1 and detail["unggahan"].judge_fractions == {}
    assert detail["kanal"].verified == F(1, 4)


@pytest.mark.parametrize("marks, mean, median", [
    ([0, 1, 4], F(5, 12), F(1, 4)),          # sop fractions 0, 1/4, 1
    ([0, 1, 3, 4], F(1, 2), F(1, 2)),        # median of an even count: mean of the middle two
    ([2, 2, 4], F(2, 3), F(1, 2)),
])
def test_mean_and_median_of_judges(marks, mean, median):
    judges = {f"p{n}": {"sop": m} for n, m in enumerate(marks)}
    for how, expected in (("mean", mean), ("median", median)):
        doc = rubric(aggregate=how)
        only = row(score(doc, assessment([resp("11", {"sop": 0}, judges)]), detail=True), "11")
        assert only.indicators["sop"].verified == expected, how


def test_missing_answers_score_zero_and_text_is_not_scored():
    only = row(score(R, assessment([resp("11", {"cerita": "hanya teks"})])), "11")
    assert only.total == 0 and only.predicate == "Kurang"


def test_ranking_is_per_category_with_shared_ranks_listed_by_code():
    low = {"sk": False, "sop": 0}
    responses = [resp("b", FULL), resp("a", FULL), resp("c", low), resp("d", FULL),
                 resp("k1", low), resp("k2", FULL)]
    units = [unit("b"), unit("a"), unit("c"), unit("d"),
             unit("k1", "kabkota"), unit("k2", "kabkota"), unit("z", "kabkota")]
    result = score(R, assessment(responses, units))
    listed = [(r.unit.category, r.rank, r.unit.code) for r in result.ranking]
    assert listed == [("provinsi", 1, "a"), ("provinsi", 1, "b"), ("provinsi", 1, "d"),
                      ("provinsi", 4, "c"), ("kabkota", 1, "k2"), ("kabkota", 2, "k1")]
    assert result.not_submitted == ("z",)


def test_tie_break_aspects_in_order_after_rounding():
    # Equal totals: b is stronger on medsos (the first tie-break aspect), so it ranks above a.
    a = {"sk": True, "sop": 4, "unggahan": 0, "kanal": []}                       # 40 + 0
    b = {"sk": False, "sop": 0, "unggahan": 7, "kanal": ["web", "ig", "x", "fb"]}  # 0 + 60
    doc = rubric(aspects=[dict(asp, weight=50) for asp in rubric_doc_aspects()])
    result = score(doc, assessment([resp("a", a), resp("b", b)]))
    assert row(result, "a").total == row(result, "b").total == 50
    assert [(r.rank, r.unit.code) for r in result.ranking] == [(1, "b"), (2, "a")]


def rubric_doc_aspects():
    from tests.scoring_helpers import BASE_RUBRIC
    return [dict(a) for a in BASE_RUBRIC["aspects"]]


def test_totals_that_differ_below_a_cent_tie_as_published():
    # 66.6666 and 66.67 both publish as 66.67: the units share rank 1, listed by code
    doc = rubric(tie_break=["a"], aspects=[{"id": "a", "title": "A", "weight": 1, "indicators": [
        {"id": "n", "type": "number", "weight": 1, "question": "q",
         "bands": [[0, 0], [1, 0.666666], [2, 0.6667]]}]}])
    result = score(doc, assessment([resp("y", {"n": 2}), resp("x", {"n": 1}), resp("w", {"n": 0})]))
    assert row(result, "x").total != row(result, "y").total
    assert [(r.rank, r.unit.code) for r in result.ranking] == [(1, "x"), (1, "y"), (3, "w")]


def test_round_half_up():
    assert round2(F(12345, 1000)) == Decimal("12.35")     # 12.345 -> 12.35 (not banker's)
    assert round2(F(12344999, 1000000)) == Decimal("12.34")
    assert round2(F(1, 200)) == Decimal("0.01")
    assert round2(F(100)) == Decimal("100.00")


def two_stage(**stage2):
    return rubric(stages=[{"id": "verifikasi", "weight": 70},
                          dict({"id": "presentasi", "weight": 30}, **stage2)])


def test_later_stage_total_and_renormalised_weights():
    doc = two_stage(shortlist=2)
    responses = [resp("a", FULL, stages={"presentasi": {"p1": 80, "p2": 90.5}}),
                 resp("b", {"sk": True, "sop": 4}, stages={"presentasi": {"p1": 100}}),
                 resp("c", {"sk": True, "sop": 2}, stages={"presentasi": {"p1": 100}})]
    result = score(doc, assessment(responses))
    a, b, c = (row(result, x) for x in "abc")
    assert a.stages == {"verifikasi": 100, "presentasi": F(1705, 20)}
    assert a.total == (100 * 70 + F(1705, 20) * 30) / 100
    assert b.stage_reached == "presentasi" and b.total == (40 * 70 + 100 * 30) / F(100)
    # c did not reach the stage: its stage score is ignored and its total is stage 1 alone
    assert c.stage_reached == "verifikasi" and c.total == F(80, 3) and c.stages == {"verifikasi": F(80, 3)}
    assert [r.unit.code for r in result.ranking] == ["a", "b", "c"]


def test_unit_that_reached_a_stage_without_a_score_counts_zero():
    result = score(two_stage(), assessment([resp("a", FULL)]))
    a = row(result, "a")
    assert a.stage_reached == "presentasi" and a.stages["presentasi"] == 0 and a.total == 70


def test_reaching_a_later_stage_ranks_above_a_higher_total():
    # b stops at stage 1 with 100; a reaches stage 2 but scores 0 there: a still ranks first
    doc = two_stage(shortlist=1)
    responses = [resp("a", FULL), resp("b", FULL)]
    result = score(doc, assessment(responses))
    assert [(r.rank, r.unit.code, r.stage_reached) for r in result.ranking] == [
        (1, "a", "presentasi"), (1, "b", "presentasi")]   # tied for the last place: both go on
    responses = [resp("a", FULL), resp("b", dict(FULL, kanal=["web"]))]
    result = score(doc, assessment(responses))
    assert [(r.unit.code, r.stage_reached) for r in result.ranking] == [
        ("a", "presentasi"), ("b", "verifikasi")]
    assert row(result, "a").total == 70 and row(result, "b").total > 70


def test_shortlist_and_pass_mark_are_per_category():
    doc = two_stage(shortlist=1, pass_mark=60)
    responses = [resp("a", FULL), resp("b", FULL), resp("k", {"sk": True})]
    units = [unit("a"), unit("b", "kabkota"), unit("k", "kabkota")]
    result = score(doc, assessment(responses, units))
    assert {r.unit.code: r.stage_reached for r in result.ranking} == {
        "a": "presentasi", "b": "presentasi", "k": "verifikasi"}
    # the pass mark keeps a category's best unit out when it is too low
    result = score(two_stage(pass_mark=60), assessment([resp("k", {"sk": True})]))
    assert result.ranking[0].stage_reached == "verifikasi"


def test_awards_rank_within_category_with_winners():
    doc = rubric(awards=[{"id": "medsos", "title": "Medsos", "category": "provinsi",
                          "aspects": ["medsos"], "winners": 2},
                         {"id": "semua", "title": "Semua", "category": "kabkota",
                          "aspects": ["koordinasi", "medsos"], "winners": 1}])
    responses = [resp("a", {"unggahan": 7}), resp("b", {"unggahan": 3}),
                 resp("c", {"unggahan": 3}), resp("d", {}), resp("k", FULL)]
    units = [unit(x) for x in "abcd"] + [unit("k", "kabkota")]
    awards = score(doc, assessment(responses, units)).awards
    # medsos: unggahan weight 2 of 3 -> a 66.67, b and c 50, d 0
    assert [(r.rank, r.unit.code, str(r.score), r.winner) for r in awards["medsos"]] == [
        (1, "a", "66.67", True), (2, "b", "50.00", True), (2, "c", "50.00", True),
        (4, "d", "0.00", False)]
    assert [(r.rank, r.unit.code, r.winner) for r in awards["semua"]] == [(1, "k", True)]


@pytest.mark.parametrize("bad, place", [
    (dict(rubric_id="lain"), "rubric"),
    (dict(responses=[resp("zz", {})]), "responses[0].unit"),
    (dict(responses=[resp("a", {}), resp("a", {})]), "responses[1].unit"),
    (dict(responses=[resp("a", {"tidak-ada": 1})]), "responses[0].self.tidak-ada"),
    (dict(responses=[resp("a", judges={"p1": {"sop": 9}})]), "responses[0].judges.p1.sop"),
    (dict(responses=[resp("a", moderated={"kanal": ["tv"]})]), "responses[0].moderated.kanal"),
    (dict(responses=[resp("a", stages={"presentasi": {"p1": 101}})]),
     "responses[0].stages.presentasi.p1"),
    (dict(responses=[resp("a", stages={"presentasi": {"p1": -0.5}})]),
     "responses[0].stages.presentasi.p1"),
    (dict(responses=[resp("a", stages={"verifikasi": {"p1": 50}})]), "responses[0].stages.verifikasi"),
])
def test_bad_input_names_the_place(bad, place):
    kwargs = dict(responses=[resp("a", {})], units=[unit("a")])
    kwargs.update(bad)
    rubric_id = kwargs.pop("rubric_id", "uji")
    with pytest.raises(ScoringInputError) as err:
        score(two_stage(), assessment(kwargs["responses"], kwargs["units"], rubric_id=rubric_id))
    assert err.value.place == place


@pytest.mark.parametrize("text, expected", [
    ("12", 12), (" 7 ", 7), ("2,5", 2.5), ("2.5", 2.5), ("1.250", 1250), ("1.250.000", 1250000),
    ("1.250,5", 1250.5), ("0", 0), ("", None), ("  ", None), ("+3", 3),
])
def test_number_text_as_people_type_it(text, expected):
    from scoring.answers import parse_number_text
    assert parse_number_text(text) == expected


@pytest.mark.parametrize("text, words", [
    ("-3", "negative"), ("abc", "Enter a number"), ("12 orang", "Enter a number"),
    ("1,2,3", "Enter a number"), ("9" * 16, "too many digits"),
])
def test_number_text_that_is_refused(text, words):
    from scoring.answers import AnswerError, parse_number_text
    with pytest.raises(AnswerError, match=words):
        parse_number_text(text)
