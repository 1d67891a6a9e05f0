"""What the admin pages' forms share: the messages of a refused form, the enable/disable
switch, the redirect that says what was done, and a change that either succeeds or shows
the list again with the reasons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import status
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from helpline.errors import DomainError


def error_messages(error: ValidationError | DomainError) -> list[str]:
    """What a person reads for a refused form: the domain's message, or each field's."""
    if isinstance(error, DomainError):
        return [error.message]
    return [str(item["msg"]).removeprefix("Value error, ") for item in error.errors()]


def enabled_choice(form: FormData, field: str = "enabled") -> Any:
    """The switch's value: True or False; anything else goes on as it came, for the
    schema to refuse with its message."""
    value = form.get(field)
    return {"true": True, "false": False}.get(str(value), value)


def redirect_done(list_url: str, flash: str) -> Response:
    """Back to the list, which shows the message of ``flash`` (post/redirect/get)."""
    return RedirectResponse(f"{list_url}?done={flash}", status_code=status.HTTP_303_SEE_OTHER)


async def change_or_relist(
    *,
    session: AsyncSession,
    exists: Callable[[], Awaitable[Any]],
    change: Callable[[], Awaitable[Any]],
    not_found: Callable[[], Response],
    relist: Callable[[list[str]], Awaitable[Response]],
    done: Callable[[], Response],
) -> Response:
    """Change an item of an admin list: its page if it is gone, the list again with the
    reasons (and nothing of the change kept) if refused, else the redirect."""
    try:
        await exists()
    except DomainError:
        return not_found()
    try:
        await change()
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await relist(error_messages(error))
    return done()
