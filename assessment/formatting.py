"""Indonesian number and date formatting (87,50; 21 Agustus 2025; 23.59 WIB)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.dates import format_date, format_time
from flask_babel import format_decimal, get_locale

from .models.units import TIME_ZONES


def _lang() -> str:
    try:
        return str(get_locale() or "id")[:2]
    except (RuntimeError, AttributeError):
        return "id"


def number(value, places: int = 2) -> str:
    """87.5 -> '87,50' in Indonesian, '87.50' in English."""
    if value is None:
        return "-"
    fmt = "#,##0." + "0" * places if places else "#,##0"
    try:
        return format_decimal(Decimal(str(value)), format=fmt)
    except (ArithmeticError, ValueError):  # beyond decimal precision (1e308, inf): shown raw
        return str(value)


def local_time(value: datetime, zone: str = "WIB") -> datetime:
    return value.astimezone(TIME_ZONES[zone])


def date(value: datetime | None, zone: str = "WIB") -> str:
    """21 Agustus 2025 (in the given zone), by Babel in the interface language."""
    if value is None:
        return "-"
    local = local_time(value, zone) if value.tzinfo else value
    return format_date(local, "d MMMM y", locale=_lang())


def clock(value: datetime, zone: str = "WIB") -> str:
    """23.59 WIB (Indonesian) or 23:59 WIB, by Babel."""
    lang = _lang()
    return f"{format_time(local_time(value, zone), 'HH.mm' if lang == 'id' else 'HH:mm', locale=lang)} {zone}"


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
