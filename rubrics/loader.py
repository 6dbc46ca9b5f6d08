"""Load and validate a rubric edition from YAML.

Every problem is reported with the file, the place in the document (for example
``aspects[2].indicators[1].bands``) and what is wrong; all problems are collected so the
author can fix them in one pass. Nothing is returned for an invalid rubric.
"""
from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import yaml

from .model import (AGGREGATES, EVIDENCE_RULES, INDICATOR_TYPES, MEASURES, SAMPLE_BY,
                    SHARE_MEASURES, Aspect, Award,
                    Criterion, Indicator, Level, Predicate, Rubric, Sample, Stage)

SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
EDITIONS_DIR = Path(__file__).with_name("editions")
# libyaml's safe loader when PyYAML has it (ten times faster: every start parses the
# shipped editions), the same documents as yaml.safe_load
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RubricError(ValueError):
    """An invalid rubric: ``problems`` is a list of (place, message) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {place}: {msg}" if place else f"{source}: {msg}"
                 for place, msg in problems]
        super().__init__("\n".join(lines))


def load_rubric(path) -> Rubric:
    """Read, validate and return the rubric in the YAML file at ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RubricError(str(path), [("", f"cannot be read: {exc.strerror or exc}")]) from None
    return parse_rubric(data, source=str(path))


def parse_rubric(data: bytes | str, source: str = "<rubric>") -> Rubric:
    """Validate YAML text or bytes and return the rubric."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        doc = yaml.load(raw, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(source, [(where, f"not valid YAML: {problem}")]) from None
    builder = _Builder(source)
    rubric = builder.rubric(doc)
    if builder.problems:
        raise RubricError(source, builder.problems)
    return _with_hash(rubric, hashlib.sha256(raw).hexdigest())


def default_rubric_path() -> Path:
    """The path of the default edition shipped with the project (for new periods)."""
    return EDITIONS_DIR / "bakohumas-2026.yaml"


def stored_at_first_start() -> tuple[Path, ...]:
    """The editions a new installation stores: the previous default, which periods opened
    before 2026 (and their published results) use, then the default."""
    return (EDITIONS_DIR / "bakohumas-2025.yaml", default_rubric_path())


def _with_hash(rubric: Rubric, digest: str) -> Rubric:
    from dataclasses import replace
    return replace(rubric, sha256=digest)


def _number(value) -> Fraction | None:
    """An exact Fraction for a YAML int, float or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        try:
            return Fraction(Decimal(repr(value)))
        except (InvalidOperation, ValueError, OverflowError):
            return None
    return None


