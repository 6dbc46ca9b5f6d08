"""Alembic environment: metadata from assessment.models, URL from the caller's config."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from assessment.extensions import db
import assessment.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = db.metadata


def run_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    given = config.attributes.get("connection")
    if given is not None:   # a caller's transaction (a restore): the schema is part of it
        context.configure(connection=given, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
