"""Migration 0008 on a database that already holds canned messages (the demo's)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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


def _row(row_id: int, owner: int | None, shortcut: str, *, enabled: bool) -> dict[str, Any]:
    return {
        "id": row_id,
        "owner": owner,
        "public": owner is None,
        "shortcut": shortcut,
        "enabled": enabled,
        "now": NOW,
    }


def test_existing_messages_get_their_scope_and_shortcut_key(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0007")
    insert = (
        "INSERT INTO canned_messages (id, owner_user_id, is_public, shortcut, category, text, "
        "enabled, created_at, updated_at) VALUES (:id, :owner, :public, :shortcut, '', 'Hi', "
        ":enabled, :now, :now)"
    )
    _run(
        database_url,
        [
            (
                "INSERT INTO users (id, username, display_name, password_hash, is_active, "
                "language, created_at, updated_at) VALUES (7, 'ann', 'Ann', 'x', true, 'en', "
                ":now, :now)",
                {"now": NOW},
            ),
            (insert, _row(1, None, "Hello", enabled=True)),
            # Two public shortcuts the same but for case: the later one gets its id added.
            (insert, _row(2, None, "HELLO", enabled=False)),
            (insert, _row(3, 7, "hello", enabled=True)),
        ],
    )

    command.upgrade(config, "head")
    rows = _run(
        database_url,
        [
            (
                "SELECT id, scope_key, shortcut, shortcut_key, created_by_user_id "
                "FROM canned_messages ORDER BY id",
                {},
            )
        ],
    )
    assert [tuple(row) for row in rows] == [
        (1, "public", "Hello", "hello", None),
        (2, "public", "HELLO-2", "hello-2", None),
        (3, "user:7", "hello", "hello", 7),
    ]

    # The constraint holds from now on, and the way back works.
    duplicate = (
        "INSERT INTO canned_messages (id, owner_user_id, is_public, scope_key, shortcut, "
        "shortcut_key, category, text, enabled, created_at, updated_at) VALUES (4, NULL, true, "
        "'public', 'hello', 'hello', '', 'x', true, :now, :now)"
    )
    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        _run(database_url, [(duplicate, {"now": NOW})])
    command.downgrade(config, "0007")
    command.upgrade(config, "head")
    assert len(_run(database_url, [("SELECT id FROM canned_messages", {})])) == 3
