from __future__ import annotations

from helpline.storage.eventlog import Event


class UserLoggedIn(Event):
    type = "auth.logged_in"
    user_id: int
    method: str


class UserLoggedOut(Event):
    type = "auth.logged_out"
    user_id: int


class LoginLocked(Event):
    """Too many failed logins for a user name or a client address."""

    type = "auth.login_locked"
    key: str
    locked_until: str


class ApiTokenCreated(Event):
    type = "auth.api_token_created"
    user_id: int
    token_id: int
    name: str


class ApiTokenRevoked(Event):
    type = "auth.api_token_revoked"
    user_id: int
    token_id: int
