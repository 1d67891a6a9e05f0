from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Helpline

PAGE = "/admin/call-plans"
API = "/api/v1/call-plans"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": client.cookies.get("helpline_csrf"), **data})


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


@pytest.fixture
def support(admin: TestClient) -> int:
    queue_id: int = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()["id"]
    return queue_id


def form(support: int, name: str = "Main") -> dict[str, Any]:
    """The editor's form for welcome → schedule → queue / voicemail, as a browser sends it."""
    return {
        "name": name,
        "description": "",
        "entry": "welcome",
        "n0.original_id": "welcome",
        "n0.id": "welcome",
        "n0.type": "prompt",
        "n0.label": "Welcome message",
        "n0.prompt.prompt": "welcome",
        "n0.prompt.next": "hours",
        "n1.original_id": "hours",
        "n1.id": "hours",
        "n1.type": "schedule",
        "n1.label": "Office hours",
        "n1.schedule.timezone": "",
        "n1.schedule.hours.0.weekday": "0",
        "n1.schedule.hours.0.start": "08:00",
        "n1.schedule.hours.0.end": "20:00",
        "n1.schedule.hours.1.weekday": "4",
        "n1.schedule.hours.1.start": "",
        "n1.schedule.hours.1.end": "",
        "n1.schedule.holidays": "2026-12-25\n2026-12-26",
        "n1.schedule.on_open": "support",
        "n1.schedule.on_closed": "vm",
        "n2.original_id": "support",
        "n2.id": "support",
        "n2.type": "queue",
        "n2.label": "Support queue",
        "n2.queue.queue_id": str(support),
        "n2.queue.timeout_seconds": "600",
        "n2.queue.on_timeout": "vm",
        "n2.queue.on_exit_star": "vm",
        "n2.queue.announce_position": "1",
        "n3.original_id": "vm",
        "n3.id": "vm",
        "n3.type": "voicemail",
        "n3.label": "Leave a message",
        "n3.voicemail.queue_id": str(support),
        "n3.voicemail.prompt": "",
        "n3.voicemail.max_seconds": "90",
        "op": "save",
    }


def _create(admin: TestClient, support: int, name: str = "Main") -> int:
    response = _post(admin, PAGE, form(support, name))
    assert response.status_code == 303, response.text
    match = re.fullmatch(rf"{PAGE}/(\d+)\?done=created", response.headers["location"])
    assert match
    return int(match.group(1))


def _svg(html: str) -> str:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no drawing on the page"
    return match.group(0)


def _card(html: str, node_id: str) -> str:
    match = re.search(
        rf'<section class="card cp-node[^"]*"[^>]*data-node="{node_id}">.*?</section>', html, re.S
    )
    assert match, f"no card for {node_id}"
    return match.group(0)


def test_the_list_links_the_editor_and_the_admin_page_links_the_list(admin: TestClient) -> None:
    assert f'href="{PAGE}"' in admin.get("/admin").text
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert "No call plans yet." in page.text
    assert f'href="{PAGE}/new"' in page.text


def test_a_new_plan_starts_from_a_welcome_prompt(admin: TestClient) -> None:
    page = admin.get(f"{PAGE}/new")
    assert page.status_code == 200
    svg = _svg(page.text)
    assert 'data-node="welcome"' in svg
    assert 'data-node="end"' in svg
    assert 'data-source="welcome" data-target="end"' in svg
    assert 'src="/static/call_plans.js"' in page.text
    assert admin.get("/static/call_plans.js").status_code == 200


