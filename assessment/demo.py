"""Demo data for ``python run.py --demo``: accounts with one documented demo password, and
an open period in which most units have answered (synthetic answers from scoring).

Idempotent: accounts that exist are kept (their password reset to the demo password), and
a demo period that exists is left as it is. Each demo period is one function returning a
line of text (DEMO_PERIODS), so the judging issue can add a finished period beside it.
Rows are written in bulk and the demo password is hashed once: a few seconds in all.
"""
from __future__ import annotations

import gc
import random
from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from reports.indonesian import WIB

from . import audit
from .demo_questionnaires import JUDGES, SEED, fill_period, insert_rows
from .demo_monitor import create_monitor_demo
from .demo_season import EARLIER, OLDEST, finished_period
from .extensions import db
from .models import Period, User, WorkUnit
from .models.types import utcnow
from .models.units import existing_today
from .operations.periods import open_period

DEMO_PASSWORD = "demo-bakohumas-2025"
CURRENT = {"slug": "bakohumas-2025", "title": "Penilaian Tata Kelola Bakohumas 2025",
           "rubric": "bakohumas-2026", "levels": ["provinsi", "kabkota"]}


def create_demo(app) -> str:
    """Create (or complete) the demo and return what to tell the person who started it."""
    with _no_cycle_collection():
        return _create_demo(db.session)


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused while the demo is built: the build makes a few
    million short-lived objects (answers, rows, decoded values) beside the app's long-lived
    ones, and each of the collector's full passes walked them all (about 5 of the build's
    19 s of CPU, for some 10,000 objects in cycles). Reference counting still frees
    everything else at once; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _create_demo(session) -> str:
    password_hash = generate_password_hash(DEMO_PASSWORD)  # once: scrypt is slow on purpose
    users, created = ensure_accounts(session, password_hash)
    lines = [function(session, users) for function in DEMO_PERIODS]
    create_monitor_demo(session, users)   # issue 16: channels, a year of items and activities
    audit.record("demo.create", None, user=None, accounts_created=created, periods=lines)
    session.commit()
    return describe(lines, created)


# -- accounts ------------------------------------------------------------------------------

def demo_accounts(session) -> list[dict]:
    """Every demo account: admin, the judges, one operator per unit, one monitor per province."""
    rows = [{"username": "admin", "name": "Administrator Biro Parmas", "role": "admin",
             "unit_code": None}]
    rows += [{"username": u, "name": n, "role": "judge", "unit_code": c} for u, n, c in JUDGES]
    for unit in session.scalars(select(WorkUnit).where(WorkUnit.active.is_(True),
                                                       WorkUnit.level.in_(CURRENT["levels"]),
                                                       existing_today())
                                .order_by(WorkUnit.code)):
        rows.append({"username": f"op-{unit.code}", "name": f"Operator Bakohumas {unit.name}",
                     "role": "operator", "unit_code": unit.code})
        if unit.level == "provinsi":
            rows.append({"username": f"monitor-{unit.code}", "name": f"Pemantau {unit.name}",
                         "role": "monitor", "unit_code": unit.code})
    return rows


def ensure_accounts(session, password_hash: str) -> tuple[dict[str, int], int]:
    """Add the missing demo accounts and give every demo account the demo password;
    returns {username: id} and how many were created."""
    wanted = demo_accounts(session)
    names = [row["username"] for row in wanted]
    existing = set(session.scalars(select(User.username).where(User.username.in_(names))))
    now = utcnow()
    new = [dict(row, email="", password_hash=password_hash, active=True, locale="id",
                created_at=now, session_epoch=1) for row in wanted if row["username"] not in existing]
    if new:
        insert_rows(session, User, new)
    if existing:
        # the password printed at start must work; other sessions of these accounts end
        session.execute(update(User).where(User.username.in_(sorted(existing)))
                        .values(password_hash=password_hash, active=True,
                                must_change_password=False,
                                session_epoch=User.session_epoch + 1)
                        .execution_options(synchronize_session=False))
        session.expire_all()
    ids = dict(session.execute(select(User.username, User.id).where(User.username.in_(names))).all())
    return ids, len(new)


# -- the open period -----------------------------------------------------------------------

def current_period(session, users: dict[str, int]) -> str:
    """'Penilaian Tata Kelola Bakohumas 2025': opened 10 days ago, closes in 14 days at
    23.59 WIB; about 60% of units submitted, 25% in draft, 15% not started."""
    period = session.scalars(select(Period).where(Period.slug == CURRENT["slug"])).first()
    if period is not None:
        if not (period.settings or {}).get("demo"):
            return (f"Period {period.slug!r} exists and is not a demo period: "
                    "no synthetic answers were added to it.")
        return f"Demo period {period.slug!r} exists already; left as it is."
    today = utcnow().astimezone(WIB).date()
    opens = datetime.combine(today - timedelta(days=10), time(8, 0), WIB).astimezone(timezone.utc)
    closes = datetime.combine(today + timedelta(days=14), time(23, 59), WIB).astimezone(timezone.utc)
    period = open_period(session, slug=CURRENT["slug"], title=CURRENT["title"],
                         rubric_id=CURRENT["rubric"], opens_at=opens, closes_at=closes,
                         levels=CURRENT["levels"], user=None)
    period.settings = {"demo": True}
    counts = fill_period(session, period, users, random.Random(SEED), now=utcnow(),
                         mix=(0.60, 0.25), strong={"33": 0.93})
    return (f"{period.title} ({period.slug}): open until "
            f"{closes.astimezone(WIB):%Y-%m-%d %H:%M} WIB; {counts['submitted']} units submitted, "
            f"{counts['draft']} drafts, {counts['not_started']} not started")


def oldest_season(session, users: dict[str, int]) -> str:
    """A season three years back, so the later results show rank changes."""
    return finished_period(session, users, OLDEST)


def finished_season(session, users: dict[str, int]) -> str:
    """The earlier season, judged, finalised and published (assessment.demo_season)."""
    return finished_period(session, users, EARLIER)


DEMO_PERIODS = [oldest_season, finished_season, current_period]


# -- what to print ---------------------------------------------------------------------------

def describe(period_lines: list[str], created: int) -> str:
    lines = ["", "=== Demo mode ===", *period_lines,
             f"Demo accounts ({created} created now), all with the demo password: {DEMO_PASSWORD}",
             "  admin                    administrator (password reset to the demo password)",
             "  penilai1 .. penilai6     judges (penilai3 seconded from KPU Provinsi Jawa Tengah)",
             "  op-<unit code>           the operator of each unit, e.g. op-33 (KPU Provinsi "
             "Jawa Tengah, submitted), op-33.74 (KPU Kota Semarang)",
             "  monitor-<province code>  a provincial monitor, e.g. monitor-33",
             "Log in on the page /akun/masuk of the address printed below.",
             "The demo password is public: never start a real installation with --demo.", ""]
    return "\n".join(lines)
