"""Monitoring between seasons (issue 16): a unit's channels, logged posts, activities and
their coverage, harvest results stored once per link, and the measures per ISO week in the
unit's time zone (computed by scoring/activity.py from plain dates)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func

from scoring import activity as measures

from .. import audit
from ..models import ElectionStage, MonitorActivity, MonitorChannel, MonitorItem, WorkUnit
from ..models.monitor import ACTIVITY_KINDS, CHANNEL_KINDS
from ..models.types import utcnow
from ..models.units import TIME_ZONES, existing_today
from ..monitor.fetch import Result, Target
from ..text import TextInvalid, clean
from . import Invalid, NotAllowed

MAX_URL = 1000
MAX_TITLE = 500
MAX_CHANNELS = 20
MAX_RANGE_DAYS = 3 * 366


def zone_of(unit: WorkUnit):
    return TIME_ZONES.get(unit.time_zone or "WIB", TIME_ZONES["WIB"])


# -- input -------------------------------------------------------------------------------

def checked_url(value, field: str, required: bool = True) -> str | None:
    """An http(s) address of at most MAX_URL characters, or Invalid naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(_("%(field)s is required.", field=field), details={field: "required"})
        return None
    if not isinstance(value, str):
        raise Invalid(_("%(field)s must be text.", field=field), details={field: "not text"})
    value = _clean(value.strip(), field)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > MAX_URL \
            or any(c.isspace() for c in value):
        raise Invalid(_("%(field)s must be an http or https address of at most %(num)d characters.",
                        field=field, num=MAX_URL), details={field: "not an http(s) address"})
    return value


def checked_title(value, field: str = "title", required: bool = True) -> str:
    if not isinstance(value, str) or not value.strip():
        if required or (value is not None and not isinstance(value, str)):
            raise Invalid(_("%(field)s is required.", field=field), details={field: "required"})
        return ""
    value = _clean(value.strip(), field)
    if len(value) > MAX_TITLE:
        raise Invalid(_("%(field)s has at most %(num)d characters.", field=field, num=MAX_TITLE),
                      details={field: "too long"})
    return value


def checked_date(value, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("%(field)s must be a date like 2026-03-17.", field=field),
                      details={field: "not a date"}) from None


