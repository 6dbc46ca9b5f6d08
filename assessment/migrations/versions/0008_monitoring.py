"""monitoring between seasons: channels, items (once per link and channel), activities,
election stages (issue 16)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

import assessment.models.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = assessment.models.types.UTCDateTime


def upgrade():
    op.create_table(
        "monitor_channel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(16), sa.ForeignKey("work_unit.code"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("feed_url", sa.String(1000), nullable=True),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("fetched_at", UTC(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTC(timezone=True), nullable=False))
    op.create_index("ix_monitor_channel_unit_code", "monitor_channel", ["unit_code"])
    op.create_table(
        "monitor_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(),
                  sa.ForeignKey("monitor_channel.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_code", sa.String(16), sa.ForeignKey("work_unit.code"), nullable=False),
        sa.Column("link", sa.String(1000), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("published_at", UTC(timezone=True), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.UniqueConstraint("channel_id", "link", name="uq_monitor_item_link"))
    op.create_index("ix_monitor_item_channel_id", "monitor_item", ["channel_id"])
    op.create_index("ix_monitor_item_unit_code", "monitor_item", ["unit_code"])
    op.create_index("ix_monitor_item_published_at", "monitor_item", ["published_at"])
    op.create_table(
        "monitor_activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(16), sa.ForeignKey("work_unit.code"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("item_id", sa.Integer(),
                  sa.ForeignKey("monitor_item.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False))
    op.create_index("ix_monitor_activity_unit_code", "monitor_activity", ["unit_code"])
    op.create_index("ix_monitor_activity_day", "monitor_activity", ["day"])
    op.create_table(
        "election_stage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False))


def downgrade():
    op.drop_table("election_stage")
    op.drop_table("monitor_activity")
    op.drop_table("monitor_item")
    op.drop_table("monitor_channel")
