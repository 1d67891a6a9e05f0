"""Errors services raise; the web layer turns them into HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """A command that cannot be carried out; ``message`` says why, for a person to read."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class Invalid(DomainError):
    pass