def checked_moment(value, field: str, unit: WorkUnit) -> datetime:
    """A date (noon in the unit's zone) or an ISO date-time (without a zone: the unit's)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(12))
    else:
        try:
            if not isinstance(value, str) or not 10 <= len(value) <= 40:
                raise ValueError
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if len(value) > 10 \
                else datetime.combine(date.fromisoformat(value), time(12))
        except ValueError:
            raise Invalid(_("%(field)s must be a date like 2026-03-17 or a date and time.",
                            field=field), details={field: "not a date"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(unit))
    if moment > utcnow() + timedelta(days=1):
        raise Invalid(_("%(field)s lies in the future.", field=field), details={field: "future"})
    return moment


def _clean(value: str, field: str) -> str:
    try:
        return clean(value, field)
    except TextInvalid as exc:
        raise Invalid(_("%(field)s cannot be stored: %(reason)s", field=field, reason=exc.reason),
                      details={field: exc.reason}) from None


# -- channels, posts, activities ---------------------------------------------------------

def channels_of(session, unit: WorkUnit) -> list[MonitorChannel]:
    return session.query(MonitorChannel).filter_by(unit_code=unit.code) \
        .order_by(MonitorChannel.id).all()


def add_channel(session, unit: WorkUnit, kind, url, feed_url=None, user=None) -> MonitorChannel:
    """Register a public channel of the unit (a feed to harvest, or a page to log posts of)."""
    if kind not in CHANNEL_KINDS:
        raise Invalid(_("kind must be one of: %(kinds)s.", kinds=", ".join(CHANNEL_KINDS)),
                      details={"kind": "unknown"})
    url = checked_url(url, "url")
    feed_url = checked_url(feed_url, "feed_url", required=False)
    if session.query(MonitorChannel).filter_by(unit_code=unit.code).count() >= MAX_CHANNELS:
        raise Invalid(_("A unit has at most %(num)d channels.", num=MAX_CHANNELS),
                      details={"channels": "too many"})
    channel = MonitorChannel(unit_code=unit.code, kind=kind, url=url, feed_url=feed_url,
                             failures=0, created_at=utcnow())
    session.add(channel)
    session.flush()
    audit.record("monitor.channel_add", channel, user=user, kind=kind, url=url, feed_url=feed_url)
    return channel


def find_channel(session, unit: WorkUnit, channel_id) -> MonitorChannel | None:
    channel = session.get(MonitorChannel, channel_id) if isinstance(channel_id, int) else None
    return channel if channel is not None and channel.unit_code == unit.code else None


def remove_channel(session, channel: MonitorChannel, user=None) -> None:
    """Remove a channel with its items (activities they covered become uncovered)."""
    items = session.query(MonitorItem.id).filter_by(channel_id=channel.id)
    session.query(MonitorActivity).filter(MonitorActivity.item_id.in_(items)) \
        .update({MonitorActivity.item_id: None}, synchronize_session=False)
    session.query(MonitorItem).filter_by(channel_id=channel.id).delete(synchronize_session=False)
    audit.record("monitor.channel_remove", channel, user=user, url=channel.url)
    session.delete(channel)
    session.flush()


def log_channel(session, unit: WorkUnit, channel_id=None) -> MonitorChannel:
    """The channel a logged post belongs to: the one named, else the unit's first channel
    without a feed."""
    if channel_id is not None:
        channel = find_channel(session, unit, channel_id)
        if channel is None:
            raise Invalid(_("The unit has no channel %(id)s.", id=channel_id),
                          details={"channel_id": "unknown"})
        return channel
    for channel in channels_of(session, unit):
        if not channel.feed_url:
            return channel
    raise Invalid(_("Register the page of the channel first (a channel without a feed)."),
                  details={"channel_id": "no channel without a feed"})


def log_post(session, unit: WorkUnit, url, published, title, channel_id=None,
             user=None) -> tuple[MonitorItem, bool]:
    """A post logged by hand; (item, created). The same link again is the same item."""
    channel = log_channel(session, unit, channel_id)
    url = checked_url(url, "url")
    moment = checked_moment(published, "published", unit)
    title = checked_title(title, required=False)
    existing = session.query(MonitorItem).filter_by(channel_id=channel.id, link=url).first()
    if existing is not None:
        return existing, False
    item = MonitorItem(channel_id=channel.id, unit_code=unit.code, link=url, title=title,
                       published_at=moment, source="log", created_at=utcnow())
    session.add(item)
    session.flush()
    audit.record("monitor.post_log", item, user=user, url=url)
    return item, True


# the columns of the post log's workbook, in order (A: url, B: published, C: title, D: channel)
POST_COLUMNS = ("url", "published", "title", "channel_id")


def log_posts(session, unit: WorkUnit, rows: list[dict], user=None) -> int:
    """Several posts at once, all or nothing: Invalid's details give every bad row's
    problem, ``{"<row>": {"field": one of POST_COLUMNS, "message": ...}}``."""
    problems, created = {}, 0
    for n, row in enumerate(rows, start=1):
        try:
            with session.begin_nested():
                created += log_post(session, unit, row.get("url"), row.get("published"),
                                    row.get("title"), row.get("channel_id"), user=user)[1]
        except Invalid as exc:
            field = next((f for f in (exc.details or {}) if f in POST_COLUMNS), "url")
            problems[str(row.get("row", n))] = {"field": field, "message": exc.message}
    if problems:
        raise Invalid(_("Nothing was saved: %(num)d row(s) have problems.", num=len(problems)),
                      details=problems)
    return created


def add_activity(session, unit: WorkUnit, day, title, kind="external", item_url=None,
                 user=None) -> MonitorActivity:
    """Log an activity; ``item_url`` (an item of the unit) covers it at once."""
    if kind not in ACTIVITY_KINDS:
        raise Invalid(_("kind must be internal or external."), details={"kind": "unknown"})
    day = checked_date(day, "date")
    if day > datetime.now(zone_of(unit)).date() + timedelta(days=1):
        raise Invalid(_("%(field)s lies in the future.", field="date"), details={"date": "future"})
    activity = MonitorActivity(unit_code=unit.code, day=day, title=checked_title(title),
                               kind=kind, created_at=utcnow())
    url = checked_url(item_url, "item_url", required=False)
    if url:
        item = session.query(MonitorItem).filter_by(unit_code=unit.code, link=url) \
            .order_by(MonitorItem.published_at).first()
        if item is None:
            raise Invalid(_("No item of this unit has that address; log the post first."),
                          details={"item_url": "unknown item"})
        activity.item_id = item.id
    session.add(activity)
    session.flush()
    audit.record("monitor.activity_add", activity, user=user, day=day.isoformat())
    return activity


def suggestions(session, unit: WorkUnit, activity: MonitorActivity) -> list[tuple[MonitorItem, float]]:
    """Items published within 7 days of the activity with similar titles, best first."""
    zone = zone_of(unit)
    low = datetime.combine(activity.day - timedelta(days=measures.SUGGEST_DAYS + 1), time(), zone)
    high = datetime.combine(activity.day + timedelta(days=measures.SUGGEST_DAYS + 1), time(), zone)
    items = session.query(MonitorItem).filter(
        MonitorItem.unit_code == unit.code, MonitorItem.published_at >= low,
        MonitorItem.published_at < high).all()
    by_id = {i.id: i for i in items}
    found = measures.suggest_coverage(activity.day, activity.title, [
        measures.Candidate(i.id, i.title, measures.local_day(i.published_at, zone)) for i in items])
    return [(by_id[c.key], score) for c, score in found]


def confirm_coverage(session, unit: WorkUnit, activity: MonitorActivity, item_id, user=None) -> None:
    """The operator confirms which item covers the activity (an item of the same unit)."""
    item = session.get(MonitorItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.unit_code != unit.code or activity.unit_code != unit.code:
        raise NotAllowed(_("That item is not one of this unit's."))
    activity.item_id = item.id
    session.flush()
    audit.record("monitor.coverage", activity, user=user, item_id=item.id)


# -- harvest -----------------------------------------------------------------------------

def harvest_targets(session, unit_code: str | None = None) -> list[Target]:
    query = session.query(MonitorChannel).filter(MonitorChannel.feed_url.isnot(None))
    if unit_code:
        query = query.filter(MonitorChannel.unit_code == unit_code)
    return [Target(c.id, c.feed_url, c.etag, c.last_modified)
            for c in query.order_by(MonitorChannel.id)]


def store_results(session, results: list[Result], now: datetime | None = None) -> dict:
    """Record each channel's fetch (state, failure reason) and add the items not yet stored
    for that channel; returns counts."""
    now = now or utcnow()
    counts = {"ok": 0, "not_modified": 0, "failed": 0, "new_items": 0}
    channels = {c.id: c for c in session.query(MonitorChannel).filter(
        MonitorChannel.id.in_([r.key for r in results]))} if results else {}
    for result in results:
        channel = channels.get(result.key)
        if channel is None:   # removed while it was being fetched
            continue
        counts[result.status] += 1
        channel.fetched_at, channel.status = now, result.status
        if result.status == "failed":
            channel.error, channel.failures = result.error, (channel.failures or 0) + 1
            continue
        channel.error, channel.failures = None, 0
        channel.etag, channel.last_modified = result.etag, result.last_modified
        counts["new_items"] += _add_entries(session, channel, result.entries, now)
    session.flush()
    return counts


def _add_entries(session, channel: MonitorChannel, entries, now: datetime) -> int:
    links = {e.link for e in entries}
    if not links:
        return 0
    known = {link for (link,) in session.query(MonitorItem.link).filter(
        MonitorItem.channel_id == channel.id, MonitorItem.link.in_(links))}
    rows, seen = [], set(known)
    for entry in entries:
        if entry.link in seen:
            continue
        seen.add(entry.link)
        rows.append({"channel_id": channel.id, "unit_code": channel.unit_code, "link": entry.link,
                     "title": entry.title, "published_at": min(entry.published or now, now),
                     "source": "feed", "created_at": now})
    if rows:
        session.execute(MonitorItem.__table__.insert(), rows)
    return len(rows)


# -- measures ----------------------------------------------------------------------------

def active_units(session, visible) -> list[WorkUnit]:
    """The active units that exist today and meet ``visible`` (a condition on WorkUnit, as
    ``permissions.units_visible_to(user)`` gives), by code: the dashboards' rows."""
    return (session.query(WorkUnit).filter(visible, WorkUnit.active, existing_today())
            .order_by(WorkUnit.code).all())


