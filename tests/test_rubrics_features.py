"""Validation of the 2026 rubric keys (allow_na, bands per category, min/max/integer,
sample, stage criteria, per-category shortlist and pass mark, unranked, awards on
indicators or across categories): one mutation of the small valid rubric per case."""
from fractions import Fraction

import pytest

from tests.test_rubrics_loader import IND0, IND1, IND2, IND3, IND4, assert_problem, parse, problems_of, with_

CRIT = [{"id": "inovasi", "title": "Inovasi", "weight": 80}, {"id": "dampak", "title": "Dampak", "weight": 20}]

INVALID = [
    ("allow-na-not-bool", [(f"{IND0}.allow_na", "ya")], f"{IND0}.allow_na", "true or false"),
    ("allow-na-on-text", [(f"{IND4}.allow_na", True)], f"{IND4}.allow_na", "text"),
    ("category-bands-bad-key", [(f"{IND2}.bands", {"Provinsi Besar": [[0, 0], [1, 1]]})],
     f"{IND2}.bands.Provinsi Besar", "category id"),
    ("category-bands-not-a-list", [(f"{IND2}.bands", {"provinsi": 3})], f"{IND2}.bands.provinsi", "list"),
    ("category-bands-not-from-zero", [(f"{IND2}.bands", {"kabkota": [[1, 0], [3, 1]]})],
     f"{IND2}.bands.kabkota", "first threshold must be 0"),
    ("category-bands-decreasing", [(f"{IND2}.bands", {"default": [[0, 0.5], [3, 0.25]]})],
     f"{IND2}.bands.default[1]", "must not decrease"),
    ("category-bands-empty", [(f"{IND2}.bands", {})], f"{IND2}.bands", "at least one"),
    ("min-negative", [(f"{IND2}.min", -1)], f"{IND2}.min", "at least 0"),
    ("max-not-number", [(f"{IND2}.max", "seratus")], f"{IND2}.max", "at least 0"),
    ("max-below-min", [(f"{IND2}.min", 5), (f"{IND2}.max", 4)], f"{IND2}.max", "must not be below min"),
    ("integer-not-bool", [(f"{IND2}.integer", "ya")], f"{IND2}.integer", "true or false"),
    ("integer-with-fraction-max", [(f"{IND2}.integer", True), (f"{IND2}.max", 2.5)], f"{IND2}.max", "whole"),
    ("band-beyond-max", [(f"{IND2}.max", 2)], f"{IND2}.bands", "above max 2"),
    ("min-on-yesno", [(f"{IND0}.min", 0)], f"{IND0}.min", "only number indicators"),
    ("integer-on-scale", [(f"{IND1}.integer", True)], f"{IND1}.integer", "only number indicators"),
    ("measured-by-unknown", [(f"{IND2}.measured_by", "likes_per_post")], f"{IND2}.measured_by",
     "unknown measure 'likes_per_post'; use one of weekly_share"),
    ("measured-by-not-text", [(f"{IND2}.measured_by", 3)], f"{IND2}.measured_by", "unknown measure"),
    ("measured-by-on-yesno", [(f"{IND0}.measured_by", "weekly_share")], f"{IND0}.measured_by",
     "only number indicators"),
    ("measured-by-share-without-max", [(f"{IND2}.measured_by", "same_day_share")],
     f"{IND2}.measured_by", "share in percent: the indicator needs max: 100"),
    ("sample-not-mapping", [(f"{IND3}.sample", 12)], f"{IND3}.sample", "mapping"),
    ("sample-count-zero", [(f"{IND3}.sample", {"count": 0})], f"{IND3}.sample.count", "1 to 366"),
    ("sample-by-week", [(f"{IND3}.sample", {"count": 3, "by": "week"})], f"{IND3}.sample.by", "date"),
    ("sample-unknown-key", [(f"{IND3}.sample", {"count": 3, "seed": 9})], f"{IND3}.sample.seed", "unknown key"),
    ("sample-on-text", [(f"{IND4}.sample", {"count": 3})], f"{IND4}.sample", "text"),
    ("criteria-not-list", [("stages[1].criteria", "inovasi")], "stages[1].criteria", "list"),
    ("criteria-empty", [("stages[1].criteria", [])], "stages[1].criteria", "at least one criterion"),
    ("criterion-weight-zero", [("stages[1].criteria", [{"id": "inovasi", "title": "I", "weight": 0}])],
     "stages[1].criteria[0].weight", "positive"),
    ("criterion-no-title", [("stages[1].criteria", [{"id": "inovasi", "weight": 1}])],
     "stages[1].criteria[0].title", "required"),
    ("criterion-duplicate", [("stages[1].criteria", CRIT + [CRIT[0]])], "stages[1].criteria[2].id",
     "duplicate criterion"),
    ("criteria-on-first-stage", [("stages[0].criteria", CRIT)], "stages[0].criteria", "first stage"),
    ("shortlist-mapping-bad-value", [("stages[1].shortlist", {"provinsi": 0})],
     "stages[1].shortlist.provinsi", "at least 1"),
    ("shortlist-mapping-bad-key", [("stages[1].shortlist", {"Prov": 3})], "stages[1].shortlist.Prov",
     "category id"),
    ("pass-mark-mapping-above-100", [("stages[1].pass_mark", {"kabkota": 120})],
     "stages[1].pass_mark.kabkota", "0 to 100"),
    ("pass-mark-mapping-on-first-stage", [("stages[0].pass_mark", {"kabkota": 60})], "stages[0]", "first stage"),
    ("unranked-not-list", [("unranked", "pusat")], "unranked", "list"),
    ("unranked-bad-id", [("unranked", ["KPU RI"])], "unranked[0]", "category id"),
    ("unranked-twice", [("unranked", ["pusat", "pusat"])], "unranked[1]", "twice"),
    ("shortlist-for-unranked", [("unranked", ["pusat"]), ("stages[1].shortlist", {"pusat": 1})],
     "stages[1].shortlist.pusat", "unranked"),
    ("award-for-unranked", [("unranked", ["provinsi"])], "awards[0].category", "unranked"),
    ("award-categories-unranked", [("unranked", ["pusat"]),
                                   ("awards[0]", {"id": "a", "title": "A", "categories": ["pusat"],
                                                  "aspects": ["publikasi"]})],
     "awards[0].categories[0]", "unranked"),
    ("award-both-category-forms", [("awards[0].categories", ["provinsi"])], "awards[0]",
     "either category or categories"),
    ("award-categories-empty", [("awards[0]", {"id": "a", "title": "A", "categories": [],
                                               "aspects": ["publikasi"]})],
     "awards[0].categories", "at least one category"),
    ("award-both-bases", [("awards[0].indicators", ["sop"])], "awards[0]", "either aspects or indicators"),
    ("award-unknown-indicator", [("awards[0]", {"id": "a", "title": "A", "category": "provinsi",
                                                "indicators": ["sop", "tidak-ada"]})],
     "awards[0].indicators[1]", "unknown indicator id"),
    ("award-text-indicator", [("awards[0]", {"id": "a", "title": "A", "category": "provinsi",
                                             "indicators": ["praktik-baik"]})],
     "awards[0].indicators[0]", "not scored"),
    ("award-indicators-empty", [("awards[0]", {"id": "a", "title": "A", "category": "provinsi",
                                               "indicators": []})],
     "awards[0].indicators", "at least one indicator"),
]


