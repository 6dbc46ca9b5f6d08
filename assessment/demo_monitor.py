"""Demo data for monitoring between seasons (issue 16): channels for every active unit and a
year of synthetic items and activities, seeded, with realistic gaps (units fall silent for
a few weeks at a time, some often, some never). The demo builder commits (its own
documented boundary).

It is part of the demo start, so it is built cheaply (about 0.3 s of CPU for 553 units):
every row is computed in one pass as a plain tuple and written by one driver-level
executemany per table, with the values already in the form the column stores (UTC text on
SQLite, aware datetimes on PostgreSQL), so no per-value bind processing runs. A unit
publishes at most one item per channel a week (the weekly measures only ask whether a week
has one) and holds an activity about every other week."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from scoring.activity import week_monday

from .models import ElectionStage, MonitorChannel, MonitorItem, WorkUnit
from .models.types import utcnow
from .models.units import TIME_ZONES, existing_on

SEED = 16
WEEKS = 52
TOPICS = ("Rapat Koordinasi Bakohumas", "Sosialisasi Pemilih Pemula", "Rapat Pleno Terbuka",
          "Bimbingan Teknis PPK", "Pemutakhiran Data Pemilih Berkelanjutan",
          "Kunjungan Media", "Pendidikan Pemilih di Sekolah", "Audiensi dengan Bawaslu",
          "Apel Siaga", "Penyerahan Laporan Keuangan")
# chance that a channel has an item in an active week, before the unit's diligence
CHANCE = {"website": 0.85, "youtube": 0.2, "social": 0.45}

CHANNEL_COLUMNS = ("id", "unit_code", "kind", "url", "feed_url", "status", "error", "failures",
                   "created_at")
ITEM_COLUMNS = ("id", "channel_id", "unit_code", "link", "title", "published_at", "source",
                "created_at")
ACTIVITY_COLUMNS = ("unit_code", "day", "title", "kind", "item_id", "created_at")


def create_monitor_demo(session, users=None, today: date | None = None) -> str:
    """Channels, items, activities and one election stage; nothing when they exist already."""
    if session.query(MonitorChannel.id).first() is not None:
        return "monitoring: already there"
    writer = _Writer(session)
    rng = random.Random(SEED)
    today = today or datetime.now(TIME_ZONES["WIB"]).date()
    first = week_monday(today) - timedelta(weeks=WEEKS - 1)
    units = session.execute(select(WorkUnit.code, WorkUnit.name, WorkUnit.time_zone)
                            .where(WorkUnit.active, existing_on(today))
                            .order_by(WorkUnit.code)).all()
    build = _Build(rng, writer, first, today, writer.value(utcnow().replace(tzinfo=None)),
                   session.scalar(select(func.max(MonitorItem.id))) or 0)
    for n, (code, name, zone) in enumerate(units):
        build.unit(n * 3 + 1, code, name, zone)
    writer.insert("monitor_channel", CHANNEL_COLUMNS, build.channels)
    writer.insert("monitor_item", ITEM_COLUMNS, build.items)
    writer.insert("monitor_activity", ACTIVITY_COLUMNS, build.activities)
    writer.advance_sequences(("monitor_channel", "monitor_item"))
    session.add(ElectionStage(name="Pilkada serentak: kampanye dan pemungutan suara",
                              starts_on=first + timedelta(weeks=30), ends_on=first + timedelta(weeks=38)))
    session.flush()
    return (f"monitoring: {len(build.channels)} channels, {len(build.items)} items, "
            f"{len(build.activities)} activities")


class _Writer:
    """Driver-level executemany of plain tuples, values as the database stores them."""

    def __init__(self, session):
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"

    def value(self, moment: datetime):
        """A naive UTC moment as UTCDateTime stores it: SQLAlchemy's text on SQLite
        ('2026-03-17 05:00:00.000000'), an aware datetime on PostgreSQL."""
        if self.sqlite:
            return moment.isoformat(" ", "microseconds")
        return moment.replace(tzinfo=timezone.utc)

    def day(self, value: date):
        return value.isoformat() if self.sqlite else value

    def insert(self, table: str, columns: tuple, rows: list[tuple]) -> None:
        if rows:
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join([self.mark] * len(columns))})")
            self.session.connection().exec_driver_sql(sql, rows)

    def advance_sequences(self, tables) -> None:
        """Ids were given explicitly: move PostgreSQL's sequences past them."""
        if self.sqlite:
            return
        for table in tables:
            self.session.connection().exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")


