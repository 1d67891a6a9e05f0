"""call recordings: the call queue's recording switch and the recordings' files

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from helpline.storage.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE: a batch copy of call_queues on SQLite would drop the old table,
    # and with foreign keys on, every row that references a queue with it.
    op.add_column(
        "call_queues",
        sa.Column("record_calls", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("queue_id", sa.String(length=40), nullable=True),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recordings")),
    )
    with op.batch_alter_table("call_recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_recordings_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_recordings_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_recordings_queue_id"), ["queue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_recordings_queue_id"))
        batch_op.drop_index(batch_op.f("ix_call_recordings_contact_id"))
        batch_op.drop_index(batch_op.f("ix_call_recordings_call_id"))
    op.drop_table("call_recordings")
    op.drop_column("call_queues", "record_calls")  # SQLite 3.35+ drops it in place
