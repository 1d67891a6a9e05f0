"""Routes of the browser softphone: the agent dashboard's gate.

The table's app runs without voice (every route would answer 503), so each call runs with
a voice service that exists but was never started: past the gate, the routes answer what
they answer to an agent who is not on a call (bad offer 400, hold 404, state 200).
"""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Request, Route, api

AGENT = Action.USE_AGENT_DASHBOARD


def with_voice(call: Request) -> Request:
    def wrapped(ctx: Context) -> Any:
        from helpline.voice.service import VoiceService

        state = ctx.helpline.app.state
        saved = state.voice
        state.voice = VoiceService(
            session_factory=state.session_factory,
            publish=None,
            secret_key="permission-table",
            acd=state.acd,
        )
        try:
            return call(ctx)
        finally:
            state.voice = saved

    return wrapped


def softphone_route(method: str, path: str, body: Any = None) -> Route:
    return Route(method, path, AGENT, with_voice(api(method, path, body)), gate_only=True)


ROUTES = [
    softphone_route("GET", "/api/v1/softphone/session"),
    softphone_route("POST", "/api/v1/softphone/session", {"sdp": "not sdp", "type": "offer"}),
    softphone_route("DELETE", "/api/v1/softphone/session"),
    softphone_route("POST", "/api/v1/softphone/hold"),
    softphone_route("POST", "/api/v1/softphone/unhold"),
    softphone_route("POST", "/api/v1/softphone/dtmf", {"digit": "5"}),
]
