"""Rank intervals: seeded, honest about close calls, never touching the official ranking."""
import random
from fractions import Fraction

import pytest

from rubrics import default_rubric_path, load_rubric
from scoring import Assessment, Unit, score
from scoring.robustness import _jittered, _resample, rank_intervals
from scoring.synthetic import responses_for
from tests.scoring_helpers import assessment, resp, rubric

R = rubric()
FULL = {"sk": True, "sop": 4, "unggahan": 7, "kanal": ["web", "ig", "x", "fb"]}
WEAK = {"sk": False, "sop": 1, "unggahan": 1, "kanal": ["web"]}
MIDDLE = {"sk": True, "sop": 2, "unggahan": 3, "kanal": ["web", "ig"]}
SPLIT_A = {"sk": True, "sop": 3, "unggahan": 3, "kanal": ["web", "ig", "x"]}
SPLIT_B = {"sk": False, "sop": 2, "unggahan": 7, "kanal": ["web"]}


def small():
    """A leader far ahead, two units with identical answers, a split-judged one, a laggard."""
    return assessment([
        resp("A", FULL, judges={"p1": FULL, "p2": FULL}),
        resp("B", MIDDLE, judges={"p1": SPLIT_A, "p2": SPLIT_B}),
        resp("C", MIDDLE, judges={"p1": SPLIT_A, "p2": SPLIT_B}),
        resp("D", MIDDLE, judges={"p1": SPLIT_B, "p2": MIDDLE, "p3": SPLIT_A}),
        resp("E", WEAK, judges={"p1": WEAK, "p2": WEAK}),
    ])


def by_code(out):
    return {u["code"]: u for u in out["units"]}


@pytest.fixture(scope="module")
def small_result():
    return rank_intervals(R, small(), runs=60)


def test_same_seed_same_result_other_seed_may_differ(small_result):
    assert rank_intervals(R, small(), runs=60) == small_result
    other = rank_intervals(R, small(), runs=60, seed=7)
    assert other["seed"] == 7
    assert {u["code"] for u in other["units"]} == {u["code"] for u in small_result["units"]}


def test_a_unit_far_ahead_keeps_its_rank(small_result):
    leader = by_code(small_result)["A"]
    assert (leader["rank"], leader["low"], leader["high"]) == (1, 1, 1)
    assert leader["keep_share"] == 1.0


def test_identical_answers_are_too_close_to_call(small_result):
    pair = next(p for p in small_result["pairs"] if {p["upper"], p["lower"]} == {"B", "C"})
    assert pair["too_close"] and pair["flip_share"] > 0.25


def test_a_clear_gap_is_not_flagged():
    out = rank_intervals(R, small(), runs=60)
    pair = next(p for p in out["pairs"] if p["upper"] == "A")
    assert not pair["too_close"] and pair["flip_share"] == 0


def test_intervals_contain_the_official_rank_and_percentiles_are_ordered(small_result):
    for u in small_result["units"]:
        assert u["low"] <= u["rank"] <= u["high"]
        assert u["low"] <= u["p5"] <= u["p95"] <= u["high"]
        assert 0 <= u["keep_share"] <= 1


def test_official_result_is_unchanged():
    data = small()
    before = score(R, data)
    rank_intervals(R, data, runs=20)
    assert score(R, data) == before
    assert data == small()


def test_zero_jitter_and_unanimous_judges_change_nothing():
    data = assessment([resp(c, a, judges={"p1": a, "p2": a})
                       for c, a in (("A", FULL), ("B", MIDDLE), ("C", WEAK))])
    out = rank_intervals(R, data, runs=10, weight_jitter=0)
    assert all(u["keep_share"] == 1 and u["low"] == u["high"] == u["rank"] for u in out["units"])
    assert not any(p["too_close"] for p in out["pairs"])


def test_pairs_stay_within_a_category():
    units = [Unit("P1", "KPU P1", "provinsi"), Unit("K1", "KPU K1", "kabkota"),
             Unit("K2", "KPU K2", "kabkota")]
    data = assessment([resp(u.code, FULL, judges={"p1": FULL}) for u in units], units=units)
    out = rank_intervals(R, data, runs=5)
    assert [(p["upper"], p["lower"]) for p in out["pairs"]] == [("K1", "K2")]


@pytest.mark.parametrize("options", [{"runs": 0}, {"weight_jitter": 1}, {"weight_jitter": -0.1}])
def test_nonsense_options_are_refused(options):
    with pytest.raises(ValueError):
        rank_intervals(R, small(), **options)


def test_jittered_weights_are_exact_and_within_bounds():
    rnd = random.Random(1)
    for _ in range(20):
        jittered = _jittered(R, 0.10, rnd)
        assert jittered.awards == ()
        for old, new in zip(R.aspects, jittered.aspects):
            assert isinstance(new.weight, Fraction)
            assert old.weight * Fraction(9, 10) <= new.weight <= old.weight * Fraction(11, 10)


def test_leave_one_out_and_bootstrap_keep_judges_of_the_unit():
    rnd = random.Random(3)
    two = resp("A", FULL, judges={"p1": FULL, "p2": WEAK}, stages={"s": {"p1": 80, "p2": 60}})
    three = resp("B", FULL, judges={"p1": FULL, "p2": WEAK, "p3": MIDDLE})
    for _ in range(20):
        once = _resample(two, rnd)
        assert len(once.judges) == 1 and set(once.judges) == set(once.stages["s"])
        boot = _resample(three, rnd)
        assert len(boot.judges) == 3
        assert {name.split("#")[0] for name in boot.judges} <= {"p1", "p2", "p3"}


def test_default_rubric_with_stages_and_two_judges():
    real = load_rubric(default_rubric_path())
    units = [Unit(f"{n:02d}", f"KPU {n:02d}", "kabkota", "Jawa Tengah") for n in range(25)]
    data = Assessment(real.id, tuple(units), tuple(responses_for(real, units, judges=2)))
    out = rank_intervals(real, data, runs=15)
    official = {r.unit.code: r.rank for r in score(real, data).ranking}
    assert {u["code"]: u["rank"] for u in out["units"]} == official
    assert len(out["pairs"]) == 24


def test_unranked_category_is_left_out_of_the_intervals():
    """The 2026 default leaves pusat unranked: KPU RI is scored (rank None) and has no
    interval, while the ranked units keep their official ranks."""
    real = load_rubric(default_rubric_path())
    assert "pusat" in real.unranked
    units = [Unit("00", "KPU RI", "pusat")] + [
        Unit(f"{n:02d}", f"KPU {n:02d}", "provinsi") for n in range(11, 16)]
    data = Assessment(real.id, tuple(units), tuple(responses_for(real, units, judges=2)))
    out = rank_intervals(real, data, runs=5)
    official = {r.unit.code: r.rank for r in score(real, data).ranking}
    assert official["00"] is None
    assert {u["code"]: u["rank"] for u in out["units"]} == {
        c: r for c, r in official.items() if c != "00"}
    assert all("00" not in (p["upper"], p["lower"]) for p in out["pairs"])
