"""repair stored text that cannot be encoded (lone surrogates, control characters)

Text is checked at every boundary now (assessment/text.py); rows stored before that may
hold a lone surrogate (kept as a JSON escape) or a control character, which made pages,
exports and scoring runs fail. Each is replaced by U+FFFD and the text put in NFC.
The append-only tables (audit log, frozen runs, publications) are left as they are: the
audit viewer escapes what it cannot encode.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from assessment.text import repair, repair_json

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = {"audit_log", "scoring_run", "publication", "alembic_version"}


def upgrade():
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table_name in inspector.get_table_names():
        if table_name in APPEND_ONLY:
            continue
        keys = inspector.get_pk_constraint(table_name)["constrained_columns"]
        columns = [c for c in inspector.get_columns(table_name)
                   if c["name"] not in keys and isinstance(c["type"], (sa.String, sa.JSON))]
        if keys and columns:
            _repair_table(bind, table_name, keys, columns)


def _repair_table(bind, table_name, keys, columns):
    table = sa.table(table_name, *[sa.column(k) for k in keys],
                     *[sa.column(c["name"], sa.JSON() if isinstance(c["type"], sa.JSON)
                                 else sa.Text()) for c in columns])
    names = [c["name"] for c in columns]
    for row in bind.execute(sa.select(table)).mappings().all():
        changes = {}
        for name in names:
            value = row[name]
            fixed = repair(value) if isinstance(value, str) else repair_json(value)
            if fixed != value:
                changes[name] = fixed
        if changes:
            bind.execute(table.update().where(*[table.c[k] == row[k] for k in keys])
                         .values(**changes))


def downgrade():
    pass   # the repaired text is kept: the original could not be shown or exported anyway