def test_saving_a_valid_plan_persists_it_and_draws_it(admin: TestClient, support: int) -> None:
    plan_id = _create(admin, support)
    stored = admin.get(f"{API}/{plan_id}").json()
    nodes = {node["id"]: node for node in stored["nodes"]}
    assert stored["entry"] == "welcome"
    assert stored["errors"] == []
    assert nodes["hours"]["open_hours"] == [{"weekday": 0, "start": "08:00", "end": "20:00"}]
    assert nodes["hours"]["holidays"] == ["2026-12-25", "2026-12-26"]
    assert nodes["hours"]["timezone"] is None
    assert nodes["support"]["timeout_seconds"] == 600
    assert nodes["support"]["announce_position"] is True
    assert nodes["vm"]["prompt"] is None
    assert nodes["vm"]["max_seconds"] == 90

    page = admin.get(f"{PAGE}/{plan_id}?done=created")
    assert "The call plan was created." in page.text
    svg = _svg(page.text)
    for label in ("Welcome message", "Office hours", "Support queue", "Leave a message"):
        assert label in svg
    arrows = set(re.findall(r'data-source="([^"]+)" data-target="([^"]+)"', svg))
    assert arrows == {
        ("welcome", "hours"),
        ("hours", "support"),
        ("hours", "vm"),
        ("support", "vm"),
    }
    assert "timeout, *" in svg  # both queue branches on one arrow
    assert 'data-node="welcome" data-type="prompt" data-entry="true"' in svg
    assert 'data-testid="graph-valid"' in page.text

    # Saving again: the version from the page, a changed label.
    data = form(support) | {"version": "1", "n2.label": "Helpdesk"}
    saved = _post(admin, f"{PAGE}/{plan_id}", data)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/{plan_id}?done=saved"
    assert admin.get(f"{API}/{plan_id}").json()["nodes"][2]["label"] == "Helpdesk"


def test_an_invalid_plan_shows_the_messages_beside_the_nodes(
    admin: TestClient, support: int
) -> None:
    data = form(support) | {
        "n1.schedule.on_closed": "nowhere",
        "n2.queue.timeout_seconds": "2",
    }
    # Field errors first: the timeout.
    refused = _post(admin, PAGE, data)
    assert refused.status_code == 422
    assert "greater than or equal to 5" in _card(refused.text, "support")
    assert 'value="2"' in _card(refused.text, "support")  # what was typed stays

    # Then the graph's rules: a branch to a node that does not exist.
    refused = _post(admin, PAGE, data | {"n2.queue.timeout_seconds": "600"})
    assert refused.status_code == 422
    card = _card(refused.text, "hours")
    assert "node &#39;hours&#39; (Office hours): when closed goes to &#39;nowhere&#39;" in card
    assert "nowhere (missing)" in card
    assert 'data-node="nowhere" data-type="missing"' in _svg(refused.text)
    assert admin.get(API).json() == []


