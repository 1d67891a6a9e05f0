"""Video rooms over HTTP: the agent opens one from a chat (the customer gets the link in
the chat) and ends it; both join the room's signalling WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi import status as http_status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline import i18n
from helpline.chats.api import AccessDep, ChatsDep, visible_conversation
from helpline.chats.schemas import Status
from helpline.config import Settings
from helpline.errors import DomainError, NotFound
from helpline.http.deps import NowDep, SessionDep, resolve_user
from helpline.http.errors import http_error
from helpline.realtime.bus import EventBus
from helpline.storage.unit_of_work import unit_of_work
from helpline.timeutil import utcnow
from helpline.video import service
from helpline.video.schemas import RoomIn, RoomOut
from helpline.video.service import Participant, Role, Room, VideoRooms

router = APIRouter(prefix="/video", tags=["video"])
ws_router = APIRouter()

CLOSE_FORBIDDEN = 4403
CLOSE_GONE = 4404
CLOSE_BAD_REQUEST = 4400


def get_rooms(request: Request) -> VideoRooms:
    rooms: VideoRooms = request.app.state.video_rooms
    return rooms


RoomsDep = Annotated[VideoRooms, Depends(get_rooms)]


def _base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return (settings.public_url or str(request.base_url)).rstrip("/")


def room_out(request: Request, room: Room) -> RoomOut:
    base = _base_url(request)
    return RoomOut(
        room_id=room.room_id,
        conversation_id=room.conversation_id,
        agent_id=room.agent_id,
        opened_at=room.opened_at,
        expires_at=room.expires_at,
        agent_url=f"{base}/video/{room.room_id}",
        customer_url=f"{base}/video/{room.room_id}?key={room.customer_key}",
        customer_joined=Role.CUSTOMER in room.participants,
    )


@router.post("/rooms", response_model=RoomOut)
async def open_room(
    body: RoomIn,
    request: Request,
    session: SessionDep,
    access: AccessDep,
    chats: ChatsDep,
    rooms: RoomsDep,
    now: NowDep,
) -> RoomOut:
    """Open the conversation's video room (or give the one that is open) and send the
    customer its link in the chat. Only the conversation's agent may."""
    conversation = await visible_conversation(session, body.conversation_id, access)
    if conversation.assigned_user_id != access.user_id or conversation.status != Status.ASSIGNED:
        raise HTTPException(
            http_status.HTTP_403_FORBIDDEN, "only the agent of an assigned conversation may"
        )
    try:
        room, opened = rooms.open(conversation_id=conversation.id, agent_id=access.user_id, now=now)
    except DomainError as error:
        raise http_error(error) from error
    out = room_out(request, room)
    if opened:
        service.record_opened(session=session, room=room, now=now)
        text = i18n.gettext("Join me in a video call: %(link)s") % {"link": out.customer_url}
        try:
            await chats.send(conversation_id=conversation.id, user_id=access.user_id, text=text)
        except DomainError as error:
            rooms.end(room, "agent")  # nobody knows of it yet
            raise http_error(error) from error
    return out


def _agents_room(rooms: VideoRooms, room_id: str, user_id: int, now: Any) -> Room:
    try:
        room = rooms.get(room_id, now)
        rooms.admit(room, user_id=user_id)
    except DomainError as error:
        raise http_error(error) from error
    return room


@router.get("/rooms/{room_id}", response_model=RoomOut)
async def get_room(
    room_id: str, request: Request, access: AccessDep, rooms: RoomsDep, now: NowDep
) -> RoomOut:
    return room_out(request, _agents_room(rooms, room_id, access.user_id, now))


@router.post("/rooms/{room_id}/end", status_code=http_status.HTTP_204_NO_CONTENT)
async def end_room(
    room_id: str, session: SessionDep, access: AccessDep, rooms: RoomsDep, now: NowDep
) -> None:
    room = _agents_room(rooms, room_id, access.user_id, now)
    if rooms.end(room, "agent"):
        service.record_ended(
            session=session, room=room, by="agent", now=now, actor_id=room.agent_id
        )
        await rooms.dismiss(room)


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def _refuse(websocket: WebSocket, code: int, message: str) -> None:
    await websocket.accept()
    await websocket.send_json({"type": "error", "message": message})
    await websocket.close(code=code)


@ws_router.websocket("/video/ws/{room_id}")
async def room_socket(websocket: WebSocket, room_id: str) -> None:
    """Signalling: ``joined`` first, then ``peer_joined`` / ``peer_left`` / ``signal`` /
    ``ended``; the client sends ``{"type": "signal", "signal": {...}}`` and
    ``{"type": "end"}``."""
    app = websocket.app
    rooms: VideoRooms = app.state.video_rooms
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    bus: EventBus = app.state.bus
    if not _same_origin(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    key = websocket.query_params.get("key")
    try:
        room = rooms.get(room_id, utcnow())
        if key is not None:
            role = rooms.admit(room, key=key)
        else:
            async with factory() as session:
                user = await resolve_user(websocket, session, app.state.settings, utcnow())
            role = rooms.admit(room, user_id=user.id if user is not None else None)
    except DomainError as error:
        code = CLOSE_GONE if isinstance(error, NotFound) else CLOSE_FORBIDDEN
        await _refuse(websocket, code, error.message)
        return
    await websocket.accept()
    closed = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.send_json(message)

    async def close() -> None:
        closed.set()
        with contextlib.suppress(RuntimeError):
            await websocket.close()

    participant = Participant(send=send, close=close)
    await rooms.join(room, role, participant)

    async def end(by: str) -> None:
        if rooms.end(room, by):
            async with unit_of_work(factory, bus.publish) as session:
                actor = room.agent_id if by == "agent" else None
                service.record_ended(
                    session=session, room=room, by=by, now=utcnow(), actor_id=actor
                )
            await rooms.dismiss(room)

    try:
        remaining = (room.expires_at - utcnow()).total_seconds()
        async with asyncio.timeout(max(remaining, 0.0)):
            while not closed.is_set():
                try:
                    raw = await websocket.receive_text()
                except (WebSocketDisconnect, RuntimeError):
                    break
                try:
                    message = json.loads(raw)
                except ValueError:
                    await send({"type": "error", "message": "send JSON objects"})
                    continue
                kind = message.get("type") if isinstance(message, dict) else None
                if kind == "end":
                    await end(role.value)
                    break
                if kind != "signal":
                    await send({"type": "error", "message": "type must be signal or end"})
                    continue
                try:
                    await rooms.relay(
                        room, role, participant, message.get("signal"), len(raw.encode())
                    )
                except DomainError as error:
                    await send({"type": "error", "message": error.message})
    except TimeoutError:
        await end("expired")
    finally:
        await rooms.leave(room, role, participant)
