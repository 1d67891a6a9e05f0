"""Helpers shared by the tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_peer(peer: str, how: str) -> None:
    """Skip on a user's machine, fail in CI: in CI nothing may skip."""
    message = f"{peer} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI needs {message}")
    pytest.skip(message)


class Helpline:
    """A running app under test, with helpers that act through its own services."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app: Any = client.app

    def run(self, work: Callable[[Any], Any]) -> Any:
        """Run ``await work(session)`` in the app's loop, in one committed transaction."""
        from helpline.storage.unit_of_work import unit_of_work

        async def wrapper() -> Any:
            async with unit_of_work(
                self.app.state.session_factory, self.app.state.bus.publish
            ) as session:
                return await work(session)

        return self.client.portal.call(wrapper)  # type: ignore[union-attr]

    def create_user(
        self,
        username: str,
        *roles: str,
        password: str = "correct horse battery",
        lines: tuple[str, ...] = (),
        language: str = "en",
    ) -> Any:
        from helpline.timeutil import utcnow
        from helpline.users import service
        from helpline.users.schemas import UserCreate

        user_in = UserCreate(
            username=username,
            display_name=username.title(),
            password=password,
            roles=list(roles),
            language=language,
            lines=[{"extension": ext} for ext in lines],
        )
        return self.run(
            lambda session: service.create(
                session=session, user_in=user_in, now=utcnow(), actor_id=None
            )
        )

    def login(self, username: str, password: str = "correct horse battery") -> TestClient:
        """A new client logged in as ``username`` (cookies are per client)."""
        client = TestClient(self.app, base_url="http://testserver")
        client.portal = self.client.portal  # type: ignore[attr-defined]
        response = client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return client


def wait_until(
    check: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``check`` (bounded): for effects that happen after a commit, in the background."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
