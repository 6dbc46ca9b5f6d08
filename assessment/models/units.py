"""The work-unit registry (satuan kerja), with history: a unit exists from a date (the law
that created its region) and may end; a renamed unit keeps its former names with the date
each stopped being used, so a period shows the names of its own time."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, ForeignKey, String, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reports.indonesian import WIB

from ..extensions import db
from .types import JSONDict

LEVELS = ("pusat", "provinsi", "kabkota")
# Indonesia's three time zones: deadlines are set and shown in WIB (defined once, in
# reports.indonesian), the unit's own zone beside it for units in the east
TIME_ZONES = {"WIB": WIB, "WITA": ZoneInfo("Asia/Makassar"), "WIT": ZoneInfo("Asia/Jayapura")}


class WorkUnit(db.Model):
    __tablename__ = "work_unit"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("work_unit.code"), index=True)
    time_zone: Mapped[str] = mapped_column(String(4), default="WIB")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    exists_from: Mapped[date | None] = mapped_column(Date)     # None: since before any period
    exists_until: Mapped[date | None] = mapped_column(Date)    # the first day it no longer exists
    # [{"name": former name, "until": "YYYY-MM-DD" (first day of the next name)}], oldest first
    former_names: Mapped[list | None] = mapped_column(JSONDict)
    # an ended unit's successor: the unit that took over its region under a new code (the
    # Papua regencies moved into the 2022 provinces: 91.01 Merauke ended -> 93.01)
    successor_code: Mapped[str | None] = mapped_column(ForeignKey("work_unit.code"))

    province: Mapped["WorkUnit | None"] = relationship(remote_side=[code],
                                                       foreign_keys=[province_code])
    successor: Mapped["WorkUnit | None"] = relationship(remote_side=[code],
                                                        foreign_keys=[successor_code])

    def existed_on(self, day: date) -> bool:
        return ((self.exists_from is None or self.exists_from <= day)
                and (self.exists_until is None or day < self.exists_until))

    def name_on(self, day: date) -> str:
        """The unit's name on ``day`` (a former name before its rename)."""
        for former in self.former_names or ():
            if day < date.fromisoformat(former["until"]):
                return former["name"]
        return self.name

    def province_name_on(self, day: date) -> str:
        if self.level == "provinsi":
            return self.name_on(day)
        return self.province.name_on(day) if self.province else ""

    @property
    def province_name(self) -> str:
        if self.level == "provinsi":
            return self.name
        return self.province.name if self.province else ""

    def __repr__(self):
        return f"<WorkUnit {self.code} {self.name}>"


def opening_day(moment: datetime) -> date:
    """The WIB calendar day of a moment (a period's opening): the day the registry is read on."""
    return moment.astimezone(WIB).date() if moment.tzinfo else moment.date()


def existing_on(day: date):
    """A filter: units that existed on ``day`` (created by then, not yet ended)."""
    return and_(or_(WorkUnit.exists_from.is_(None), WorkUnit.exists_from <= day),
                or_(WorkUnit.exists_until.is_(None), WorkUnit.exists_until > day))


def today() -> date:
    """Today's date in WIB: the day lists of current units (accounts, dashboards) are read on."""
    return datetime.now(WIB).date()


def existing_today():
    """A filter: units that exist today (an ended unit is kept for the periods of its time,
    never listed among today's units)."""
    return existing_on(today())
