from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.core.permissions import Permission
from tests.support import Helpline

MINE = "/agent/canned-messages"
SHARED = "/admin/canned-messages"
API = "/api/v1/canned-messages"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, **data: Any) -> Any:
    token = client.cookies.get("helpline_csrf")
    return client.post(path, data={"csrf_token": token, **data})


def _mine(client: TestClient) -> list[tuple[str, str, bool]]:
    return [(m["shortcut"], m["text"], m["enabled"]) for m in client.get(f"{API}/personal").json()]


def _public(client: TestClient) -> list[tuple[str, str, bool]]:
    return [(m["shortcut"], m["text"], m["enabled"]) for m in client.get(f"{API}/public").json()]


def _events(admin: TestClient) -> list[str]:
    events = admin.get("/api/v1/events").json()
    return [e["type"] for e in events if e["type"].startswith("canned_message.")]


def _text(response: Any) -> str:
    return html.unescape(response.text)


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


@pytest.fixture
def agent(helpline: Helpline) -> TestClient:
    helpline.create_user("ann", "agent")
    return _browser(helpline, "ann")


def _id(client: TestClient, path: str, shortcut: str) -> int:
    return next(m["id"] for m in client.get(f"{API}/{path}").json() if m["shortcut"] == shortcut)


def test_an_agent_manages_personal_messages_on_their_page(
    admin: TestClient, agent: TestClient
) -> None:
    _post(admin, SHARED, shortcut="hours", category="Info", text="We answer 9 to 17.")
    _post(admin, SHARED, shortcut="old", text="Old one.")
    _post(admin, f"{SHARED}/{_id(admin, 'public', 'old')}/enabled", enabled="false")
    dashboard = agent.get("/agent")
    assert f'href="{MINE}"' in dashboard.text

    empty = agent.get(MINE)
    assert empty.status_code == 200
    assert "No canned messages yet." in empty.text
    # The public messages are there to read: enabled ones only, and no way to change them.
    assert "We answer 9 to 17." in empty.text
    assert "Old one." not in empty.text
    assert f"{SHARED}/" not in empty.text
    # Without the permission, no "Public" box and no link to manage public messages.
    assert 'name="public"' not in empty.text
    assert 'data-testid="manage-public"' not in empty.text

    created = _post(agent, MINE, shortcut="hi", category="Greetings", text="Hi!\r\nHow are you?")
    assert created.status_code == 303
    assert created.headers["location"] == f"{MINE}?done=created"
    page = agent.get(f"{MINE}?done=created")
    assert "The canned message was added." in page.text
    assert "How are you?" in page.text
    assert _mine(agent) == [("hi", "Hi!\nHow are you?", True)]
    message_id = _id(agent, "personal", "hi")

    form = agent.get(f"{MINE}/{message_id}")
    assert form.status_code == 200
    assert 'value="hi"' in form.text
    saved = _post(agent, f"{MINE}/{message_id}", shortcut="hello", category="", text="Hello!")
    assert saved.headers["location"] == f"{MINE}?done=saved"
    off = _post(agent, f"{MINE}/{message_id}/enabled", enabled="false")
    assert off.headers["location"] == f"{MINE}?done=disabled"
    assert _mine(agent) == [("hello", "Hello!", False)]
    assert _post(agent, f"{MINE}/{message_id}/enabled", enabled="true").status_code == 303

    confirm = agent.get(f"{MINE}/{message_id}/delete")
    assert confirm.status_code == 200
    assert "Hello!" in confirm.text
    assert _mine(agent) != []
    deleted = _post(agent, f"{MINE}/{message_id}/delete")
    assert deleted.headers["location"] == f"{MINE}?done=deleted"
    assert _mine(agent) == []
    assert _events(admin) == [
        "canned_message.created",
        "canned_message.created",
        "canned_message.disabled",
        "canned_message.created",
        "canned_message.updated",
        "canned_message.disabled",
        "canned_message.enabled",
        "canned_message.deleted",
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"shortcut": "taken"}, 'You already have a canned message with the shortcut "taken".'),
        ({"shortcut": "TAKEN"}, 'You already have a canned message with the shortcut "taken".'),
        ({"shortcut": ""}, "A canned message needs a shortcut."),
        ({"shortcut": "two words"}, "A shortcut has no spaces"),
        ({"shortcut": "a/b"}, '"/" is not allowed'),
        ({"shortcut": "s" * 31}, "A shortcut has at most 30 characters (this one has 31)."),
        ({"text": ""}, "A canned message needs a text."),
        ({"text": "w" * 2001}, "at most 2000 characters (this one has 2001)"),
        ({"category": "c" * 51}, "A category has at most 50 characters"),
    ],
)
def test_bad_fields_are_explained_and_nothing_changes(
    admin: TestClient, agent: TestClient, fields: dict[str, str], message: str
) -> None:
    _post(agent, MINE, shortcut="taken", text="Kept")
    _post(agent, MINE, shortcut="other", text="Other")
    before = (_mine(agent), _events(admin))
    values = {"shortcut": "fresh", "category": "", "text": "Fresh text", **fields}
    refused = _post(agent, MINE, **values)
    assert refused.status_code == 422
    assert message in _text(refused)
    # What was typed stays in the form.
    assert values["text"][:100] in _text(refused)
    other_id = _id(agent, "personal", "other")
    edit = _post(agent, f"{MINE}/{other_id}", **values)
    assert edit.status_code == 422
    assert message in _text(edit)
    assert (_mine(agent), _events(admin)) == before


