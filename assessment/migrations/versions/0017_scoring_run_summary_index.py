"""an index on scoring_run (period_id, kind, created_at)

Every page that says where a period stands asks for the time of its first provisional and
first final run (operations.season.period_state). On SQLite a run's row keeps its created_at
after its megabytes of exchange and result text, so reading it walked those texts' overflow
pages for every run of the period (16 ms for the demo's six runs); with the index the query
reads the index alone.

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_scoring_run_period_kind_created", "scoring_run",
                    ["period_id", "kind", "created_at"])


def downgrade():
    op.drop_index("ix_scoring_run_period_kind_created", table_name="scoring_run")