def stage_periods(session) -> list[tuple[date, date]]:
    return [(s.starts_on, s.ends_on) for s in session.query(ElectionStage).order_by(ElectionStage.starts_on)]


def add_stage(session, name, starts_on, ends_on, user=None) -> ElectionStage:
    start, end = checked_date(starts_on, "starts_on"), checked_date(ends_on, "ends_on")
    if end < start:
        raise Invalid(_("The stage ends before it starts."), details={"ends_on": "before starts_on"})
    stage = ElectionStage(name=checked_title(name, "name"), starts_on=start, ends_on=end)
    session.add(stage)
    session.flush()
    audit.record("monitor.stage_add", stage, user=user, name=stage.name)
    return stage


def checked_range(start, end) -> tuple[date, date]:
    start, end = checked_date(start, "from"), checked_date(end, "to")
    if end < start:
        raise Invalid(_("'to' lies before 'from'."), details={"to": "before from"})
    if (end - start).days > MAX_RANGE_DAYS:
        raise Invalid(_("The range is at most %(num)d days.", num=MAX_RANGE_DAYS),
                      details={"to": "range too long"})
    return start, end


def default_range(unit: WorkUnit, weeks: int = 26) -> tuple[date, date]:
    today = datetime.now(zone_of(unit)).date()
    return measures.week_monday(today) - timedelta(weeks=weeks - 1), today


