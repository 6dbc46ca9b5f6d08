"""Alembic, configured from code: the schema is only ever created by migrations."""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")


class MigrationError(Exception):
    """A schema change that cannot be made; the message says why."""


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@functools.cache   # the migration files are code: read once per process (every create_app asks)
def head_revision() -> str:
    """The schema revision this version of the code expects."""
    return scripts().get_current_head()


def known_revisions() -> list[str]:
    """Every revision this code knows, oldest first."""
    return list(_known_revisions())


@functools.cache
def _known_revisions() -> tuple[str, ...]:
    return tuple(s.revision for s in reversed(list(scripts().walk_revisions())))


def database_revision(url: str) -> str | None:
    """The database's schema revision, or None when it has no schema yet."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def current_revision(app) -> str | None:
    return database_revision(app.config["SQLALCHEMY_DATABASE_URI"])


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def upgrade_app(app) -> None:
    """Bring the app's database to the newest schema."""
    upgrade(app.config["SQLALCHEMY_DATABASE_URI"])


def to_revision(app, revision: str) -> tuple[str | None, str]:
    """Move the app's database to ``revision`` (up or down); returns (before, after)."""
    known = known_revisions()
    if revision not in known:
        raise MigrationError(f"unknown schema revision {revision!r}: this version knows "
                             f"{', '.join(known)}")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = database_revision(url)
    if before is not None and before not in known:
        raise MigrationError(f"the database is at revision {before}, which this version does "
                             "not know: run the command with the version that made it")
    if before is None or known.index(revision) >= known.index(before):
        upgrade(url, revision)
    else:
        downgrade(url, revision)
    return before, revision
