"""The ranking order in words and the ties a tie-break aspect decided (scoring/order.py)."""
from __future__ import annotations

from scoring import Assessment, Unit, score
from scoring.order import order_rule, tie_breaks
from tests.scoring_helpers import resp, rubric

# koordinasi 40 % (sk, sop), medsos 60 % (unggahan, kanal); tie-break: medsos, koordinasi
STRONG_KOORDINASI = {"sk": True, "sop": 4, "unggahan": 0, "kanal": []}          # 100 / 0 -> 40
STRONG_MEDSOS = {"sk": False, "sop": 0, "unggahan": 3, "kanal": ["web", "ig"]}  # 0 / 66.67 -> 40
BEST = {"sk": True, "sop": 4, "unggahan": 7, "kanal": ["web", "ig", "x", "fb"]}  # 100


def test_a_tie_on_the_rounded_total_names_the_aspect_that_decided_it():
    rub = rubric()
    units = tuple(Unit(code, f"KPU {code}", "kabkota") for code in ("A", "B", "C", "D"))
    answers = {"A": BEST, "B": STRONG_KOORDINASI, "C": STRONG_MEDSOS, "D": STRONG_KOORDINASI}
    result = score(rub, Assessment("uji", units, tuple(
        resp(code, judges={"j1": a}) for code, a in answers.items())))
    ranks = {r.unit.code: (r.rank, str(r.total)) for r in result.ranking}
    assert ranks == {"A": (1, "100"), "C": (2, "40"), "B": (3, "40"), "D": (3, "40")}
    # B and D (sharing rank 3) are below C only by medsos; A is above by its total
    assert tie_breaks(rub, result) == {"B": "medsos", "D": "medsos"}


def test_the_rule_lists_stages_last_first_and_the_tie_break_aspects():
    rub = rubric()
    rule = order_rule(rub)
    assert rule["tie_break"] == ["Media sosial", "Koordinasi"]
    assert rule["stages"] == [s.title or s.id for s in reversed(rub.stages)]


def test_the_sentence_names_stages_then_total_then_aspects():
    from scoring.order import order_sentence
    text = order_sentence(rubric())
    assert text.startswith("Urutan peringkat: tahap terakhir yang dicapai")
    assert "lalu nilai aspek Media sosial, Koordinasi secara berurutan" in text
