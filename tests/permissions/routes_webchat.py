"""Routes of the webchat: widgets (admin), the visitors' API (public: a widget key and a
visitor token instead of a login) and the demo page."""

from __future__ import annotations

from helpline.core.permissions import Action
from tests.permissions.routing import PUBLIC, Route, api, page_get

VISITOR = "/webchat/api/{key}"


def public(method: str, path: str, body: object = None) -> Route:
    # No such widget here: 404, past a gate that lets everybody through.
    url = path.replace("{key}", "nokey").replace("{rest:path}", "messages")
    return Route(method, path, PUBLIC, api(method, url, body), gate_only=True)


ROUTES: list[Route] = [
    Route(
        "GET",
        "/api/v1/webchat/widgets",
        Action.VIEW_QUEUE_SETTINGS,
        api("GET", "/api/v1/webchat/widgets"),
    ),
    Route(
        "POST",
        "/api/v1/webchat/widgets",
        Action.MANAGE_QUEUE_SETTINGS,
        api("POST", "/api/v1/webchat/widgets", {"name": "W", "queue_id": 999}),
        gate_only=True,
    ),
    Route(
        "PATCH",
        "/api/v1/webchat/widgets/{widget_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        api("PATCH", "/api/v1/webchat/widgets/999", {"name": "W"}),
        gate_only=True,
    ),
    Route(
        "DELETE",
        "/api/v1/webchat/widgets/{widget_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        api("DELETE", "/api/v1/webchat/widgets/999"),
        gate_only=True,
    ),
    public("OPTIONS", f"{VISITOR}/{{rest:path}}"),
    public("GET", f"{VISITOR}/config"),
    public("POST", f"{VISITOR}/visitors", {"name": "x"}),
    public("GET", f"{VISITOR}/conversation"),
    public("POST", f"{VISITOR}/messages"),
    public("POST", f"{VISITOR}/offline", {"name": "x", "email": "x@example.com", "text": "x"}),
    public("POST", f"{VISITOR}/typing", {"typing": True}),
    public("POST", f"{VISITOR}/transcript", {"email": "x@example.com"}),
    Route("GET", "/webchat/demo", PUBLIC, page_get("/webchat/demo"), page=True),
]
