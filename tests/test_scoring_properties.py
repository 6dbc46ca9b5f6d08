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
