"""notice outbox: e-mail state of each notice (pending, sent, failed), attempts, last error,
next attempt time

Notices are e-mailed after the commit that created them (assessment/outbox.py); a failure
is kept with its reason and retried with backoff. Notices stored before this revision are
in-app only (their e-mail status stays empty), except those already e-mailed ("sent").

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import assessment.models.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("email_status", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("email_attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("email_error", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("email_next_at",
                                   assessment.models.types.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_index("ix_notice_email_status", ["email_status"])
    op.execute("UPDATE notice SET email_status = 'sent' WHERE emailed_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("notice") as batch:
        batch.drop_index("ix_notice_email_status")
        batch.drop_column("email_next_at")
        batch.drop_column("email_error")
        batch.drop_column("email_attempts")
        batch.drop_column("email_status")