@dataclass
class UnitActivity:
    unit: WorkUnit
    start: date
    end: date
    weeks: list                   # [(label, items)]
    channel_weeks: dict           # channel id -> [(label, items)]
    channels: list
    activities: int
    delays: list
    stage_labels: set
    last_items: dict              # channel id -> newest item's publication time

    @property
    def items(self) -> int:
        return sum(n for _, n in self.weeks)

    @property
    def counts(self) -> list[int]:
        return [n for _, n in self.weeks]

    def measure(self, name: str) -> float | None:
        """A measure by the name a rubric's ``measured_by`` gives (scoring.activity.MEASURES)."""
        if name == "weekly_share":
            return measures.active_share(self.weeks)
        if name == "weekly_share_outside_stages":
            return measures.active_share(self.weeks, self.stage_labels)
        if name == "same_day_share":
            return measures.same_day_share(self.activities, self.delays)
        if name == "items_per_week":
            return measures.items_per_week(self.items, len(self.weeks))
        raise KeyError(name)

    def as_json(self) -> dict:
        """The shape of GET /api/v1/units/<code>/activity."""
        last = {c.id: c for c in self.channels}
        return {"unit": self.unit.code, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "items": self.items,
                "weeks": [{"week": label, "items": n} for label, n in self.weeks],
                "weeks_without_items": sum(1 for n in self.counts if n == 0),
                "longest_gap_weeks": measures.longest_gap(self.counts),
                "channels": [{"id": c.id, "kind": c.kind,
                              "items": sum(n for _, n in self.channel_weeks.get(c.id, [])),
                              "last_item": _iso(self.last_items.get(c.id)),
                              "status": last[c.id].status, "error": last[c.id].error}
                             for c in self.channels],
                "activities": self.activities,
                "same_day_share": _round(self.measure("same_day_share"))}


