from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline

API = "/api/v1/trunks"
PLANS = "/api/v1/call-plans"


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def make_plan(admin: Any, name: str) -> int:
    """A call plan (welcome, then hang up) to route DIDs to."""
    body = {
        "name": name,
        "entry": "hello",
        "nodes": [
            {"id": "hello", "type": "prompt", "label": "Hello", "prompt": "welcome", "next": "end"},
            {"id": "end", "type": "hangup", "label": "Bye"},
        ],
    }
    response = admin.post(PLANS, json=body)
    assert response.status_code == 201, response.text
    plan_id: int = response.json()["id"]
    return plan_id


def plan_numbers(admin: Any, plan_id: int) -> list[tuple[str, str]]:
    rows = admin.get(f"{PLANS}/{plan_id}/numbers").json()
    return [(row["number"], row["label"]) for row in rows]


def events(admin: Any, *types: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = admin.get("/api/v1/events", params={"type": list(types)}).json()
    return result