@pytest.mark.parametrize("changes, place, word", [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_invalid_new_keys_name_place_and_problem(changes, place, word):
    assert_problem(problems_of(with_(*changes)), place, word)


def test_every_new_key_is_read():
    rubric = parse(with_(
        (f"{IND1}.allow_na", True), (f"{IND3}.sample", {"count": 12}),
        (f"{IND2}.bands", {"provinsi": [[0, 0], [3, 0.5], [10, 1]], "default": [[0, 0], [1, 1]]}),
        (f"{IND2}.min", 0), (f"{IND2}.max", 100), (f"{IND2}.integer", True),
        (f"{IND2}.measured_by", "weekly_share"), ("unranked", ["pusat"]),
        ("stages[1].criteria", CRIT), ("stages[1].shortlist", {"provinsi": 10, "kabkota": 25}),
        ("stages[1].pass_mark", {"default": 80, "kabkota": 75.5}),
        ("awards", [{"id": "a", "title": "A", "categories": ["provinsi", "kabkota"],
                     "indicators": ["sop", "unggahan"], "description": "Mengapa."}])))
    sop, number, kanal = (rubric.indicator(i) for i in ("sop", "unggahan", "kanal"))
    assert sop.allow_na and not rubric.indicator("sk-tim").allow_na
    assert kanal.sample.count == 12 and kanal.sample.by == "date"
    assert number.bands == ((0, 0), (1, 1))
    assert number.bands_for("provinsi") == ((0, 0), (3, Fraction(1, 2)), (10, 1))
    assert number.bands_for("kabkota") == number.bands
    assert (number.min, number.max, number.integer) == (0, 100, True)
    assert number.measured_by == "weekly_share" and sop.measured_by == ""
    stage = rubric.stages[1]
    assert [c.id for c in stage.criteria] == ["inovasi", "dampak"]
    assert stage.shortlist_for("kabkota") == 25 and stage.shortlist_for("pusat") is None
    assert stage.pass_mark_for("provinsi") == 80 and stage.pass_mark_for("kabkota") == Fraction(151, 2)
    assert rubric.unranked == ("pusat",)
    award = rubric.awards[0]
    assert award.category_ids == ("provinsi", "kabkota") and award.indicators == ("sop", "unggahan")
    assert award.description == "Mengapa."


def test_old_keys_read_as_before():
    rubric = parse(with_())
    assert rubric.stages[1].shortlist == 10 and rubric.stages[1].shortlists == ()
    assert rubric.awards[0].category_ids == ("provinsi",) and rubric.unranked == ()
    assert not any(i.allow_na or i.sample or i.category_bands or i.measured_by
                   for i in rubric.indicators)


def test_measured_by_names_come_from_scoring_and_read_without_bounds():
    from scoring import activity
    assert activity.MEASURES == ("weekly_share", "weekly_share_outside_stages", "same_day_share",
                                 "items_per_week")
    rubric = parse(with_((f"{IND2}.measured_by", "items_per_week")))   # a count: no max needed
    assert rubric.indicator("unggahan").measured_by == "items_per_week"


def test_measured_by_problems_name_the_file():
    from rubrics import RubricError, parse_rubric
    import yaml
    doc = with_((f"{IND2}.measured_by", "likes"))
    with pytest.raises(RubricError) as info:
        parse_rubric(yaml.safe_dump(doc), source="rubrics/editions/uji.yaml")
    assert f"rubrics/editions/uji.yaml: {IND2}.measured_by: unknown measure 'likes'" in str(info.value)
