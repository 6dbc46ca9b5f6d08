"""periods archived: no reminders, read-only everywhere; kept with their history

An archived period (a test period, an old season) stays readable but nothing in it changes:
questionnaires, verification, objections and the season steps refuse, and the reminder job
skips it. archived_at is when, archived_by who; both cleared when it is restored.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("period") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("archived_by", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("period") as batch:
        batch.drop_column("archived_by")
        batch.drop_column("archived_at")