def test_agents_with_the_permission_share_messages(
    helpline: Helpline, admin: TestClient, agent: TestClient
) -> None:
    # Without it: a forged "public" is refused, and nothing is stored.
    forged = _post(agent, MINE, shortcut="shared", text="For all", public="on")
    assert forged.status_code == 403
    assert "You may not make canned messages public." in _text(forged)
    _post(agent, MINE, shortcut="mine", text="Mine")
    mine_id = _id(agent, "personal", "mine")
    forged_move = _post(
        agent, f"{MINE}/{mine_id}", shortcut="mine", text="Mine", public="on", public_choice="1"
    )
    assert forged_move.status_code == 403
    assert _public(admin) == []
    assert agent.get(SHARED).status_code == 403

    admin.patch(
        "/api/v1/permissions", json={Permission.AGENT_MANAGE_PUBLIC_CANNED_MESSAGES.value: True}
    )
    page = agent.get(MINE)
    assert 'name="public"' in page.text
    assert 'data-testid="manage-public"' in page.text
    shared = _post(agent, MINE, shortcut="shared", text="For all", public="on")
    assert shared.headers["location"] == f"{MINE}?done=published"
    assert _public(admin) == [("shared", "For all", True)]
    # Ticking "Public" on one's own message moves it.
    moved = _post(
        agent,
        f"{MINE}/{mine_id}",
        shortcut="mine",
        text="Mine",
        category="",
        public="on",
        public_choice="1",
    )
    assert moved.headers["location"] == f"{MINE}?done=published"
    assert _mine(agent) == []
    assert [m[0] for m in _public(admin)] == ["mine", "shared"]
    assert agent.get(SHARED).status_code == 200


