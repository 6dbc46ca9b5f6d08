"""per-indicator change versions of a judge's verification, kept invalid evidence links, and
the sampled dates a judge checked

judge_assignment.version and judge_assignment.changed: the version of the judge's saves and,
per indicator (its verified value "<id>" and its comment "<id>:comment"), the version at
which it last changed and who changed it, so two windows of the same judge (or the page and
the API) merge per indicator like the questionnaire (operations/merge.py). Existing
verifications start at version 1 with nothing recorded (no save is refused for them).

verification.checked: {"dates": ["YYYY-MM-DD", ...]} the sampled dates the judge checked
for an indicator with ``sample`` (scoring.sample_dates), recorded with the verified value.

submission.pending_links: {indicator id: {"raw": url, "error": text}}, an evidence link that
was refused as invalid, kept (like an invalid answer in ``pending``) until it is fixed;
it blocks submission.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("judge_assignment") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                   server_default=sa.text("1")))
        batch.add_column(sa.Column("changed", sa.JSON(), nullable=True))
    with op.batch_alter_table("verification") as batch:
        batch.add_column(sa.Column("checked", sa.JSON(), nullable=True))
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("pending_links", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("pending_links")
    with op.batch_alter_table("verification") as batch:
        batch.drop_column("checked")
    with op.batch_alter_table("judge_assignment") as batch:
        batch.drop_column("changed")
        batch.drop_column("version")
