"""The webchat customer asks for the transcript by email: it is sent, through a real SMTP
server on loopback, once the conversation is resolved; retried while the relay refuses
it; refused with a clear message when it cannot be (no relay, no address, no chat)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.chats.service import TRANSCRIPT_MAX_ATTEMPTS
from helpline.config import Settings
from helpline.storage.eventlog import read_events
from tests.chats.conftest import accept, call, chat_queue
from tests.help.test_share import Mailbox, body_of, free_port, mailbox
from tests.support import Helpline

__all__ = ["mailbox"]


@pytest.fixture
def mailing(settings: Settings, mailbox: Mailbox) -> Iterator[Helpline]:
    from helpline.web.app import create_app

    settings.chat_timers_enabled = False
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = mailbox.port
    settings.smtp_sender = "helpline@example.org"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def _chat(helpline: Helpline) -> dict[str, Any]:
    """A webchat visitor (pre-chat email m@example.com) whose chat Ann has accepted."""
    helpline.create_user("boss", "admin")
    admin = helpline.login("boss")
    ann = helpline.create_user("ann", "agent")
    queue = chat_queue(helpline, admin, ann, channels=("webchat",))
    widget = admin.post("/api/v1/webchat/widgets", json={"name": "Shop", "queue_id": queue})
    assert widget.status_code == 201, widget.text
    key = widget.json()["key"]
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    customer = TestClient(helpline.app)
    customer.portal = helpline.client.portal  # type: ignore[attr-defined]  # the app's loop
    started = customer.post(
        f"/webchat/api/{key}/visitors", json={"name": "Maria", "email": "m@example.com"}
    )
    assert started.status_code == 201, started.text
    customer.headers["authorization"] = f"Bearer {started.json()['token']}"
    api = f"/webchat/api/{key}"
    assert customer.post(f"{api}/transcript", json={}).status_code == 404  # no chat yet
    sent = customer.post(f"{api}/messages", data={"text": "Where is my order?"})
    assert sent.status_code == 201, sent.text
    conversation = agent.get("/api/v1/chats/conversations", params={"view": "unassigned"})
    conversation_id = conversation.json()["conversations"][0]["id"]
    accept(helpline, agent, conversation_id)
    reply = agent.post(
        f"/api/v1/chats/conversations/{conversation_id}/messages",
        data={"text": "It ships today."},
    )
    assert reply.status_code == 201, reply.text
    return {"customer": customer, "agent": agent, "api": api, "id": conversation_id}


def _events(helpline: Helpline, prefix: str) -> list[Any]:
    events = helpline.run(lambda session: read_events(session, after=0, limit=5000))
    return [e for e in events if e.type.startswith(prefix)]


def test_the_transcript_is_emailed_once_the_chat_is_resolved(
    mailing: Helpline, mailbox: Mailbox
) -> None:
    chat = _chat(mailing)
    customer, api = chat["customer"], chat["api"]
    assert customer.get(f"{api}/config").json()["transcript"] is True
    bad = customer.post(f"{api}/transcript", json={"email": "not an address"})
    assert bad.status_code == 422
    assert bad.json()["detail"]["field"] == "email"
    asked = customer.post(f"{api}/transcript", json={})  # the pre-chat form's address
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"email": "m@example.com"}

    chats = mailing.app.state.chats
    assert call(mailing, chats.process_transcripts) == 0  # not resolved yet: nothing sent
    assert mailbox.messages == []
    resolved = chat["agent"].post(f"/api/v1/chats/conversations/{chat['id']}/resolve")
    assert resolved.status_code == 200, resolved.text
    assert call(mailing, chats.process_transcripts) == 1
    assert call(mailing, chats.process_transcripts) == 0  # sent once
    [mail] = mailbox.messages
    assert mail.recipients == ["m@example.com"]
    assert mail.message["Subject"] == "Your conversation with us"
    body = body_of(mail.message)
    assert "You: Where is my order?" in body
    assert "Us: It ships today." in body
    assert body.index("Where is my order?") < body.index("It ships today.")
    types = [e.type for e in _events(mailing, "chat.transcript")]
    assert types == ["chat.transcript_requested", "chat.transcript_sent"]


def test_a_refused_transcript_is_retried_then_given_up(
    settings: Settings, mailbox: Mailbox
) -> None:
    from helpline.web.app import create_app

    settings.chat_timers_enabled = False
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = free_port()  # nothing listens there
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        helpline = Helpline(client)
        chat = _chat(helpline)
        asked = chat["customer"].post(f"{chat['api']}/transcript", json={"email": "x@example.org"})
        assert asked.status_code == 202, asked.text
        chat["agent"].post(f"/api/v1/chats/conversations/{chat['id']}/resolve")
        chats = helpline.app.state.chats
        start = chats.now()
        assert call(helpline, lambda: chats.process_transcripts(start)) == 0
        # Not again at once: the next attempt waits (1, 2, 4, 8 minutes).
        assert call(helpline, lambda: chats.process_transcripts(start)) == 0
        assert len(_events(helpline, "chat.transcript_failed")) == 1
        for hours in range(1, TRANSCRIPT_MAX_ATTEMPTS + 2):
            later = start + timedelta(hours=hours)
            assert call(helpline, lambda later=later: chats.process_transcripts(later)) == 0
        failed = [e.payload for e in _events(helpline, "chat.transcript_failed")]
        assert len(failed) == TRANSCRIPT_MAX_ATTEMPTS  # then no further attempt
        assert [f["final"] for f in failed] == [False] * (TRANSCRIPT_MAX_ATTEMPTS - 1) + [True]
        assert all(f["email"] == "x@example.org" for f in failed)


def test_without_a_mail_relay_the_widget_offers_no_transcript(helpline: Helpline) -> None:
    chat = _chat(helpline)
    customer, api = chat["customer"], chat["api"]
    assert customer.get(f"{api}/config").json()["transcript"] is False
    refused = customer.post(f"{api}/transcript", json={})
    assert refused.status_code == 403
    assert "not set up" in refused.json()["detail"]
