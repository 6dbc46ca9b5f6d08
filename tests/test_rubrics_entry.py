"""Conditions of entry (``entry: true``, edition 2026's sk-bakohumas): a yes/no that is not
scored, whose evidence is required; a unit whose verified answer is not Ya is listed without
a rank, an award or a shortlist place. Editions without it score as before."""
import copy
import random

import pytest
import yaml

from rubrics import RubricError, load_rubric, parse_rubric
from rubrics.loader import EDITIONS_DIR
from scoring import result_to_dict, score
from scoring.synthetic import answer_for
from tests.scoring_helpers import assessment, resp, unit

DOC = {
    "id": "masuk", "title": "Rubrik syarat",
    "predicates": [{"min": 50, "label": "Baik"}, {"min": 0, "label": "Kurang"}],
    "stages": [{"id": "verifikasi", "weight": 80},
               {"id": "presentasi", "weight": 20, "shortlist": 1}],
    "awards": [{"id": "layanan", "title": "Layanan", "category": "provinsi",
                "aspects": ["layanan"]}],
    "aspects": [
        {"id": "layanan", "title": "Layanan", "weight": 1, "indicators": [
            {"id": "sk", "type": "yesno", "entry": True, "evidence": "required",
             "question": "Ada Keputusan?"},
            {"id": "sk-nomor", "type": "text", "question": "Nomor?"},
            {"id": "i1", "type": "yesno", "weight": 1, "question": "q"},
            {"id": "i2", "type": "scale", "weight": 3, "question": "q",
             "levels": ["a", "b", "c", "d", "e"]}]},
    ],
}


def make(**indicator_changes):
    doc = copy.deepcopy(DOC)
    doc["aspects"][0]["indicators"][0].update(indicator_changes)
    doc["aspects"][0]["indicators"][0] = {k: v for k, v in doc["aspects"][0]["indicators"][0].items()
                                          if v is not None}
    return parse_rubric(yaml.safe_dump(doc), source="masuk.yaml")


R = make()


def rows(result):
    return {r.unit.code: r for r in result.ranking}


# ---- the rubric ---------------------------------------------------------------------------

def test_an_entry_condition_is_an_unscored_yes_no_with_required_evidence():
    sk = R.indicator("sk")
    assert sk.entry and not sk.scored and sk.weight == 0
    assert R.entry_indicators == (sk,)
    assert [i.id for i in R.aspects[0].scored_indicators] == ["i1", "i2"]
    assert R.indicator_shares() == {"i1": 0.25, "i2": 0.75}      # weights 1 and 3, sk none


@pytest.mark.parametrize("changes, place, words", [
    ({"type": "text"}, "aspects[0].indicators[0].entry", "a condition of entry is a yesno"),
    ({"evidence": "optional"}, "aspects[0].indicators[0].evidence", "needs evidence: required"),
    ({"weight": 1}, "aspects[0].indicators[0].weight", "not scored and takes no weight"),
    ({"allow_na": True}, "aspects[0].indicators[0].allow_na", "takes no allow_na"),
    ({"entry": "ya"}, "aspects[0].indicators[0].entry", "must be true or false"),
])
def test_rubric_check_names_the_place_of_a_wrong_entry_condition(changes, place, words):
    with pytest.raises(RubricError) as info:
        make(**changes)
    assert place in str(info.value) and words in str(info.value)
    assert "masuk.yaml" in str(info.value)


def test_the_2026_edition_makes_the_decree_a_condition_of_entry_with_a_note():
    edition = load_rubric(EDITIONS_DIR / "bakohumas-2026.yaml")
    sk = edition.indicator("sk-bakohumas")
    assert (sk.type, sk.entry, sk.scored, sk.evidence) == ("yesno", True, False, "required")
    note = edition.indicator("sk-bakohumas-nomor")
    assert (note.type, note.scored, note.evidence) == ("text", False, "none")
    assert edition.entry_indicators == (sk,)
    for year in ("2021", "2024", "2025"):      # earlier editions have no condition of entry
        assert load_rubric(EDITIONS_DIR / f"bakohumas-{year}.yaml").entry_indicators == ()


