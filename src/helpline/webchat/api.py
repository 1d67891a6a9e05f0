"""Webchat over HTTP and WebSocket: the widgets' admin API, and the visitor's side.

The visitor's endpoints live under ``/webchat/api/{key}`` (the widget's public key) and
``/webchat/ws/{key}``; they are authenticated by the visitor's token (``Authorization:
Bearer …``, or ``?token=`` on the WebSocket), never by cookies, so a page of another
site may call them. Cross-origin rules: a browser request from another site (its
``Origin``) is answered only if that origin is in the widget's ``allowed_origins``
(Helpline's own origin always is); the answer then carries
``Access-Control-Allow-Origin`` for that origin alone (no credentials), and preflights
(``OPTIONS``) are answered the same way. Other origins get 403 (the WebSocket closes with
4403).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Request,
    Response,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
    status,
)
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from helpline.acd.service import QUEUE_VIEW, queue_key
from helpline.channels.messaging import Channel, InboundMessage
from helpline.chats import repository as chat_repository
from helpline.chats.api import ChatsDep, read_uploads
from helpline.chats.attachments import check
from helpline.chats.events import TYPING, MessageSent, MessageStatusChanged
from helpline.chats.models import ChatMessage, Conversation, WebchatWidget
from helpline.chats.schemas import WidgetCreate, WidgetOut, WidgetUpdate
from helpline.chats.service import ChatService
from helpline.core.permissions import Action
from helpline.errors import DomainError, Invalid
from helpline.http.deps import NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.http.uploads import allow_uploads
from helpline.i18n import gettext as _
from helpline.realtime.bus import EventBus, SubscriptionLost
from helpline.users.models import User
from helpline.webchat import service

router = APIRouter(prefix="/webchat/widgets", tags=["webchat"])
visitor_router = APIRouter(prefix="/webchat/api/{key}", include_in_schema=False)
ws_router = APIRouter()

Reader = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]

allow_uploads("/webchat/api", 5 * 2 * 1024 * 1024 + 64 * 1024)

CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_UNAUTHENTICATED = 4401
CORS_HEADERS = {
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type",
    "access-control-max-age": "600",
    "vary": "Origin",
}


def base_url(connection: HTTPConnection) -> str:
    """Helpline's address as the visitor's browser reaches it (for links it follows)."""
    public: str | None = connection.app.state.settings.public_url
    if public:
        return public.rstrip("/")
    url = connection.base_url
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
    return str(url.replace(scheme=scheme)).rstrip("/")


# ---------------------------------------------------------------------- admin


@router.get("", response_model=list[WidgetOut])
async def list_widgets(request: Request, session: SessionDep, _user: Reader) -> list[WidgetOut]:
    return [
        service.to_out(w, base_url(request)) for w in await service.list_widgets(session=session)
    ]


@router.post("", response_model=WidgetOut, status_code=status.HTTP_201_CREATED)
async def create_widget(
    request: Request, body: WidgetCreate, session: SessionDep, user: Manager, now: NowDep
) -> WidgetOut:
    try:
        widget = await service.create(session=session, widget_in=body, now=now, actor_id=user.id)
    except DomainError as error:
        raise http_error(error) from error
    return service.to_out(widget, base_url(request))


@router.patch("/{widget_id}", response_model=WidgetOut)
async def update_widget(
    request: Request,
    widget_id: int,
    body: WidgetUpdate,
    session: SessionDep,
    user: Manager,
    now: NowDep,
) -> WidgetOut:
    try:
        widget = await service.update(
            session=session, widget_id=widget_id, widget_in=body, now=now, actor_id=user.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return service.to_out(widget, base_url(request))


@router.delete("/{widget_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_widget(
    widget_id: int, session: SessionDep, user: Manager, now: NowDep
) -> Response:
    try:
        await service.delete(session=session, widget_id=widget_id, now=now, actor_id=user.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------- the visitor


async def cross_origin_widget(
    key: str, request: Request, response: Response, session: SessionDep
) -> WebchatWidget:
    """The enabled widget of ``key``, if the request's origin may use it (CORS)."""
    try:
        widget = await service.enabled_widget(session=session, key=key)
    except DomainError as error:
        raise http_error(error) from error
    origin = request.headers.get("origin")
    if not service.origin_allowed(widget, origin, request.headers.get("host")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this widget may not be used from {origin}")
    if origin is not None:
        response.headers["access-control-allow-origin"] = origin
        response.headers.update(CORS_HEADERS)
    return widget


WidgetDep = Annotated[WebchatWidget, Depends(cross_origin_widget)]


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else None


async def visitor_conversation(
    request: Request, session: AsyncSession, widget: WebchatWidget
) -> tuple[Any, Conversation | None]:
    try:
        visitor = await service.visitor_for(session=session, widget=widget, token=bearer(request))
    except Invalid as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, error.message) from error
    conversation = await service.conversation_of(session=session, widget=widget, visitor=visitor)
    return visitor, conversation


