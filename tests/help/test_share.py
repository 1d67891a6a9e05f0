"""Sharing a guide by email, through a real SMTP server listening on loopback."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from helpline.config import Settings
from tests.support import Helpline


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    port: int = 0
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        with self.lock:
            self.messages.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    message=email.message_from_bytes(envelope.content),
                )
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailing_helpline(settings: Settings, mailbox: Mailbox) -> Iterator[Helpline]:
    """The app, with its SMTP relay pointed at the test's mail server."""
    from helpline.web.app import create_app

    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = mailbox.port
    settings.smtp_sender = "helpline@example.org"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def test_an_admin_emails_a_guide_link(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    mailing_helpline.create_user("boss", "admin")
    client = mailing_helpline.login("boss")
    response = client.post(
        "/api/v1/help/share",
        json={"role": "supervisor", "recipients": ["ada@example.com", "bob@example.org"]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"link": "http://testserver/help/supervisor", "recipients": 2}
    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received.sender == "helpline@example.org"
    assert sorted(received.recipients) == ["ada@example.com", "bob@example.org"]
    assert received.message["Subject"] == "Helpline: Supervisor guide"
    body = body_of(received.message)
    assert "http://testserver/help/supervisor" in body
    assert "Boss" in body  # who shared it


def test_the_link_uses_the_public_url_when_set(
    settings: Settings, mailbox: Mailbox, mailing_helpline: Helpline
) -> None:
    settings.public_url = "https://helpline.example.com/"
    mailing_helpline.create_user("boss", "admin")
    response = mailing_helpline.login("boss").post(
        "/api/v1/help/share", json={"role": "agent", "recipients": ["ada@example.com"]}
    )
    assert response.status_code == 200, response.text
    assert "https://helpline.example.com/help/agent" in body_of(mailbox.messages[0].message)


@pytest.mark.parametrize(
    "body",
    [
        {"role": "agent", "recipients": []},
        {"role": "agent"},
        {"role": "agent", "recipients": ["not-an-address"]},
        {"role": "agent", "recipients": ["ada@example.com", "bob at example.org"]},
        {"role": "caller", "recipients": ["ada@example.com"]},
        {"role": "agent", "recipients": ["ada@example.com"], "cc": ["x@example.com"]},
        {"recipients": ["ada@example.com"]},
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_sent(
    mailing_helpline: Helpline, mailbox: Mailbox, body: dict[str, object]
) -> None:
    mailing_helpline.create_user("boss", "admin")
    response = mailing_helpline.login("boss").post("/api/v1/help/share", json=body)
    assert response.status_code == 422, response.text
    assert mailbox.messages == []


def test_an_agent_may_not_share(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    mailing_helpline.create_user("anna", "agent")
    mailing_helpline.create_user("sue", "supervisor")
    for username in ("anna", "sue"):
        response = mailing_helpline.login(username).post(
            "/api/v1/help/share", json={"role": "agent", "recipients": ["ada@example.com"]}
        )
        assert response.status_code == 403
    assert mailbox.messages == []


def test_anonymous_sharing_is_refused(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    response = mailing_helpline.client.post(
        "/api/v1/help/share", json={"role": "agent", "recipients": ["ada@example.com"]}
    )
    assert response.status_code == 401
    assert mailbox.messages == []


def test_without_smtp_the_admin_is_told_what_to_set(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    response = helpline.login("boss").post(
        "/api/v1/help/share", json={"role": "agent", "recipients": ["ada@example.com"]}
    )
    assert response.status_code == 422
    assert "HELPLINE_SMTP_HOST" in str(response.json()["detail"])


def test_a_mail_server_that_is_down_is_reported(settings: Settings) -> None:
    from helpline.web.app import create_app

    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = free_port()  # nothing listens there
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        helpline = Helpline(client)
        helpline.create_user("boss", "admin")
        response = helpline.login("boss").post(
            "/api/v1/help/share", json={"role": "agent", "recipients": ["ada@example.com"]}
        )
    assert response.status_code == 422
    assert "mail server" in str(response.json()["detail"])


def csrf_client(helpline: Helpline, username: str) -> tuple[TestClient, str]:
    client = helpline.login(username)
    assert client.get("/help").status_code == 200
    token = client.cookies.get("helpline_csrf")
    assert token
    return client, token


def test_the_help_page_form_sends_the_link(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    mailing_helpline.create_user("boss", "admin")
    client, token = csrf_client(mailing_helpline, "boss")
    response = client.post(
        "/help/share",
        data={
            "csrf_token": token,
            "role": "admin",
            "recipients": "ada@example.com; bob@example.org\ncy@example.net",
        },
    )
    assert response.status_code == 200, response.text
    assert "The link was sent to 3 people." in response.text
    assert len(mailbox.messages) == 1
    assert sorted(mailbox.messages[0].recipients) == [
        "ada@example.com",
        "bob@example.org",
        "cy@example.net",
    ]
    assert "http://testserver/help/admin" in body_of(mailbox.messages[0].message)


def test_the_form_answers_in_the_admins_language(
    mailing_helpline: Helpline, mailbox: Mailbox
) -> None:
    mailing_helpline.create_user("capo", "admin", language="it")
    client, token = csrf_client(mailing_helpline, "capo")
    sent = client.post(
        "/help/share", data={"csrf_token": token, "role": "agent", "recipients": "a@example.com"}
    )
    assert "Il link è stato inviato a 1 " in sent.text
    refused = client.post(
        "/help/share", data={"csrf_token": token, "role": "agent", "recipients": "nobody"}
    )
    assert refused.status_code == 422
    assert "Indica una guida e uno o più indirizzi email validi" in refused.text
    assert len(mailbox.messages) == 1


@pytest.mark.parametrize(
    "form",
    [
        {"role": "agent", "recipients": ""},
        {"role": "agent", "recipients": "ada@example.com, broken@"},
        {"role": "boss", "recipients": "ada@example.com"},
    ],
)
def test_the_form_refuses_bad_input(
    mailing_helpline: Helpline, mailbox: Mailbox, form: dict[str, str]
) -> None:
    mailing_helpline.create_user("boss", "admin")
    client, token = csrf_client(mailing_helpline, "boss")
    response = client.post("/help/share", data={"csrf_token": token, **form})
    assert response.status_code == 422
    assert "valid email addresses" in response.text
    assert mailbox.messages == []


def test_the_form_needs_the_csrf_token(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    mailing_helpline.create_user("boss", "admin")
    client, _token = csrf_client(mailing_helpline, "boss")
    for sent in ({}, {"csrf_token": "forged"}):
        response = client.post(
            "/help/share", data={**sent, "role": "agent", "recipients": "ada@example.com"}
        )
        assert response.status_code == 403
    assert mailbox.messages == []


def test_the_form_without_smtp_names_the_setting(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client, token = csrf_client(helpline, "boss")
    response = client.post(
        "/help/share", data={"csrf_token": token, "role": "agent", "recipients": "a@example.com"}
    )
    assert response.status_code == 422
    assert "HELPLINE_SMTP_HOST" in response.text


def test_an_agent_cannot_post_the_form(mailing_helpline: Helpline, mailbox: Mailbox) -> None:
    mailing_helpline.create_user("anna", "agent")
    client, token = csrf_client(mailing_helpline, "anna")
    response = client.post(
        "/help/share",
        data={"csrf_token": token, "role": "agent", "recipients": "ada@example.com"},
    )
    assert response.status_code == 403
    assert mailbox.messages == []
