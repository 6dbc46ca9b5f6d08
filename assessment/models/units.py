"""The work-unit registry (satuan kerja)."""
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reports.indonesian import WIB

from ..extensions import db

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

    province: Mapped["WorkUnit | None"] = relationship(remote_side=[code])

    @property
    def province_name(self) -> str:
        if self.level == "provinsi":
            return self.name
        return self.province.name if self.province else ""

    def __repr__(self):
        return f"<WorkUnit {self.code} {self.name}>"
