"""Chats under test: the timers (outbox, reassignment) run when a test calls them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    SendError,
    SendResult,
)
from helpline.config import Settings
from tests.support import Helpline, wait_until

SUPPORT_NUMBER = "+390612345678"
CUSTOMER = "+393471234567"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.chat_timers_enabled = False
    return settings


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def chat_queue(
    helpline: Helpline,
    admin: Any,
    *agents: Any,
    name: str = "Chat support",
    channels: tuple[str, ...] = ("sms", "webchat", "facebook", "instagram"),
    supervisors: tuple[Any, ...] = (),
    **settings: Any,
) -> int:
    queue = admin.post(
        "/api/v1/chat-queues", json={"name": name, "channels": list(channels), **settings}
    )
    assert queue.status_code == 201, queue.text
    queue_id: int = queue.json()["id"]
    team = admin.put(
        f"/api/v1/chat-queues/{queue_id}/assignments",
        json={"agents": [a.id for a in agents], "supervisors": [s.id for s in supervisors]},
    )
    assert team.status_code == 200, team.text
    key = f"chat:{queue_id}"
    acd = helpline.app.state.acd
    wait_until(
        lambda: (
            key in acd.router.queue_ids()
            and all(key in acd._memberships(str(a.id)) for a in agents)
        ),
        what="the router to see the chat queue",
    )
    return queue_id


def chats(helpline: Helpline) -> Any:
    return helpline.app.state.chats


def call(helpline: Helpline, work: Callable[[], Any]) -> Any:
    """Run ``await work()`` in the app's loop."""

    async def run() -> Any:
        return await work()

    return helpline.client.portal.call(run)  # type: ignore[union-attr]


def sms(
    helpline: Helpline,
    text: str,
    *,
    message_id: str,
    sender: str = CUSTOMER,
    recipient: str = SUPPORT_NUMBER,
    name: str | None = None,
    files: tuple[Any, ...] = (),
) -> Any:
    message = InboundMessage(
        channel=Channel.SMS,
        provider_message_id=message_id,
        sender=sender,
        recipient=recipient,
        text=text,
        sender_name=name,
    )
    return call(helpline, lambda: chats(helpline).receive(message=message, files=files))


def offer_of(agent: Any) -> dict[str, Any]:
    offers = agent.get("/api/v1/acd/me").json()["open_offers"]
    assert offers, "no offer"
    return offers[0]


def accept(helpline: Helpline, agent: Any, conversation_id: int) -> None:
    offer = offer_of(agent)
    accepted = agent.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept")
    assert accepted.status_code == 200, accepted.text
    call(helpline, chats(helpline).wait_idle)
    wait_until(
        lambda: (
            agent.get(f"/api/v1/chats/conversations/{conversation_id}").json()["conversation"][
                "status"
            ]
            == "assigned"
        ),
        what="the conversation to be assigned",
    )


@dataclass
class RecordingSender:
    """A MessageSender that records what it is given and answers from a script: each
    entry is a SendResult status, or a SendError to raise (the last one repeats)."""

    script: list[DeliveryStatus | SendError] = field(default_factory=lambda: [DeliveryStatus.SENT])
    sent: list[OutboundMessage] = field(default_factory=list)
    attempts: list[datetime] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        step = self.script[min(len(self.sent) - 1, len(self.script) - 1)]
        if isinstance(step, SendError):
            raise step
        return SendResult(provider_message_id=f"SM{len(self.sent):04d}", status=step)
