"""The scoring rules: verified fractions, aspect and stage scores, stages, ranking, awards.

Everything is exact. Answers become integer numerators over one common denominator for
the whole run (see ``_Plan``), so adding thousands of answers costs integer additions,
and mathematically equal totals are equal integers whatever the input order. Only what
is reported is rounded (half-up to 2 decimals), and ranks compare those rounded values,
exactly as the published table shows them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from rubrics.model import Award, Rubric

from .answers import AnswerError, compile_rubric


class ScoringInputError(ValueError):
    """Input that cannot be scored; ``place`` says where (e.g. ``responses[3].self.sop``)."""

    def __init__(self, place: str, message: str):
        self.place = place
        self.message = message
        super().__init__(f"{place}: {message}" if place else message)


@dataclass(frozen=True)
class Unit:
    """A work unit (satuan kerja) taking part: its code, name and ranking category."""

    code: str
    name: str
    category: str
    province: str = ""


@dataclass(frozen=True)
class Response:
    """One unit's answers: its own, each judge's, moderated values and later-stage scores."""

    unit: str
    self_answers: Mapping[str, object] = field(default_factory=dict)
    judges: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    moderated: Mapping[str, object] = field(default_factory=dict)
    stages: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    """Everything one scoring run needs besides the rubric."""

    rubric_id: str
    units: tuple[Unit, ...]
    responses: tuple[Response, ...]


@dataclass(frozen=True)
class IndicatorDetail:
    """Per-indicator fractions of one unit (only when scoring with ``detail=True``)."""

    self_fraction: Fraction | None
    judge_fractions: Mapping[str, Fraction]
    moderated: Fraction | None
    verified: Fraction


@dataclass(frozen=True)
class UnitResult:
    """One ranked unit."""

    unit: Unit
    rank: int
    total: Fraction
    self_total: Fraction
    predicate: str
    stage_reached: str
    stages: Mapping[str, Fraction]
    aspects: Mapping[str, Fraction]
    self_aspects: Mapping[str, Fraction]
    indicators: Mapping[str, IndicatorDetail] | None = None


@dataclass(frozen=True)
class AwardRow:
    """One unit's place in an award category."""

    rank: int
    unit: Unit
    score: Decimal
    winner: bool


@dataclass(frozen=True)
class Result:
    """A whole scoring run: ranking rows ordered by category then rank."""

    rubric_id: str
    ranking: tuple[UnitResult, ...]
    awards: Mapping[str, tuple[AwardRow, ...]]
    not_submitted: tuple[str, ...]
    categories: tuple[str, ...] = ()


def round2(value: Fraction) -> Decimal:
    """Round a non-negative exact value half-up to 2 decimals, as published."""
    return Decimal(_cents(value)).scaleb(-2)


def _cents(value: Fraction) -> int:
    num, den = value.numerator, value.denominator
    return (200 * num + den) // (2 * den)


def _number(value) -> Fraction | None:
    kind = type(value)
    if kind is int:
        return Fraction(value)
    if kind is float and math.isfinite(value):
        return Fraction(Decimal(repr(value)))
    return None


