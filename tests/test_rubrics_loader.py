"""Rubric validation: every rule of the loader, one mutation of a small valid rubric per case."""
from __future__ import annotations

import hashlib
import re
from fractions import Fraction

import pytest
import yaml

from rubrics import Level, RubricError, Stage, default_rubric_path, load_rubric, parse_rubric


def base() -> dict:
    """A fresh, small, valid rubric document (two aspects, every indicator type)."""
    return {
        "id": "uji-2025",
        "title": "Rubrik Uji Bakohumas",
        "aggregate": "mean",
        "predicates": [{"min": 90, "label": "Sangat Baik"},
                       {"min": 75, "label": "Baik"},
                       {"min": 0, "label": "Kurang"}],
        "tie_break": ["kelembagaan"],
        "stages": [{"id": "verifikasi", "weight": 70},
                   {"id": "presentasi", "weight": 30, "shortlist": 10}],
        "awards": [{"id": "terbaik", "title": "Satker Terbaik", "category": "provinsi",
                    "aspects": ["kelembagaan"]}],
        "aspects": [
            {"id": "kelembagaan", "title": "Kelembagaan", "weight": 60, "indicators": [
                {"id": "sk-tim", "type": "yesno", "weight": 1, "question": "Ada SK tim?"},
                {"id": "sop", "type": "scale", "weight": 2, "question": "Status SOP?",
                 "levels": ["Tidak ada", "Draf", "Ditetapkan"]},
                {"id": "unggahan", "type": "number", "weight": 2, "question": "Unggahan per minggu?",
                 "bands": [[0, 0], [1, 0.5], [3, 1]]},
                {"id": "kanal", "type": "choice", "weight": 1, "question": "Kanal yang dikelola?",
                 "options": ["website", "instagram", "x"], "full_at": 2},
                {"id": "praktik-baik", "type": "text", "question": "Ceritakan praktik baik."},
            ]},
            {"id": "publikasi", "title": "Publikasi", "weight": 40, "indicators": [
                {"id": "siaran-pers", "type": "yesno", "question": "Ada siaran pers?"},
            ]},
        ],
    }


STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def with_(*changes) -> dict:
    """``base()`` with each (place, value) set; the place uses the loader's own notation."""
    doc = base()
    for place, value in changes:
        keys = [name if name else int(index) for name, index in STEP.findall(place)]
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return doc


