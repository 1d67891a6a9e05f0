"""Routes of the call controls (agent and supervisor) and of the calls' recordings.

As for the softphone, the call controls run with a voice service that was never started:
past the gate, an agent is on no call (404) and a supervisor's agent is on no call (404).
"""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routes_softphone import with_voice
from tests.permissions.routing import Route, api

AGENT = Action.USE_AGENT_DASHBOARD
SUPERVISOR = Action.USE_SUPERVISOR_DASHBOARD


def voice_route(
    needs: Action, method: str, path: str, body: Any = None, *, url: str | None = None
) -> Route:
    call = with_voice(api(method, url or path, body))
    return Route(method, path, needs, call, gate_only=True)


ROUTES = [
    voice_route(AGENT, "GET", "/api/v1/calls/me"),
    voice_route(AGENT, "POST", "/api/v1/calls/me/recording/pause"),
    voice_route(AGENT, "POST", "/api/v1/calls/me/recording/resume"),
    voice_route(AGENT, "POST", "/api/v1/calls/me/parties", {"target": "202"}),
    voice_route(
        AGENT, "DELETE", "/api/v1/calls/me/parties/{party_id}", url="/api/v1/calls/me/parties/x"
    ),
    voice_route(AGENT, "POST", "/api/v1/calls/me/leave"),
    voice_route(
        SUPERVISOR, "GET", "/api/v1/calls/agents/{user_id}", url="/api/v1/calls/agents/{scratch_id}"
    ),
    voice_route(
        SUPERVISOR,
        "PUT",
        "/api/v1/calls/agents/{user_id}/monitor",
        {"mode": "listen"},
        url="/api/v1/calls/agents/{scratch_id}/monitor",
    ),
    voice_route(
        SUPERVISOR,
        "DELETE",
        "/api/v1/calls/agents/{user_id}/monitor",
        url="/api/v1/calls/agents/{scratch_id}/monitor",
    ),
    Route("GET", "/api/v1/recordings", SUPERVISOR, api("GET", "/api/v1/recordings")),
    Route(
        "GET",
        "/api/v1/recordings/{recording_id}/file",
        SUPERVISOR,
        api("GET", "/api/v1/recordings/1/file"),
        gate_only=True,
    ),
]
