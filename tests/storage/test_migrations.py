from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from helpline.migrations import models  # noqa: F401  (registers every table)
from helpline.storage.base import Base
from helpline.storage.engine import create_engine


def test_migrations_match_the_models(database_url: str) -> None:
    """A model changed without a migration shows up here, on SQLite and on PostgreSQL."""

    async def diff() -> list[object]:
        engine = create_engine(database_url)
        async with engine.connect() as connection:
            result = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return list(result)

    assert asyncio.run(diff()) == []
