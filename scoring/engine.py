"""The scoring rules: verified fractions, aspect and stage scores, stages, ranking, awards.

Everything is exact. Answers become integer numerators over one common denominator for
the whole run (see ``_Plan``), so adding thousands of answers costs integer additions,
and mathematically equal totals are equal integers whatever the input order. Only what
is reported is rounded (half-up to 2 decimals), and ranks compare those rounded values,
exactly as the published table shows them.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Mapping

from rubrics.model import NOT_APPLICABLE as NA, Award, Rubric, Stage

from .answers import AnswerError, compile_indicator, compile_rubric, has_bands_for


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
    verified: Fraction | None
    not_applicable: bool = False

    # with ``not_applicable`` the verified value is "tidak-berlaku": ``verified`` is None, and
    # a fraction above is None where that answer was "tidak-berlaku" (judges' are left out)


@dataclass(frozen=True)
class UnitResult:
    """One unit of the ranking; ``rank`` is None in an unranked category and for a unit
    that does not meet a condition of entry (``entry_unmet`` names them), and an aspect is
    None where every one of its indicators is "tidak-berlaku"."""

    unit: Unit
    rank: int | None
    total: Fraction
    self_total: Fraction
    predicate: str
    stage_reached: str
    stages: Mapping[str, Fraction]
    aspects: Mapping[str, Fraction | None]
    self_aspects: Mapping[str, Fraction | None]
    indicators: Mapping[str, IndicatorDetail] | None = None
    entry_unmet: tuple[str, ...] = ()


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
        # the exact Fraction path: "tidak-berlaku" answers and indicator awards need it;
        # editions without either keep the integer path above
        self.raw_aspects = [(a.id, a.weight, [(i.id, i.weight, self.converters[i.id].den)
                                              for i in a.scored_indicators]) for a in rubric.aspects]
        self.general = (any(i.allow_na for i in scored)
                        or any(a.indicators for a in rubric.awards))
        self._by_category: dict = {}
        self._fractions: dict = {}

    def converters_for(self, category: str | None) -> dict:
        """{indicator id: convert function} for units of ``category``."""
        table = self._by_category.get(category)
        if table is None:
            table = {k: c.convert_for(category) for k, c in self.converters.items()}
            self._by_category[category] = table
        return table

    def numerators(self, answers: Mapping, place: str, category: str | None = None) -> dict[str, int]:
        """Validate answers and return {indicator id: numerator} of the scored ones (a
        "tidak-berlaku" answer as ``NOT_APPLICABLE``), banded for ``category``."""
        if type(answers) is not dict and not isinstance(answers, Mapping):
            raise ScoringInputError(place, "must be a mapping of indicator ids to answers")
        out = {}
        converters = self.converters_for(category)
        for key, value in answers.items():
            convert = converters.get(key)
            if convert is None:
                raise ScoringInputError(f"{place}.{key}", f"unknown indicator id {key!r} "
                                        f"(not in rubric {self.rubric.id})")
            if value is None:
                continue
            try:
                num = convert(value)
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

    def fraction(self, ind_id: str, num) -> Fraction | None:
        if num is NA:
            return None
        key = (ind_id, num)
        value = self._fractions.get(key)
        if value is None:   # a few numerators per indicator: each Fraction built once
            value = self._fractions[key] = Fraction(num, self.converters[ind_id].den)
        return value

    def verified(self, ind_id: str, own, judge_nums, mod):
        """The verified fraction of one indicator, or NA: the moderated value; else the
        judges' values that are not NA, aggregated; NA when every judge who answered said
        so; else the unit's own (unanswered 0)."""
        if mod is not None:
            return NA if mod is NA else self.fraction(ind_id, mod)
        values = [j[ind_id] for j in judge_nums if ind_id in j]
        real = [v for v in values if v is not NA]
        if real:
            first = real[0]
            if all(v == first for v in real):   # judges who agree (integer numerators)
                return self.fraction(ind_id, first)
            # _aggregate of the fractions num/den, done on the integer numerators
            den, n = self.converters[ind_id].den, len(real)
            if self.median:
                real.sort()
                return (Fraction(real[n // 2], den) if n % 2
                        else Fraction(real[n // 2 - 1] + real[n // 2], 2 * den))
            return Fraction(sum(real), den * n)
        if values:
            return NA
        if own is not None:
            return NA if own is NA else self.fraction(ind_id, own)
        return Fraction(0)

    def general_scores(self, self_nums, judge_nums, mod_nums) -> tuple:
        """(aspects, self aspects, stage-1, self total, {indicator id: verified or NA}) on
        the exact Fraction path: an NA indicator leaves its aspect's sums, an all-NA
        aspect is None and leaves the total."""
        verified, claimed, values = {}, {}, {}
        for aspect_id, _, entries in self.raw_aspects:
            v_sum = v_w = s_sum = s_w = Fraction(0)
            for ind_id, weight, _ in entries:
                own = self_nums.get(ind_id)
                value = values[ind_id] = self.verified(ind_id, own, judge_nums, mod_nums.get(ind_id))
                if value is not NA:
                    v_sum, v_w = v_sum + weight * value, v_w + weight
                if own is not NA:
                    s_sum += weight * (self.fraction(ind_id, own) if own is not None else 0)
                    s_w += weight
            verified[aspect_id] = 100 * v_sum / v_w if v_w else None
            claimed[aspect_id] = 100 * s_sum / s_w if s_w else None
        return verified, claimed, self.weighted(verified), self.weighted(claimed), values

    def weighted(self, aspects: Mapping) -> Fraction:
        """Aspect scores weighted by aspect weight, over the aspects that are not None."""
        pairs = [(w, aspects[a]) for a, w, _ in self.raw_aspects if aspects[a] is not None]
        total = sum(w for w, _ in pairs)
        return sum((w * x for w, x in pairs), Fraction(0)) / total if total else Fraction(0)


@dataclass
class _Scored:
    unit: Unit
    aspects: dict
    self_aspects: dict
    stage1: Fraction
    self_total: Fraction
    later: dict            # stage id -> aggregated score (Fraction)
    detail: dict | None
    values: dict | None = None   # indicator id -> verified fraction or NA (exact path only)
    reached: int = 0
    total: Fraction = Fraction(0)
    entry_unmet: tuple = ()      # conditions of entry the unit does not meet


def score(rubric: Rubric, assessment: Assessment, detail: bool = False) -> Result:
    """Score and rank a whole assessment under the rubric's rules."""
    if assessment.rubric_id != rubric.id:
        raise ScoringInputError("rubric", f"the responses are for rubric {assessment.rubric_id!r}, "
                                f"not {rubric.id!r}; a response file from another edition "
                                "cannot be scored with this rubric")
    units = _unit_index(assessment.units)
    _check_category_bands(rubric, assessment.units)
    max_judges = max((len(r.judges) for r in assessment.responses), default=1)
    plan = _plan_for(rubric, max_judges)
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
        scored[-1].entry_unmet = _entry_unmet(rubric, response)
    categories = tuple(dict.fromkeys(u.category for u in assessment.units))
    by_category = {c: [] for c in categories}
    for s in scored:
        by_category[s.unit.category].append(s)
    ranking = []
    for category in categories:
        members = by_category[category]
        if category in rubric.unranked:
            ranking.extend(_list_unranked(rubric, members))
        else:   # a unit that does not meet a condition of entry is listed after, unranked
            ranking.extend(_rank_category(rubric, [s for s in members if not s.entry_unmet],
                                          category))
            ranking.extend(_list_unranked(rubric, [s for s in members if s.entry_unmet]))
    awards = {a.id: _award_rows(rubric, a, [s for c in a.category_ids if c not in rubric.unranked
                                            for s in by_category.get(c, [])
                                            if not s.entry_unmet])
              for a in rubric.awards}
    not_submitted = tuple(u.code for u in assessment.units if u.code not in seen)
    return Result(rubric_id=rubric.id, ranking=tuple(ranking), awards=awards,
                  not_submitted=not_submitted, categories=categories)


def _entry_unmet(rubric: Rubric, response: Response) -> tuple[str, ...]:
    """The conditions of entry (yes/no, ``entry: true``) a unit does not meet. Each is
    judged on its verified answer: the moderated value when given, else the judges' (all
    must say Ya), else the unit's own; anything but Ya (Tidak, unanswered) is not met."""
    unmet = []
    for ind in rubric.entry_indicators:
        moderated = response.moderated.get(ind.id)
        if moderated is not None:
            met = _is_yes(ind, moderated)
        else:
            judged = [j[ind.id] for j in response.judges.values() if j.get(ind.id) is not None]
            met = (all(_is_yes(ind, v) for v in judged) if judged
                   else _is_yes(ind, response.self_answers.get(ind.id)))
        if not met:
            unmet.append(ind.id)
    return tuple(unmet)


def _is_yes(ind, value) -> bool:
    try:
        return value is not None and compile_indicator(ind).convert(value) == 1
    except AnswerError:
        return False


# compiled plans by rubric object: a plan is a pure function of the rubric and the number
# of judges, and a server scores one unit's self-assessment with the same rubric on every save
_PLANS: dict[tuple[int, int], tuple] = {}
_PLANS_MAX = 64


def _plan_for(rubric: Rubric, max_judges: int) -> _Plan:
    key = (id(rubric), max_judges)
    kept = _PLANS.get(key)
    if kept is not None and kept[0]() is rubric:   # not another rubric at a reused address
        return kept[1]
    plan = _Plan(rubric, max_judges)
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    _PLANS[key] = (weakref.ref(rubric), plan)
    return plan


def _unit_index(units) -> dict[str, Unit]:
    index = {}
    for n, unit in enumerate(units):
        if unit.code in index:
            raise ScoringInputError(f"units[{n}].code", f"duplicate unit code {unit.code!r}")
        index[unit.code] = unit
    return index


def _check_category_bands(rubric: Rubric, units) -> None:
    """Every unit's category must have bands for each number indicator (or a default)."""
    banded = [i for i in rubric.indicators if i.category_bands and not i.bands]
    for n, unit in enumerate(units):
        for ind in banded:
            if not has_bands_for(ind, unit.category):
                raise ScoringInputError(f"units[{n}].category", f"indicator {ind.id!r} has no bands "
                                        f"for category {unit.category!r} and no default bands")


def _score_response(plan: _Plan, unit: Unit, response: Response, place: str,
                    detail: bool) -> _Scored:
    cat = unit.category
    self_nums = plan.numerators(response.self_answers, f"{place}.self", cat)
    if type(response.judges) is not dict and not isinstance(response.judges, Mapping):
        raise ScoringInputError(f"{place}.judges", "must map judge names to their answers")
    judge_nums = {name: plan.numerators(ans, f"{place}.judges.{name}", cat)
                  for name, ans in response.judges.items()}
    mod_nums = plan.numerators(response.moderated, f"{place}.moderated", cat)
    later = _later_stages(plan.rubric, response.stages, f"{place}.stages")
    if plan.general:
        aspects, self_aspects, stage1, self_total, values = plan.general_scores(
            self_nums, list(judge_nums.values()), mod_nums)
        info = _details(plan, self_nums, judge_nums, mod_nums, values) if detail else None
        return _Scored(unit=unit, aspects=aspects, self_aspects=self_aspects, stage1=stage1,
                       self_total=self_total, later=later, detail=info, values=values)
    info = _details(plan, self_nums, judge_nums, mod_nums) if detail else None
    verified, claimed = plan.verified_sums(self_nums, list(judge_nums.values()), mod_nums)
    return _Scored(unit=unit, aspects=plan.aspect_scores(verified),
                   self_aspects=plan.aspect_scores(claimed), stage1=plan.total(verified),
                   self_total=plan.total(claimed), later=later, detail=info)


def _details(plan: _Plan, self_nums, judge_nums, mod_nums,
             values: dict | None = None) -> dict[str, IndicatorDetail]:
    """Per-indicator detail; ``values`` are the verified values general_scores already
    worked out (plan.verified of each indicator), or None to work them out here."""
    out = {}
    all_judges = list(judge_nums.values())
    for _, entries, _ in plan.aspects:
        for ind_id, _ in entries:
            own, mod = self_nums.get(ind_id), mod_nums.get(ind_id)
            judges = {name: plan.fraction(ind_id, nums[ind_id])
                      for name, nums in judge_nums.items() if ind_id in nums}
            verified = (values[ind_id] if values is not None
                        else plan.verified(ind_id, own, all_judges, mod))
            out[ind_id] = IndicatorDetail(
                self_fraction=plan.fraction(ind_id, own) if own is not None else None,
                judge_fractions={k: v for k, v in judges.items() if v is not None},
                moderated=plan.fraction(ind_id, mod) if mod is not None else None,
                verified=None if verified is NA else verified, not_applicable=verified is NA)
    return out


def _later_stages(rubric: Rubric, stages, place: str) -> dict[str, Fraction]:
    if not stages:
        return {}
    if not isinstance(stages, Mapping):
        raise ScoringInputError(place, "must map stage ids to judges' scores")
    known = {s.id: s for s in rubric.stages[1:]}
    out = {}
    for stage_id, marks in stages.items():
        if stage_id not in known:
            hint = ("the first stage is the questionnaire and takes no judge scores"
                    if rubric.stages and stage_id == rubric.stages[0].id
                    else f"stages with judge scores: {', '.join(sorted(known)) or 'none'}")
            raise ScoringInputError(f"{place}.{stage_id}", f"unknown stage id {stage_id!r} ({hint})")
        if not isinstance(marks, Mapping):
            raise ScoringInputError(f"{place}.{stage_id}", "must map judge names to scores 0-100")
        values = [_stage_mark(known[stage_id], mark, f"{place}.{stage_id}.{judge}")
                  for judge, mark in marks.items()]
        if values:
            out[stage_id] = _aggregate(values, rubric.aggregate)
    return out


def stage_score(stage: Stage, mark) -> Fraction:
    """One judge's score of ``stage`` from their mark: a number 0-100 as it is, or
    {criterion id: 0-100} weighted by the rubric's criteria (sum(w * m) / sum(w), a
    criterion not given counting 0). Exactly what ``score`` does with an exchange mark;
    raises ScoringInputError on a mark it would refuse."""
    return _stage_mark(stage, mark, stage.id)


def _stage_mark(stage: Stage, mark, place: str) -> Fraction:
    """A judge's stage score: a number 0-100, or {criterion id: 0-100} giving
    sum(w * m) / sum(w) over all the stage's criteria (a criterion not given counts 0)."""
    if not isinstance(mark, Mapping):
        number = _number(mark)
        if number is None or not 0 <= number <= 100:
            raise ScoringInputError(place, f"a stage score must be a number from 0 to 100, got {mark!r}")
        return number
    if not stage.criteria:
        raise ScoringInputError(place, f"stage {stage.id!r} has no criteria: give one number "
                                "from 0 to 100")
    weights = {c.id: c.weight for c in stage.criteria}
    total = Fraction(0)
    for criterion, value in mark.items():
        if criterion not in weights:
            raise ScoringInputError(f"{place}.{criterion}", f"unknown criterion {criterion!r} "
                                    f"(criteria of {stage.id}: {', '.join(weights)})")
        number = _number(value)
        if number is None or not 0 <= number <= 100:
            raise ScoringInputError(f"{place}.{criterion}",
                                    f"a criterion mark must be a number from 0 to 100, got {value!r}")
        total += weights[criterion] * number
    return total / sum(weights.values())


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
    # a None aspect (all its indicators "tidak-berlaku") sorts below every number
    return (-reached, -_cents(total)) + tuple(1 if s.aspects[a] is None else -_cents(s.aspects[a])
                                              for a in rubric.tie_break)


def _competition_ranks(keys: list[tuple]) -> list[int]:
    """Ranks 1, 2, 2, 4 for keys already sorted; equal keys share a rank."""
    ranks = []
    for n, key in enumerate(keys):
        ranks.append(ranks[-1] if n and key == keys[n - 1] else n + 1)
    return ranks


def _list_unranked(rubric: Rubric, members: list[_Scored]) -> list[UnitResult]:
    """Units without a rank (an unranked category's, or those that do not meet a condition
    of entry): stage one only, in ranking order."""
    for s in members:
        s.reached, s.total = 0, s.stage1
    ordered = sorted(members, key=lambda s: _key(rubric, s, s.total, 0) + (s.unit.code,))
    return [_unit_result(rubric, s, None) for s in ordered]


def _rank_category(rubric: Rubric, members: list[_Scored], category: str = "") -> list[UnitResult]:
    for s in members:
        s.reached, s.total = 0, s.stage1
    for k in range(1, len(rubric.stages)):
        stage = rubric.stages[k]
        shortlist, pass_mark = stage.shortlist_for(category), stage.pass_mark_for(category)
        pool = sorted((s for s in members if s.reached == k - 1),
                      key=lambda s: _key(rubric, s, s.total, 0) + (s.unit.code,))
        ranks = _competition_ranks([_key(rubric, s, s.total, 0) for s in pool])
        for s, rank in zip(pool, ranks):
            if shortlist is not None and rank > shortlist:
                continue
            if pass_mark is not None and Fraction(_cents(s.total), 100) < pass_mark:
                continue
            s.reached = k
        for s in members:
            if s.reached == k:
                s.total = _total(rubric, s, k)
    ordered = sorted(members, key=lambda s: _key(rubric, s, s.total, s.reached) + (s.unit.code,))
    ranks = _competition_ranks([_key(rubric, s, s.total, s.reached) for s in ordered])
    return [_unit_result(rubric, s, rank) for s, rank in zip(ordered, ranks)]


def _unit_result(rubric: Rubric, s: _Scored, rank: int | None) -> UnitResult:
    stages = {rubric.stages[0].id: s.stage1}
    for st in rubric.stages[1: s.reached + 1]:
        stages[st.id] = s.later.get(st.id, Fraction(0))
    return UnitResult(unit=s.unit, rank=rank, total=s.total, self_total=s.self_total,
                      predicate=rubric.predicate_for(round2(s.total)),
                      stage_reached=rubric.stages[s.reached].id, stages=stages,
                      aspects=s.aspects, self_aspects=s.self_aspects, indicators=s.detail,
                      entry_unmet=s.entry_unmet)


def award_score(rubric: Rubric, award: Award, aspects: Mapping[str, Fraction | None],
                indicators: Mapping[str, object] | None = None) -> Fraction | None:
    """Exact award score: the listed aspects' verified scores, weights renormalised; or,
    for an award on indicators, 100 * sum(w * f) / sum(w) over the listed indicators'
    verified fractions (``indicators``). "tidak-berlaku" (NA) values and None aspects are
    left out; None when nothing is left."""
    if award.indicators:
        pairs = [(rubric.indicator(i).weight, (indicators or {}).get(i, Fraction(0)))
                 for i in award.indicators]
        pairs = [(w, 100 * f) for w, f in pairs if f is not NA]
    else:
        pairs = [(a.weight, aspects[a.id]) for a in rubric.aspects
                 if a.id in award.aspects and aspects[a.id] is not None]
    weight = sum(w for w, _ in pairs)
    return sum((w * x for w, x in pairs), Fraction(0)) / weight if weight else None


def _award_rows(rubric: Rubric, award: Award, members: list[_Scored]) -> tuple[AwardRow, ...]:
    """The award's ranking; a unit with nothing to be scored on (all NA) takes no part."""
    scores = ((award_score(rubric, award, s.aspects, s.values), s.unit) for s in members)
    scored = sorted(((round2(x), unit) for x, unit in scores if x is not None),
                    key=lambda pair: (-pair[0], pair[1].code))
    ranks = _competition_ranks([value for value, _ in scored])
    return tuple(AwardRow(rank=rank, unit=unit, score=value, winner=rank <= award.winners)
                 for (value, unit), rank in zip(scored, ranks))
