"""Shared fixtures: every storage and service test runs on SQLite and on PostgreSQL.

PostgreSQL is the throwaway server the test command starts (``HELPLINE_TEST_POSTGRES_URL``).
On a user's machine without it those runs skip, saying so; in CI (``CI=true``) they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from helpline.auth import passwords
from helpline.config import Settings
from helpline.migrations import upgrade_database
from helpline.storage.base import Base
from helpline.storage.engine import create_engine
from tests.support import Helpline, missing_peer

POSTGRES_ENV = "HELPLINE_TEST_POSTGRES_URL"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-anything"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """argon2 at production cost takes ~0.1 s a hash: too slow for hundreds of logins."""
    passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        missing_peer("PostgreSQL", f"run the README's test command, or set {POSTGRES_ENV}")
    database = f"helpline_test_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        admin = create_engine(url, echo=False)
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{database}"'))
        await admin.dispose()

    asyncio.run(create())
    test_url = make_url(url).set(database=database).render_as_string(hide_password=False)
    upgrade_database(test_url)
    return test_url


def _truncate_postgres(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)

    async def truncate() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind, fresh for every test."""
    if request.param == "sqlite":
        path = tmp_path / "helpline.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_base_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=TEST_SECRET,
        login_max_failures=3,
        login_lockout_seconds=60,
        sip_enabled=False,
    )


@pytest.fixture
def helpline(settings: Settings) -> Iterator[Helpline]:
    from helpline.web.app import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)
