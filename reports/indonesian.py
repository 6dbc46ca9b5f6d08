"""Indonesian time and number formats, by Babel: the one definition of WIB, dates such as
"21 Agustus 2025 23.59 WIB" and numbers such as "87,50". The reports are in Indonesian
whatever the reader's language; the web pages use the same zone (assessment.formatting)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

WIB = ZoneInfo("Asia/Jakarta")
LOCALE = "id"
# the ranking categories (unit levels) as the reports name them; the web pages translate
# the same three names (assessment.progress.LEVEL_LABELS: KPU RI, KPU Provinsi, KPU Kabupaten/Kota
# in Indonesian). In Aceh the commissions are called KIP, hence KPU/KIP.
CATEGORY_NAMES = {"pusat": "KPU RI", "provinsi": "KPU Provinsi", "kabkota": "KPU/KIP Kabupaten/Kota"}
# where a rank would be, for a unit listed without rank: one that does not meet a condition of
# entry (a result row's entry_unmet), or one of a category that is not ranked (KPU RI)
NOT_RANKED = "Tidak diperingkat"
ENTRY_UNMET = "Tidak diperingkat: syarat keikutsertaan tidak terpenuhi"


def unranked_text(entry_unmet) -> str:
    """What the reports write instead of a rank for a unit listed without one."""
    return ENTRY_UNMET if entry_unmet else NOT_RANKED


def in_wib(moment: datetime) -> datetime:
    """The moment in WIB (a naive moment is taken as UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB)


def wib_text(moment: datetime) -> str:
    """A moment as Indonesians write it in WIB: "21 Agustus 2025 14.05 WIB"."""
    local = in_wib(moment)
    return f"{format_date(local, 'd MMMM y', locale=LOCALE)} {format_time(local, 'HH.mm', locale=LOCALE)} WIB"


def number_text(value, places: int | None = None) -> str:
    """A number the Indonesian way, without thousands separators: with ``places`` exactly
    that many decimals (87,50), otherwise as few as needed, to six significant digits as
    ``format(value, "g")`` would (87,5; 33,3333)."""
    if places is None:
        value, pattern = Decimal(f"{float(value):g}"), "0.##########"
    else:
        pattern = "0." + "0" * places if places else "0"
    return format_decimal(value, format=pattern, locale=LOCALE)
