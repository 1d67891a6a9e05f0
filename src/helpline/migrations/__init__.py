"""Alembic migrations. They run on SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str) -> None:
    """Bring the database to the newest schema (creating it if it is empty)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


def current_revision(database_url: str) -> str | None:
    import asyncio

    from alembic.runtime.migration import MigrationContext

    from helpline.storage.engine import create_engine

    async def read() -> str | None:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())
