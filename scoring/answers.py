"""Answer checking and indicator fractions.

Each scored indicator is compiled once into a converter that both validates an answer
(as it appears in the exchange format) and returns its fraction as an integer numerator
over the indicator's own denominator. Integer numerators let the engine add thousands of
answers exactly without building a ``Fraction`` for each one.

Answer forms: yesno ``true``/``false``; scale the 0-based level index; number a
non-negative number; choice a list of distinct option texts; text a string. ``null``
(``None``) means unanswered everywhere.

Number answers are compared with band thresholds as the nearest IEEE doubles of the
decimals written, which is exact for every decimal of up to 15 significant digits.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from rubrics.model import NOT_APPLICABLE, Indicator


class AnswerError(ValueError):
    """An answer of the wrong type or out of range; the message is for the user."""


def N_(msgid: str) -> str:
    """Marks a message id for translation by the application (which translates it)."""
    return msgid


class NumberTextError(AnswerError):
    """Text that is not a number; ``msgid`` and ``params`` let the caller translate it."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+(,\d+)?")   # 1.250 or 1.250,5 (Indonesian grouping)
_COMMA = re.compile(r"\d+,\d+")                    # 2,5
_DOT = re.compile(r"\d+(\.\d+)?")                  # 12 or 2.5


def parse_number_text(text: str) -> int | float | None:
    """A non-negative number typed by a person, Indonesian or international: '12', '2,5',
    '2.5', '1.250' (one thousand two hundred and fifty), '1.250,5'. Empty text is None."""
    t = re.sub(r"[\s\u00a0]", "", text or "")
    if not t:
        return None
    negative = t.startswith("-")
    t = t.lstrip("+-")
    if _GROUPED.fullmatch(t):
        t = t.replace(".", "").replace(",", ".")
    elif _COMMA.fullmatch(t):
        t = t.replace(",", ".")
    elif not _DOT.fullmatch(t):
        raise NumberTextError(N_("Enter a number, for example 12 or 2,5."))
    if negative:
        raise NumberTextError(N_("The number must not be negative."))
    if len(t.replace(".", "").lstrip("0")) > 15:
        raise NumberTextError(N_("The number has too many digits."))
    try:
        number = Decimal(t)
    except InvalidOperation:
        raise NumberTextError(N_("Enter a number, for example 12 or 2,5.")) from None
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True)
class Converter:
    """A compiled indicator: ``convert(value)`` -> numerator (None for text), over ``den``."""

    indicator: Indicator
    den: int
    convert: Callable[[object], int | None]
    by_category: dict | None = None     # category id -> convert, where bands depend on it

    def convert_for(self, category: str | None) -> Callable[[object], int | None]:
        """The convert function that scores a unit of ``category``."""
        if self.by_category and category in self.by_category:
            return self.by_category[category]
        return self.convert


def _yesno(ind: Indicator) -> Converter:
    def convert(value):
        if value is True:
            return 1
        if value is False:
            return 0
        raise AnswerError(f"must be true or false (yes/no), got {_show(value)}")
    return Converter(ind, 1, convert)


def _scale(ind: Indicator) -> Converter:
    top = len(ind.levels) - 1

    def convert(value):
        if type(value) is int and 0 <= value <= top:
            return value
        raise AnswerError(f"must be a level index from 0 to {top}, got {_show(value)}")
    return Converter(ind, top, convert)


def _number(ind: Indicator) -> Converter:
    lists = ind.all_bands()
    den = math.lcm(*(frac.denominator for bands in lists for _, frac in bands))
    check = _number_check(ind)

    def banded(bands):
        thresholds = [float(low) for low, _ in bands]
        numerators = [int(frac * den) for _, frac in bands]

        def convert(value):
            kind = type(value)
            if (kind is int or kind is float) and value >= 0 and value != math.inf:
                if bounded:
                    check(value)
                return numerators[bisect_right(thresholds, value) - 1]
            check(value)
            raise AnswerError(f"must be a number of at least 0, got {_show(value)}")
        return convert

    bounded = ind.min is not None or ind.max is not None or ind.integer
    by_category = {cat: banded(bands) for cat, bands in ind.category_bands} or None
    # without a default band list, convert only checks: a score needs the unit's category
    default = banded(ind.bands) if ind.bands else _checked_only(check)
    return Converter(ind, den, default, by_category)


