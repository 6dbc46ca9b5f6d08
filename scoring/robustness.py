"""How certain each rank is: re-rank many resampled variants of one assessment.

Each run resamples the judges' verified values (leave one judge out where a unit has two,
bootstrap over judges where it has three or more) and scales every aspect weight by a
random factor within ``1 ± weight_jitter``, then ranks again with ``score`` - the one
implementation of the rules. The result only informs the jury; the official ranking is
whatever ``score`` returns for the unchanged input.
"""
from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from rubrics.model import Rubric

from .engine import Assessment, Response, score


def rank_intervals(rubric: Rubric, assessment: Assessment, *, runs: int = 200,
                   weight_jitter: float = 0.10, seed: int = 2025,
                   close_share: float = 0.25) -> dict:
    """Rank intervals, keep shares and too-close-to-call neighbours, as plain data."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if not 0 <= weight_jitter < 1:
        raise ValueError("weight_jitter must be at least 0 and below 1")
    official = score(rubric, assessment)
    rnd = random.Random(seed)
    history = {row.unit.code: [] for row in official.ranking}
    for _ in range(runs):
        responses = tuple(_resample(r, rnd) for r in assessment.responses)
        variant = replace(assessment, responses=responses)
        for row in score(_jittered(rubric, weight_jitter, rnd), variant).ranking:
            history[row.unit.code].append(row.rank)
    # an unranked category's units (rank None) have no rank to be uncertain about
    ranked = [row for row in official.ranking if row.rank is not None]
    units = [_unit_summary(row, history[row.unit.code]) for row in ranked]
    pairs = _neighbour_pairs(ranked, history, close_share)
    return {"runs": runs, "seed": seed, "weight_jitter": weight_jitter,
            "close_share": close_share, "units": units, "pairs": pairs}


def _jittered(rubric: Rubric, jitter: float, rnd: random.Random) -> Rubric:
    """The rubric with each aspect weight scaled by an exact factor in [1-jitter, 1+jitter]."""
    aspects = rubric.aspects
    if jitter:
        # an exact factor: the random number rounded to 3 decimals, as a Fraction
        aspects = tuple(replace(a, weight=a.weight * Fraction(
            Decimal(f"{rnd.uniform(1 - jitter, 1 + jitter):.3f}"))) for a in aspects)
    # awards do not change the ranking and cost half of each run
    return replace(rubric, aspects=aspects, awards=())


def _pick(names: list[str], rnd: random.Random) -> list[str]:
    """Judges for one run: leave one out of two, bootstrap from three or more."""
    if len(names) == 2:
        return [names[rnd.randrange(2)]]
    if len(names) >= 3:
        return [rnd.choice(names) for _ in names]
    return names


def _draw(marks: dict, picks: list[str]) -> dict:
    """The picked judges' marks, a repeated judge under a distinct key so it counts twice."""
    out = {}
    for n, name in enumerate(picks):
        out[name if name not in out else f"{name}#{n}"] = marks[name]
    return out


def _resample(response: Response, rnd: random.Random) -> Response:
    names = list(response.judges)
    picks = _pick(names, rnd)
    judges = _draw(response.judges, picks)
    stages = {}
    for stage_id, marks in response.stages.items():
        # the same judges where they also marked the stage, else a draw of the stage's own
        same = all(p in marks for p in picks) and len(marks) == len(names)
        stages[stage_id] = _draw(marks, picks if same else _pick(list(marks), rnd))
    # self answers only count where no judge answered; dropping the others saves time
    judged = {key for answers in judges.values() for key, v in answers.items()
              if v is not None and v != ""}
    own = {k: v for k, v in response.self_answers.items() if k not in judged}
    return replace(response, self_answers=own, judges=judges, stages=stages)


def _percentile(ordered: list[int], percent: int) -> int:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, -(-percent * len(ordered) // 100) - 1)]


def _unit_summary(row, ranks: list[int]) -> dict:
    ordered = sorted(ranks)
    p5, p95 = _percentile(ordered, 5), _percentile(ordered, 95)
    # low/high widen the percentile range to the official rank, so it is never outside its bar
    return {"code": row.unit.code, "name": row.unit.name, "category": row.unit.category,
            "province": row.unit.province, "rank": row.rank, "p5": p5, "p95": p95,
            "low": min(p5, row.rank), "high": max(p95, row.rank),
            "keep_share": sum(r == row.rank for r in ranks) / len(ranks)}


def _neighbour_pairs(ranking, history, close_share: float) -> list[dict]:
    """Adjacent units of one category; ``flip_share``: runs the lower one draws level or passes."""
    pairs = []
    for upper, lower in zip(ranking, ranking[1:]):
        if upper.unit.category != lower.unit.category:
            continue
        a, b = history[upper.unit.code], history[lower.unit.code]
        flips = sum(rb <= ra for ra, rb in zip(a, b)) / len(a)
        pairs.append({"category": upper.unit.category, "upper": upper.unit.code,
                      "lower": lower.unit.code, "upper_rank": upper.rank,
                      "lower_rank": lower.rank, "flip_share": flips,
                      "too_close": flips > close_share})
    return pairs
