"""Provider webhooks: public (the provider signs each request instead of logging in); here
no provider is configured, so each answers 404 past a gate that lets everybody through."""

from __future__ import annotations

from tests.permissions.routing import PUBLIC, Route, api


def webhook(method: str, path: str, body: object = None) -> Route:
    return Route(method, path, PUBLIC, api(method, path, body), gate_only=True)


ROUTES: list[Route] = [
    webhook("POST", "/webhooks/twilio/messages"),
    webhook("POST", "/webhooks/twilio/status"),
    webhook("GET", "/webhooks/meta"),
    webhook("POST", "/webhooks/meta", {"object": "page", "entry": []}),
]