def _checked_only(check):
    def convert(value):
        check(value)
        return 0
    return convert


def has_bands_for(indicator: Indicator, category: str | None) -> bool:
    """Whether a number indicator can score a unit of ``category`` (always for other types)."""
    return (indicator.type != "number" or bool(indicator.bands)
            or any(cat == category for cat, _ in indicator.category_bands))


def _number_check(ind: Indicator) -> Callable[[object], None]:
    """Raise AnswerError unless ``value`` is a number within the indicator's bounds."""
    low = float(ind.min) if ind.min is not None else None
    high = float(ind.max) if ind.max is not None else None

    def check(value):
        kind = type(value)
        if kind not in (int, float) or value != value or value == math.inf:
            raise AnswerError(f"must be a number of at least 0, got {_show(value)}")
        if value < 0:
            raise AnswerError(f"must not be negative, got {_show(value)}")
        if ind.integer and kind is float and not value.is_integer():
            raise AnswerError(f"must be a whole number, got {_show(value)}")
        if low is not None and value < low:
            raise AnswerError(f"must be at least {_bound(ind.min)}, got {_show(value)}")
        if high is not None and value > high:
            raise AnswerError(f"must be at most {_bound(ind.max)}, got {_show(value)}")
    return check


def _bound(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def _choice(ind: Indicator) -> Converter:
    options = frozenset(ind.options)
    full_at = ind.full_at
    seen: dict[tuple, int] = {}   # answers repeat a lot: checked once per distinct list

    def convert(value):
        if type(value) is not list:
            raise AnswerError(f"must be a list of options, got {_show(value)}")
        try:
            return seen[tuple(value)]
        except (KeyError, TypeError):
            pass
        chosen = set()
        for item in value:
            if type(item) is not str or item not in options:
                raise AnswerError(f"option {_show(item)} is not one of: {', '.join(ind.options)}")
            if item in chosen:
                raise AnswerError(f"option {_show(item)} is listed twice")
            chosen.add(item)
        num = min(len(chosen), full_at)
        if len(seen) < 4096:
            seen[tuple(value)] = num
        return num
    return Converter(ind, full_at, convert)


def _text(ind: Indicator) -> Converter:
    def convert(value):
        if type(value) is not str:
            raise AnswerError(f"must be a text, got {_show(value)}")
        return None
    return Converter(ind, 1, convert)


_BUILDERS = {"yesno": _yesno, "scale": _scale, "number": _number, "choice": _choice,
             "text": _text}


def compile_indicator(indicator: Indicator) -> Converter:
    """The converter for one indicator; an allow_na one turns "tidak-berlaku" into
    ``NOT_APPLICABLE`` (which is not a numerator: the engine leaves the indicator out)."""
    conv = _BUILDERS[indicator.type](indicator)
    if not indicator.allow_na:
        return conv
    by_category = conv.by_category and {c: _or_na(f) for c, f in conv.by_category.items()}
    return Converter(indicator, conv.den, _or_na(conv.convert), by_category or None)


def _or_na(convert):
    def either(value):
        return NOT_APPLICABLE if value == NOT_APPLICABLE else convert(value)
    return either


def is_not_applicable(value) -> bool:
    """Whether an answer is "tidak-berlaku" (not applicable)."""
    return type(value) is str and value == NOT_APPLICABLE


def compile_rubric(rubric) -> dict[str, Converter]:
    """Converters for every indicator of a rubric, keyed by indicator id, in rubric order."""
    return {ind.id: compile_indicator(ind) for ind in rubric.indicators}


def check_answer(indicator: Indicator, value) -> None:
    """Raise AnswerError when ``value`` is not a valid answer to ``indicator`` (None is valid)."""
    if value is not None:
        compile_indicator(indicator).convert(value)


def answer_fraction(indicator: Indicator, value, category: str | None = None) -> Fraction | None:
    """The fraction (0..1) an answer earns for a unit of ``category`` (which decides the
    bands where they differ per category); unanswered scores 0, and "tidak-berlaku" earns
    no fraction at all (None)."""
    if value is None or not indicator.scored:
        return Fraction(0)
    conv = compile_indicator(indicator)
    num = conv.convert_for(category)(value)
    if num is not NOT_APPLICABLE and not has_bands_for(indicator, category):
        raise AnswerError(f"no bands for the category {category}")
    return None if num is NOT_APPLICABLE else Fraction(num, conv.den)


def _show(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
