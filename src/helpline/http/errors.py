"""Turning domain errors into HTTP answers."""

from __future__ import annotations

from fastapi import HTTPException

from helpline.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound


def http_error(error: DomainError) -> HTTPException:
    status = 400
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, Conflict):
        status = 409
    elif isinstance(error, NotAllowed):
        status = 403
    elif isinstance(error, Invalid):
        status = 422
    detail: dict[str, str] | str = error.message
    if error.field:
        detail = {"message": error.message, "field": error.field}
    return HTTPException(status_code=status, detail=detail)
