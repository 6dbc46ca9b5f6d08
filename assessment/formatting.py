"""Indonesian number and date formatting (87,50; 21 Agustus 2025; 23.59 WIB)."""
from __future__ import annotations

from datetime import date as _date
from datetime import datetime, time
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask_babel import get_locale

from .models.units import TIME_ZONES


def _lang() -> str:
    try:
        return str(get_locale() or "id")[:2]
    except (RuntimeError, AttributeError):
        return "id"


def _locale() -> str:
    try:
        return str(get_locale() or "id")
    except (RuntimeError, AttributeError):
        return "id"


def number(value, places: int = 2) -> str:
    """87.5 -> '87,50' in Indonesian, '87.50' in English."""
    if value is None:
        return "-"
    try:
        return _number_text(str(value), places, _locale())
    except (ArithmeticError, ValueError):  # beyond decimal precision (1e308, inf): shown raw
        return str(value)


# Babel's formatting costs a fraction of a millisecond a call, and long pages (rankings,
# progress lists) show hundreds of figures and dates: each text is made once per process
@lru_cache(maxsize=16384)
def _number_text(text: str, places: int, locale: str) -> str:
    fmt = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(Decimal(text), format=fmt, locale=locale)


@lru_cache(maxsize=4096)
def _date_text(day, lang: str) -> str:
    return format_date(day, "d MMMM y", locale=lang)


@lru_cache(maxsize=4096)
def _clock_text(hour: int, minute: int, lang: str) -> str:
    return format_time(time(hour, minute), "HH.mm" if lang == "id" else "HH:mm", locale=lang)


def local_time(value: datetime, zone: str = "WIB") -> datetime:
    return value.astimezone(TIME_ZONES[zone])


def date(value: datetime | _date | None, zone: str = "WIB") -> str:
    """21 Agustus 2025 (a moment in the given zone, or a calendar day as it is), by Babel in
    the interface language."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = (local_time(value, zone) if value.tzinfo else value).date()
    return _date_text(value, _lang())


def clock(value: datetime, zone: str = "WIB") -> str:
    """23.59 WIB (Indonesian) or 23:59 WIB, by Babel."""
    local = local_time(value, zone)
    return f"{_clock_text(local.hour, local.minute, _lang())} {zone}"


def datetime_in_zones(value: datetime | None, unit_zone: str = "WIB") -> str:
    """'21 Agustus 2025 23.59 WIB (01.59 WIT)': WIB always, the unit's own zone beside it."""
    if value is None:
        return "-"
    text = f"{date(value)} {clock(value)}"
    if unit_zone != "WIB":
        own = local_time(value, unit_zone)
        day = f"{date(value, unit_zone)} " if own.date() != local_time(value).date() else ""
        text += f" ({day}{clock(value, unit_zone)})"
    return text


def init_app(app) -> None:
    app.jinja_env.filters.update(number=number, date=date, clock=clock,
                                 when=datetime_in_zones)
