"""Deterministic synthetic answers for demos, examples and benchmarks.

Each unit gets a hidden "maturity" between 0 and 1; its self-assessment is that maturity
plus a little optimism, and each judge verifies with some noise and a personal leniency,
so claimed-versus-verified gaps, disagreements and ties look like a real season.
"""
from __future__ import annotations

import random

from rubrics.model import NOT_APPLICABLE, Indicator, Rubric

from .answers import counts_whole
from .engine import Response, Unit

TEXTS = [
    "Liputan kegiatan diunggah di hari yang sama setelah persetujuan singkat Kasubbag.",
    "Grup WhatsApp Bakohumas bersama Diskominfo, Bawaslu, dan media mitra aktif setiap hari.",
    "Podcast mingguan 'Ngobrol Demokrasi' tayang di YouTube dan Spotify.",
    "Konten pendidikan pemilih tetap diunggah setiap minggu di luar tahapan pemilihan.",
    "PPK dan PPS dilibatkan mengirim foto dan berita kegiatan tahapan untuk dipublikasikan.",
]


def answer_for(ind: Indicator, level: float, rnd: random.Random, category: str | None = None):
    """One answer to ``ind`` for a unit of ``category`` at maturity ``level`` (0..1), in the
    exchange format: numbers follow the category's bands and stay within the indicator's
    bounds, whole for counts of whole things (``scoring.answers.counts_whole``: ``integer``,
    or a unit such as orang in older editions); an ``allow_na`` indicator is now and then
    "tidak-berlaku"; a condition of entry (``entry``) is met (Ya): tests of a unit that
    does not meet it say so themselves."""
    if ind.entry:
        return True
    if ind.allow_na and rnd.random() < 0.08:
        return NOT_APPLICABLE
    level = min(max(level + rnd.gauss(0, 0.12), 0.0), 1.0)
    if ind.type == "yesno":
        return rnd.random() < 0.15 + 0.8 * level
    if ind.type == "scale":
        return min(int(level * len(ind.levels)), len(ind.levels) - 1)
    if ind.type == "number":
        return _number(ind, level, category)
    if ind.type == "choice":
        count = min(int(round(level * len(ind.options) * 1.1)), len(ind.options))
        return sorted(rnd.sample(list(ind.options), count), key=list(ind.options).index)
    return rnd.choice(TEXTS)


def _number(ind: Indicator, level: float, category: str | None):
    bands = ind.bands_for(category) or next(iter(ind.all_bands()), ())
    top = float(bands[-1][0]) if len(bands) > 1 else 10.0
    value = level * top * 1.3
    if ind.max is not None:
        value = min(value, float(ind.max))
    if ind.min is not None:
        value = max(value, float(ind.min))
    return int(value) if top >= 5 or counts_whole(ind) else round(value, 1)


def responses_for(rubric: Rubric, units: list[Unit], seed: int = 2025, judges: int = 2,
                  stage_scores: bool = True) -> list[Response]:
    """A response for every unit: self answers, ``judges`` verifications, stage marks."""
    rnd = random.Random(seed)
    leniency = {f"penilai-{n + 1:02d}": rnd.uniform(-0.08, 0.05) for n in range(max(judges, 6))}
    names = sorted(leniency)
    out = []
    for unit in units:
        level = rnd.betavariate(4, 2.2)
        optimism = rnd.uniform(0.0, 0.12)
        self_answers = {i.id: answer_for(i, level + optimism, rnd, unit.category)
                        for i in rubric.indicators}
        chosen = rnd.sample(names, judges) if judges else []
        verified = {j: {i.id: answer_for(i, level + leniency[j], rnd, unit.category)
                        for i in rubric.indicators if i.scored} for j in chosen}
        stages = {}
        if stage_scores and len(rubric.stages) > 1:
            stages = {s.id: {j: round(min(100.0, max(0.0, rnd.gauss(55 + 40 * level, 6))), 1)
                             for j in chosen} for s in rubric.stages[1:]}
        out.append(Response(unit=unit.code, self_answers=self_answers, judges=verified,
                            stages=stages))
    return out
