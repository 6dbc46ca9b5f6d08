"""season gates: units excluded from the ranking and disagreements accepted as they stand
(each with its reason), and how each verified value came about (typed by the judge or the
unit's answer accepted unchanged)

Verified values stored before this revision have no recorded origin (NULL): judge quality
counts them as unknown rather than guessing.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

import assessment.models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unit_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", assessment.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["work_unit.code"]),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_id", "unit_code", name="uq_unit_exclusion"))
    op.create_index("ix_unit_exclusion_period_id", "unit_exclusion", ["period_id"])
    op.create_table(
        "disagreement_acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("indicator_id", sa.String(length=80), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", assessment.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["work_unit.code"]),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_id", "unit_code", "indicator_id",
                            name="uq_disagreement_acceptance"))
    op.create_index("ix_disagreement_acceptance_period_id", "disagreement_acceptance", ["period_id"])
    with op.batch_alter_table("verification") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("verification") as batch:
        batch.drop_column("origin")
    op.drop_index("ix_disagreement_acceptance_period_id", "disagreement_acceptance")
    op.drop_table("disagreement_acceptance")
    op.drop_index("ix_unit_exclusion_period_id", "unit_exclusion")
    op.drop_table("unit_exclusion")
