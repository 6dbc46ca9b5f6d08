"""per-indicator change versions of a questionnaire (saves merge per indicator)

submission.changed: {indicator id: {"version": n, "by": user id}}, the version at which
the indicator's answer or evidence last changed and who changed it. A save based on an
older version is merged: it is refused only for indicators changed since its base.
Existing questionnaires start with every answered or kept indicator at the current
version (as conservative as the former whole-questionnaire lock).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("changed", sa.JSON(), nullable=True))
    table = sa.table("submission", sa.column("id", sa.Integer), sa.column("answers", sa.JSON),
                     sa.column("pending", sa.JSON), sa.column("version", sa.Integer),
                     sa.column("updated_by", sa.Integer), sa.column("changed", sa.JSON))
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.answers, table.c.pending,
                                        table.c.version, table.c.updated_by)).all()
    for row in rows:
        keys = set(row.answers or {}) | set(row.pending or {})
        changed = {key: {"version": row.version, "by": row.updated_by} for key in sorted(keys)}
        connection.execute(table.update().where(table.c.id == row.id).values(changed=changed))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("changed")
