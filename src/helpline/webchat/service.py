"""Webchat widgets (admin) and visitors (the customer's browser, by a token it keeps).

A site embeds a widget with one tag; the widget's ``key`` is public. A visitor gets a
random token (kept in the browser's localStorage, stored here only hashed); their
conversation is the webchat conversation of (our address = the widget's key, the
customer's address = the visitor's public id).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.service import AcdService, queue_key
from helpline.channels.messaging import Channel
from helpline.chats import repository
from helpline.chats.events import WidgetCreated, WidgetDeleted, WidgetUpdated
from helpline.chats.models import Conversation, WebchatVisitor, WebchatWidget
from helpline.chats.schemas import WidgetCreate, WidgetOut, WidgetUpdate
from helpline.contacts.schemas import normalize_email
from helpline.errors import Invalid, NotFound
from helpline.queues import repository as queue_repository
from helpline.queues.models import ChatQueue
from helpline.storage.eventlog import append_event

MAX_NAME = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def to_out(widget: WebchatWidget, base_url: str = "") -> WidgetOut:
    out = WidgetOut.model_validate(widget)
    out.snippet = (
        f'<script src="{base_url}/static/webchat.js" data-widget="{widget.key}" async></script>'
    )
    return out


def snapshot(widget: WebchatWidget) -> dict[str, Any]:
    return to_out(widget).model_dump(mode="json", exclude={"snippet"})


async def _chat_queue(session: AsyncSession, queue_id: int) -> ChatQueue:
    queue = await queue_repository.get(session, "chat", queue_id)
    if not isinstance(queue, ChatQueue):
        raise Invalid(f"no chat queue with id {queue_id}", field="queue_id")
    if "webchat" not in (queue.channels or []):
        raise Invalid(
            f"the chat queue {queue.name!r} does not take webchat: add the channel to it first",
            field="queue_id",
        )
    return queue


async def list_widgets(*, session: AsyncSession) -> Sequence[WebchatWidget]:
    return await repository.list_widgets(session)


async def get(*, session: AsyncSession, widget_id: int) -> WebchatWidget:
    widget = await repository.get_widget(session, widget_id)
    if widget is None:
        raise NotFound(f"no webchat widget with id {widget_id}")
    return widget


async def create(
    *, session: AsyncSession, widget_in: WidgetCreate, now: datetime, actor_id: int | None
) -> WebchatWidget:
    await _chat_queue(session, widget_in.queue_id)
    widget = WebchatWidget(
        key=f"w{secrets.token_urlsafe(12)}",
        created_at=now,
        updated_at=now,
        **widget_in.model_dump(),
    )
    await repository.add(session, widget)
    append_event(
        session, WidgetCreated(widget=snapshot(widget)), occurred_at=now, actor_user_id=actor_id
    )
    return widget


async def update(
    *,
    session: AsyncSession,
    widget_id: int,
    widget_in: WidgetUpdate,
    now: datetime,
    actor_id: int | None,
) -> WebchatWidget:
    widget = await get(session=session, widget_id=widget_id)
    changed = []
    for name, value in widget_in.model_dump(exclude_unset=True).items():
        if value is None or getattr(widget, name) == value:
            continue
        if name == "queue_id":
            await _chat_queue(session, value)
        setattr(widget, name, value)
        changed.append(name)
    if changed:
        widget.updated_at = now
        await repository.flush(session)
        append_event(
            session,
            WidgetUpdated(widget=snapshot(widget), changed=changed),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    return widget


async def delete(
    *, session: AsyncSession, widget_id: int, now: datetime, actor_id: int | None
) -> None:
    widget = await get(session=session, widget_id=widget_id)
    gone = snapshot(widget)
    await repository.delete(session, widget)
    append_event(session, WidgetDeleted(widget=gone), occurred_at=now, actor_user_id=actor_id)


# ---------------------------------------------------------------------- the visitor's side


def origin_allowed(widget: WebchatWidget, origin: str | None, host: str | None) -> bool:
    """A request from a page: its origin must be Helpline's own, or one the widget
    allows. Requests without ``Origin`` (not from a browser's cross-site fetch) pass."""
    if origin is None:
        return True
    if urlsplit(origin).netloc == host:
        return True
    return origin.rstrip("/").lower() in widget.allowed_origins


async def enabled_widget(*, session: AsyncSession, key: str) -> WebchatWidget:
    widget = await repository.widget_by_key(session, key)
    if widget is None or not widget.enabled:
        raise NotFound("no such webchat widget, or it is switched off")
    return widget


async def new_visitor(
    *,
    session: AsyncSession,
    widget: WebchatWidget,
    name: str,
    email: str | None,
    now: datetime,
) -> tuple[WebchatVisitor, str]:
    """A visitor and their token (returned once; stored hashed)."""
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise Invalid("tell us your name", field="name")
    if email:
        try:
            email = normalize_email(email)
        except ValueError as error:
            raise Invalid(str(error), field="email") from error
    token = secrets.token_urlsafe(32)
    visitor = WebchatVisitor(
        public_id=f"v{secrets.token_hex(12)}",
        token_hash=token_hash(token),
        widget_id=widget.id,
        name=name,
        email=email or None,
        created_at=now,
        last_seen_at=now,
    )
    await repository.add(session, visitor)
    return visitor, token


async def visitor_for(
    *, session: AsyncSession, widget: WebchatWidget, token: str | None
) -> WebchatVisitor:
    if not token:
        raise Invalid("no visitor token")
    visitor = await repository.visitor_by_token_hash(session, token_hash(token))
    if visitor is None or visitor.widget_id != widget.id:
        raise Invalid("this visitor token is not valid here: start a new chat")
    return visitor


async def conversation_of(
    *, session: AsyncSession, widget: WebchatWidget, visitor: WebchatVisitor
) -> Conversation | None:
    return await repository.conversation_at(
        session, Channel.WEBCHAT.value, widget.key, visitor.public_id
    )


def online(acd: AcdService, widget: WebchatWidget) -> bool:
    """Some agent is logged into the widget's chat queue (else: the offline form)."""
    key = queue_key("chat", widget.queue_id)
    if key not in acd.router.queue_ids():
        return False
    return any(row.logged_in for row in acd.router.queue_agents(key, acd.router.now))


def place_in_line(acd: AcdService, conversation: Conversation | None) -> dict[str, Any]:
    """The waiting customer's position and estimated wait (seconds), from the ACD."""
    if conversation is None or conversation.status != "open" or conversation.queue_id is None:
        return {"position": None, "estimated_wait": None}
    key = queue_key("chat", conversation.queue_id)
    if key in acd.router.queue_ids():
        for row in acd.router.waiting_contacts(key, acd.router.now):
            if row.contact_id == conversation.acd_contact_id:
                return {"position": row.position, "estimated_wait": row.estimated_wait}
    return {"position": None, "estimated_wait": None}
