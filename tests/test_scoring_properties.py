"""Properties of the scoring engine that must hold for any input (hypothesis)."""
import copy
from decimal import Decimal

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rubrics import parse_rubric
from scoring import score
from tests.scoring_helpers import BASE_RUBRIC, assessment, resp, unit

STAGES = [{"id": "verifikasi", "weight": 70},
          {"id": "presentasi", "weight": 30, "shortlist": 2, "pass_mark": 40}]


def make_rubric(indicator_factor=1, aspect_factor=1, aggregate="mean"):
    doc = copy.deepcopy(BASE_RUBRIC)
    doc.update(stages=STAGES, aggregate=aggregate,
               awards=[{"id": "medsos", "title": "M", "category": "provinsi", "aspects": ["medsos"]}])
    for aspect in doc["aspects"]:
        aspect["weight"] = float(Decimal(str(aspect["weight"])) * aspect_factor)
        for ind in aspect["indicators"]:
            if "weight" in ind:
                ind["weight"] = float(Decimal(str(ind["weight"])) * indicator_factor)
    return parse_rubric(yaml.safe_dump(doc))


RUBRICS = {how: make_rubric(aggregate=how) for how in ("mean", "median")}
OPTIONS = ["web", "ig", "x", "fb", "yt", "tt"]
VALUES = {
    "sk": st.booleans(),
    "sop": st.integers(0, 4),
    "unggahan": st.one_of(st.integers(0, 12), st.floats(0, 12, allow_nan=False).map(lambda f: round(f, 2))),
    "kanal": st.lists(st.sampled_from(OPTIONS), unique=True, max_size=6),
}


@st.composite
def answers(draw, min_size=0):
    keys = draw(st.lists(st.sampled_from(sorted(VALUES)), unique=True, min_size=min_size))
    return {k: draw(VALUES[k]) for k in keys}


@st.composite
def responses(draw, code):
    judges = {f"p{n}": draw(answers()) for n in range(draw(st.integers(0, 3)))}
    moderated = draw(answers()) if draw(st.integers(0, 4)) == 0 else {}
    stage = {f"p{n}": draw(st.integers(0, 100)) for n in range(draw(st.integers(0, 2)))}
    return resp(code, draw(answers()), judges, moderated, {"presentasi": stage} if stage else {})


@st.composite
def assessments(draw, min_units=1):
    count = draw(st.integers(min_units, 7))
    codes = [f"{n:02d}" for n in range(count)]
    cats = [draw(st.sampled_from(["provinsi", "kabkota"])) for _ in codes]
    units = [unit(c, cat) for c, cat in zip(codes, cats)]
    return assessment([draw(responses(c)) for c in codes], units)


def by_unit(result):
    rows = {r.unit.code: (r.rank, r.total, r.self_total, r.stage_reached, dict(r.aspects),
                          r.predicate) for r in result.ranking}
    awards = {aid: {r.unit.code: (r.rank, r.score) for r in rows_} for aid, rows_ in result.awards.items()}
    return rows, awards


def shuffled(a, rnd):
    units, responses_ = list(a.units), list(a.responses)
    rnd.shuffle(units)
    rnd.shuffle(responses_)
    out = []
    for r in responses_:
        judges = list(r.judges.items())
        rnd.shuffle(judges)
        out.append(resp(r.unit, r.self_answers, dict(judges), r.moderated,
                        {k: dict(reversed(list(v.items()))) for k, v in r.stages.items()}))
    return assessment(out, units)


@settings(deadline=None)
@given(assessments(), st.randoms(use_true_random=False), st.sampled_from(["mean", "median"]))
def test_order_of_units_responses_and_judges_changes_nothing(a, rnd, how):
    rubric = RUBRICS[how]
    assert by_unit(score(rubric, shuffled(a, rnd))) == by_unit(score(rubric, a))


@settings(deadline=None)
@given(assessments(), st.sampled_from([2, 3, Decimal("0.1"), Decimal("2.5"), 7]),
       st.booleans())
def test_scaling_all_weights_changes_nothing(a, factor, on_aspects):
    scaled = make_rubric(**{"aspect_factor" if on_aspects else "indicator_factor": factor})
    assert by_unit(score(scaled, a)) == by_unit(score(RUBRICS["mean"], a))


def raise_value(key, value, draw):
    """A value for indicator ``key`` that is at least as good as ``value``."""
    if key == "sk":
        return True
    if key == "sop":
        return draw(st.integers(value, 4))
    if key == "unggahan":
        return value + draw(st.integers(0, 10))
    extra = [o for o in OPTIONS if o not in value]
    return value + draw(st.lists(st.sampled_from(extra), unique=True)) if extra else value


