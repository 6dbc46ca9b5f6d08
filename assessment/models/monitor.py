"""Between seasons: a unit's public channels, the items harvested or logged from them, its
activities, and the election stages entered by the bureau (issue 16)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

CHANNEL_KINDS = ("website", "youtube", "podcast", "social", "other")
ACTIVITY_KINDS = ("internal", "external")


class MonitorChannel(db.Model):
    """A public channel of a unit: a feed harvested by ``run.py monitor fetch``, or a page
    (most social media) kept up by a weekly log of post links."""
    __tablename__ = "monitor_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    feed_url: Mapped[str | None] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str | None] = mapped_column(String(16))   # ok, not_modified, failed
    error: Mapped[str | None] = mapped_column(String(300))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit = relationship("WorkUnit")


class MonitorItem(db.Model):
    """One published item (a news article, video, episode or logged post), stored once per
    link and channel: seen again by a later fetch, it is not counted twice."""
    __tablename__ = "monitor_item"
    __table_args__ = (UniqueConstraint("channel_id", "link", name="uq_monitor_item_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("monitor_channel.id", ondelete="CASCADE"),
                                            index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    link: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    source: Mapped[str] = mapped_column(String(8), default="feed")   # feed, log
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    channel = relationship(MonitorChannel)


class MonitorActivity(db.Model):
    """An activity of a unit; covered by the first item linked to it."""
    __tablename__ = "monitor_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("work_unit.code"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(12), default="external")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("monitor_item.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item = relationship(MonitorItem)


class ElectionStage(db.Model):
    """A stage of an election (tahapan pemilu), entered by the bureau: weeks inside one are
    left out of the "outside election stages" share."""
    __tablename__ = "election_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
