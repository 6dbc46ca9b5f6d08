"""server-side session records; "only one" rules as unique indexes

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import assessment.models.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", assessment.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    # rows that already break a rule would make the index fail: keep the first, stop the rest
    op.execute("UPDATE objection SET status = 'rejected', decision_reason = "
               "'duplicate of an earlier pending objection' WHERE status = 'pending' AND "
               "EXISTS (SELECT 1 FROM objection o WHERE o.status = 'pending' "
               "AND o.period_id = objection.period_id AND o.unit_code = objection.unit_code "
               "AND o.indicator_id = objection.indicator_id AND o.id < objection.id)")
    op.create_index("uq_objection_pending", "objection", ["period_id", "unit_code", "indicator_id"],
                    unique=True, sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("uq_publication_run", "publication", ["run_id"], unique=True)


def downgrade():
    op.drop_index("uq_publication_run", table_name="publication")
    op.drop_index("uq_objection_pending", table_name="objection")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
