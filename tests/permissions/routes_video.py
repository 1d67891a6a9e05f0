"""Routes of the video rooms: the agent's API (chat permission) and the room page (the
agent logged in, or the customer with the link's key)."""

from __future__ import annotations

from helpline.core.permissions import Action
from tests.permissions.routing import PUBLIC, Route, api, page_get

CHATS = Action.USE_CHATS

ROUTES: list[Route] = [
    # The answer depends on the conversation or room (none here: 404/422): the gate counts.
    Route(
        "POST",
        "/api/v1/video/rooms",
        CHATS,
        api("POST", "/api/v1/video/rooms", {"conversation_id": 999}),
        gate_only=True,
    ),
    Route(
        "GET",
        "/api/v1/video/rooms/{room_id}",
        CHATS,
        api("GET", "/api/v1/video/rooms/x"),
        gate_only=True,
    ),
    Route(
        "POST",
        "/api/v1/video/rooms/{room_id}/end",
        CHATS,
        api("POST", "/api/v1/video/rooms/x/end"),
        gate_only=True,
    ),
    # No such room: 404 for everybody, past a gate that lets everybody through.
    Route(
        "GET",
        "/video/{room_id}",
        PUBLIC,
        page_get("/video/x?key=nokey"),
        page=True,
        gate_only=True,
    ),
]
