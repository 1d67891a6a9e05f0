"""Routes of devices (registered SIP phones)."""

from __future__ import annotations

from tests.permissions.routing import AUTHENTICATED, Route, api

ROUTES = [
    Route("GET", "/api/v1/devices", AUTHENTICATED, api("GET", "/api/v1/devices")),
]