class _Builder:
    """Walks the YAML document, recording problems instead of stopping at the first."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, place: str, message: str):
        self.problems.append((place, message))

    # -- small typed getters -------------------------------------------------------
    def text(self, node: dict, key: str, place: str, required=True, default="") -> str:
        value = node.get(key, None)
        if value is None:
            if required:
                self.fail(f"{place}.{key}" if place else key, "is required")
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{place}.{key}" if place else key, "must be a non-empty text")
            return default
        return value.strip()

    def slug(self, node: dict, place: str) -> str:
        value = node.get("id")
        where = f"{place}.id" if place else "id"
        if not isinstance(value, str) or not SLUG.match(value):
            self.fail(where, f"must be a lowercase slug such as 'media-sosial' (got {value!r})")
            return str(value)
        return value

    def positive(self, node: dict, key: str, place: str, default=None) -> Fraction:
        value = node.get(key, default)
        number = _number(value)
        if number is None or number <= 0:
            self.fail(f"{place}.{key}", f"must be a positive number (got {value!r})")
            return Fraction(1)
        return number

    def mapping(self, node, place: str) -> dict | None:
        if not isinstance(node, dict):
            self.fail(place, "must be a mapping of keys and values")
            return None
        return node

    def sequence(self, node: dict, key: str, place: str, required=True) -> list:
        value = node.get(key)
        where = f"{place}.{key}" if place else key
        if value is None:
            if required:
                self.fail(where, "is required")
            return []
        if not isinstance(value, list):
            self.fail(where, "must be a list")
            return []
        return value

    def unique(self, ids: list[tuple[str, str]], what: str):
        seen: dict[str, str] = {}
        for place, ident in ids:
            if ident in seen:
                self.fail(place, f"duplicate {what} id {ident!r} (first at {seen[ident]})")
            else:
                seen[ident] = place

    # -- the document ----------------------------------------------------------------
    def rubric(self, doc) -> Rubric | None:
        if self.mapping(doc, "") is None:
            self.fail("", "the rubric must be a YAML mapping with id, title, predicates and aspects")
            return None
        rubric_id = self.slug(doc, "")
        title = self.text(doc, "title", "")
        aggregate = doc.get("aggregate", "mean")
        if aggregate not in AGGREGATES:
            self.fail("aggregate", f"must be one of {', '.join(AGGREGATES)} (got {aggregate!r})")
        aspects = [self.aspect(a, f"aspects[{n}]")
                   for n, a in enumerate(self.sequence(doc, "aspects", ""))]
        aspects = [a for a in aspects if a is not None]
        if not aspects and "aspects" in doc:
            self.fail("aspects", "must list at least one aspect")
        self.unique([(f"aspects[{n}].id", a.id) for n, a in enumerate(aspects)], "aspect")
        self.unique([(f"aspects[{n}].indicators[{m}].id", i.id)
                     for n, a in enumerate(aspects) for m, i in enumerate(a.indicators)],
                    "indicator")
        aspect_ids = {a.id for a in aspects}
        predicates = self.predicates(doc)
        tie_break = self.tie_break(doc, aspect_ids)
        unranked = self.category_list(doc, "unranked", "")
        stages = self.stages(doc, set(unranked))
        indicators = {i.id: i for a in aspects for i in a.indicators}
        awards = self.awards(doc, aspect_ids, indicators, set(unranked))
        return Rubric(id=rubric_id, title=title, aspects=tuple(aspects),
                      predicates=tuple(predicates), aggregate=aggregate,
                      tie_break=tuple(tie_break), stages=tuple(stages), awards=tuple(awards),
                      description=str(doc.get("description") or "").strip(),
                      unranked=tuple(unranked))

    def aspect(self, node, place: str) -> Aspect | None:
        if self.mapping(node, place) is None:
            return None
        aspect_id = self.slug(node, place)
        indicators = [self.indicator(i, f"{place}.indicators[{m}]", aspect_id)
                      for m, i in enumerate(self.sequence(node, "indicators", place))]
        indicators = [i for i in indicators if i is not None]
        if not any(i.scored for i in indicators):
            self.fail(f"{place}.indicators", "the aspect has no scored indicator "
                      "(every aspect needs at least one yesno, scale, number or choice)")
        return Aspect(id=aspect_id, title=self.text(node, "title", place),
                      weight=self.positive(node, "weight", place),
                      indicators=tuple(indicators),
                      description=str(node.get("description") or "").strip())

    def indicator(self, node, place: str, aspect_id: str) -> Indicator | None:
        if self.mapping(node, place) is None:
            return None
        kind = node.get("type")
        if kind not in INDICATOR_TYPES:
            self.fail(f"{place}.type", f"unknown type {kind!r}; use one of {', '.join(INDICATOR_TYPES)}")
            return None
        evidence = node.get("evidence", "none" if kind == "text" else "optional")
        if evidence not in EVIDENCE_RULES:
            self.fail(f"{place}.evidence", f"must be one of {', '.join(EVIDENCE_RULES)} (got {evidence!r})")
        fields = dict(id=self.slug(node, place), type=kind,
                      question=self.text(node, "question", place), evidence=evidence,
                      evidence_hint=self.text(node, "evidence_hint", place, required=False),
                      guidance=self.text(node, "guidance", place, required=False),
                      aspect_id=aspect_id)
        entry = self.entry(node, place, kind, evidence)
        if entry:
            fields["entry"] = True
            if "weight" in node:
                self.fail(f"{place}.weight", "a condition of entry is not scored and takes no "
                          "weight")
        elif kind == "text":
            if "weight" in node:
                self.fail(f"{place}.weight", "a text indicator is not scored and takes no weight")
        else:
            fields["weight"] = self.positive(node, "weight", place, default=1)
        builder = getattr(self, f"_{kind}_fields")
        fields.update(builder(node, place))
        fields.update(self._common_fields(node, place, kind))
        return Indicator(**fields)

    def entry(self, node, place: str, kind, evidence) -> bool:
        """``entry: true``: a condition of entry. It is a yes/no (the unit has the document
        or not), not scored, never "tidak-berlaku" nor sampled, and its evidence is
        required (the document the judges check)."""
        entry = node.get("entry", False)
        if not isinstance(entry, bool):
            self.fail(f"{place}.entry", f"must be true or false (got {entry!r})")
            return False
        if not entry:
            return False
        if kind != "yesno":
            self.fail(f"{place}.entry", f"a condition of entry is a yesno indicator (the unit "
                      f"meets it or not); this one is {kind}")
        if evidence != "required":
            self.fail(f"{place}.evidence", "a condition of entry needs evidence: required (the "
                      f"document the judges check; got {evidence!r})")
        for key in ("allow_na", "sample"):
            if node.get(key):
                self.fail(f"{place}.{key}", f"a condition of entry takes no {key}: the unit meets "
                          "it or is not ranked")
        return kind == "yesno"

    def _common_fields(self, node, place, kind) -> dict:
        """allow_na and sample (any scored type); min, max and integer belong to numbers."""
        out = {}
        allow_na = node.get("allow_na", False)
        if not isinstance(allow_na, bool):
            self.fail(f"{place}.allow_na", f"must be true or false (got {allow_na!r})")
        elif allow_na and kind == "text":
            self.fail(f"{place}.allow_na", "a text indicator is not scored, so it cannot be "
                      "'tidak-berlaku'")
        else:
            out["allow_na"] = allow_na
        if "sample" in node:
            out["sample"] = self.sample(node["sample"], f"{place}.sample", kind)
        if kind != "number":
            for key in ("min", "max", "integer", "measured_by"):
                if key in node:
                    self.fail(f"{place}.{key}", f"only number indicators take {key} (this one is {kind})")
        elif "measured_by" in node:
            out["measured_by"] = self.measured_by(node, place)
        return out

    def measured_by(self, node, place: str) -> str:
        """The measure of the unit's channels that pre-fills a number indicator; a share is
        in percent, so its indicator must be bounded by max 100."""
        value = node["measured_by"]
        if not isinstance(value, str) or value not in MEASURES:
            self.fail(f"{place}.measured_by", f"unknown measure {value!r}; use one of {', '.join(MEASURES)}")
            return ""
        if value in SHARE_MEASURES and _number(node.get("max")) != 100:
            self.fail(f"{place}.measured_by", f"{value} is a share in percent: the indicator needs "
                      f"max: 100 (got {node.get('max')!r})")
        return value

    def sample(self, node, place: str, kind: str) -> Sample | None:
        if kind == "text":
            self.fail(place, "a text indicator is not scored, so the judge samples nothing for it")
            return None
        if self.mapping(node, place) is None:
            return None
        extra = sorted(set(node) - {"count", "by"})
        if extra:
            self.fail(f"{place}.{extra[0]}", "unknown key; a sample takes count and by")
        count = node.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 366:
            self.fail(f"{place}.count", f"must be a whole number from 1 to 366 (got {count!r})")
            return None
        by = node.get("by", "date")
        if by not in SAMPLE_BY:
            self.fail(f"{place}.by", f"must be one of {', '.join(SAMPLE_BY)} (got {by!r})")
            return None
        return Sample(count=count, by=by)

    def _yesno_fields(self, node, place):
        return {}

    def _text_fields(self, node, place):
        return {}

    def _scale_fields(self, node, place):
        levels = []
        for n, level in enumerate(self.sequence(node, "levels", place)):
            where = f"{place}.levels[{n}]"
            if isinstance(level, str) and level.strip():
                levels.append(Level(label=level.strip()))
            elif isinstance(level, dict):
                levels.append(Level(label=self.text(level, "label", where),
                                    descriptor=self.text(level, "descriptor", where, required=False)))
            else:
                self.fail(where, "must be a text or a mapping with label and descriptor")
        if len(levels) < 2 and "levels" in node:
            self.fail(f"{place}.levels", f"a scale needs at least 2 levels (got {len(levels)})")
        return {"levels": tuple(levels)}

    def _number_fields(self, node, place):
        where = f"{place}.bands"
        raw = node.get("bands")
        default, per_category = (), []
        if isinstance(raw, dict):
            for key, value in raw.items():
                if not isinstance(key, str) or not SLUG.match(key):
                    self.fail(f"{where}.{key}", "must be a category id such as 'provinsi' or 'default'")
                    continue
                bands = self.band_list(value, f"{where}.{key}")
                if key == "default":
                    default = bands
                else:
                    per_category.append((key, bands))
            if not raw:
                self.fail(where, "needs at least one category's band list")
        elif raw is not None or "bands" in node:
            default = self.band_list(raw, where)
        else:
            self.sequence(node, "bands", place)
        unit = node.get("unit", "")
        fields = {"bands": default, "category_bands": tuple(per_category),
                  "unit": str(unit).strip() if unit else ""}
        fields.update(self.bounds(node, place, [default] + [b for _, b in per_category]))
        return fields

    def band_list(self, value, where: str) -> tuple:
        if not isinstance(value, list):
            self.fail(where, "must be a list of [threshold, fraction] pairs")
            return ()
        bands = []
        for n, band in enumerate(value):
            pair = band if isinstance(band, list) and len(band) == 2 else None
            low, frac = (_number(pair[0]), _number(pair[1])) if pair else (None, None)
            if low is None or frac is None:
                self.fail(f"{where}[{n}]", f"must be a pair [threshold, fraction] of numbers (got {band!r})")
                continue
            if not 0 <= frac <= 1:
                self.fail(f"{where}[{n}]", f"fraction {pair[1]} is outside [0, 1]")
            bands.append((low, frac))
        if bands:
            if bands[0][0] != 0:
                self.fail(where, f"the first threshold must be 0 (got {_show(bands[0][0])})")
            for n in range(1, len(bands)):
                if bands[n][0] <= bands[n - 1][0]:
                    self.fail(f"{where}[{n}]", "thresholds must be strictly ascending "
                              f"({_show(bands[n][0])} follows {_show(bands[n - 1][0])})")
                if bands[n][1] < bands[n - 1][1]:
                    self.fail(f"{where}[{n}]", "fractions must not decrease as the value rises "
                              f"({_show(bands[n][1])} follows {_show(bands[n - 1][1])})")
        else:
            self.fail(where, "needs at least one band [0, fraction]")
        return tuple(bands)

    def bounds(self, node, place: str, band_lists) -> dict:
        """min, max and integer of a number indicator; no band may lie beyond max."""
        out = {}
        for key in ("min", "max"):
            if key in node:
                value = _number(node[key])
                if value is None or value < 0:
                    self.fail(f"{place}.{key}", f"must be a number of at least 0 (got {node[key]!r})")
                else:
                    out[key] = value
        if "min" in out and "max" in out and out["min"] > out["max"]:
            self.fail(f"{place}.max", f"must not be below min ({_show(out['max'])} < {_show(out['min'])})")
        integer = node.get("integer", False)
        if not isinstance(integer, bool):
            self.fail(f"{place}.integer", f"must be true or false (got {integer!r})")
            integer = False
        out["integer"] = integer
        for key in ("min", "max"):
            if integer and key in out and out[key].denominator != 1:
                self.fail(f"{place}.{key}", f"an integer indicator needs a whole {key} "
                          f"(got {_show(out[key])})")
        if "max" in out:
            for bands in band_lists:
                for low, _ in bands:
                    if low > out["max"]:
                        self.fail(f"{place}.bands", f"threshold {_show(low)} lies above max "
                                  f"{_show(out['max'])}, so no answer can reach it")
        return out

    def _choice_fields(self, node, place):
        options = []
        for n, option in enumerate(self.sequence(node, "options", place)):
            if not isinstance(option, (str, int, float)) or isinstance(option, bool) \
                    or not str(option).strip():
                self.fail(f"{place}.options[{n}]", "an option must be a non-empty text")
                continue
            text = str(option).strip()
            if text in options:
                self.fail(f"{place}.options[{n}]", f"duplicate option {text!r}")
            options.append(text)
        if not options and "options" in node:
            self.fail(f"{place}.options", "a choice needs at least one option")
        full_at = node.get("full_at", len(options))
        if isinstance(full_at, bool) or not isinstance(full_at, int) \
                or not 1 <= full_at <= max(len(options), 1):
            self.fail(f"{place}.full_at", f"must be a whole number from 1 to {len(options)} "
                      f"(the number of options); got {full_at!r}")
            full_at = max(len(options), 1)
        return {"options": tuple(options), "full_at": full_at}

    def predicates(self, doc) -> list[Predicate]:
        result = []
        for n, node in enumerate(self.sequence(doc, "predicates", "")):
            where = f"predicates[{n}]"
            if self.mapping(node, where) is None:
                continue
            low = _number(node.get("min"))
            if low is None or low < 0:
                self.fail(f"{where}.min", f"must be a number from 0 to 100 (got {node.get('min')!r})")
                continue
            if result and low >= result[-1].min:
                self.fail(f"{where}.min", "predicates must be listed highest first with strictly "
                          f"descending min ({_show(low)} follows {_show(result[-1].min)})")
            result.append(Predicate(min=low, label=self.text(node, "label", where)))
        if result and result[-1].min != 0:
            self.fail("predicates", "the last predicate must start at min 0 so that every total has one")
        elif not result and "predicates" in doc:
            self.fail("predicates", "must list at least one band")
        return result

    def tie_break(self, doc, aspect_ids) -> list[str]:
        values = self.sequence(doc, "tie_break", "", required=False)
        for n, value in enumerate(values):
            if not isinstance(value, str) or value not in aspect_ids:
                self.fail(f"tie_break[{n}]", f"unknown aspect id {value!r}")
        return [v for v in values if isinstance(v, str)]

    def category_list(self, node, key: str, place: str) -> list[str]:
        values = self.sequence(node, key, place, required=False)
        out = []
        for n, value in enumerate(values):
            if not isinstance(value, str) or not SLUG.match(value):
                self.fail(f"{_at(place, key)}[{n}]", f"must be a category id such as 'provinsi' (got {value!r})")
            elif value in out:
                self.fail(f"{_at(place, key)}[{n}]", f"category {value!r} is listed twice")
            else:
                out.append(value)
        return out

    def per_category(self, node, key: str, place: str, read, unranked: set):
        """A number, or a mapping {category id: number} with an optional ``default``;
        returns (value for every category, ((category, value), ...))."""
        value = node.get(key)
        where = f"{place}.{key}"
        if not isinstance(value, dict):
            return read(value, where), ()
        pairs = []
        default = None
        if not value:
            self.fail(where, "a mapping needs at least one category id")
        for cat, item in value.items():
            if not isinstance(cat, str) or not SLUG.match(cat):
                self.fail(f"{where}.{cat}", "must be a category id such as 'provinsi' or 'default'")
            elif cat in unranked:
                self.fail(f"{where}.{cat}", f"category {cat!r} is unranked, so it has no {key}")
            elif cat == "default":
                default = read(item, f"{where}.{cat}")
            else:
                pairs.append((cat, read(item, f"{where}.{cat}")))
        return default, tuple((c, v) for c, v in pairs if v is not None)

    def _shortlist(self, value, where):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            self.fail(where, f"must be a whole number of at least 1 (got {value!r})")
            return None
        return value

    def _pass_mark(self, value, where):
        if value is None:
            return None
        number = _number(value)
        if number is None or not 0 <= number <= 100:
            self.fail(where, f"must be a number from 0 to 100 (got {value!r})")
            return None
        return number

    def stages(self, doc, unranked: set) -> list[Stage]:
        nodes = self.sequence(doc, "stages", "", required=False)
        stages = []
        for n, node in enumerate(nodes):
            where = f"stages[{n}]"
            if self.mapping(node, where) is None:
                continue
            shortlist, shortlists = self.per_category(node, "shortlist", where, self._shortlist, unranked)
            pass_mark, pass_marks = self.per_category(node, "pass_mark", where, self._pass_mark, unranked)
            criteria = self.criteria(node, where)
            if n == 0 and (shortlist is not None or pass_mark is not None or shortlists
                           or pass_marks):
                self.fail(where, "the first stage is the questionnaire: every unit takes part, "
                          "so it takes no shortlist or pass_mark")
            if n == 0 and criteria:
                self.fail(f"{where}.criteria", "the first stage is the questionnaire, scored "
                          "by its indicators; only later stages take criteria")
            stages.append(Stage(id=self.slug(node, where), weight=self.positive(node, "weight", where),
                                title=self.text(node, "title", where, required=False),
                                shortlist=shortlist, pass_mark=pass_mark, shortlists=shortlists,
                                pass_marks=pass_marks, criteria=tuple(criteria)))
        self.unique([(f"stages[{n}].id", s.id) for n, s in enumerate(stages)], "stage")
        return stages or [Stage(id="verifikasi", weight=Fraction(100))]

    def criteria(self, node, place: str) -> list[Criterion]:
        out = []
        for n, item in enumerate(self.sequence(node, "criteria", place, required=False)):
            where = f"{place}.criteria[{n}]"
            if self.mapping(item, where) is None:
                continue
            out.append(Criterion(id=self.slug(item, where), title=self.text(item, "title", where),
                                 weight=self.positive(item, "weight", where),
                                 description=self.text(item, "description", where, required=False)))
        if "criteria" in node and not out and isinstance(node.get("criteria"), list):
            self.fail(f"{place}.criteria", "must list at least one criterion")
        self.unique([(f"{place}.criteria[{n}].id", c.id) for n, c in enumerate(out)], "criterion")
        return out

    def awards(self, doc, aspect_ids, indicators, unranked: set) -> list[Award]:
        awards = []
        for n, node in enumerate(self.sequence(doc, "awards", "", required=False)):
            where = f"awards[{n}]"
            if self.mapping(node, where) is None:
                continue
            aspects, inds = self.award_basis(node, where, aspect_ids, indicators)
            category, categories = self.award_categories(node, where, unranked)
            winners = node.get("winners", 3)
            if isinstance(winners, bool) or not isinstance(winners, int) or winners < 1:
                self.fail(f"{where}.winners", f"must be a whole number of at least 1 (got {winners!r})")
                winners = 1
            awards.append(Award(id=self.slug(node, where), title=self.text(node, "title", where),
                                category=category, categories=categories,
                                aspects=aspects, indicators=inds, winners=winners,
                                description=self.text(node, "description", where, required=False)))
        self.unique([(f"awards[{n}].id", a.id) for n, a in enumerate(awards)], "award")
        return awards

    def award_basis(self, node, where, aspect_ids, indicators) -> tuple[tuple, tuple]:
        """The award's ``aspects`` or ``indicators`` (exactly one of them)."""
        if "indicators" in node and "aspects" in node:
            self.fail(where, "give either aspects or indicators, not both")
        if "indicators" not in node:
            aspects = node.get("aspects")
            if not isinstance(aspects, list) or not aspects:
                self.fail(f"{where}.aspects", "must list at least one aspect id (or give indicators)")
                aspects = []
            for m, aspect_id in enumerate(aspects):
                if not isinstance(aspect_id, str) or aspect_id not in aspect_ids:
                    self.fail(f"{where}.aspects[{m}]", f"unknown aspect id {aspect_id!r}")
            return tuple(str(a) for a in aspects), ()
        inds = node.get("indicators")
        if not isinstance(inds, list) or not inds:
            self.fail(f"{where}.indicators", "must list at least one indicator id")
            inds = []
        for m, ind_id in enumerate(inds):
            ind = indicators.get(ind_id) if isinstance(ind_id, str) else None
            if ind is None:
                self.fail(f"{where}.indicators[{m}]", f"unknown indicator id {ind_id!r}")
            elif not ind.scored:
                self.fail(f"{where}.indicators[{m}]", f"indicator {ind_id!r} is a text and is not scored")
        if len(set(map(str, inds))) != len(inds):
            self.fail(f"{where}.indicators", "lists an indicator twice")
        return (), tuple(str(i) for i in inds)

    def award_categories(self, node, where, unranked: set) -> tuple[str, tuple]:
        """The award's ``category`` or ``categories`` (exactly one of them)."""
        if "categories" in node:
            if "category" in node:
                self.fail(where, "give either category or categories, not both")
            cats = self.category_list(node, "categories", where)
            if not cats and isinstance(node.get("categories"), list):
                self.fail(f"{where}.categories", "must list at least one category id")
            for m, cat in enumerate(cats):
                if cat in unranked:
                    self.fail(f"{where}.categories[{m}]", f"category {cat!r} is unranked and takes part in no award")
            return "", tuple(cats)
        category = self.text(node, "category", where)
        if category in unranked:
            self.fail(f"{where}.category", f"category {category!r} is unranked and takes part in no award")
        return category, ()


def _at(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))