@settings(deadline=None)
@given(assessments(), st.data(), st.sampled_from(["mean", "median"]))
def test_raising_one_answer_never_lowers_score_or_rank(a, data, how):
    rubric = RUBRICS[how]
    target = data.draw(st.sampled_from(a.responses))
    sources = ["self", "moderated"] + [f"judge:{j}" for j in target.judges]
    source = data.draw(st.sampled_from(sources))
    if source == "self":
        answers_ = dict(target.self_answers)
    elif source == "moderated":
        answers_ = dict(target.moderated)
    else:
        answers_ = dict(target.judges[source[6:]])
    # Raising means a better value for an answer already given: adding a judge's or a
    # moderated value where there was none replaces the value that stood, up or down.
    assume(answers_)
    key = data.draw(st.sampled_from(sorted(answers_)))
    answers_[key] = raise_value(key, answers_[key], data.draw)
    if source == "self":
        better = resp(target.unit, answers_, target.judges, target.moderated, target.stages)
    elif source == "moderated":
        better = resp(target.unit, target.self_answers, target.judges, answers_, target.stages)
    else:
        better = resp(target.unit, target.self_answers, dict(target.judges, **{source[6:]: answers_}),
                      target.moderated, target.stages)
    after = assessment([better if r is target else r for r in a.responses], a.units)
    old = next(r for r in score(rubric, a).ranking if r.unit.code == target.unit)
    new = next(r for r in score(rubric, after).ranking if r.unit.code == target.unit)
    assert new.stages["verifikasi"] >= old.stages["verifikasi"]
    assert new.rank <= old.rank


@settings(deadline=None)
@given(assessments(), st.sampled_from(["mean", "median"]))
def test_units_with_identical_answers_tie(a, how):
    first = a.responses[0]
    twin_code = "99"
    twin = resp(twin_code, first.self_answers, first.judges, first.moderated, first.stages)
    category = next(u.category for u in a.units if u.code == first.unit)
    doubled = assessment(list(a.responses) + [twin], list(a.units) + [unit(twin_code, category)])
    rows = {r.unit.code: r for r in score(RUBRICS[how], doubled).ranking}
    assert rows[first.unit].rank == rows[twin_code].rank
    assert rows[first.unit].total == rows[twin_code].total


# ---- the 2026 features --------------------------------------------------------------------

CRITERIA = [{"id": "inovasi", "title": "I", "weight": 30}, {"id": "dampak", "title": "D", "weight": 30},
            {"id": "keberlanjutan", "title": "K", "weight": 20}, {"id": "replikasi", "title": "R", "weight": 10},
            {"id": "tanya-jawab", "title": "T", "weight": 10}]


def feature_doc(provinsi="provinsi", kabkota="kabkota", criteria=CRITERIA, aggregate="mean"):
    """The base rubric with every 2026 feature, its category ids given."""
    doc = copy.deepcopy(BASE_RUBRIC)
    doc["aggregate"] = aggregate
    doc["tie_break"] = ["koordinasi", "medsos"]
    doc["aspects"][0]["indicators"][1]["allow_na"] = True             # sop
    number = doc["aspects"][1]["indicators"][0]                       # unggahan
    number["bands"] = {provinsi: [[0, 0], [2, 0.5], [7, 1]], kabkota: [[0, 0], [1, 0.5], [3, 0.75], [7, 1]]}
    number["allow_na"] = True
    doc["stages"] = [{"id": "verifikasi", "weight": 70},
                     {"id": "presentasi", "weight": 30, "criteria": criteria,
                      "shortlist": {provinsi: 2, kabkota: 3}, "pass_mark": {"default": 30, kabkota: 20}}]
    doc["awards"] = [{"id": "lintas", "title": "L", "categories": [provinsi, kabkota],
                      "indicators": ["sop", "unggahan"]},
                     {"id": "medsos", "title": "M", "category": provinsi, "aspects": ["medsos"]}]
    return doc


FEATURES = {how: parse_rubric(yaml.safe_dump(feature_doc(aggregate=how))) for how in ("mean", "median")}
NA_VALUES = dict(VALUES, sop=st.one_of(st.integers(0, 4), st.just("tidak-berlaku")),
                 unggahan=st.one_of(VALUES["unggahan"], st.just("tidak-berlaku")))
MARK = st.one_of(st.integers(0, 100), st.dictionaries(
    st.sampled_from([c["id"] for c in CRITERIA]), st.integers(0, 100)))


@st.composite
def na_answers(draw):
    keys = draw(st.lists(st.sampled_from(sorted(NA_VALUES)), unique=True))
    return {k: draw(NA_VALUES[k]) for k in keys}


