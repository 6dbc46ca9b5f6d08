"""What a production server (gunicorn.conf.py) runs around the app: the schema upgrade
once before the workers start, and fresh database connections in each forked worker."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from .extensions import db
from .first_start import prepare

# any fixed number: app servers starting together upgrade the schema one after another
MIGRATION_LOCK = 72542025


def prepare_once(app) -> str | None:
    """Upgrade and seed the database (first_start.prepare), holding a PostgreSQL advisory
    lock so that several app servers starting at once do not migrate concurrently."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        password = prepare(app)
    else:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
                try:
                    password = prepare(app)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        finally:
            engine.dispose()
    with app.app_context():
        db.engine.dispose()   # no connection opened here may be shared with a forked worker
    return password


def warnings(app) -> list[str]:
    """Settings that are allowed but probably wrong in production."""
    found = []
    if not app.config["SESSION_COOKIE_SECURE"]:
        found.append("session cookies are not marked Secure: set PUBLIC_URL=https://... (or "
                     "SESSION_COOKIE_SECURE=1) when the site is served over HTTPS")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        found.append("the database is SQLite: use PostgreSQL (DATABASE_URL) for several "
                     "workers or app servers")
    if not app.config.get("PROXY_FIX_HOPS"):
        found.append("PROXY_FIX_HOPS is 0: behind a reverse proxy every login comes from the "
                     "proxy's address, so the per-address throttle counts everyone together")
    return found


def after_fork(app) -> None:
    """In a worker forked from a preloaded app: forget the parent's pooled connections
    without closing them (they belong to the parent; closing would break its sockets)."""
    with app.app_context():
        db.engine.dispose(close=False)
