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
NOT_APPLICABLE = "tidak-berlaku"   # the answer of an allow_na indicator that does not apply
SAMPLE_BY = ("date",)
# What ``measured_by`` may name: measures of a unit's own channels over the season's window
# (scoring/activity.py computes them). Shares are given in percent, so their indicators are
# bounded by max 100; items_per_week is a count per week.
MEASURES = ("weekly_share", "weekly_share_outside_stages", "same_day_share", "items_per_week")
SHARE_MEASURES = ("weekly_share", "weekly_share_outside_stages", "same_day_share")


@dataclass(frozen=True)
class Level:
    """One step of a scale indicator: a short label and what a judge checks for it."""

    label: str
    descriptor: str = ""


Bands = tuple[tuple[Fraction, Fraction], ...]


@dataclass(frozen=True)
class Sample:
    """What a judge checks on a sample: ``count`` random dates in the period (``by`` date)."""

    count: int
    by: str = "date"


@dataclass(frozen=True)
class Indicator:
    """One question of the questionnaire.

    ``bands`` is the default band list of a number indicator; ``category_bands`` holds
    (category id, bands) pairs that replace it for units of that category. An ``entry``
    indicator is a condition of entry (a yes/no, not scored): a unit whose verified answer
    is not Ya is listed without a rank, award or shortlist place.
    """

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
    allow_na: bool = False
    category_bands: tuple[tuple[str, Bands], ...] = ()
    min: Fraction | None = None
    max: Fraction | None = None
    integer: bool = False
    sample: Sample | None = None
    measured_by: str = ""
    entry: bool = False

    @property
    def scored(self) -> bool:
        """True for every type that contributes to a score (all but text), except a
        condition of entry."""
        return self.type in SCORED_TYPES and not self.entry

    @property
    def judged(self) -> bool:
        """True for every indicator a judge gives a verified value for: the scored ones and
        the conditions of entry (a judge may find the document missing or not valid)."""
        return self.scored or self.entry

    def bands_for(self, category: str | None) -> Bands:
        """The band list that scores a unit of ``category`` (the default when none is set)."""
        for cat, bands in self.category_bands:
            if cat == category:
                return bands
        return self.bands

    def all_bands(self) -> tuple[Bands, ...]:
        """The default band list (when given) and every per-category one."""
        lists = tuple(b for _, b in self.category_bands)
        return ((self.bands,) if self.bands else ()) + lists


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

    @property
    def judged_indicators(self) -> tuple[Indicator, ...]:
        """The indicators a judge verifies (``Indicator.judged``), in order."""
        return tuple(i for i in self.indicators if i.judged)


@dataclass(frozen=True)
class Predicate:
    """A score band: the label applies from ``min`` upwards."""

    min: Fraction
    label: str


@dataclass(frozen=True)
class Criterion:
    """One criterion a judge marks 0-100 in a later stage (e.g. inovasi, dampak)."""

    id: str
    title: str
    weight: Fraction
    description: str = ""


@dataclass(frozen=True)
class Stage:
    """An assessment stage; the first one is always the verified questionnaire.

    ``shortlist`` and ``pass_mark`` apply to every category; ``shortlists`` and
    ``pass_marks`` hold (category id, value) pairs that replace them for one category.
    """

    id: str
    weight: Fraction
    title: str = ""
    shortlist: int | None = None
    pass_mark: Fraction | None = None
    shortlists: tuple[tuple[str, int], ...] = ()
    pass_marks: tuple[tuple[str, Fraction], ...] = ()
    criteria: tuple[Criterion, ...] = ()

    def shortlist_for(self, category: str) -> int | None:
        """How many units of ``category`` may go on to this stage (None: no cap)."""
        return dict(self.shortlists).get(category, self.shortlist)

    def pass_mark_for(self, category: str) -> Fraction | None:
        """The total a unit of ``category`` needs to go on to this stage (None: none)."""
        return dict(self.pass_marks).get(category, self.pass_mark)


@dataclass(frozen=True)
class Award:
    """An extra award ranked on some aspects (or indicators) within one or more categories.

    Exactly one of ``category`` and ``categories`` is given, and one of ``aspects`` and
    ``indicators``.
    """

    id: str
    title: str
    category: str = ""
    aspects: tuple[str, ...] = ()
    winners: int = 3
    categories: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    description: str = ""

    @property
    def category_ids(self) -> tuple[str, ...]:
        """The categories whose units this award ranks together."""
        return self.categories or ((self.category,) if self.category else ())


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
    unranked: tuple[str, ...] = ()
    sha256: str = ""
    _index: dict = field(default=None, compare=False, repr=False, hash=False)
    _indicators: tuple = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self):
        indicators = tuple(i for a in self.aspects for i in a.indicators)
        object.__setattr__(self, "_indicators", indicators)
        object.__setattr__(self, "_index", {i.id: i for i in indicators})

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator in rubric order (worked out once: the rubric is frozen)."""
        return self._indicators

    @property
    def entry_indicators(self) -> tuple[Indicator, ...]:
        """The conditions of entry (``entry: true``), in rubric order."""
        return tuple(i for i in self.indicators if i.entry)

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
