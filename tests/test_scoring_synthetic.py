"""Synthetic answers (scoring.synthetic) are answers a person could give: counts of whole
things are whole numbers in every edition, so demos, tests and benches need no rounding."""
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubrics import NOT_APPLICABLE, load_rubric
from scoring import check_answer
from scoring.answers import check_limits, counts_whole
from scoring.synthetic import _number, answer_for

EDITIONS = sorted(Path(__file__).resolve().parent.parent.joinpath("rubrics", "editions")
                  .glob("bakohumas-*.yaml"))
RUBRICS = [load_rubric(path) for path in EDITIONS]
WHOLE = [(rubric, ind) for rubric in RUBRICS for ind in rubric.indicators if counts_whole(ind)]
NUMBERS = [(rubric, ind) for rubric in RUBRICS for ind in rubric.indicators
           if ind.type == "number"]


def _categories(rubric) -> list:
    return [None] + sorted({c for ind in rubric.indicators for c, _ in ind.category_bands})


def test_every_edition_has_counts_of_whole_things_including_ones_without_integer_key():
    """The property below covers both kinds: ``integer: true`` (2026) and a whole unit
    such as orang in editions written before that key (pranata-humas in 2021-2025, whose
    top band of 3 made the generator write 2.7 orang)."""
    assert {ind.integer for _, ind in WHOLE} == {True, False}
    assert ("bakohumas-2025", "pranata-humas") in {(r.id, i.id) for r, i in WHOLE if not i.integer}


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(WHOLE), level=st.floats(-0.5, 1.5, allow_nan=False),
       seed=st.integers(0, 2 ** 32 - 1), pick=st.integers(0, 10))
def test_counts_of_whole_things_are_whole_numbers(pair, level, seed, pick):
    rubric, ind = pair
    categories = _categories(rubric)
    value = answer_for(ind, level, random.Random(seed), categories[pick % len(categories)])
    if value == NOT_APPLICABLE:
        assert ind.allow_na
        return
    assert type(value) is int and value >= 0
    check_answer(ind, value)      # within the indicator's bounds
    check_limits(ind, value)      # what the answer reader accepts when a person types it


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(NUMBERS), level=st.floats(0, 1, allow_nan=False),
       seed=st.integers(0, 2 ** 32 - 1), pick=st.integers(0, 10))
def test_every_number_answer_is_one_a_person_may_type(pair, level, seed, pick):
    """Fractions remain where the rubric allows them (percentages, per-month rates)."""
    rubric, ind = pair
    categories = _categories(rubric)
    value = answer_for(ind, level, random.Random(seed), categories[pick % len(categories)])
    if value != NOT_APPLICABLE:
        check_answer(ind, value)
        check_limits(ind, value)
        assert counts_whole(ind) <= (type(value) is int)


@pytest.mark.parametrize("level, expected", [(0.0, 0), (0.2, 0), (0.5, 1), (0.85, 3), (1.0, 3)])
def test_pranata_humas_2025_by_hand(level, expected):
    """Top band 3 orang; value = level * 3 * 1.3, whole: 0.5 -> 1.95 -> 1, 0.85 -> 3.315 -> 3
    (it was 3.3 orang, which the questionnaire refuses)."""
    rubric = next(r for r in RUBRICS if r.id == "bakohumas-2025")
    value = _number(rubric.indicator("pranata-humas"), level, None)
    assert value == expected and type(value) is int

