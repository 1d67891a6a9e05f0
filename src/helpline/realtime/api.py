"""The WebSocket (register → initial state → events) and the event log API."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.config import Settings
from helpline.core.permissions import Action
from helpline.http.deps import SessionDep, require, resolve_user
from helpline.realtime.bus import EventBus, SubscriptionLost
from helpline.realtime.state import (
    TRANSIENT_TYPES,
    RegistrationError,
    audience_of,
    check_event_types,
    fetch_initial_state,
    visible_to,
)
from helpline.storage.eventlog import StoredEvent, read_events
from helpline.timeutil import utcnow
from helpline.users.models import User

router = APIRouter(tags=["events"])
ws_router = APIRouter()

REGISTER_TIMEOUT_SECONDS = 10
MAX_CLIENT_MESSAGE_BYTES = 16_384
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_FORBIDDEN_ORIGIN = 4403


class EventOut(BaseModel):
    id: int
    type: str
    payload: dict[str, Any]
    occurred_at: str
    actor_user_id: int | None


class RegisterMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^register$")
    event_types: list[str] = Field(max_length=100)


@router.get("/events", response_model=list[EventOut])
async def list_events(
    session: SessionDep,
    _admin: Annotated[User, Depends(require(Action.VIEW_EVENT_LOG))],
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[list[str] | None, Query(max_length=50)] = None,
) -> list[EventOut]:
    events = await read_events(session, after=after, limit=limit, types=type)
    return [EventOut.model_validate(event.as_json()) for event in events]


def _origin_allowed(websocket: WebSocket) -> bool:
    # Browsers always send Origin on WebSocket; a foreign one means cross-site hijacking.
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _send_error(websocket: WebSocket, code: int, error: str, message: str) -> None:
    await websocket.send_json({"type": "error", "code": error, "message": message})
    await websocket.close(code=code)


@ws_router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    factory: async_sessionmaker[AsyncSession] = websocket.app.state.session_factory
    bus: EventBus = websocket.app.state.bus
    if not _origin_allowed(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    async with factory() as session:
        user = await resolve_user(websocket, session, settings, utcnow())
        await session.commit()
    await websocket.accept()
    if user is None:
        await _send_error(websocket, CLOSE_UNAUTHENTICATED, "unauthenticated", "log in first")
        return
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), REGISTER_TIMEOUT_SECONDS)
    except TimeoutError:
        await _send_error(websocket, CLOSE_BAD_REQUEST, "bad_request", "register within 10 s")
        return
    except WebSocketDisconnect:
        return
    try:
        if len(raw) > MAX_CLIENT_MESSAGE_BYTES:
            raise RegistrationError("message too large")
        registration = RegisterMessage.model_validate(json.loads(raw))
        event_types = check_event_types(registration.event_types)
    except (ValueError, ValidationError) as error:
        message = (
            str(error)
            if isinstance(error, RegistrationError)
            else 'expected {"type": "register", "event_types": [...]}'
        )
        await _send_error(websocket, CLOSE_BAD_REQUEST, "bad_request", message)
        return
    # Subscribe before reading the state so that no event falls between the two.
    acd = getattr(websocket.app.state, "acd", None)
    with bus.subscribe() as subscription:
        async with factory() as session:
            audience = await audience_of(session=session, user=user, acd=acd)
            state, last_event_id = await fetch_initial_state(
                session=session, user=user, event_types=event_types, audience=audience
            )
        await websocket.send_json(
            {
                "type": "state",
                "last_event_id": last_event_id,
                "state": state,
                # Lets a browser show durations right even when its clock is off.
                "server_time": time.time(),
            }
        )
        receiver = asyncio.create_task(_drain_client(websocket))
        try:
            while not receiver.done():
                getter = asyncio.ensure_future(subscription.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    break
                event = getter.result()
                if event.type not in event_types:
                    continue
                if event.seq <= last_event_id and event.type not in TRANSIENT_TYPES:
                    continue
                if not visible_to(event, audience):
                    continue
                await websocket.send_json({"type": "event", "event": event.as_json()})
                if _deactivates(event, user.id):
                    await websocket.close(code=CLOSE_UNAUTHENTICATED)
                    break
        except SubscriptionLost:
            await _send_error(websocket, 4000, "queue_lost", "too far behind: register again")
        except WebSocketDisconnect:
            pass
        finally:
            receiver.cancel()


def _deactivates(event: StoredEvent, user_id: int) -> bool:
    user = event.payload.get("user", {})
    return event.type == "user.updated" and user.get("id") == user_id and not user.get("is_active")


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends after registering, until it goes away."""
    try:
        while True:
            await websocket.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        return
