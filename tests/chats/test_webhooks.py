"""Provider webhooks end to end: a fake Twilio and a fake Graph API on local servers play
the providers, signing their webhooks as the real ones do; replies go back through them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.config import Settings
from tests.chats.conftest import accept, call, chat_queue, chats
from tests.fakes.meta import FakeMeta, message_event, webhook
from tests.fakes.twilio import FakeTwilio, inbound_form, status_form
from tests.support import Helpline

SUPPORT = "+390612345678"
CUSTOMER = "+393471234567"
PAGE = "1234567890"
PSID = "24681357902468135"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MESSAGES = "http://testserver/webhooks/twilio/messages"
STATUS = "http://testserver/webhooks/twilio/status"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    with FakeMeta() as fake:
        yield fake


@pytest.fixture
def connected(
    settings: Settings, twilio: FakeTwilio, meta: FakeMeta, tmp_path: Path
) -> Iterator[Helpline]:
    """Helpline with both providers configured against the fakes."""
    from helpline.web.app import create_app

    settings = settings.model_copy(
        update={
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": twilio.auth_token,
            "twilio_api_url": twilio.base_url,
            "meta_app_secret": meta.app_secret,
            "meta_verify_token": "verify-me",
            "meta_page_access_token": meta.page_access_token,
            "meta_graph_url": meta.base_url,
            "chat_timers_enabled": False,
        }
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def _post_sms(helpline: Helpline, twilio: FakeTwilio, form: dict[str, str], **headers: str) -> Any:
    signature = headers.pop("signature", None) or twilio.sign(MESSAGES, form)
    return helpline.client.post(MESSAGES, data=form, headers={"X-Twilio-Signature": signature})


def _conversations(helpline: Helpline) -> list[dict[str, Any]]:
    """Every stored conversation, whoever may see it."""
    from sqlalchemy import select

    from helpline.chats.models import Conversation

    async def read(session: Any) -> list[dict[str, Any]]:
        rows = (await session.scalars(select(Conversation).order_by(Conversation.id))).all()
        return [{"id": row.id, "channel": row.channel} for row in rows]

    result: list[dict[str, Any]] = helpline.run(read)
    return result


def test_an_sms_reaches_an_agent_whose_reply_goes_back_through_twilio(
    connected: Helpline, twilio: FakeTwilio
) -> None:
    helpline = connected
    helpline.create_user("boss", "admin")
    ann = helpline.create_user("ann", "agent")
    chat_queue(helpline, helpline.login("boss"), ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    media = twilio.add_media(PNG, "image/png")
    form = inbound_form(
        account_sid=twilio.account_sid,
        sender=CUSTOMER,
        to=SUPPORT,
        body="My router is dead",
        media=[(media, "image/png")],
    )
    answered = _post_sms(helpline, twilio, form)
    assert answered.status_code == 200, answered.text
    assert "<Response>" in answered.text
    again = _post_sms(helpline, twilio, form)  # Twilio retries: nothing is added
    assert again.status_code == 200
    [conversation] = _conversations(helpline)
    accept(helpline, agent, conversation["id"])
    path = f"/api/v1/chats/conversations/{conversation['id']}"
    history = agent.get(path).json()["messages"]
    assert [m["text"] for m in history] == ["My router is dead"]
    assert [a["content_type"] for a in history[0]["attachments"]] == ["image/png"]

    assert agent.post(f"{path}/messages", data={"text": "Let me check"}).status_code in (200, 201)
    call(helpline, chats(helpline).process_outbox)
    [sent] = twilio.messages
    assert (sent.field("To"), sent.field("From"), sent.field("Body")) == (
        CUSTOMER,
        SUPPORT,
        "Let me check",
    )
    delivered = status_form(
        account_sid=twilio.account_sid,
        message_sid=sent.sid,
        status="delivered",
        sender=SUPPORT,
        to=CUSTOMER,
    )
    callback = helpline.client.post(
        STATUS, data=delivered, headers={"X-Twilio-Signature": twilio.sign(STATUS, delivered)}
    )
    assert callback.status_code == 204
    statuses = [m["status"] for m in agent.get(path).json()["messages"] if m["direction"] == "out"]
    assert statuses == ["delivered"]


def test_a_bad_twilio_signature_is_refused_and_nothing_is_stored(
    connected: Helpline, twilio: FakeTwilio
) -> None:
    helpline = connected
    helpline.create_user("boss", "admin")
    chat_queue(helpline, helpline.login("boss"))
    form = inbound_form(account_sid=twilio.account_sid, sender=CUSTOMER, to=SUPPORT, body="hi")
    forged = _post_sms(helpline, twilio, form, signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status_code == 403
    unsigned = helpline.client.post(MESSAGES, data=form)
    assert unsigned.status_code == 403
    tampered = dict(form, Body="hi, send me money")
    assert (
        helpline.client.post(
            MESSAGES, data=tampered, headers={"X-Twilio-Signature": twilio.sign(MESSAGES, form)}
        ).status_code
        == 403
    )
    assert _conversations(helpline) == []
    bad = {"To": SUPPORT}  # signed, but not a message: which field is missing is said
    refused = _post_sms(helpline, twilio, bad)
    assert refused.status_code == 400
    assert "MessageSid" in refused.text or "From" in refused.text


def test_meta_handshake_messages_and_signatures(connected: Helpline, meta: FakeMeta) -> None:
    helpline = connected
    helpline.create_user("boss", "admin")
    chat_queue(helpline, helpline.login("boss"))
    handshake = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    answered = helpline.client.get("/webhooks/meta", params=handshake)
    assert (answered.status_code, answered.text) == (200, "42")
    wrong = helpline.client.get("/webhooks/meta", params={**handshake, "hub.verify_token": "x"})
    assert wrong.status_code == 403

    body = json.dumps(
        webhook("page", PAGE, message_event(sender=PSID, recipient=PAGE, text="Ciao", mid="m_1"))
    ).encode()
    headers = {"X-Hub-Signature-256": meta.sign(body), "Content-Type": "application/json"}
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert helpline.client.post("/webhooks/meta", content=body, headers=forged).status_code == 403
    assert _conversations(helpline) == []
    for _ in range(2):  # the second is Meta retrying
        delivered = helpline.client.post("/webhooks/meta", content=body, headers=headers)
        assert delivered.status_code == 200, delivered.text
    [conversation] = _conversations(helpline)
    assert conversation["channel"] == "messenger"
    not_json = b"{not json"
    garbled = helpline.client.post(
        "/webhooks/meta",
        content=not_json,
        headers={"X-Hub-Signature-256": meta.sign(not_json), "Content-Type": "application/json"},
    )
    assert garbled.status_code == 400


def test_without_a_provider_configured_its_webhooks_are_404(helpline: Helpline) -> None:
    assert helpline.client.post(MESSAGES, data={"Body": "hi"}).status_code == 404
    assert helpline.client.get("/webhooks/meta").status_code == 404


def test_a_half_configured_provider_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="HELPLINE_TWILIO_AUTH_TOKEN"):
        Settings(twilio_account_sid="AC123")
