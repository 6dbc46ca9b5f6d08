"""stage-two scores per criterion

stage_score.criteria: a judge's mark of each criterion of a stage that has criteria
(rubric ``criteria``, e.g. bakohumas-2026: inovasi, dampak, ...) as {criterion id: "87.50"};
``score`` then holds their weighted total (scoring.stage_score), rounded to cents for
showing. NULL for a stage without criteria (every earlier edition): one score, as before.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stage_score") as batch:
        batch.add_column(sa.Column("criteria", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("stage_score") as batch:
        batch.drop_column("criteria")
