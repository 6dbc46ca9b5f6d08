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

from rubrics.model import NOT_APPLICABLE, Indicator


def N_(msgid: str) -> str:
    """Marks a message id for translation by the application (which translates it)."""
    return msgid


class AnswerError(ValueError):
    """An answer of the wrong type or out of range. ``msgid`` and ``params`` let the
    application translate the message; ``str()`` is the English text."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


# what people may type for yes and no, on every route (web, API typed values, Excel, judges)
YES_WORDS = frozenset({"ya", "iya", "y", "yes", "true", "benar", "1", "x", "v",
                       "\u2713", "\u2714"})
NO_WORDS = frozenset({"tidak", "tdk", "n", "no", "false", "salah", "0"})
YES, NO = "Ya", "Tidak"          # how yes and no are written back to people
NOT_APPLICABLE_TEXT = "Tidak berlaku"   # how NOT_APPLICABLE is written back to people
NONE_OF_THESE = "-"              # a choice answered with no option at all (an empty list)
MAX_TEXT = 20000
# numbers people count (staff, posts, events): anything larger is a typo or an attack, and
# beyond what pages and spreadsheets can show (Excel holds at most about 1e308)
MAX_NUMBER = 10**12
# units of whole things: a number typed in one of them is refused as a fraction (2,5 orang)
WHOLE_UNITS = frozenset({"orang", "orang-kali", "kali", "kegiatan", "media"})

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
            raise AnswerError(N_("must be a number of at least 0, got %(value)s"), value=_show(value))
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


# converters by indicator identity: check_answer and answer_fraction run per answer (a
# season's scoring run checks some 30,000), and building a converter costs far more than
# a lookup (hashing a frozen Indicator would too). The indicator is kept beside its
# converter so that an id reused after garbage collection cannot match.
_COMPILED: dict[int, tuple[Indicator, Converter]] = {}
_COMPILED_MAX = 2048


def compile_indicator(indicator: Indicator) -> Converter:
    """The converter for one indicator; an allow_na one turns "tidak-berlaku" into
    ``NOT_APPLICABLE`` (which is not a numerator: the engine leaves the indicator out)."""
    hit = _COMPILED.get(id(indicator))
    if hit is not None and hit[0] is indicator:
        return hit[1]
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    conv = _build_converter(indicator)
    _COMPILED[id(indicator)] = (indicator, conv)
    return conv


def _build_converter(indicator: Indicator) -> Converter:
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
    no fraction at all (None). A condition of entry earns nothing in a score, but its
    yes/no gives 1 or 0 here, so judges' values of it compare like any yes/no's."""
    if value is None or not indicator.judged:
        return Fraction(0)
    conv = compile_indicator(indicator)
    num = conv.convert_for(category)(value)
    if num is not NOT_APPLICABLE and not has_bands_for(indicator, category):
        raise AnswerError(N_("no bands for the category %(category)s"), category=str(category))
    return None if num is NOT_APPLICABLE else Fraction(num, conv.den)


