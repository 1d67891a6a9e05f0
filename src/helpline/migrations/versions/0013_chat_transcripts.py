"""chat transcripts by email: the address, when it was sent, the attempts, the next one

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from helpline.storage.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLEs: a batch copy of conversations on SQLite would drop the old table,
    # and with foreign keys on, every message of every conversation with it.
    op.add_column("conversations", sa.Column("transcript_to", sa.String(254), nullable=True))
    op.add_column(
        "conversations", sa.Column("transcript_sent_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "conversations",
        sa.Column("transcript_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "conversations", sa.Column("transcript_next_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    for column in (
        "transcript_next_at",
        "transcript_attempts",
        "transcript_sent_at",
        "transcript_to",
    ):
        op.drop_column("conversations", column)  # SQLite 3.35+ drops them in place
