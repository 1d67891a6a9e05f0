"""Attachments (limits checked on the bytes, nothing kept when refused) and the outbox
(retries with backoff, failures shown in the conversation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.messaging import Channel, DeliveryStatus, SendError
from helpline.chats.attachments import IncomingFile
from tests.chats.conftest import RecordingSender, accept, call, chat_queue, chats, sms
from tests.support import Helpline

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
MB = 1024 * 1024


def stored_files(helpline: Helpline) -> list[Path]:
    root = helpline.app.state.settings.attachments_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def assigned(helpline: Helpline, admin: Any) -> tuple[Any, str]:
    ann = helpline.create_user("ann", "agent")
    chat_queue(helpline, admin, ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    received = sms(helpline, "Hi", message_id="SM1")
    accept(helpline, agent, received.conversation_id)
    return agent, f"/api/v1/chats/conversations/{received.conversation_id}"


def test_files_are_sent_stored_on_disk_and_downloaded(
    helpline: Helpline, assigned: tuple[Any, str]
) -> None:
    agent, path = assigned
    sent = agent.post(
        f"{path}/messages",
        data={"text": "Here you are"},
        files=[
            ("files", ("photo.png", PNG, "image/png")),
            ("files", ("../../invoice", PDF, "application/octet-stream")),
            ("files", ("clip.mp4", MP4, "video/mp4")),
        ],
    )
    assert sent.status_code == 201, sent.text
    attachments = sent.json()["attachments"]
    assert [(a["filename"], a["content_type"]) for a in attachments] == [
        ("photo.png", "image/png"),
        ("invoice.pdf", "application/pdf"),
        ("clip.mp4", "video/mp4"),
    ]
    assert len(stored_files(helpline)) == 3
    download = agent.get(f"/api/v1/chats/attachments/{attachments[1]['id']}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    helpline.create_user("bob", "agent")
    assert (
        helpline.login("bob").get(f"/api/v1/chats/attachments/{attachments[1]['id']}").status_code
        == 403
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("files", (f"p{i}.png", PNG, "image/png")) for i in range(6)], "at most 5 files"),
        ([("files", ("big.png", PNG + b"0" * (2 * MB), "image/png"))], "too large"),
        ([("files", ("evil.png", b"MZ\x90\x00" + b"0" * 64, "image/png"))], "is not an image"),
        (
            [
                (
                    "files",
                    ("page.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
                )
            ],
            "is not an image",
        ),
        (
            [
                ("files", ("ok.png", PNG, "image/png")),
                ("files", ("empty.pdf", b"", "application/pdf")),
            ],
            "is empty",
        ),
    ],
)
def test_a_message_with_a_bad_file_is_refused_whole(
    helpline: Helpline, assigned: tuple[Any, str], files: list[Any], message: str
) -> None:
    agent, path = assigned
    refused = agent.post(f"{path}/messages", data={"text": "see attached"}, files=files)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert len(agent.get(path).json()["messages"]) == 1
    assert stored_files(helpline) == []


def test_inbound_media_over_the_limits_is_left_out_and_said(helpline: Helpline, admin: Any) -> None:
    chat_queue(helpline, admin)
    files = (
        IncomingFile("a.png", PNG),
        IncomingFile("b.exe", b"MZ" + b"0" * 10),
    )
    received = sms(helpline, "photo", message_id="MM1", files=files)
    detail = admin.get(f"/api/v1/chats/conversations/{received.conversation_id}").json()
    message = detail["messages"][0]
    assert [a["filename"] for a in message["attachments"]] == ["a.png"]
    assert "b.exe is not an image" in message["error"]


def test_retryable_failures_are_retried_with_backoff(
    helpline: Helpline, assigned: tuple[Any, str]
) -> None:
    agent, path = assigned
    service = chats(helpline)
    sender = RecordingSender(
        script=[SendError("429 too many requests", retryable=True), DeliveryStatus.SENT]
    )
    service.senders.register(Channel.SMS, sender)
    agent.post(f"{path}/messages", data={"text": "Hello"})
    start = datetime.fromisoformat(agent.get(path).json()["messages"][-1]["created_at"])
    assert call(helpline, lambda: service.process_outbox(start)) == 1
    message = agent.get(path).json()["messages"][-1]
    assert message["status"] == "queued"
    # Not before the backoff (2 s after the first attempt).
    assert call(helpline, lambda: service.process_outbox(start + timedelta(seconds=1))) == 0
    assert call(helpline, lambda: service.process_outbox(start + timedelta(seconds=2))) == 1
    message = agent.get(path).json()["messages"][-1]
    assert (message["status"], message["provider_message_id"]) == ("sent", "SM0002")
    assert len(sender.sent) == 2


def test_a_send_fails_after_bounded_attempts_or_at_once_when_refused(
    helpline: Helpline, admin: Any, assigned: tuple[Any, str]
) -> None:
    agent, path = assigned
    service = chats(helpline)
    sender = RecordingSender(script=[SendError("503 unavailable", retryable=True)])
    service.senders.register(Channel.SMS, sender)
    agent.post(f"{path}/messages", data={"text": "Hello"})
    at = datetime.fromisoformat(agent.get(path).json()["messages"][-1]["created_at"])
    for _ in range(10):
        call(helpline, lambda at=at: service.process_outbox(at))
        at += timedelta(hours=1)
    assert len(sender.sent) == 5  # HELPLINE_CHAT_SEND_MAX_ATTEMPTS
    message = agent.get(path).json()["messages"][-1]
    assert message["status"] == "failed"
    assert message["error"] == "503 unavailable (after 5 attempts)"

    refusing = RecordingSender(script=[SendError("21211 invalid 'To' number", retryable=False)])
    service.senders.register(Channel.SMS, refusing)
    agent.post(f"{path}/messages", data={"text": "Again"})
    call(helpline, lambda: service.process_outbox(at))
    message = agent.get(path).json()["messages"][-1]
    assert (message["status"], message["error"]) == ("failed", "21211 invalid 'To' number")
    assert len(refusing.sent) == 1
    changes = [
        e["payload"]["message"]["status"]
        for e in admin.get("/api/v1/events", params={"type": "chat.message_status_changed"}).json()
    ]
    assert changes == ["failed", "failed"]
