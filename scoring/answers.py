"""Answers: checking, fractions, and reading what people type.

Each scored indicator is compiled once into a converter that both validates an answer
(as it appears in the exchange format) and returns its fraction as an integer numerator
over the indicator's own denominator. Integer numerators let the engine add thousands of
answers exactly without building a ``Fraction`` for each one.

Answer forms: yesno ``true``/``false``; scale the 0-based level index; number a
non-negative number; choice a list of distinct option texts; text a string. ``null``
(``None``) means unanswered everywhere.

Number answers are compared with band thresholds as the nearest IEEE doubles of the
decimals written, which is exact for every decimal of up to 15 significant digits.

``parse_answer`` is the one reader of answers typed or picked by people (the web form, the
judges' form, an objection's new value, a moderated value and an Excel cell): every route
accepts the same spellings. ``sort_answers`` splits a save's input into valid answers, texts
kept as typed and errors. Errors carry an English ``msgid`` (marked with ``N_``) and
``params``; the application translates them.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from datetime import date, datetime, time
from fractions import Fraction
from typing import Callable

from rubrics.model import Indicator


class AnswerError(ValueError):
    """An answer of the wrong type or out of range; the message is for the user."""


def N_(msgid: str) -> str:
    """Marks a message id for translation by the application (which translates it)."""
    return msgid


class AnswerError(ValueError):
    """An answer of the wrong type or out of range. ``msgid`` and ``params`` let the
    application translate the message; ``str()`` is the English text."""

    def __init__(self, msgid: str, **params):
# what people may type for yes and no, on every route (web, API typed values, Excel, judges)
YES_WORDS = frozenset({"ya", "iya", "y", "yes", "true", "benar", "1", "x", "v",
                       "\u2713", "\u2714"})
NO_WORDS = frozenset({"tidak", "tdk", "n", "no", "false", "salah", "0"})
YES, NO = "Ya", "Tidak"          # how yes and no are written back to people
NONE_OF_THESE = "-"              # a choice answered with no option at all (an empty list)
MAX_TEXT = 20000
# numbers people count (staff, posts, events): anything larger is a typo or an attack, and
# beyond what pages and spreadsheets can show (Excel holds at most about 1e308)
MAX_NUMBER = 10**12

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
        raise AnswerError(N_("Enter a number, for example 12 or 2,5."))
    if negative:
        raise AnswerError(N_("The number must not be negative."))
    if len(t.replace(".", "").lstrip("0")) > 15:
        raise AnswerError(N_("The number has too many digits."))
    try:
        number = Decimal(t)
    except InvalidOperation:
        raise AnswerError(N_("Enter a number, for example 12 or 2,5.")) from None
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True)
class Converter:
    """A compiled indicator: ``convert(value)`` -> numerator (None for text), over ``den``."""

    indicator: Indicator
    den: int
    convert: Callable[[object], int | None]


def _yesno(ind: Indicator) -> Converter:
    def convert(value):
        if value is True:
            return 1
        if value is False:
            return 0
        raise AnswerError(N_("must be true or false (yes/no), got %(value)s"), value=_show(value))
    return Converter(ind, 1, convert)


def _scale(ind: Indicator) -> Converter:
    top = len(ind.levels) - 1

    def convert(value):
        if type(value) is int and 0 <= value <= top:
            return value
        raise AnswerError(N_("must be a level index from 0 to %(top)d, got %(value)s"), top=top,
                          value=_show(value))
    return Converter(ind, top, convert)


def _number(ind: Indicator) -> Converter:
    den = math.lcm(*(frac.denominator for _, frac in ind.bands))
    thresholds = [float(low) for low, _ in ind.bands]
    numerators = [int(frac * den) for _, frac in ind.bands]

    def convert(value):
        kind = type(value)
        if kind not in (int, float) or value != value or value == math.inf:
            raise AnswerError(N_("must be a number of at least 0, got %(value)s"), value=_show(value))
        if value < 0:
            raise AnswerError(N_("must not be negative, got %(value)s"), value=_show(value))
        if ind.integer and kind is float and not value.is_integer():
            raise AnswerError(N_("must be a whole number, got %(value)s"), value=_show(value))
        if low is not None and value < low:
            raise AnswerError(N_("must be at least %(bound)s, got %(value)s"),
                              bound=_bound(ind.min), value=_show(value))
        if high is not None and value > high:
            raise AnswerError(N_("must be at most %(bound)s, got %(value)s"),
                              bound=_bound(ind.max), value=_show(value))
    return check


def _bound(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def _choice(ind: Indicator) -> Converter:
    options = frozenset(ind.options)
    full_at = ind.full_at
    seen: dict[tuple, int] = {}   # answers repeat a lot: checked once per distinct list

    def convert(value):
        if type(value) is not list:
            raise AnswerError(N_("must be a list of options, got %(value)s"), value=_show(value))
        try:
            return seen[tuple(value)]
        except (KeyError, TypeError):
            pass
        chosen = set()
        for item in value:
            if type(item) is not str or item not in options:
                raise AnswerError(N_("option %(option)s is not one of: %(options)s"),
                                  option=_show(item), options=", ".join(ind.options))
            if item in chosen:
                raise AnswerError(N_("option %(option)s is listed twice"), option=_show(item))
            chosen.add(item)
        num = min(len(chosen), full_at)
        if len(seen) < 4096:
            seen[tuple(value)] = num
        return num
    return Converter(ind, full_at, convert)


def _text(ind: Indicator) -> Converter:
    def convert(value):
        if type(value) is not str:
            raise AnswerError(N_("must be a text, got %(value)s"), value=_show(value))
        return None
    return Converter(ind, 1, convert)


_BUILDERS = {"yesno": _yesno, "scale": _scale, "number": _number, "choice": _choice,
             "text": _text}


def compile_indicator(indicator: Indicator) -> Converter:
    """The converter for one indicator."""
    return _BUILDERS[indicator.type](indicator)


def compile_rubric(rubric) -> dict[str, Converter]:
    """Converters for every indicator of a rubric, keyed by indicator id, in rubric order."""
    return {ind.id: compile_indicator(ind) for ind in rubric.indicators}


def check_answer(indicator: Indicator, value) -> None:
    """Raise AnswerError when ``value`` is not a valid answer to ``indicator`` (None is valid)."""
    if value is not None:
        compile_indicator(indicator).convert(value)


def answer_fraction(indicator: Indicator, value) -> Fraction:
    """The fraction (0..1) an answer earns; unanswered scores 0."""
    if value is None or not indicator.scored:
        return Fraction(0)
    conv = compile_indicator(indicator)
    return Fraction(conv.convert(value), conv.den)


def _show(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
