"""periods archived (no reminders, read-only everywhere) or deleted (gone from every list)

An archived period (a test period, an old season) stays readable but nothing in it changes:
questionnaires, verification, objections and the season steps refuse, and the reminder job
skips it. archived_at is when, archived_by who. A period deleted (allowed only without any
questionnaire) keeps its row, since the append-only audit log refers to it, but is left out
of every query (models/periods.py) and frees its slug.

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
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("period") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("archived_by")
        batch.drop_column("archived_at")