class _Build:
    """The rows of every unit, computed in one pass."""

    def __init__(self, rng, writer: _Writer, first: date, today: date, now, last_item: int):
        self.rng, self.writer, self.first, self.today, self.now = rng, writer, first, today, now
        self.next_item = last_item + 1
        self.channels, self.items, self.activities = [], [], []
        self.last_week = min(WEEKS - 1, (today - first).days // 7)

    def unit(self, first_id: int, code: str, name: str, zone_name: str | None) -> None:
        rng, host = self.rng, f"{code.replace('.', '-')}.kpu.example"
        own = ((first_id, "website", f"https://{host}/", f"https://{host}/feed"),
               (first_id + 1, "youtube", f"https://youtube.example/@kpu{code}",
                f"https://youtube.example/feeds/{code}"),
               (first_id + 2, "social", f"https://instagram.example/kpu{code}", None))
        for cid, kind, url, feed in own:
            self.channels.append((cid, code, kind, url, feed, "ok" if feed else None, None, 0, self.now))
        # Indonesia keeps no summer time: the zone is a fixed offset; local midnight of the
        # first Monday, in UTC, is the base every moment of the unit is counted from
        offset = TIME_ZONES.get(zone_name or "WIB", TIME_ZONES["WIB"]).utcoffset(datetime(2026, 1, 1))
        base = datetime.combine(self.first, time()) - offset
        diligence = rng.betavariate(4, 1.6)          # how often the unit publishes at all
        quiet_at = 0.93 + 0.06 * diligence
        silent = 0
        for week in range(self.last_week + 1):
            if silent:
                silent -= 1
                continue
            if rng.random() > quiet_at:                # falls silent for 2-6 weeks
                silent = 1 + int(rng.random() * 5)
                continue
            for cid, kind, url, _feed in own:
                if rng.random() < CHANCE[kind] * diligence:
                    self._item(cid, code, f"{url}p/{week}", TOPICS[int(rng.random() * 10)],
                               base, week * 7 + int(rng.random() * 7), 7 + int(rng.random() * 14))
            if rng.random() < 0.4:
                self._activity(code, name, own[0], base, week, diligence)

    def _item(self, channel_id, code, link, title, base, day: int, hour: int) -> int | None:
        if self.first + timedelta(days=day) > self.today:
            return None
        item_id = self.next_item
        self.next_item += 1
        moment = base + timedelta(days=day, hours=hour, minutes=(item_id * 7) % 60)
        self.items.append((item_id, channel_id, code, link, title, self.writer.value(moment),
                           "feed", self.now))
        return item_id

    def _activity(self, code, name, website, base, week: int, diligence: float) -> None:
        rng = self.rng
        day = week * 7 + int(rng.random() * 5)
        held = self.first + timedelta(days=day)
        if held > self.today:
            return
        title = f"{TOPICS[int(rng.random() * 10)]} {name}"
        item_id = None
        if rng.random() < 0.35 + 0.6 * diligence:     # covered, mostly the same day
            delay = 0 if rng.random() < 0.4 + 0.5 * diligence else 1 + int(rng.random() * 4)
            item_id = self._item(website[0], code, f"{website[2]}liputan/{held}-{self.next_item}",
                                 title, base, day + delay, 17)
        self.activities.append((code, self.writer.day(held), title,
                                "external" if rng.random() < 0.6 else "internal", item_id, self.now))
