from __future__ import annotations

from typing import Any

import pytest

from helpline.core.permissions import Permission
from tests.support import Helpline

URL = "/api/v1/canned-messages"
EVENT_TYPES = [
    f"canned_message.{kind}" for kind in ("created", "updated", "enabled", "disabled", "deleted")
]


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


@pytest.fixture
def agent(helpline: Helpline) -> Any:
    helpline.create_user("ann", "agent")
    return helpline.login("ann")


def _message(shortcut: str, text: str = "Hello!", category: str = "", **more: Any) -> Any:
    return {"shortcut": shortcut, "text": text, "category": category, **more}


def _add(client: Any, scope: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    response = client.post(f"{URL}/{scope}", json=_message(*args, **kwargs))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _shortcuts(client: Any, path: str = "", **params: Any) -> list[str]:
    response = client.get(f"{URL}{path}", params=params)
    assert response.status_code == 200, response.text
    return [m["shortcut"] for m in response.json()]


def _events(admin: Any) -> list[dict[str, Any]]:
    return admin.get("/api/v1/events", params={"type": EVENT_TYPES}).json()


def _everything(admin: Any, *clients: Any) -> Any:
    """All that is stored, as seen by the admin and each client (their own messages)."""
    return (
        admin.get(f"{URL}/public").json(),
        [c.get(f"{URL}/personal").json() for c in clients],
        _events(admin),
    )


def _allow_public(admin: Any, allowed: bool = True) -> None:
    response = admin.patch(
        "/api/v1/permissions",
        json={Permission.AGENT_MANAGE_PUBLIC_CANNED_MESSAGES.value: allowed},
    )
    assert response.status_code == 200, response.text


def test_an_agent_keeps_personal_messages(helpline: Helpline, agent: Any) -> None:
    created = agent.post(
        f"{URL}/personal",
        json={"shortcut": "Hello", "category": " Greetings ", "text": "Hi!\r\nHow can I help?"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    ann_id = helpline.login("ann").get("/api/v1/auth/me").json()["user"]["id"]
    assert body["shortcut"] == "Hello"
    assert body["category"] == "Greetings"
    # Line breaks stay (as \n).
    assert body["text"] == "Hi!\nHow can I help?"
    assert (body["public"], body["enabled"]) == (False, True)
    assert body["owner_user_id"] == body["created_by_user_id"] == ann_id
    assert body["created_at"].endswith(("+00:00", "Z"))
    _add(agent, "personal", "bye", "Goodbye!", "Closing", enabled=False)
    # Own list: every personal message, by category then shortcut.
    assert _shortcuts(agent, "/personal") == ["bye", "Hello"]
    assert helpline.client.get(f"{URL}/personal").status_code == 401


def test_the_composer_offers_personal_first_then_public(
    helpline: Helpline, admin: Any, agent: Any
) -> None:
    _add(admin, "public", "hello", "Hello! How can I help you today?", "Greetings")
    _add(admin, "public", "help", "Our help centre is at example.org/help.", "Links")
    _add(admin, "public", "refund", "Refunds take five working days.", "Billing")
    _add(admin, "public", "old", "Old hello.", "Greetings", enabled=False)
    _add(agent, "personal", "hello", "Hi, Ann here!", "Mine")
    _add(agent, "personal", "hel", "Something else about the weather.")
    _add(agent, "personal", "h-off", "hello, but off", enabled=False)
    helpline.create_user("bob", "agent")
    _add(helpline.login("bob"), "personal", "hello-bob", "Bob's hello")

    # Personal first (exact shortcut, then prefix), then public (likewise, then text).
    found = agent.get(URL, params={"query": "hel"}).json()
    assert [(m["shortcut"], m["public"]) for m in found] == [
        ("hel", False),
        ("hello", False),
        ("hello", True),
        ("help", True),
    ]
    # Text and category count, in any case and without accents; "/" (the trigger) is ignored.
    assert _shortcuts(agent, query="WORKING DAYS") == ["refund"]
    assert _shortcuts(agent, query="/refund") == ["refund"]
    assert _shortcuts(agent, query="billing") == ["refund"]
    assert _shortcuts(agent, query="centre") == ["help"]
    # Without a query: everything usable, personal first; never disabled or others' ones.
    everything = agent.get(URL).json()
    assert [(m["shortcut"], m["public"]) for m in everything] == [
        ("hel", False),
        ("hello", False),
        ("hello", True),
        ("help", True),
        ("refund", True),
    ]
    assert _shortcuts(agent, limit=2) == ["hel", "hello"]
    assert _shortcuts(agent, category="GREETINGS") == ["hello"]
    assert agent.get(f"{URL}/categories").json() == ["Billing", "Greetings", "Links", "Mine"]
    # Bob sees his own and the public ones, never Ann's.
    bob = helpline.login("bob")
    assert _shortcuts(bob, query="hello") == ["hello-bob", "hello"]
    assert "Mine" not in bob.get(f"{URL}/categories").json()


def test_the_composer_query_is_checked(agent: Any) -> None:
    assert agent.get(URL, params={"limit": 0}).status_code == 422
    assert agent.get(URL, params={"limit": 101}).status_code == 422
    assert agent.get(URL, params={"query": "x" * 101}).status_code == 422
    assert agent.get(URL, params={"query": "café"}).json() == []


def test_accented_and_case_insensitive_search(agent: Any) -> None:
    _add(agent, "personal", "café", "Un café, s'il vous plaît ?")
    _add(agent, "personal", "Straße", "Die Straße ist gesperrt.")
    assert _shortcuts(agent, query="CAFE") == ["café"]
    assert _shortcuts(agent, query="plait") == ["café"]
    assert _shortcuts(agent, query="strasse") == ["Straße"]


def test_supervisors_and_admins_keep_public_messages(helpline: Helpline, admin: Any) -> None:
    sam = helpline.create_user("sam", "supervisor")
    supervisor = helpline.login("sam")
    created = _add(supervisor, "public", "hours", "We answer 9 to 17.", "Info")
    assert created["public"] is True
    assert created["owner_user_id"] is None
    assert created["created_by_user_id"] == sam.id
    _add(admin, "public", "bye", "Goodbye!", enabled=False)
    # Those who manage them see all the public messages; the others only the enabled ones.
    assert _shortcuts(supervisor, "/public") == ["bye", "hours"]
    assert _shortcuts(admin, "/public", enabled="false") == ["bye"]
    helpline.create_user("ann", "agent")
    agent = helpline.login("ann")
    assert _shortcuts(agent, "/public") == ["hours"]
    assert _shortcuts(agent, "/public", enabled="false") == []
    assert _shortcuts(agent, "/public", search="17") == ["hours"]
    # Supervisors without the agent role keep no personal messages.
    assert supervisor.post(f"{URL}/personal", json=_message("mine")).status_code == 403
    assert supervisor.get(f"{URL}/personal").status_code == 403


def test_an_agent_without_the_permission_cannot_touch_public_messages(
    helpline: Helpline, admin: Any, agent: Any
) -> None:
    public = _add(admin, "public", "hello", "Hello!")
    mine = _add(agent, "personal", "mine", "My own")
    before = _everything(admin, agent)

    assert agent.post(f"{URL}/public", json=_message("sneaky")).status_code == 403
    changed = agent.patch(f"{URL}/{public['id']}", json={"text": "Hijacked"})
    assert changed.status_code == 403
    assert changed.json()["detail"] == "You may not change public canned messages."
    assert agent.patch(f"{URL}/{public['id']}", json={"enabled": False}).status_code == 403
    assert agent.delete(f"{URL}/{public['id']}").status_code == 403
    published = agent.patch(f"{URL}/{mine['id']}", json={"public": True})
    assert published.status_code == 403
    assert published.json()["detail"] == "You may not make canned messages public."
    assert _everything(admin, agent) == before

    # With the permission they may.
    _allow_public(admin)
    assert agent.post(f"{URL}/public", json=_message("shared")).status_code == 201
    assert agent.patch(f"{URL}/{public['id']}", json={"text": "Hello!!"}).status_code == 200
    moved = agent.patch(f"{URL}/{mine['id']}", json={"public": True})
    assert moved.status_code == 200
    assert (moved.json()["public"], moved.json()["owner_user_id"]) == (True, None)
    assert _shortcuts(agent, "/personal") == []
    assert _shortcuts(admin, "/public") == ["hello", "mine", "shared"]


def test_personal_messages_are_private_to_their_owner(
    helpline: Helpline, admin: Any, agent: Any
) -> None:
    mine = _add(agent, "personal", "secret", "Only mine")
    helpline.create_user("bob", "agent")
    bob = helpline.login("bob")
    before = _everything(admin, agent)
    for client in (bob, admin):
        assert client.patch(f"{URL}/{mine['id']}", json={"text": "x"}).status_code == 404
        assert client.delete(f"{URL}/{mine['id']}").status_code == 404
        assert "secret" not in _shortcuts(client)
    assert "secret" not in _shortcuts(admin, "/public")
    assert _everything(admin, agent) == before


def test_shortcuts_are_unique_per_owner_regardless_of_case(
    helpline: Helpline, admin: Any, agent: Any
) -> None:
    _add(agent, "personal", "Hello")
    twin = agent.post(f"{URL}/personal", json=_message("HELLO"))
    assert twin.status_code == 409
    assert twin.json()["detail"] == {
        "message": 'You already have a canned message with the shortcut "Hello".',
        "field": "shortcut",
    }
    # Another agent, and the public messages, are other scopes.
    helpline.create_user("bob", "agent")
    _add(helpline.login("bob"), "personal", "hello")
    _add(admin, "public", "hello")
    public_twin = admin.post(f"{URL}/public", json=_message("HeLLo"))
    assert public_twin.status_code == 409
    assert public_twin.json()["detail"]["message"] == (
        'There is already a public canned message with the shortcut "hello".'
    )
    # Case folding: "ß" and "SS".
    _add(agent, "personal", "straße")
    assert agent.post(f"{URL}/personal", json=_message("STRASSE")).status_code == 409

    # Renaming onto a shortcut taken in the scope, or moving into a scope where it is taken.
    other = _add(agent, "personal", "other")
    before = _everything(admin, agent)
    assert agent.patch(f"{URL}/{other['id']}", json={"shortcut": "hello"}).status_code == 409
    _allow_public(admin)
    mine = agent.get(f"{URL}/personal").json()
    hello = next(m for m in mine if m["shortcut"] == "Hello")
    moved = agent.patch(f"{URL}/{hello['id']}", json={"public": True})
    assert moved.status_code == 409
    assert moved.json()["detail"]["field"] == "shortcut"
    assert _everything(admin, agent)[:2] == before[:2]
    # Changing the case of one's own shortcut is fine.
    assert agent.patch(f"{URL}/{hello['id']}", json={"shortcut": "HELLO"}).status_code == 200


@pytest.mark.parametrize(
    "shortcut", ["a", "x" * 30, "café", "r2-d2", "snake_case", "привет", "42", "ÄÖÜ"]
)
def test_shortcuts_of_letters_digits_hyphens_and_underscores(agent: Any, shortcut: str) -> None:
    assert _add(agent, "personal", f"  {shortcut} ")["shortcut"] == shortcut


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_message(""), "A canned message needs a shortcut."),
        (_message("   "), "A canned message needs a shortcut."),
        (_message("good morning"), 'A shortcut has no spaces: join the words with "-" or "_"'),
        (_message("tab\there"), "A shortcut has no spaces"),
        (_message("/hello"), 'A shortcut holds letters, digits, "-" and "_" only: "/"'),
        (_message("hi!"), '"!" is not allowed'),
        (_message("a.b"), '"." is not allowed'),
        (_message("smile😀"), "is not allowed"),
        (_message("zero\u200bwidth"), "control or invisible characters (U+200B)"),
        (_message("x" * 31), "A shortcut has at most 30 characters (this one has 31)."),
        (
            _message("ok", category="c" * 51),
            "A category has at most 50 characters (this one has 51).",
        ),
        (_message("ok", category="two\nlines"), "A category is one line"),
        (_message("ok", text=""), "A canned message needs a text."),
        (_message("ok", text=" \n\t "), "A canned message needs a text."),
        (
            _message("ok", text="t" * 2001),
            "A canned message's text has at most 2000 characters (this one has 2001).",
        ),
        (_message("ok", text="bell\x07"), "may not contain control characters (U+0007)"),
        (_message("ok", text=None), "null"),
        (_message(None), "null"),
        (_message(5), "string"),
        (_message("ok", enabled="yes"), "boolean"),
        (_message("ok", public=True), "public"),
        (_message("ok", owner_user_id=1), "owner_user_id"),
        ({"shortcut": "ok"}, "text"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    admin: Any, agent: Any, body: dict[str, Any], message: str
) -> None:
    _add(agent, "personal", "kept")
    _add(admin, "public", "kept")
    before = _everything(admin, agent)
    for client, scope in ((agent, "personal"), (admin, "public")):
        response = client.post(f"{URL}/{scope}", json=body)
        assert response.status_code == 422, response.text
        assert message in response.text.replace('\\"', '"')
    assert _everything(admin, agent) == before


@pytest.mark.parametrize(
    "body",
    [
        {"shortcut": ""},
        {"shortcut": "with space"},
        {"text": ""},
        {"text": "y" * 2001},
        {"category": "k" * 51},
        {"enabled": None},
        {"enabled": "false"},
        {"public": "true"},
        {"id": 3},
    ],
)
def test_bad_updates_are_refused_and_nothing_changes(
    admin: Any, agent: Any, body: dict[str, Any]
) -> None:
    mine = _add(agent, "personal", "mine")
    public = _add(admin, "public", "ours")
    before = _everything(admin, agent)
    assert agent.patch(f"{URL}/{mine['id']}", json=body).status_code == 422
    assert admin.patch(f"{URL}/{public['id']}", json=body).status_code == 422
    assert _everything(admin, agent) == before


def test_the_longest_text_is_kept_whole(agent: Any) -> None:
    text = "Line one\n\tindented\n" + "z" * 1981
    assert len(text) == 2000
    assert _add(agent, "personal", "long", text)["text"] == text


def test_changes_write_their_events(helpline: Helpline, admin: Any, agent: Any) -> None:
    ann_id = agent.get("/api/v1/auth/me").json()["user"]["id"]
    mine = _add(agent, "personal", "hi", "Hi", "A")
    message_url = f"{URL}/{mine['id']}"
    changed = agent.patch(message_url, json={"shortcut": "hey", "text": "Hey", "category": "B"})
    assert changed.status_code == 200
    assert changed.json()["updated_at"] >= mine["updated_at"]
    assert agent.patch(message_url, json={"enabled": False}).json()["enabled"] is False
    assert agent.patch(message_url, json={"enabled": True, "text": "Hey!"}).status_code == 200
    # A save that changes nothing is no event.
    assert agent.patch(message_url, json={"text": "Hey!", "enabled": True}).status_code == 200
    assert agent.patch(message_url, json={}).status_code == 200
    assert agent.delete(message_url).status_code == 204
    assert agent.delete(message_url).status_code == 404
    assert agent.patch(f"{URL}/9999", json={"text": "x"}).status_code == 404

    events = _events(admin)
    assert [(e["type"], e["payload"].get("changed")) for e in events] == [
        ("canned_message.created", None),
        ("canned_message.updated", ["category", "shortcut", "text"]),
        ("canned_message.disabled", None),
        ("canned_message.updated", ["text"]),
        ("canned_message.enabled", None),
        ("canned_message.deleted", None),
    ]
    assert {e["actor_user_id"] for e in events} == {ann_id}
    assert events[0]["payload"]["message"]["shortcut"] == "hi"
    assert events[-1]["payload"]["message"]["text"] == "Hey!"


def test_a_public_message_made_private_becomes_the_changers_own(
    helpline: Helpline, admin: Any
) -> None:
    sam = helpline.create_user("sam", "supervisor")
    public = _add(helpline.login("sam"), "public", "hours", "9 to 17")
    boss_id = admin.get("/api/v1/auth/me").json()["user"]["id"]
    # A supervisor without the agent role keeps no personal messages: refused.
    supervisor = helpline.login("sam")
    refused = supervisor.patch(f"{URL}/{public['id']}", json={"public": False})
    assert refused.status_code == 403
    assert _shortcuts(admin, "/public") == ["hours"]

    moved = admin.patch(f"{URL}/{public['id']}", json={"public": False})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["public"], body["owner_user_id"], body["created_by_user_id"]) == (
        False,
        boss_id,
        sam.id,
    )
    assert _shortcuts(admin, "/public") == []
    assert _shortcuts(admin, "/personal") == ["hours"]
    # Now private: the supervisor no longer finds it.
    assert supervisor.patch(f"{URL}/{public['id']}", json={"text": "x"}).status_code == 404
    last = _events(admin)[-1]
    assert (last["type"], last["payload"]["changed"]) == ("canned_message.updated", ["public"])


def test_anonymous_callers_get_401(helpline: Helpline) -> None:
    for method, path in (
        ("GET", URL),
        ("GET", f"{URL}/public"),
        ("POST", f"{URL}/public"),
        ("PATCH", f"{URL}/1"),
        ("DELETE", f"{URL}/1"),
    ):
        assert helpline.client.request(method, path, json={}).status_code == 401, path
