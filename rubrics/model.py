"""The rubric model: frozen dataclasses built by the loader, read by everything else.

Weights, band thresholds and band fractions are kept as exact ``Fraction`` values so
that scoring never drifts (0.1 in a YAML file means one tenth, not a binary float).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

SCORED_TYPES = ("yesno", "scale", "number", "choice")
INDICATOR_TYPES = SCORED_TYPES + ("text",)
EVIDENCE_RULES = ("required", "optional", "none")
AGGREGATES = ("mean", "median")


@dataclass(frozen=True)
class Level:
    """One step of a scale indicator: a short label and what a judge checks for it."""

    label: str
    descriptor: str = ""


@dataclass(frozen=True)
class Indicator:
    """One question of the questionnaire."""

    id: str
    type: str
    question: str
    weight: Fraction = Fraction(0)
    evidence: str = "optional"
    evidence_hint: str = ""
    guidance: str = ""
    levels: tuple[Level, ...] = ()
    bands: tuple[tuple[Fraction, Fraction], ...] = ()
    unit: str = ""
    options: tuple[str, ...] = ()
    full_at: int = 0
    aspect_id: str = ""

    @property
    def scored(self) -> bool:
        """True for every type that contributes to a score (all but text)."""
        return self.type in SCORED_TYPES


@dataclass(frozen=True)
class Aspect:
    """A group of indicators with a weight in the stage-1 score."""

    id: str
    title: str
    weight: Fraction
    indicators: tuple[Indicator, ...]
    description: str = ""

    @property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """The indicators that count towards this aspect's score."""
        return tuple(i for i in self.indicators if i.scored)


@dataclass(frozen=True)
class Predicate:
    """A score band: the label applies from ``min`` upwards."""

    min: Fraction
    label: str


@dataclass(frozen=True)
class Stage:
    """An assessment stage; the first one is always the verified questionnaire."""

    id: str
    weight: Fraction
    title: str = ""
    shortlist: int | None = None
    pass_mark: Fraction | None = None


@dataclass(frozen=True)
class Award:
    """An extra award category ranked on a subset of aspects within one category."""

    id: str
    title: str
    category: str
    aspects: tuple[str, ...]
    winners: int = 3


@dataclass(frozen=True)
class Rubric:
    """A whole rubric edition."""

    id: str
    title: str
    aspects: tuple[Aspect, ...]
    predicates: tuple[Predicate, ...]
    aggregate: str = "mean"
    tie_break: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = (Stage(id="verifikasi", weight=Fraction(100)),)
    awards: tuple[Award, ...] = ()
    description: str = ""
    sha256: str = ""
    _index: dict = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self):
        index = {i.id: i for a in self.aspects for i in a.indicators}
        object.__setattr__(self, "_index", index)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator in rubric order."""
        return tuple(i for a in self.aspects for i in a.indicators)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (KeyError when unknown)."""
        return self._index[indicator_id]

    def has_indicator(self, indicator_id: str) -> bool:
        """Whether the rubric has an indicator with this id."""
        return indicator_id in self._index

    def aspect(self, aspect_id: str) -> Aspect:
        """The aspect with this id (KeyError when unknown)."""
        for aspect in self.aspects:
            if aspect.id == aspect_id:
                return aspect
        raise KeyError(aspect_id)

    def indicator_shares(self) -> dict[str, Fraction]:
        """Each scored indicator's share of the stage-1 total (the shares add up to 1)."""
        total = sum(a.weight for a in self.aspects)
        shares = {}
        for aspect in self.aspects:
            inds = aspect.scored_indicators
            within = sum(i.weight for i in inds)
            for ind in inds:
                shares[ind.id] = aspect.weight / total * ind.weight / within
        return shares

    def predicate_for(self, rounded_total) -> str:
        """The label of the first band whose min is at most the (rounded) total."""
        for band in self.predicates:
            if band.min <= rounded_total:
                return band.label
        return self.predicates[-1].label