def unit_activity(session, unit: WorkUnit, start: date, end: date) -> UnitActivity:
    """Items per ISO week (per channel and in all), activities and coverage delays of a unit
    over [start, end], days taken in the unit's time zone."""
    zone = zone_of(unit)
    low, high = _bounds(start, end, zone)
    channels = channels_of(session, unit)
    rows = session.query(MonitorItem.channel_id, MonitorItem.published_at).filter(
        MonitorItem.unit_code == unit.code, MonitorItem.published_at >= low,
        MonitorItem.published_at < high).all()
    days_by_channel = defaultdict(list)
    for channel_id, moment in rows:
        days_by_channel[channel_id].append(measures.local_day(moment, zone))
    weeks = measures.weekly_counts([d for days in days_by_channel.values() for d in days], start, end)
    per_channel = {c.id: measures.weekly_counts(days_by_channel.get(c.id, []), start, end)
                   for c in channels}
    acts = session.query(MonitorActivity.day, MonitorItem.published_at).outerjoin(
        MonitorItem, MonitorActivity.item_id == MonitorItem.id).filter(
        MonitorActivity.unit_code == unit.code, MonitorActivity.day >= start,
        MonitorActivity.day <= end).all()
    delays = measures.coverage_delays(
        (held, measures.local_day(published, zone) if published else None) for held, published in acts)
    return UnitActivity(unit, start, end, weeks, per_channel, channels, len(acts), delays,
                        measures.stage_weeks(stage_periods(session)),
                        _last_items(session, [c.id for c in channels]))


def _last_items(session, channel_ids: list[int]) -> dict:
    if not channel_ids:
        return {}
    return dict(session.query(MonitorItem.channel_id, func.max(MonitorItem.published_at))
                .filter(MonitorItem.channel_id.in_(channel_ids)).group_by(MonitorItem.channel_id))


def _bounds(start: date, end: date, zone) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(), zone),
            datetime.combine(end + timedelta(days=1), time(), zone))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# -- measured answers of the next season (rubric indicators with measured_by) -------------

@dataclass(frozen=True)
class Measured:
    """A measure of the unit's channels for one indicator, in the indicator's terms (shares
    in percent); ``value`` is None with a ``reason`` when nothing can be measured."""
    measure: str
    value: float | None
    start: date
    end: date
    reason: str | None = None      # no_channels, no_activities

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The window's first and last days as naive datetimes (for the date filter)."""
        return datetime.combine(self.start, time()), datetime.combine(self.end, time())


def season_window(period, unit: WorkUnit) -> tuple[date, date]:
    """The 52 full ISO weeks before the week the period opens, in the unit's time zone."""
    return measures.season_window(measures.local_day(period.opens_at, zone_of(unit)))


def measured_answers(session, period, unit: WorkUnit, indicators) -> dict[str, Measured]:
    """{indicator id: Measured} for the indicators that declare ``measured_by``."""
    wanted = [ind for ind in indicators if getattr(ind, "measured_by", "")]
    if not wanted:
        return {}
    start, end = season_window(period, unit)
    activity = unit_activity(session, unit, start, end)
    out = {}
    for ind in wanted:
        reason = None
        if not activity.channels:
            reason = "no_channels"
        elif ind.measured_by == "same_day_share" and not activity.activities:
            reason = "no_activities"
        value = None if reason else measures.as_answer(ind.measured_by, activity.measure(ind.measured_by))
        out[ind.id] = Measured(ind.measured_by, value, start, end, reason)
    return out


# -- many units at once (national and provincial dashboards) ----------------------------

@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    province_code: str | None
    items: int
    weeks: tuple                # items per week, in week order
    active_share: float | None
    outside_share: float | None
    activities: int
    same_day_share: float | None
    median_delay: float | None


