"""acd agent state: the router's agents in rows of their own

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acd_agent_state",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_acd_agent_state")),
    )
    # A state saved whole before this revision keeps its agents inline: the ACD reads it
    # as it is and moves them into rows on its next write.


def downgrade() -> None:
    # Fold the rows back into the one-row state, which the previous revision reads.
    connection = op.get_bind()
    state = sa.table("acd_state", sa.column("id", sa.Integer), sa.column("snapshot", sa.JSON))
    agents = sa.table(
        "acd_agent_state", sa.column("agent_id", sa.String), sa.column("data", sa.JSON)
    )
    row = connection.execute(sa.select(state.c.snapshot).where(state.c.id == 1)).first()
    if row is not None and "agent_order" in row.snapshot.get("router", {}):
        by_id = {r.agent_id: r.data for r in connection.execute(sa.select(agents))}
        snapshot = dict(row.snapshot)
        router = dict(snapshot["router"])
        router["agents"] = [by_id[a] for a in router.pop("agent_order") if a in by_id]
        snapshot["router"] = router
        connection.execute(state.update().where(state.c.id == 1).values(snapshot=snapshot))
    op.drop_table("acd_agent_state")