def parse(doc) -> object:
    return parse_rubric(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def problems_of(doc) -> list[tuple[str, str]]:
    with pytest.raises(RubricError) as info:
        parse(doc)
    return info.value.problems


def assert_problem(problems, place: str, word: str):
    assert any(p == place and word in m for p, m in problems), \
        f"no problem at {place!r} mentioning {word!r} in {problems!r}"


AWARD = {"id": "terbaik", "title": "Satker Terbaik", "category": "provinsi", "aspects": ["publikasi"]}
IND0, IND1, IND2, IND3, IND4 = (f"aspects[0].indicators[{n}]" for n in range(5))

# (id, changes, expected place, a word of the message)
INVALID = [
    ("duplicate-aspect-id", [("aspects[1].id", "kelembagaan")], "aspects[1].id", "duplicate aspect"),
    ("duplicate-indicator-across-aspects", [("aspects[1].indicators[0].id", "sk-tim")],
     "aspects[1].indicators[0].id", "duplicate indicator"),
    ("duplicate-indicator-same-aspect", [(f"{IND1}.id", "sk-tim")], f"{IND1}.id", "duplicate indicator"),
    ("duplicate-stage-id", [("stages[1].id", "verifikasi")], "stages[1].id", "duplicate stage"),
    ("duplicate-award-id", [("awards", [AWARD, dict(AWARD)])], "awards[1].id", "duplicate award"),
    ("aspect-weight-zero", [("aspects[0].weight", 0)], "aspects[0].weight", "positive"),
    ("aspect-weight-negative", [("aspects[1].weight", -5)], "aspects[1].weight", "positive"),
    ("aspect-weight-missing", [("aspects[1].weight", None)], "aspects[1].weight", "positive"),
    ("indicator-weight-zero", [(f"{IND0}.weight", 0)], f"{IND0}.weight", "positive"),
    ("indicator-weight-infinite", [(f"{IND0}.weight", float("inf"))], f"{IND0}.weight", "positive"),
    ("indicator-weight-negative", [(f"{IND2}.weight", -0.5)], f"{IND2}.weight", "positive"),
    ("stage-weight-zero", [("stages[1].weight", 0)], "stages[1].weight", "positive"),
    ("stage-weight-negative", [("stages[0].weight", -70)], "stages[0].weight", "positive"),
    ("unknown-indicator-type", [(f"{IND0}.type", "boolean")], f"{IND0}.type", "unknown type"),
    ("scale-one-level", [(f"{IND1}.levels", ["Ada"])], f"{IND1}.levels", "at least 2 levels"),
    ("scale-no-levels", [(f"{IND1}.levels", [])], f"{IND1}.levels", "at least 2 levels"),
    ("bands-not-from-zero", [(f"{IND2}.bands", [[1, 0], [3, 1]])], f"{IND2}.bands", "first threshold must be 0"),
    ("bands-repeated-threshold", [(f"{IND2}.bands", [[0, 0], [3, 0.5], [3, 1]])],
     f"{IND2}.bands[2]", "strictly ascending"),
    ("bands-descending-threshold", [(f"{IND2}.bands", [[0, 0], [5, 0.5], [3, 1]])],
     f"{IND2}.bands[2]", "strictly ascending"),
    ("band-fraction-above-one", [(f"{IND2}.bands", [[0, 0], [3, 1.5]])], f"{IND2}.bands[1]", "outside [0, 1]"),
    ("band-fraction-negative", [(f"{IND2}.bands", [[0, -0.5], [3, 1]])], f"{IND2}.bands[0]", "outside [0, 1]"),
    ("band-fraction-decreasing", [(f"{IND2}.bands", [[0, 0.5], [3, 0.25]])],
     f"{IND2}.bands[1]", "must not decrease"),
    ("band-threshold-infinite", [(f"{IND2}.bands", [[0, 0], [float("inf"), 1]])], f"{IND2}.bands[1]", "pair"),
    ("band-not-a-pair", [(f"{IND2}.bands", [[0, 0], [3]])], f"{IND2}.bands[1]", "pair"),
    ("options-empty", [(f"{IND3}.options", [])], f"{IND3}.options", "at least one option"),
    ("options-duplicate", [(f"{IND3}.options", ["website", "x", "website"])],
     f"{IND3}.options[2]", "duplicate option"),
    ("full-at-zero", [(f"{IND3}.full_at", 0)], f"{IND3}.full_at", "whole number from 1 to 3"),
    ("full-at-above-options", [(f"{IND3}.full_at", 4)], f"{IND3}.full_at", "whole number from 1 to 3"),
    ("predicates-equal-min", [("predicates[1].min", 90)], "predicates[1].min", "strictly descending"),
    ("predicates-ascending", [("predicates[1].min", 95)], "predicates[1].min", "strictly descending"),
    ("predicates-not-ending-at-zero", [("predicates[2].min", 10)], "predicates", "min 0"),
    ("tie-break-unknown-aspect", [("tie_break", ["kelembagaan", "tidak-ada"])], "tie_break[1]",
     "unknown aspect id"),
    ("tie-break-not-a-text", [("tie_break", [{"id": "kelembagaan"}])], "tie_break[0]", "unknown aspect id"),
    ("award-unknown-aspect", [("awards[0].aspects", ["publikasi", "tidak-ada"])], "awards[0].aspects[1]",
     "unknown aspect id"),
    ("award-aspect-not-a-text", [("awards[0].aspects", [["kelembagaan"]])], "awards[0].aspects[0]",
     "unknown aspect id"),
    ("award-no-aspects", [("awards[0].aspects", [])], "awards[0].aspects", "at least one aspect"),
    ("text-indicator-with-weight", [(f"{IND4}.weight", 1)], f"{IND4}.weight", "takes no weight"),
    ("aspect-only-text", [("aspects[1].indicators", [{"id": "catatan", "type": "text", "question": "Catatan?"}])],
     "aspects[1].indicators", "no scored indicator"),
    ("aggregate-invalid", [("aggregate", "mode")], "aggregate", "must be one of"),
    ("evidence-invalid", [(f"{IND0}.evidence", "wajib")], f"{IND0}.evidence", "must be one of"),
    ("shortlist-on-first-stage", [("stages[0].shortlist", 5)], "stages[0]", "first stage"),
    ("pass-mark-on-first-stage", [("stages[0].pass_mark", 60)], "stages[0]", "first stage"),
    ("id-not-a-slug", [("id", "Uji 2025")], "id", "slug"),
    ("question-missing", [(f"{IND0}.question", None)], f"{IND0}.question", "required"),
]


@pytest.mark.parametrize("changes, place, word", [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_invalid_rubric_names_place_and_problem(changes, place, word):
    assert_problem(problems_of(with_(*changes)), place, word)


@pytest.mark.parametrize("text, place_pattern, word", [
    ("id: uji\ntitle: [a, b\npredicates: []\n", r"^line 3, column \d+$", "not valid YAML"),
    ("id: uji\ntitle: x\n  bad: indent\n", r"^line 3, column \d+$", "not valid YAML"),
    ("- a\n- b\n", r"^$", "mapping"),
    ("just a sentence\n", r"^$", "mapping"),
], ids=["unclosed-list", "bad-indent", "list-document", "scalar-document"])
def test_unusable_yaml_document(text, place_pattern, word):
    with pytest.raises(RubricError) as info:
        parse_rubric(text)
    assert any(re.match(place_pattern, p) and word in m for p, m in info.value.problems), \
        info.value.problems


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "tidak-ada.yaml"
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert str(path) in str(info.value)
    assert "cannot be read" in str(info.value)


def test_error_message_names_the_source_file(tmp_path):
    path = tmp_path / "rubrik.yaml"
    path.write_text(yaml.safe_dump(with_(("aspects[0].weight", 0))), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"{path}: aspects[0].weight: must be a positive number")


def test_all_problems_are_reported_at_once():
    doc = with_(("aggregate", "mode"), ("aspects[1].weight", 0), (f"{IND3}.full_at", 9),
                ("tie_break", ["tidak-ada"]))
    places = {p for p, _ in problems_of(doc)}
    assert {"aggregate", "aspects[1].weight", f"{IND3}.full_at", "tie_break[0]"} <= places


# -- valid rubrics -----------------------------------------------------------------------

def test_base_loads():
    rubric = parse(base())
    assert rubric.id == "uji-2025"
    assert [a.id for a in rubric.aspects] == ["kelembagaan", "publikasi"]
    assert [i.id for i in rubric.indicators] == ["sk-tim", "sop", "unggahan", "kanal", "praktik-baik",
                                                 "siaran-pers"]
    assert [len(a.scored_indicators) for a in rubric.aspects] == [4, 1]
    assert [s.id for s in rubric.stages] == ["verifikasi", "presentasi"]
    assert rubric.indicator("unggahan").bands == ((0, 0), (1, Fraction(1, 2)), (3, 1))
    assert rubric.indicator("siaran-pers").weight == 1          # the default weight
    assert rubric.indicator("praktik-baik").evidence == "none"  # the default for text
    assert rubric.indicator("sk-tim").evidence == "optional"
    assert rubric.indicator("kanal").aspect_id == "kelembagaan"


def test_decimal_weights_are_exact_fractions():
    rubric = parse(with_(("aspects[0].weight", 0.1), ("aspects[1].weight", 0.2),
                         (f"{IND0}.weight", 0.3), (f"{IND2}.bands", [[0, 0], [0.1, 0.1], [1, 1]])))
    assert rubric.aspects[0].weight == Fraction(1, 10)
    assert type(rubric.aspects[0].weight) is Fraction
    assert rubric.aspects[1].weight == Fraction(2, 10)
    assert rubric.indicator("sk-tim").weight == Fraction(3, 10)
    assert rubric.indicator("unggahan").bands[1] == (Fraction(1, 10), Fraction(1, 10))


def test_default_stage_when_stages_absent():
    doc = base()
    del doc["stages"]
    assert parse(doc).stages == (Stage(id="verifikasi", weight=Fraction(100)),)


def test_levels_as_text_or_mapping():
    doc = with_((f"{IND1}.levels", ["Tidak ada", {"label": "Draf", "descriptor": "SOP masih draf"},
                                     {"label": "Ditetapkan"}]))
    assert parse(doc).indicator("sop").levels == (
        Level("Tidak ada"), Level("Draf", "SOP masih draf"), Level("Ditetapkan"))


def test_full_at_defaults_to_number_of_options():
    doc = base()
    del doc["aspects"][0]["indicators"][3]["full_at"]
    assert parse(doc).indicator("kanal").full_at == 3


def test_sha256_is_the_hash_of_the_file_bytes(tmp_path):
    path = tmp_path / "rubrik.yaml"
    path.write_bytes(yaml.safe_dump(base(), allow_unicode=True).encode("utf-8") + b"# catatan\n")
    assert load_rubric(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# -- the shipped default edition ------------------------------------------------------------

ENGLISH = re.compile(r"\b(the|and|of|with|is|are|does|has|have|which|your)\b", re.IGNORECASE)
INDONESIAN = re.compile(r"\b(yang|dan|atau|di|ke|dari|untuk|dengan|apakah|ada|tidak|telah|sudah|dalam|"
                        r"oleh|pada|jumlah|berapa|kpu|satuan|kerja|memiliki|setiap|secara|serta|"
                        r"sebagai|terhadap|melalui|tersedia|berkala)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def edition():
    path = default_rubric_path()
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    return load_rubric(path)


def test_default_edition_size(edition):
    assert len(edition.aspects) >= 8
    assert sum(len(a.scored_indicators) for a in edition.aspects) >= 40


def test_default_edition_texts_are_indonesian(edition):
    texts = [edition.title] + [p.label for p in edition.predicates] + [a.title for a in edition.awards]
    for aspect in edition.aspects:
        texts.append(aspect.title)
        for ind in aspect.indicators:
            texts.append(ind.question)
            texts.extend(level.label for level in ind.levels)
            texts.extend(level.descriptor for level in ind.levels)
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert [t for t in texts if ENGLISH.search(t)] == []
    questions = [i.question for i in edition.indicators]
    assert sum(bool(INDONESIAN.search(q)) for q in questions) >= 0.9 * len(questions)


def test_default_edition_levels_have_descriptors(edition):
    missing = [(i.id, n) for i in edition.indicators for n, level in enumerate(i.levels)
               if not level.descriptor.strip()]
    assert missing == []


def test_default_edition_awards_use_known_categories(edition):
    ranked = {c for a in edition.awards for c in a.category_ids}
    assert ranked and ranked <= {"provinsi", "kabkota"}   # pusat is unranked in 2026


def test_indicator_shares_add_up_to_one_and_follow_the_weights():
    from fractions import Fraction
    from rubrics import load_rubric
    from rubrics.loader import EDITIONS_DIR
    rubric = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")   # hand-worked on 2025
    shares = rubric.indicator_shares()
    assert sum(shares.values()) == 1
    assert set(shares) == {i.id for i in rubric.indicators if i.scored}
    # kelembagaan weighs 8 of 100 and sk-bakohumas 1 of its 3 equal weights
    assert shares["sk-bakohumas"] == Fraction(8, 100) * Fraction(1, 3)