def _show(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- what people type --------------------------------------------------------------------

def parse_answer(indicator: Indicator, raw) -> object:
    """An answer from what a person typed or picked, or from a spreadsheet cell: Ya/Tidak
    (or y, yes, 1, x, v, a tick; n, no, 0), a level label or its 0-based index, a number
    written Indonesian or international ('2,5', '1.250'), options separated by new lines
    or ';' ('-' for none of them), free text. Empty means unanswered (None). Raises
    AnswerError; the answer returned passes ``check_answer`` and ``check_limits``."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and indicator.type != "text"):
        return None
    if indicator.allow_na and isinstance(raw, str) and " ".join(
            raw.replace("-", " ").split()).casefold() == NOT_APPLICABLE_TEXT.casefold():
        return NOT_APPLICABLE
    value = _READERS[indicator.type](indicator, raw)
    if value is None:
        return None
    try:
        check_answer(indicator, value)
    except AnswerError as exc:
        if indicator.type == "number":   # out of the indicator's bounds: say which bound
            raise
        raise _refusal(indicator, raw) from None
    check_limits(indicator, value)
    return value


def parse_yes_no(raw) -> bool | None:
    """Ya/Tidak in any of the accepted spellings -> True/False; empty -> None."""
    if raw is None or isinstance(raw, bool):
        return raw
    text = answer_text(raw).strip().casefold()
    if not text:
        return None
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise AnswerError(N_("\u201c%(value)s\u201d is neither Ya nor Tidak."), value=_brief(raw))


def counts_whole(indicator: Indicator) -> bool:
    """Whether a number indicator counts whole things: ``integer: true`` in the rubric, or,
    for editions written before that key (2025 and earlier), a unit of whole things
    (orang, kali, kegiatan, media)."""
    return indicator.type == "number" and (indicator.integer or indicator.unit in WHOLE_UNITS)


def check_limits(indicator: Indicator, value) -> None:
    """Refuse a text too long to keep, a number too large to be a real count and a fraction
    of a count of whole things (2,5 orang). Typed answers only: an answer stored before
    keeps scoring as the edition says."""
    if indicator.type == "text" and isinstance(value, str) and len(value) > MAX_TEXT:
        raise AnswerError(N_("The text is too long (at most %(num)d characters)."), num=MAX_TEXT)
    if indicator.type == "number" and isinstance(value, (int, float)) and value > MAX_NUMBER:
        raise AnswerError(N_("The number is too large to be a real count."))
    if isinstance(value, float) and not value.is_integer() and counts_whole(indicator):
        raise AnswerError(N_("must be a whole number, got %(value)s"), value=_show(value))


def answer_text(value) -> str:
    """A value as a person would type it: options one per line, Ya/Tidak, numbers without
    a spurious '.0', dates as ISO dates; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _brief(raw) -> str:
    text = answer_text(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_yesno(ind: Indicator, raw):
    return parse_yes_no(raw)


def _read_scale(ind: Indicator, raw):
    if type(raw) is int or (type(raw) is float and raw.is_integer()):
        return int(raw)
    text = " ".join(answer_text(raw).split())
    if text.isascii() and text.isdigit():   # "²".isdigit() is True, int("²") raises
        return int(text)
    for index, level in enumerate(ind.levels):
        if " ".join(level.label.split()).casefold() == text.casefold():
            return index
    raise _refusal(ind, raw)


def _read_number(ind: Indicator, raw):
    if isinstance(raw, (bool, date, time)):
        raise AnswerError(N_("\u201c%(value)s\u201d is not a number."), value=_brief(raw))
    value = raw if isinstance(raw, (int, float)) else parse_number_text(str(raw))
    if isinstance(value, float) and not math.isfinite(value):
        raise AnswerError(N_("\u201c%(value)s\u201d is not a number."), value=_brief(raw))
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    if value is not None and value < 0:
        raise AnswerError(N_("The number must not be negative."))
    return value


def _read_choice(ind: Indicator, raw):
    if isinstance(raw, list):
        return raw
    text = answer_text(raw).strip()
    if text in ind.options:
        return [text]
    pieces = [p.strip() for p in re.split(r"\n" if "\n" in text else ";", text)]
    pieces = [p for p in pieces if p]
    if pieces == [NONE_OF_THESE]:
        return []
    if NONE_OF_THESE in pieces:
        raise AnswerError(N_("Choose options or \u201cnone of these\u201d, not both."))
    by_fold = {o.casefold(): o for o in ind.options}
    chosen = []
    for piece in pieces:
        option = by_fold.get(piece.casefold())
        if option is None:
            raise AnswerError(N_("Unknown option: %(option)s."), option=piece[:80])
        if option not in chosen:
            chosen.append(option)
    return chosen


def _read_text(ind: Indicator, raw):
    text = answer_text(raw).replace("\r\n", "\n").replace("\r", "\n")   # browsers send CRLF
    if len(text) > MAX_TEXT:
        raise AnswerError(N_("The text is too long (at most %(num)d characters)."), num=MAX_TEXT)
    return text.strip() or None


_READERS = {"yesno": _read_yesno, "scale": _read_scale, "number": _read_number,
            "choice": _read_choice, "text": _read_text}


def _refusal(ind: Indicator, raw) -> AnswerError:
    """The message for a value of the right form that is still not an answer."""
    if ind.type == "yesno":
        return AnswerError(N_("\u201c%(value)s\u201d is neither Ya nor Tidak."), value=_brief(raw))
    if ind.type == "scale":
        return AnswerError(N_("\u201c%(value)s\u201d is not one of the levels: %(levels)s."),
                           value=_brief(raw), levels=", ".join(lv.label for lv in ind.levels))
    if ind.type == "number":
        return AnswerError(N_("The number must not be negative."))
    return AnswerError(N_("Choose among the listed options."))


# ---- one save's input ------------------------------------------------------------------------

UNKNOWN_INDICATOR = N_("Unknown indicator.")


def sort_answers(rubric, values: dict, typed: dict, *, judged_only: bool = False
                 ) -> tuple[dict, dict, dict]:
    """Split a save's input into (answers, kept, errors) by indicator id: ``values`` in the
    exchange format, ``typed`` as people typed them (read by ``parse_answer``; a typed text
    wins over a value for the same indicator). ``kept`` holds the text of each invalid
    value (to keep it as typed), ``errors`` an AnswerError for it and for each unknown
    indicator (and, with ``judged_only``, each one a judge gives no value for: text)."""
    good, kept, errors = {}, {}, {}
    for key, value in values.items():
        if key in typed:
            continue
        ind = _known(rubric, key, errors, judged_only)
        if ind is None:
            continue
        try:
            check_answer(ind, value)
            check_limits(ind, value)
            good[key] = value
        except AnswerError as exc:
            kept[key], errors[key] = answer_text(value)[:MAX_TEXT], exc
    for key, raw in typed.items():
        ind = _known(rubric, key, errors, judged_only)
        if ind is None:
            continue
        try:
            good[key] = parse_answer(ind, raw)
        except AnswerError as exc:
            kept[key], errors[key] = answer_text(raw)[:MAX_TEXT], exc
    return good, kept, errors


def _known(rubric, key: str, errors: dict, judged_only: bool):
    if not rubric.has_indicator(key):
        errors[key] = AnswerError(UNKNOWN_INDICATOR)
        return None
    ind = rubric.indicator(key)
    if judged_only and not ind.judged:
        errors[key] = AnswerError(N_("This indicator is not scored: give a comment only."))
        return None
    return ind