def test_the_public_messages_page(helpline: Helpline, admin: TestClient, agent: TestClient) -> None:
    _post(agent, MINE, shortcut="private", text="Ann's own words")
    private_id = _id(agent, "personal", "private")
    page = admin.get(SHARED)
    assert page.status_code == 200
    assert f'href="{SHARED}"' in admin.get("/admin").text
    # Personal messages are private to their owner.
    assert "Ann's own words" not in _text(page)
    assert admin.get(f"{SHARED}/{private_id}").status_code == 404
    assert _post(admin, f"{SHARED}/{private_id}/delete").status_code == 404
    assert _mine(agent) == [("private", "Ann's own words", True)]

    created = _post(admin, SHARED, shortcut="bye", category="Closing", text="Goodbye!")
    assert created.headers["location"] == f"{SHARED}?done=created"
    listed = admin.get(SHARED)
    assert "Goodbye!" in listed.text
    assert "Boss" in listed.text  # who added it
    bye_id = _id(admin, "public", "bye")
    # The agent's area does not edit public messages.
    assert agent.get(f"{MINE}/{bye_id}").status_code == 404
    assert _post(admin, SHARED, shortcut="BYE", text="again").status_code == 422
    found = admin.get(SHARED, params={"search": "goodbye"})
    assert "Goodbye!" in found.text
    assert (
        "No canned message matches your search."
        in admin.get(SHARED, params={"search": "nothing"}).text
    )

    # Clearing "Public" makes it private: one of the admin's own messages.
    form = admin.get(f"{SHARED}/{bye_id}")
    assert 'name="public_choice"' in form.text
    moved = _post(
        admin,
        f"{SHARED}/{bye_id}",
        shortcut="bye",
        category="Closing",
        text="Goodbye!",
        public_choice="1",
    )
    assert moved.headers["location"] == f"{MINE}?done=made_private"
    assert _public(admin) == []
    assert _mine(admin) == [("bye", "Goodbye!", True)]
    assert "one of your personal messages" in admin.get(f"{MINE}?done=made_private").text


def test_supervisors_keep_public_messages_but_no_personal_ones(
    helpline: Helpline, admin: TestClient
) -> None:
    helpline.create_user("sam", "supervisor")
    supervisor = _browser(helpline, "sam")
    assert f'href="{SHARED}"' in supervisor.get("/supervisor").text
    page = supervisor.get(SHARED)
    assert page.status_code == 200
    # No agent role: no personal messages, so no way to make one private.
    assert f'href="{MINE}"' not in page.text
    assert supervisor.get(MINE).status_code == 403
    assert _post(supervisor, SHARED, shortcut="hours", text="9 to 17").status_code == 303
    hours_id = _id(admin, "public", "hours")
    assert 'name="public_choice"' not in supervisor.get(f"{SHARED}/{hours_id}").text
    assert _post(supervisor, f"{SHARED}/{hours_id}/enabled", enabled="false").status_code == 303
    assert _public(admin) == [("hours", "9 to 17", False)]
    assert _post(supervisor, f"{SHARED}/{hours_id}/enabled", enabled="maybe").status_code == 422
    assert _post(supervisor, f"{SHARED}/{hours_id}/delete").status_code == 303
    assert _public(admin) == []


def test_other_agents_messages_are_not_found(helpline: Helpline, agent: TestClient) -> None:
    _post(agent, MINE, shortcut="secret", text="Secret")
    secret_id = _id(agent, "personal", "secret")
    helpline.create_user("bob", "agent")
    bob = _browser(helpline, "bob")
    assert bob.get(f"{MINE}/{secret_id}").status_code == 404
    assert bob.get(f"{MINE}/{secret_id}/delete").status_code == 404
    assert _post(bob, f"{MINE}/{secret_id}", shortcut="x", text="y").status_code == 404
    assert _post(bob, f"{MINE}/{secret_id}/enabled", enabled="false").status_code == 404
    assert _post(bob, f"{MINE}/{secret_id}/delete").status_code == 404
    assert "There is no such canned message." in bob.get(f"{MINE}/{secret_id}").text
    assert "Secret" not in bob.get(MINE).text
    assert _mine(agent) == [("secret", "Secret", True)]


def test_the_agent_page_in_portuguese(helpline: Helpline) -> None:
    helpline.create_user("joao", "agent", language="pt_BR")
    client = _browser(helpline, "joao")
    page = _text(client.get(MINE))
    assert "Minhas mensagens prontas" in page
    refused = _post(client, MINE, shortcut="", text="Oi")
    assert "Uma mensagem pronta precisa de um atalho." in _text(refused)
