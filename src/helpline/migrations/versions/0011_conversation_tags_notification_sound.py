"""conversation tags; the users' notification sound setting

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import helpline.storage.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_tags",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", helpline.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_tags_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name=op.f("fk_conversation_tags_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"],
            ["users.id"],
            name=op.f("fk_conversation_tags_added_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "tag_id", name=op.f("pk_conversation_tags")),
    )
    op.create_index(
        op.f("ix_conversation_tags_tag_id"), "conversation_tags", ["tag_id"], unique=False
    )
    # A plain ALTER TABLE, not a batch: on SQLite a batch copies the table and drops the
    # old one, and with foreign keys on that drop deletes every row that references a
    # user (ON DELETE CASCADE: their canned messages, lines, tokens …).
    op.add_column(
        "users",
        sa.Column("notification_sound", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35) for the same reason as above.
    op.drop_column("users", "notification_sound")
    op.drop_index(op.f("ix_conversation_tags_tag_id"), table_name="conversation_tags")
    op.drop_table("conversation_tags")
