"""Demo data for monitoring between seasons (issue 16): channels for every active unit and a
year of synthetic items and activities, seeded, with realistic gaps (units fall silent for
a few weeks at a time, some often, some never). Bulk inserts keep the demo start fast; the
demo builder commits (its own documented boundary)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from scoring.activity import week_monday

from .models import ElectionStage, MonitorActivity, MonitorChannel, MonitorItem, WorkUnit
from .models.types import utcnow
from .models.units import TIME_ZONES

SEED = 16
WEEKS = 52
TOPICS = ("Rapat Koordinasi Bakohumas", "Sosialisasi Pemilih Pemula", "Rapat Pleno Terbuka",
          "Bimbingan Teknis PPK", "Pemutakhiran Data Pemilih Berkelanjutan",
          "Kunjungan Media", "Pendidikan Pemilih di Sekolah", "Audiensi dengan Bawaslu",
          "Apel Siaga", "Penyerahan Laporan Keuangan")


def create_monitor_demo(session, users=None, today: date | None = None) -> str:
    """Channels, items, activities and one election stage; nothing when they exist already."""
    if session.query(MonitorChannel.id).first() is not None:
        return "monitoring: already there"
    rng = random.Random(SEED)
    today = today or datetime.now(TIME_ZONES["WIB"]).date()
    first = week_monday(today) - timedelta(weeks=WEEKS - 1)
    units = session.query(WorkUnit).filter(WorkUnit.active).order_by(WorkUnit.code).all()
    channels, items, activities = [], [], []
    next_item = (session.query(MonitorItem.id).order_by(MonitorItem.id.desc()).limit(1).scalar() or 0) + 1
    for n, unit in enumerate(units, start=1):
        host = f"{unit.code.replace('.', '-')}.kpu.example"
        own = [(n * 3 - 2, "website", f"https://{host}/", f"https://{host}/feed"),
               (n * 3 - 1, "youtube", f"https://youtube.example/@kpu{unit.code}", f"https://youtube.example/feeds/{unit.code}"),
               (n * 3, "social", f"https://instagram.example/kpu{unit.code}", None)]
        for cid, kind, url, feed in own:
            channels.append({"id": cid, "unit_code": unit.code, "kind": kind, "url": url,
                             "feed_url": feed, "status": "ok" if feed else None, "error": None,
                             "failures": 0, "created_at": utcnow()})
        next_item = _unit_items(rng, unit, own, first, today, items, activities, next_item)
    session.execute(MonitorChannel.__table__.insert(), channels)
    session.execute(MonitorItem.__table__.insert(), items)
    session.execute(MonitorActivity.__table__.insert(), activities)
    session.add(ElectionStage(name="Pilkada serentak: kampanye dan pemungutan suara",
                              starts_on=first + timedelta(weeks=30), ends_on=first + timedelta(weeks=38)))
    return f"monitoring: {len(channels)} channels, {len(items)} items, {len(activities)} activities"


def _unit_items(rng, unit, own, first, today, items, activities, next_id) -> int:
    # Indonesia keeps no summer time: a fixed offset is the zone, and far cheaper to apply
    zone = timezone(TIME_ZONES.get(unit.time_zone, TIME_ZONES["WIB"]).utcoffset(datetime(2026, 1, 1)))
    diligence = rng.betavariate(4, 1.6)          # how often the unit publishes at all
    silent, now = 0, utcnow()
    for week in range(52):
        monday = first + timedelta(weeks=week)
        if silent:
            silent -= 1
            continue
        if rng.random() > 0.93 + 0.06 * diligence:   # falls silent for 2-6 weeks
            silent = rng.randint(1, 5)
            continue
        held = []
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            day = monday + timedelta(days=rng.randint(0, 4))
            if day <= today:
                held.append((day, rng.choice(TOPICS)))
        for cid, kind, url, _feed in own:
            chance = {"website": 0.95, "youtube": 0.3, "social": 0.55}[kind] * diligence
            posts = (rng.random() < chance) + (kind == "website" and rng.random() < chance / 3)
            for k in range(posts):
                day = monday + timedelta(days=rng.randint(0, 6))
                if day > today:
                    continue
                moment = datetime.combine(day, time(rng.randint(7, 20), rng.randint(0, 59)), zone)
                items.append(_item(next_id, cid, unit.code, f"{url}p/{week}-{k}", rng.choice(TOPICS), moment, now))
                next_id += 1
        for day, title in held:
            item_id = None
            if rng.random() < 0.35 + 0.6 * diligence:   # covered, mostly the same day
                delay = 0 if rng.random() < 0.4 + 0.5 * diligence else rng.randint(1, 4)
                moment = datetime.combine(day + timedelta(days=delay), time(17, 30), zone)
                if moment.date() <= today:
                    item_id = next_id
                    items.append(_item(next_id, own[0][0], unit.code, f"{own[0][2]}liputan/{day}-{next_id}",
                                       f"{title} {unit.name}", moment, now))
                    next_id += 1
            activities.append({"unit_code": unit.code, "day": day, "title": f"{title} {unit.name}",
                               "kind": "external" if rng.random() < 0.6 else "internal",
                               "item_id": item_id, "created_at": now})
    return next_id


def _item(item_id, channel_id, code, link, title, moment, now) -> dict:
    return {"id": item_id, "channel_id": channel_id, "unit_code": code, "link": link,
            "title": title, "published_at": moment, "source": "feed",
            "created_at": now}