@st.composite
def feature_assessments(draw):
    count = draw(st.integers(1, 7))
    codes = [f"{n:02d}" for n in range(count)]
    units = [unit(c, draw(st.sampled_from(["provinsi", "kabkota"]))) for c in codes]
    out = []
    for code in codes:
        judges = {f"p{n}": draw(na_answers()) for n in range(draw(st.integers(0, 3)))}
        moderated = draw(na_answers()) if draw(st.integers(0, 4)) == 0 else {}
        marks = {f"p{n}": draw(MARK) for n in range(draw(st.integers(0, 2)))}
        out.append(resp(code, draw(na_answers()), judges, moderated,
                        {"presentasi": marks} if marks else {}))
    return assessment(out, units)


def renamed(a, names):
    return assessment(a.responses, [unit(u.code, names[u.category]) for u in a.units])


@settings(deadline=None)
@given(feature_assessments(), st.sampled_from(["mean", "median"]))
def test_renaming_categories_in_rubric_and_units_changes_nothing(a, how):
    names = {"provinsi": "kpu-prov", "kabkota": "kpu-kab"}
    other = parse_rubric(yaml.safe_dump(feature_doc("kpu-prov", "kpu-kab", aggregate=how)))
    assert by_unit(score(other, renamed(a, names))) == by_unit(score(FEATURES[how], a))


def without(answers_, key):
    return {k: v for k, v in answers_.items() if k != key}


def marked_na(answers_, key):
    return dict(answers_, **{key: "tidak-berlaku"}) if key in answers_ else answers_


@settings(deadline=None)
@given(feature_assessments(), st.sampled_from(["sop", "unggahan"]), st.sampled_from(["mean", "median"]))
def test_an_indicator_that_is_tidak_berlaku_everywhere_is_as_if_it_were_not_there(a, key, how):
    na = assessment([resp(r.unit, dict(r.self_answers, **{key: "tidak-berlaku"}),
                          {j: marked_na(v, key) for j, v in r.judges.items()},
                          marked_na(r.moderated, key), r.stages) for r in a.responses], a.units)
    gone = assessment([resp(r.unit, without(r.self_answers, key),
                            {j: without(v, key) for j, v in r.judges.items()},
                            without(r.moderated, key), r.stages) for r in a.responses], a.units)
    doc = feature_doc(aggregate=how)
    doc["awards"] = doc["awards"][1:]            # the indicator award names the indicator
    for aspect in doc["aspects"]:
        aspect["indicators"] = [i for i in aspect["indicators"] if i["id"] != key]
    smaller = parse_rubric(yaml.safe_dump(doc))
    full = parse_rubric(yaml.safe_dump(dict(feature_doc(aggregate=how), awards=doc["awards"])))
    assert by_unit(score(full, na)) == by_unit(score(smaller, gone))


@settings(deadline=None)
@given(feature_assessments(), st.randoms(use_true_random=False))
def test_order_of_criteria_and_of_marks_changes_nothing(a, rnd):
    criteria = list(CRITERIA)
    rnd.shuffle(criteria)
    other = parse_rubric(yaml.safe_dump(feature_doc(criteria=criteria)))

    def reorder(mark):
        if not isinstance(mark, dict):
            return mark
        items = list(mark.items())
        rnd.shuffle(items)
        return dict(items)
    shuffled_marks = assessment([resp(r.unit, r.self_answers, r.judges, r.moderated,
                                      {s: {j: reorder(m) for j, m in marks.items()}
                                       for s, marks in r.stages.items()}) for r in a.responses], a.units)
    assert by_unit(score(other, shuffled_marks)) == by_unit(score(FEATURES["mean"], a))


@settings(deadline=None)
@given(feature_assessments(), st.randoms(use_true_random=False), st.sampled_from(["mean", "median"]))
def test_order_changes_nothing_with_the_new_features(a, rnd, how):
    assert by_unit(score(FEATURES[how], shuffled(a, rnd))) == by_unit(score(FEATURES[how], a))


def _doc_of(rubric):
    """The document ``make_rubric`` parsed for this aggregate."""
    doc = copy.deepcopy(BASE_RUBRIC)
    doc.update(stages=STAGES, aggregate=rubric.aggregate,
               awards=[{"id": "medsos", "title": "M", "category": "provinsi", "aspects": ["medsos"]}])
    return doc


@settings(deadline=None)
@given(assessments(), st.sampled_from(["mean", "median"]))
def test_allowing_na_changes_nothing_while_nobody_answers_it(a, how):
    """The exact Fraction path (taken once an indicator allows "tidak-berlaku") and the
    integer path score every answer the same."""
    doc = yaml.safe_load(yaml.safe_dump(_doc_of(RUBRICS[how])))
    doc["aspects"][0]["indicators"][1]["allow_na"] = True
    assert by_unit(score(parse_rubric(yaml.safe_dump(doc)), a)) == by_unit(score(RUBRICS[how], a))
