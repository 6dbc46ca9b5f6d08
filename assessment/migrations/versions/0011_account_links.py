"""one-time passwords and single-use account links (password reset, activation)

user_account.must_change_password: the account holds a one-time password (the first
administrator, an administrator's reset, an activation): every page sends it to the
password form until it sets its own. account_link: a single-use secret for one account,
stored only as SHA-256 hashes (the link's token and, for activation letters, the short
code), with its expiry and when it was used.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
    )


def downgrade():
    op.drop_table("account_link")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("must_change_password")