# ---- scoring ------------------------------------------------------------------------------

def test_a_unit_without_the_decree_is_listed_without_rank_award_or_shortlist():
    """Hand computation: i1 weight 1, i2 weight 3 (level d = 3/4). A: 100 * (1 + 3 * 1) / 4 =
    100, no decree; B: (1 + 3 * 3/4) / 4 = 81.25; C: (0 + 3 * 3/4) / 4 = 56.25. A would lead;
    without a decree it is listed after B (rank 1, shortlisted, award) and C (rank 2)."""
    units = [unit("A"), unit("B"), unit("C")]
    a = assessment([resp("A", {"sk": False, "i1": True, "i2": 4}),
                    resp("B", {"sk": True, "i1": True, "i2": 3}),
                    resp("C", {"sk": True, "i1": False, "i2": 3}, stages=None)],
                   units, rubric_id="masuk")
    result = score(R, a)
    got = rows(result)
    assert [r.unit.code for r in result.ranking] == ["B", "C", "A"]
    assert (got["B"].rank, got["C"].rank, got["A"].rank) == (1, 2, None)
    assert got["A"].total == 100 and got["A"].stage_reached == "verifikasi"
    assert got["A"].entry_unmet == ("sk",) and got["B"].entry_unmet == ()
    assert got["B"].stage_reached == "presentasi" and got["B"].stages["verifikasi"] * 4 == 325
    assert got["C"].stages["verifikasi"] * 16 == 900
    assert [r.unit.code for r in result.awards["layanan"]] == ["B", "C"]
    ranking = result_to_dict(result)["ranking"]
    assert ranking[2]["rank"] is None and ranking[2]["entry_unmet"] == ["sk"]
    assert "entry_unmet" not in ranking[0]


@pytest.mark.parametrize("self_answer, judges, moderated, met", [
    (True, {}, {}, True),
    (None, {}, {}, False),                                   # unanswered is not met
    (False, {}, {}, False),
    (True, {"J1": {"sk": True}, "J2": {"sk": False}}, {}, False),   # a judge found it invalid
    (True, {"J1": {"sk": True}, "J2": {"i1": True}}, {}, True),     # J2 did not look at it
    (True, {"J1": {"sk": False}}, {"sk": True}, True),       # the moderated value decides
    (True, {}, {"sk": False}, False),
])
def test_the_verified_answer_decides(self_answer, judges, moderated, met):
    answers = {"i1": True} | ({} if self_answer is None else {"sk": self_answer})
    a = assessment([resp("A", answers, judges, moderated), resp("B", {"sk": True})],
                   [unit("A"), unit("B")], rubric_id="masuk")
    got = rows(score(R, a))["A"]
    assert (got.rank is not None) is met and (got.entry_unmet == ()) is met


def test_synthetic_units_meet_the_condition():
    assert all(answer_for(R.indicator("sk"), level, random.Random(n)) is True
               for n, level in enumerate((0.0, 0.5, 1.0)))


# ---- the questionnaire ----------------------------------------------------------------------

def test_the_questionnaire_needs_the_condition_answered_and_its_decree_when_ya(app):
    from assessment.models import Submission
    from assessment.operations.submission import missing_items

    def missing(answers):
        sub = Submission(answers=answers, pending={}, pending_links={})
        return dict(missing_items(R, sub))

    with app.test_request_context():
        scored = {"i1": True, "i2": 0}
        unanswered, ya = missing(scored), missing(scored | {"sk": True})
        assert list(unanswered) == ["sk"] and list(ya) == ["sk"]      # the text note is free
        assert unanswered["sk"] != ya["sk"]                # not answered / the decree is missing
        assert missing(scored | {"sk": False}) == {}       # Tidak: submitted, then not ranked