@visitor_router.options("/{rest:path}")
async def preflight(key: str, rest: str, request: Request, session: SessionDep) -> Response:
    """CORS preflight: allowed origins only."""
    del rest
    widget = await chat_repository.widget_by_key(session, key)
    origin = request.headers.get("origin")
    if widget is None:
        return Response(status_code=status.HTTP_404_NOT_FOUND)
    if not service.origin_allowed(widget, origin, request.headers.get("host")):
        return Response(status_code=status.HTTP_403_FORBIDDEN)
    headers = dict(CORS_HEADERS)
    if origin:
        headers["access-control-allow-origin"] = origin
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=headers)


class VisitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=200)]
    email: Annotated[str | None, Field(max_length=254)] = None


class OfflineIn(VisitorIn):
    text: Annotated[str, Field(min_length=1, max_length=100_000)]


def customer_message(chats: ChatService, message: ChatMessage, prefix: str) -> dict[str, Any]:
    """A message as the customer sees it (no agent ids; attachments by signed link)."""
    return {
        "id": message.id,
        "from": "me" if message.direction == "in" else message.author,
        "text": message.text,
        "status": message.status,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"{prefix}/chat-media/{chats.media_token(a.id)}",
            }
            for a in message.attachments
        ],
    }


@visitor_router.get("/config")
async def widget_config(widget: WidgetDep, request: Request) -> dict[str, Any]:
    """How the widget looks, and whether an agent is there (else: the offline form)."""
    return {
        "name": widget.name,
        "color": widget.color,
        "text_color": widget.text_color,
        "greeting": widget.greeting,
        "online": service.online(request.app.state.acd, widget),
        "max_files": request.app.state.chats.limits.max_files,
        "max_file_bytes": request.app.state.chats.limits.max_file_bytes,
        "transcript": request.app.state.chats.mailer is not None,
        "labels": widget_labels(),
    }


def widget_labels() -> dict[str, str]:
    """The widget's texts in the visitor's language (their browser's Accept-Language)."""
    return {
        "open": _("Chat with us"),
        "close": _("Close"),
        "name": _("Your name"),
        "email": _("Your email"),
        "start": _("Start chat"),
        "offline": _("Nobody is here right now. Leave a message and we will answer by email."),
        "leave_message": _("Send message"),
        "left_message": _("Thank you: we will answer soon."),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach files"),
        "typing": _("The agent is typing…"),
        "position": _("You are number {position} in line."),
        "wait": _("Estimated wait: {minutes} min."),
        "connected": _("An agent is with you."),
        "resolved": _("This conversation is closed. Write again to reopen it."),
        "failed": _("That did not work. Try again."),
        "too_many_files": _("At most {count} files a message."),
        "transcript": _("Email me the transcript"),
        "transcript_send": _("Send it to me"),
        "transcript_requested": _("We will email you the transcript when the chat ends."),
    }


