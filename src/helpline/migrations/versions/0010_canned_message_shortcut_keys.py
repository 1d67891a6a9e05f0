"""canned messages: shortcuts unique per owner regardless of case; their author

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:12:40.512311
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canned_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope_key", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("shortcut_key", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))

    # Existing messages (the demo's public ones): their scope and case-folded shortcut. A
    # shortcut that repeats one of the same scope gets its id appended, to stay unique.
    connection = op.get_bind()
    table = sa.table(
        "canned_messages",
        sa.column("id", sa.Integer()),
        sa.column("owner_user_id", sa.Integer()),
        sa.column("shortcut", sa.String()),
        sa.column("scope_key", sa.String()),
        sa.column("shortcut_key", sa.String()),
        sa.column("created_by_user_id", sa.Integer()),
    )
    rows = connection.execute(
        sa.select(table.c.id, table.c.owner_user_id, table.c.shortcut).order_by(table.c.id)
    ).all()
    taken: set[tuple[str, str]] = set()
    for row_id, owner_id, shortcut in rows:
        scope = "public" if owner_id is None else f"user:{owner_id}"
        key = shortcut.casefold()[:50]
        if (scope, key) in taken:
            shortcut = f"{shortcut[:40]}-{row_id}"
            key = shortcut.casefold()
        taken.add((scope, key))
        connection.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(
                scope_key=scope,
                shortcut=shortcut,
                shortcut_key=key,
                created_by_user_id=owner_id,
            )
        )

    with op.batch_alter_table("canned_messages", schema=None) as batch_op:
        batch_op.alter_column("scope_key", existing_type=sa.String(length=30), nullable=False)
        batch_op.alter_column("shortcut_key", existing_type=sa.String(length=50), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_canned_messages_scope_key"), ["scope_key", "shortcut_key"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_canned_messages_created_by_user_id_users"),
            "users",
            ["created_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("canned_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_canned_messages_created_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_canned_messages_scope_key"), type_="unique")
        batch_op.drop_column("created_by_user_id")
        batch_op.drop_column("shortcut_key")
        batch_op.drop_column("scope_key")