class _Plan:
    """The rubric compiled for one run, with one common denominator ``L``.

    A verified fraction is ``V / L`` with integer ``V``. ``L`` is the lcm of every
    indicator's own denominator times lcm(1..J) (J the most judges on one response)
    times 2, so a mean over up to J judges and the middle pair of a median divide
    exactly.
    """

    def __init__(self, rubric: Rubric, max_judges: int):
        self.rubric = rubric
        self.converters = compile_rubric(rubric)
        scored = [ind for ind in rubric.indicators if ind.scored]
        self.L = (math.lcm(*(self.converters[i.id].den for i in scored))
                  * math.lcm(*range(1, max(max_judges, 1) + 1)) * 2)
        self.median = rubric.aggregate == "median"
        self.aspects = []          # (aspect id, [(indicator id, weight * L/den, den)], sum of weights)
        for aspect in rubric.aspects:
            inds = aspect.scored_indicators
            wden = math.lcm(*(i.weight.denominator for i in inds))
            ws = [int(i.weight * wden) for i in inds]
            entries = [(i.id, w * (self.L // self.converters[i.id].den)) for i, w in zip(inds, ws)]
            self.aspects.append((aspect.id, entries, sum(ws)))
        aden = math.lcm(*(a.weight.denominator for a in rubric.aspects))
        self.aspect_weights = [int(a.weight * aden) for a in rubric.aspects]
        self.M = math.lcm(*(sw for _, _, sw in self.aspects))
        self.total_den = self.L * self.M * sum(self.aspect_weights)
        self.total_factors = [aw * (self.M // sw) * 100
                              for aw, (_, _, sw) in zip(self.aspect_weights, self.aspects)]

    def numerators(self, answers: Mapping, place: str) -> dict[str, int]:
        """Validate answers and return {indicator id: numerator} of the scored ones."""
        if type(answers) is not dict and not isinstance(answers, Mapping):
            raise ScoringInputError(place, "must be a mapping of indicator ids to answers")
        out = {}
        converters = self.converters
        for key, value in answers.items():
            conv = converters.get(key)
            if conv is None:
                raise ScoringInputError(f"{place}.{key}", f"unknown indicator id {key!r} "
                                        f"(not in rubric {self.rubric.id})")
            if value is None:
                continue
            try:
                num = conv.convert(value)
            except AnswerError as exc:
                raise ScoringInputError(f"{place}.{key}", str(exc)) from None
            if num is not None:
                out[key] = num
        return out

    def verified_sums(self, self_nums, judge_nums, mod_nums) -> tuple[list[int], list[int]]:
        """Per aspect: (weighted verified numerator sum, weighted self numerator sum)."""
        verified, claimed = [], []
        median = self.median
        for _, entries, _ in self.aspects:
            a = s = 0
            for ind_id, ws in entries:
                own = self_nums.get(ind_id)
                if own is not None:
                    s += ws * own
                mod = mod_nums.get(ind_id)
                if mod is not None:
                    a += ws * mod
                    continue
                if median:
                    values = sorted(j[ind_id] for j in judge_nums if ind_id in j)
                    if values:
                        n = len(values)
                        mid = values[n // 2] * 2 if n % 2 else values[n // 2 - 1] + values[n // 2]
                        a += ws * mid // 2
                        continue
                else:
                    total = count = 0
                    for j in judge_nums:
                        v = j.get(ind_id)
                        if v is not None:
                            total += v
                            count += 1
                    if count:
                        a += ws * total // count
                        continue
                if own is not None:
                    a += ws * own
            verified.append(a)
            claimed.append(s)
        return verified, claimed

    def aspect_scores(self, sums: list[int]) -> dict[str, Fraction]:
        """Exact 0-100 aspect scores from weighted numerator sums."""
        L = self.L
        return {aid: Fraction(100 * x, L * sw) for x, (aid, _, sw) in zip(sums, self.aspects)}

    def total(self, sums: list[int]) -> Fraction:
        """Exact stage-1 score: aspect scores weighted by aspect weight."""
        return Fraction(sum(f * x for f, x in zip(self.total_factors, sums)), self.total_den)

    def fraction(self, ind_id: str, num: int) -> Fraction:
        return Fraction(num, self.converters[ind_id].den)


@dataclass
class _Scored:
    unit: Unit
    aspects: dict
    self_aspects: dict
    stage1: Fraction
    self_total: Fraction
    later: dict            # stage id -> aggregated score (Fraction)
    detail: dict | None
    reached: int = 0
    total: Fraction = Fraction(0)


def score(rubric: Rubric, assessment: Assessment, detail: bool = False) -> Result:
    """Score and rank a whole assessment under the rubric's rules."""
    if assessment.rubric_id != rubric.id:
        raise ScoringInputError("rubric", f"the responses are for rubric {assessment.rubric_id!r}, "
                                f"not {rubric.id!r}; a response file from another edition "
                                "cannot be scored with this rubric")
    units = _unit_index(assessment.units)
    max_judges = max((len(r.judges) for r in assessment.responses), default=1)
    plan = _Plan(rubric, max_judges)
    seen: dict[str, int] = {}
    scored: list[_Scored] = []
    for n, response in enumerate(assessment.responses):
        place = f"responses[{n}]"
        if response.unit not in units:
            raise ScoringInputError(f"{place}.unit", f"unknown unit code {response.unit!r} "
                                    "(not listed in units)")
        if response.unit in seen:
            raise ScoringInputError(f"{place}.unit", f"a second response for unit {response.unit!r} "
                                    f"(the first is responses[{seen[response.unit]}])")
        seen[response.unit] = n
        scored.append(_score_response(plan, units[response.unit], response, place, detail))
    categories = tuple(dict.fromkeys(u.category for u in assessment.units))
    by_category = {c: [] for c in categories}
    for s in scored:
        by_category[s.unit.category].append(s)
    ranking = []
    for category in categories:
        ranking.extend(_rank_category(rubric, by_category[category]))
    awards = {a.id: _award_rows(rubric, a, by_category.get(a.category, [])) for a in rubric.awards}
    not_submitted = tuple(u.code for u in assessment.units if u.code not in seen)
    return Result(rubric_id=rubric.id, ranking=tuple(ranking), awards=awards,
                  not_submitted=not_submitted, categories=categories)


def _unit_index(units) -> dict[str, Unit]:
    index = {}
    for n, unit in enumerate(units):
        if unit.code in index:
            raise ScoringInputError(f"units[{n}].code", f"duplicate unit code {unit.code!r}")
        index[unit.code] = unit
    return index


def _score_response(plan: _Plan, unit: Unit, response: Response, place: str,
                    detail: bool) -> _Scored:
    self_nums = plan.numerators(response.self_answers, f"{place}.self")
    if type(response.judges) is not dict and not isinstance(response.judges, Mapping):
        raise ScoringInputError(f"{place}.judges", "must map judge names to their answers")
    judge_nums = {name: plan.numerators(ans, f"{place}.judges.{name}")
                  for name, ans in response.judges.items()}
    mod_nums = plan.numerators(response.moderated, f"{place}.moderated")
    verified, claimed = plan.verified_sums(self_nums, list(judge_nums.values()), mod_nums)
    info = None
    if detail:
        info = _details(plan, self_nums, judge_nums, mod_nums)
    return _Scored(unit=unit, aspects=plan.aspect_scores(verified),
                   self_aspects=plan.aspect_scores(claimed), stage1=plan.total(verified),
                   self_total=plan.total(claimed),
                   later=_later_stages(plan.rubric, response.stages, f"{place}.stages"),
                   detail=info)


def _details(plan: _Plan, self_nums, judge_nums, mod_nums) -> dict[str, IndicatorDetail]:
    out = {}
    for _, entries, _ in plan.aspects:
        for ind_id, _ in entries:
            own, mod = self_nums.get(ind_id), mod_nums.get(ind_id)
            judges = {name: plan.fraction(ind_id, nums[ind_id])
                      for name, nums in judge_nums.items() if ind_id in nums}
            out[ind_id] = IndicatorDetail(
                self_fraction=plan.fraction(ind_id, own) if own is not None else None,
                judge_fractions=judges,
                moderated=plan.fraction(ind_id, mod) if mod is not None else None,
                verified=_single_verified(plan, ind_id, own, judges, mod))
    return out


def _single_verified(plan: _Plan, ind_id, own, judges, mod) -> Fraction:
    """The verified fraction of one indicator, by the same rule as ``verified_sums``."""
    if mod is not None:
        return plan.fraction(ind_id, mod)
    if judges:
        return _aggregate(list(judges.values()), plan.rubric.aggregate)
    return plan.fraction(ind_id, own) if own is not None else Fraction(0)


def _later_stages(rubric: Rubric, stages, place: str) -> dict[str, Fraction]:
    if not stages:
        return {}
    if not isinstance(stages, Mapping):
        raise ScoringInputError(place, "must map stage ids to judges' scores")
    known = {s.id for s in rubric.stages[1:]}
    out = {}
    for stage_id, marks in stages.items():
        if stage_id not in known:
            hint = ("the first stage is the questionnaire and takes no judge scores"
                    if rubric.stages and stage_id == rubric.stages[0].id
                    else f"stages with judge scores: {', '.join(sorted(known)) or 'none'}")
            raise ScoringInputError(f"{place}.{stage_id}", f"unknown stage id {stage_id!r} ({hint})")
        if not isinstance(marks, Mapping):
            raise ScoringInputError(f"{place}.{stage_id}", "must map judge names to scores 0-100")
        values = []
        for judge, mark in marks.items():
            number = _number(mark)
            if number is None or not 0 <= number <= 100:
                raise ScoringInputError(f"{place}.{stage_id}.{judge}",
                                        f"a stage score must be a number from 0 to 100, got {mark!r}")
            values.append(number)
        if values:
            out[stage_id] = _aggregate(values, rubric.aggregate)
    return out


def _aggregate(values: list[Fraction], how: str) -> Fraction:
    values = sorted(values)
    n = len(values)
    if how == "median":
        return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return sum(values, Fraction(0)) / n


def _total(rubric: Rubric, s: _Scored, reached: int) -> Fraction:
    """Weighted mean of the scores of stages 0..reached, weights renormalised."""
    stages = rubric.stages[: reached + 1]
    if reached == 0:
        return s.stage1
    weighted = s.stage1 * stages[0].weight
    weighted += sum((s.later.get(st.id, Fraction(0)) * st.weight for st in stages[1:]), Fraction(0))
    return weighted / sum(st.weight for st in stages)


def _key(rubric: Rubric, s: _Scored, total: Fraction, reached: int) -> tuple:
    return (-reached, -_cents(total)) + tuple(-_cents(s.aspects[a]) for a in rubric.tie_break)


def _competition_ranks(keys: list[tuple]) -> list[int]:
    """Ranks 1, 2, 2, 4 for keys already sorted; equal keys share a rank."""
    ranks = []
    for n, key in enumerate(keys):
        ranks.append(ranks[-1] if n and key == keys[n - 1] else n + 1)
    return ranks


def _rank_category(rubric: Rubric, members: list[_Scored]) -> list[UnitResult]:
    for s in members:
        s.reached, s.total = 0, s.stage1
    for k in range(1, len(rubric.stages)):
        stage = rubric.stages[k]
        pool = sorted((s for s in members if s.reached == k - 1),
                      key=lambda s: _key(rubric, s, s.total, 0) + (s.unit.code,))
        ranks = _competition_ranks([_key(rubric, s, s.total, 0) for s in pool])
        for s, rank in zip(pool, ranks):
            if stage.shortlist is not None and rank > stage.shortlist:
                continue
            if stage.pass_mark is not None and Fraction(_cents(s.total), 100) < stage.pass_mark:
                continue
            s.reached = k
        for s in members:
            if s.reached == k:
                s.total = _total(rubric, s, k)
    ordered = sorted(members, key=lambda s: _key(rubric, s, s.total, s.reached) + (s.unit.code,))
    ranks = _competition_ranks([_key(rubric, s, s.total, s.reached) for s in ordered])
    return [_unit_result(rubric, s, rank) for s, rank in zip(ordered, ranks)]


def _unit_result(rubric: Rubric, s: _Scored, rank: int) -> UnitResult:
    stages = {rubric.stages[0].id: s.stage1}
    for st in rubric.stages[1: s.reached + 1]:
        stages[st.id] = s.later.get(st.id, Fraction(0))
    return UnitResult(unit=s.unit, rank=rank, total=s.total, self_total=s.self_total,
                      predicate=rubric.predicate_for(round2(s.total)),
                      stage_reached=rubric.stages[s.reached].id, stages=stages,
                      aspects=s.aspects, self_aspects=s.self_aspects, indicators=s.detail)


def award_score(rubric: Rubric, award: Award, aspects: Mapping[str, Fraction]) -> Fraction:
    """Exact award score: the listed aspects' verified scores, weights renormalised."""
    weights = {a.id: a.weight for a in rubric.aspects if a.id in award.aspects}
    return sum((aspects[a] * w for a, w in weights.items()), Fraction(0)) / sum(weights.values())


def _award_rows(rubric: Rubric, award: Award, members: list[_Scored]) -> tuple[AwardRow, ...]:
    scored = sorted(((round2(award_score(rubric, award, s.aspects)), s.unit) for s in members),
                    key=lambda pair: (-pair[0], pair[1].code))
    ranks = _competition_ranks([value for value, _ in scored])
    return tuple(AwardRow(rank=rank, unit=unit, score=value, winner=rank <= award.winners)
                 for (value, unit), rank in zip(scored, ranks))