@visitor_router.post("/visitors", status_code=status.HTTP_201_CREATED)
async def start_chat(
    body: VisitorIn, widget: WidgetDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    """The pre-chat form: a visitor and their token (keep it: it is shown once)."""
    try:
        visitor, token = await service.new_visitor(
            session=session, widget=widget, name=body.name, email=body.email, now=now
        )
    except DomainError as error:
        raise http_error(error) from error
    return {"token": token, "visitor_id": visitor.public_id, "name": visitor.name}


@visitor_router.get("/conversation")
async def my_conversation(
    request: Request, widget: WidgetDep, session: SessionDep, chats: ChatsDep
) -> dict[str, Any]:
    visitor, conversation = await visitor_conversation(request, session, widget)
    return await conversation_state(request, session, chats, visitor, conversation)


async def conversation_state(
    request: Request | WebSocket,
    session: AsyncSession,
    chats: ChatService,
    visitor: Any,
    conversation: Conversation | None,
) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if conversation is not None:
        rows = await chat_repository.messages(session, conversation.id, before_id=None, limit=200)
        prefix = base_url(request)
        messages = [customer_message(chats, m, prefix) for m in rows]
    return {
        "name": visitor.name,
        "status": conversation.status if conversation else None,
        "messages": messages,
        **service.place_in_line(request.app.state.acd, conversation),
    }


async def _receive(
    chats: ChatService,
    widget: WebchatWidget,
    visitor: Any,
    text: str,
    files: list[Any],
    client_id: str | None,
) -> Any:
    message = InboundMessage(
        channel=Channel.WEBCHAT,
        provider_message_id=f"{visitor.public_id}:{client_id or uuid.uuid4().hex}",
        sender=visitor.public_id,
        recipient=widget.key,
        text=text,
        sender_name=visitor.name,
    )
    return await chats.receive(
        message=message, files=files, queue_id=widget.queue_id, email=visitor.email
    )


def _check_text_and_files(chats: ChatService, text: str, files: list[Any]) -> None:
    if len(text) > chats.limits.max_text_chars:
        raise Invalid(
            f"a message has at most {chats.limits.max_text_chars} characters", field="text"
        )
    check(files, max_files=chats.limits.max_files, max_bytes=chats.limits.max_file_bytes)
    if not text.strip() and not files:
        raise Invalid("write a message or attach a file", field="text")


@visitor_router.post("/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    request: Request,
    widget: WidgetDep,
    session: SessionDep,
    chats: ChatsDep,
    text: Annotated[str, Form(max_length=100_000)] = "",
    client_id: Annotated[str | None, Form(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> dict[str, Any]:
    """The visitor writes (text and up to 5 files). ``client_id`` makes a retried send
    harmless. Refused whole (nothing stored) when a file breaks the limits."""
    visitor, _conversation = await visitor_conversation(request, session, widget)
    incoming = await read_uploads(files or [], chats.limits.max_file_bytes)
    try:
        _check_text_and_files(chats, text, incoming)
        received = await _receive(chats, widget, visitor, text.strip(), incoming, client_id)
    except DomainError as error:
        raise http_error(error) from error
    return {"message_id": received.message_id, "duplicate": received.duplicate}


class TranscriptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str | None, Field(max_length=254)] = None


@visitor_router.post("/transcript", status_code=status.HTTP_202_ACCEPTED)
async def request_transcript(
    body: TranscriptIn,
    request: Request,
    widget: WidgetDep,
    session: SessionDep,
    chats: ChatsDep,
) -> dict[str, Any]:
    """Email me the transcript when the chat ends (to the email given, or the pre-chat
    form's)."""
    visitor, conversation = await visitor_conversation(request, session, widget)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "start a chat first")
    email = body.email or visitor.email
    if not email:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            {"message": "give the email address to send it to", "field": "email"},
        )
    try:
        await chats.request_transcript(conversation_id=conversation.id, email=email)
    except DomainError as error:
        raise http_error(error) from error
    return {"email": email}


@visitor_router.post("/offline", status_code=status.HTTP_201_CREATED)
async def offline_message(
    body: OfflineIn, widget: WidgetDep, session: SessionDep, chats: ChatsDep, now: NowDep
) -> dict[str, Any]:
    """No agent is there: leave a message (with an email to be answered). It waits in
    the queue as a conversation; the token lets the visitor see the answer."""
    if not body.email:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "leave an email so that we can answer"
        )
    try:
        _check_text_and_files(chats, body.text, [])
        visitor, token = await service.new_visitor(
            session=session, widget=widget, name=body.name, email=body.email, now=now
        )
        await session.commit()  # the visitor first: the intake runs in its own transaction
        received = await _receive(chats, widget, visitor, body.text.strip(), [], None)
    except DomainError as error:
        raise http_error(error) from error
    return {"token": token, "visitor_id": visitor.public_id, "message_id": received.message_id}


class TypingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    typing: bool = True


@visitor_router.post("/typing", status_code=status.HTTP_204_NO_CONTENT)
async def typing(
    body: TypingIn, request: Request, widget: WidgetDep, session: SessionDep, chats: ChatsDep
) -> Response:
    _visitor, conversation = await visitor_conversation(request, session, widget)
    if conversation is not None:
        await chats.typing(conversation=conversation, who="customer", typing=body.typing)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------- WebSocket


@ws_router.websocket("/webchat/ws/{key}")
async def visitor_socket(websocket: WebSocket, key: str) -> None:
    """The visitor's live view: ``state`` first, then ``message``, ``status``,
    ``typing`` and ``queue`` (position, estimated wait) as they happen."""
    factory: async_sessionmaker[AsyncSession] = websocket.app.state.session_factory
    bus: EventBus = websocket.app.state.bus
    chats: ChatService = websocket.app.state.chats
    async with factory() as session:
        widget = await chat_repository.widget_by_key(session, key)
        allowed = widget is not None and service.origin_allowed(
            widget, websocket.headers.get("origin"), websocket.headers.get("host")
        )
        if widget is None or not allowed:
            await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
            return
        try:
            visitor = await service.visitor_for(
                session=session, widget=widget, token=websocket.query_params.get("token")
            )
        except Invalid:
            await websocket.accept()
            await websocket.send_json({"type": "error", "message": "start a new chat"})
            await websocket.close(code=CLOSE_UNAUTHENTICATED)
            return
    await websocket.accept()
    with bus.subscribe() as subscription:
        async with factory() as session:
            conversation = await service.conversation_of(
                session=session, widget=widget, visitor=visitor
            )
            state = await conversation_state(websocket, session, chats, visitor, conversation)
        await websocket.send_json({"type": "state", **state})
        receiver = asyncio.create_task(_drain(websocket))
        try:
            while not receiver.done():
                getter = asyncio.ensure_future(subscription.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    break
                for reply in await _for_visitor(
                    getter.result(), websocket, factory, chats, widget, visitor
                ):
                    await websocket.send_json(reply)
        except (SubscriptionLost, WebSocketDisconnect):
            pass
        finally:
            receiver.cancel()
            with contextlib.suppress(RuntimeError):
                await websocket.close()


async def _for_visitor(
    event: Any,
    websocket: WebSocket,
    factory: async_sessionmaker[AsyncSession],
    chats: ChatService,
    widget: WebchatWidget,
    visitor: Any,
) -> list[dict[str, Any]]:
    payload = event.payload
    if event.type == QUEUE_VIEW:
        if payload.get("queue_id") != queue_key("chat", widget.queue_id):
            return []
        async with factory() as session:
            conversation = await service.conversation_of(
                session=session, widget=widget, visitor=visitor
            )
        place = service.place_in_line(websocket.app.state.acd, conversation)
        status_now = conversation.status if conversation else None
        return [{"type": "queue", "status": status_now, **place}]
    conversation = payload.get("conversation", payload)
    mine = (
        conversation.get("channel", Channel.WEBCHAT.value) == Channel.WEBCHAT.value
        and conversation.get("customer_address", visitor.public_id) == visitor.public_id
        and conversation.get("our_address", widget.key) == widget.key
    )
    if event.type == TYPING:
        async with factory() as session:
            own = await service.conversation_of(session=session, widget=widget, visitor=visitor)
        if own is None or payload["conversation_id"] != own.id or payload["who"] != "agent":
            return []
        return [{"type": "typing", "typing": payload["typing"]}]
    if not mine or not event.type.startswith("chat."):
        return []
    if event.type in (MessageSent.type, "chat.message_received"):
        async with factory() as session:
            message = await chat_repository.get_message(session, payload["message"]["id"])
        if message is None:
            return []
        return [
            {"type": "message", "message": customer_message(chats, message, base_url(websocket))}
        ]
    if event.type == MessageStatusChanged.type:
        return []
    return [{"type": "status", "status": conversation["status"]}]


async def _drain(websocket: WebSocket) -> None:
    try:
        while True:
            await websocket.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        return