def units_activity(session, units: list[WorkUnit], start: date, end: date) -> tuple[list[str], list[UnitRow]]:
    """Week labels and one row per unit with its measures (two queries for all units)."""
    codes = [u.code for u in units]
    widest = _bounds(start - timedelta(days=1), end + timedelta(days=1), TIME_ZONES["WIB"])
    days, acts = defaultdict(list), defaultdict(list)
    zones = {u.code: zone_of(u) for u in units}
    for code, moment in _chunked(session, MonitorItem, [MonitorItem.unit_code, MonitorItem.published_at],
                                 codes, MonitorItem.published_at >= widest[0],
                                 MonitorItem.published_at < widest[1]):
        days[code].append(measures.local_day(moment, zones[code]))
    for code, held, published in _chunked(
            session, MonitorActivity, [MonitorActivity.unit_code, MonitorActivity.day, MonitorItem.published_at],
            codes, MonitorActivity.day >= start, MonitorActivity.day <= end, join=True):
        acts[code].append((held, measures.local_day(published, zones[code]) if published else None))
    stages = measures.stage_weeks(stage_periods(session))
    labels = [measures.week_label(m) for m in measures.weeks_overlapping(start, end)]
    rows = []
    for unit in units:
        weeks = measures.weekly_counts(days[unit.code], start, end)
        delays = measures.coverage_delays(acts[unit.code])
        rows.append(UnitRow(unit.code, unit.name, unit.province_code, sum(n for _, n in weeks),
                            tuple(n for _, n in weeks), measures.active_share(weeks),
                            measures.active_share(weeks, stages), len(acts[unit.code]),
                            measures.same_day_share(len(acts[unit.code]), delays),
                            measures.median_delay(delays)))
    return labels, rows


def _chunked(session, model, columns, codes, *conditions, join=False):
    for i in range(0, len(codes), 500):
        query = session.query(*columns)
        if join:
            query = query.select_from(MonitorActivity).outerjoin(
                MonitorItem, MonitorActivity.item_id == MonitorItem.id)
        yield from query.filter(model.unit_code.in_(codes[i:i + 500]), *conditions)


def province_weeks(rows: list[UnitRow], labels: list[str], provinces: dict[str, str]) -> list[tuple[str, list[float]]]:
    """Per province (its own unit and its regencies) the share of units active in each week."""
    groups = defaultdict(list)
    for row in rows:
        key = row.province_code or row.code
        if key in provinces:
            groups[key].append(row.weeks)
    out = []
    for code in sorted(groups):
        members = groups[code]
        out.append((provinces[code], [sum(1 for w in members if w[i] > 0) / len(members)
                                      for i in range(len(labels))]))
    return out


# -- page data ---------------------------------------------------------------------------

@dataclass
class UnitPage:
    activity: UnitActivity
    streak: int
    notices: list                 # week labels in which a 2-week gap began to show
    gap_now: bool                 # the last two weeks are empty
    recent_activities: list       # [(activity, [(item, score)])]
    recent_items: list


def unit_page(session, unit: WorkUnit, start: date, end: date) -> UnitPage:
    """What a unit's dashboard shows: measures, streak, gap notices, recent activities with
    their coverage suggestions and the latest items."""
    activity = unit_activity(session, unit, start, end)
    counts = activity.counts
    acts = session.query(MonitorActivity).filter_by(unit_code=unit.code) \
        .order_by(MonitorActivity.day.desc(), MonitorActivity.id.desc()).limit(15).all()
    items = session.query(MonitorItem).filter_by(unit_code=unit.code) \
        .order_by(MonitorItem.published_at.desc()).limit(10).all()
    return UnitPage(activity, measures.current_streak(counts), measures.gap_notices(activity.weeks),
                    len(counts) >= 2 and counts[-1] == 0 and counts[-2] == 0,
                    [(a, [] if a.item_id else suggestions(session, unit, a)) for a in acts], items)


def rows_from_sheet(rows: list[list]) -> list[dict]:
    """Post rows of an uploaded sheet (url, published, title, channel id), header skipped;
    a cell is read as text or a date, never as a formula (the workbook is opened values-only)."""
    out = []
    for n, row in enumerate(rows, start=1):
        cells = list(row) + [None] * len(POST_COLUMNS)
        url, published, title, channel = cells[:len(POST_COLUMNS)]
        if n == 1 and isinstance(url, str) and not url.lower().startswith("http"):
            continue   # the header
        if all(c in (None, "") for c in cells[:4]):
            continue
        if isinstance(published, datetime):
            published = published.date()
        if isinstance(channel, float) and channel.is_integer():
            channel = int(channel)
        out.append({"row": n, "url": url if isinstance(url, str) else None, "published": published,
                    "title": title if isinstance(title, str) else (None if title is None else str(title)),
                    "channel_id": channel if isinstance(channel, int) else None})
    return out
