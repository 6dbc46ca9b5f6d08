"""one version row per period (period_version), bumped with every write its figures read

The season figures kept per process (operations/kept.py, moderation's flags) are reused
while the period's (token, version) is unchanged; the session's events bump it in the same
transaction as the write (assessment/models/period_version.py). Existing periods get their
row at version 1, each with a random token.

Revision ID: 0014
Revises: 0013
"""
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import assessment.models.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "period_version",
        sa.Column("period_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("changed_at", assessment.models.types.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    periods = sa.table("period", sa.column("id", sa.Integer))
    now = datetime.now(timezone.utc)
    rows = [{"period_id": pid, "version": 1, "token": uuid.uuid4().hex, "changed_at": now}
            for (pid,) in connection.execute(sa.select(periods.c.id).order_by(periods.c.id))]
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    op.drop_table("period_version")
