"""Migration 0011 on a database that already holds users and what references them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text

from helpline.migrations import alembic_config
from helpline.storage.engine import create_engine

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _run(url: str, statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async def work() -> list[Any]:
        engine = create_engine(url)
        rows: list[Any] = []
        async with engine.begin() as connection:
            for sql, params in statements:
                result = await connection.execute(text(sql), params)
                if result.returns_rows:
                    rows = list(result.all())
        await engine.dispose()
        return rows

    return asyncio.run(work())


def test_users_keep_their_rows_and_hear_notifications(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0010")
    _run(
        database_url,
        [
            (
                "INSERT INTO users (id, username, display_name, password_hash, is_active, "
                "language, created_at, updated_at) VALUES (7, 'ann', 'Ann', 'x', true, 'it', "
                ":now, :now)",
                {"now": NOW},
            ),
            ("INSERT INTO user_roles (user_id, role) VALUES (7, 'agent')", {}),
            ("INSERT INTO user_lines (user_id, extension, label) VALUES (7, '201', '')", {}),
        ],
    )

    command.upgrade(config, "head")
    users = _run(database_url, [("SELECT id, language, notification_sound FROM users", {})])
    assert [tuple(row) for row in users] == [(7, "it", True)]
    # Rows that reference the user (ON DELETE CASCADE) are still there.
    assert _run(database_url, [("SELECT user_id, role FROM user_roles", {})]) == [(7, "agent")]
    assert _run(database_url, [("SELECT extension FROM user_lines", {})]) == [("201",)]

    command.downgrade(config, "0010")
    assert _run(database_url, [("SELECT user_id, role FROM user_roles", {})]) == [(7, "agent")]
    command.upgrade(config, "head")
