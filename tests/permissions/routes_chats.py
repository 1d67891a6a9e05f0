"""Routes of the chat workspace (agents and supervisors), its admin mappings, and the
public signed media links."""

from __future__ import annotations

from helpline.core.permissions import Action
from tests.permissions.routing import PUBLIC, Route, api, page_get

CHATS = Action.USE_CHATS


def chat_route(method: str, path: str, url: str, body: object = None) -> Route:
    # The answer depends on the conversation (none here: 404): the gate is what counts.
    return Route(method, path, CHATS, api(method, url, body), gate_only=True)


ROUTES: list[Route] = [
    Route("GET", "/api/v1/chats/conversations", CHATS, api("GET", "/api/v1/chats/conversations")),
    chat_route(
        "GET", "/api/v1/chats/conversations/{conversation_id}", "/api/v1/chats/conversations/1"
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/messages",
        "/api/v1/chats/conversations/1/messages",
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/read",
        "/api/v1/chats/conversations/1/read",
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/unassign",
        "/api/v1/chats/conversations/1/unassign",
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/resolve",
        "/api/v1/chats/conversations/1/resolve",
    ),
    chat_route(
        "PUT",
        "/api/v1/chats/conversations/{conversation_id}/contact",
        "/api/v1/chats/conversations/1/contact",
        {"contact_id": None},
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/typing",
        "/api/v1/chats/conversations/1/typing",
        {"typing": True},
    ),
    chat_route(
        "GET",
        "/api/v1/chats/conversations/{conversation_id}/tags",
        "/api/v1/chats/conversations/1/tags",
    ),
    chat_route(
        "POST",
        "/api/v1/chats/conversations/{conversation_id}/tags",
        "/api/v1/chats/conversations/1/tags",
        {"tag_id": 1},
    ),
    chat_route(
        "DELETE",
        "/api/v1/chats/conversations/{conversation_id}/tags/{tag_id}",
        "/api/v1/chats/conversations/1/tags/1",
    ),
    chat_route("GET", "/api/v1/chats/attachments/{attachment_id}", "/api/v1/chats/attachments/1"),
    # The workspace page: the shell (what it shows comes from the API above).
    Route("GET", "/agent/chats", CHATS, page_get("/agent/chats"), page=True),
    Route(
        "GET",
        "/api/v1/chats/addresses",
        Action.VIEW_QUEUE_SETTINGS,
        api("GET", "/api/v1/chats/addresses"),
    ),
    Route(
        "PUT",
        "/api/v1/chats/addresses",
        Action.MANAGE_QUEUE_SETTINGS,
        api("PUT", "/api/v1/chats/addresses", {"channel": "sms", "address": "x", "queue_id": 0}),
        gate_only=True,
    ),
    Route(
        "DELETE",
        "/api/v1/chats/addresses/{address_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        api("DELETE", "/api/v1/chats/addresses/999"),
        gate_only=True,
    ),
    Route("GET", "/chat-media/{token}", PUBLIC, api("GET", "/chat-media/x"), gate_only=True),
]