def test_a_stale_or_clashing_save_says_so(admin: TestClient, support: int) -> None:
    plan_id = _create(admin, support)
    _create(admin, support, "Night")
    # Saving what is stored changes nothing, so the version stays 1.
    assert _post(admin, f"{PAGE}/{plan_id}", form(support) | {"version": "1"}).status_code == 303
    renamed = _post(admin, f"{PAGE}/{plan_id}", form(support, "Other") | {"version": "1"})
    assert renamed.status_code == 303
    stale = _post(admin, f"{PAGE}/{plan_id}", form(support, "Later") | {"version": "1"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    clash = _post(admin, f"{PAGE}/{plan_id}", form(support, "night") | {"version": "2"})
    assert clash.status_code == 409
    assert "already a call plan named" in clash.text


def test_add_delete_and_rename_nodes_without_saving(admin: TestClient, support: int) -> None:
    added = _post(admin, f"{PAGE}", form(support) | {"op": "add", "add_type": "menu"})
    assert added.status_code == 200
    assert 'data-node="menu1"' in added.text
    assert "node &#39;menu1&#39; (Menu): prompt: Field required" in _card(added.text, "menu1")
    assert admin.get(API).json() == []

    # Delete "vm": the branches to it dangle, and the editor says where.
    deleted = _post(admin, PAGE, form(support) | {"op": "delete:3"})
    assert deleted.status_code == 200
    assert 'data-testid="node-card" data-node="vm"' not in deleted.text
    assert 'data-node="vm" data-type="missing"' in _svg(deleted.text)
    assert "on timeout goes to &#39;vm&#39;, which does not exist" in _card(deleted.text, "support")

    # Renaming a node keeps the branches that point to it.
    renamed = form(support) | {"n3.id": "voicemail", "entry": "welcome"}
    plan_id = _create_from(admin, renamed)
    nodes = {n["id"]: n for n in admin.get(f"{API}/{plan_id}").json()["nodes"]}
    assert nodes["support"]["on_timeout"] == nodes["hours"]["on_closed"] == "voicemail"


def _create_from(admin: TestClient, data: dict[str, Any]) -> int:
    response = _post(admin, PAGE, data)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[-1].split("?")[0])


def test_preview_draws_and_checks_without_saving(admin: TestClient, support: int) -> None:
    preview = _post(admin, f"{PAGE}/preview", form(support) | {"n0.prompt.next": "gone"})
    assert preview.status_code == 200
    assert "<html" not in preview.text  # a fragment for htmx
    svg = _svg(preview.text)
    assert 'data-source="welcome" data-target="gone"' in svg
    assert "Office hours" in svg
    assert "next goes to &#39;gone&#39;" in preview.text
    assert admin.get(API).json() == []
    valid = _post(admin, f"{PAGE}/preview", form(support))
    assert 'data-testid="graph-valid"' in valid.text


def test_a_plan_whose_queue_was_deleted_still_opens(admin: TestClient, support: int) -> None:
    plan_id = _create(admin, support)
    assert admin.delete(f"/api/v1/call-queues/{support}").status_code == 204
    page = admin.get(f"{PAGE}/{plan_id}")
    assert page.status_code == 200
    assert f"there is no call queue with id {support}" in _card(page.text, "support")
    assert f"Queue {support} (deleted)" in _card(page.text, "support")
    assert "2 problems" in admin.get(PAGE).text


def test_numbers_and_delete(helpline: Helpline, admin: TestClient, support: int) -> None:
    plan_id = _create(admin, support)
    saved = _post(
        admin,
        f"{PAGE}/{plan_id}/numbers",
        {
            "number.0.number": "+39 02 1234 5678",
            "number.0.label": "Milan",
            "number.1.number": "100",
            "number.1.label": "",
            "number.2.number": "",
            "number.2.label": "",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/{plan_id}?done=numbers"
    assert [n["number"] for n in admin.get(f"{API}/{plan_id}/numbers").json()] == [
        "+390212345678",
        "100",
    ]
    helpline.create_user("ann", "agent", lines=("201",))
    clash = _post(admin, f"{PAGE}/{plan_id}/numbers", {"number.0.number": "201"})
    assert clash.status_code == 409
    assert "is a line of the user" in clash.text
    assert 'value="201"' in clash.text

    confirm = admin.get(f"{PAGE}/{plan_id}/delete")
    assert confirm.status_code == 200
    assert "+390212345678, 100" in confirm.text
    refused = _post(admin, f"{PAGE}/{plan_id}/delete", {})
    assert refused.status_code == 409
    assert "still answers" in refused.text
    _post(admin, f"{PAGE}/{plan_id}/numbers", {"number.0.number": ""})
    deleted = _post(admin, f"{PAGE}/{plan_id}/delete", {})
    assert deleted.headers["location"] == f"{PAGE}?done=deleted"
    assert admin.get(API).json() == []
    assert admin.get(f"{PAGE}/{plan_id}").status_code == 404


def test_viewers_see_a_read_only_editor(
    helpline: Helpline, admin: TestClient, support: int
) -> None:
    plan_id = _create(admin, support)
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    helpline.create_user("sue", "supervisor")
    sue = _browser(helpline, "sue")
    page = sue.get(f"{PAGE}/{plan_id}")
    assert page.status_code == 200
    assert 'data-testid="save-plan"' not in page.text
    assert "Support queue" in _svg(page.text)
    assert sue.get(f"{PAGE}/new").status_code == 403
    assert _post(sue, f"{PAGE}/{plan_id}", form(support) | {"version": "1"}).status_code == 403
