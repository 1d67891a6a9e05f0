"""A user who is not an agent of the chat queue (here a supervisor of nothing), logged into
it by a supervisor, works its chats like an agent while logged in: offered, accepted,
answered and resolved in the workspace."""

from __future__ import annotations

from typing import Any

from tests.chats.conftest import accept, chat_queue, sms
from tests.support import Helpline, wait_until


def test_a_temporary_agent_works_chats_while_logged_in(helpline: Helpline, admin: Any) -> None:
    ida = helpline.create_user("ida", "supervisor")
    queue_id = chat_queue(helpline, admin)
    temporary = helpline.login("ida")

    key = f"chat:{queue_id}"
    logged = admin.post(f"/api/v1/acd/queues/{key}/agents/{ida.id}/login")
    assert logged.status_code == 200, logged.text
    received = sms(helpline, "Is my order on its way?", message_id="SM-temp-1")
    accept(helpline, temporary, received.conversation_id)
    assert temporary.get("/agent/chats").status_code == 200
    mine = temporary.get("/api/v1/chats/conversations", params={"view": "mine"}).json()
    assert [c["id"] for c in mine["conversations"]] == [received.conversation_id]
    sent = temporary.post(
        f"/api/v1/chats/conversations/{received.conversation_id}/messages",
        data={"text": "It left this morning."},
    )
    assert sent.status_code == 201, sent.text

    done = temporary.post(f"/api/v1/chats/conversations/{received.conversation_id}/resolve")
    assert done.status_code == 200, done.text
    out = admin.post(f"/api/v1/acd/queues/{key}/agents/{ida.id}/logout")
    assert out.status_code == 200, out.text
    # Logged out, Ida is offered nothing more.
    again = sms(helpline, "One more question", message_id="SM-temp-2")
    wait_until(
        lambda: (
            temporary.get(f"/api/v1/chats/conversations/{again.conversation_id}").status_code == 403
        ),
        what="the new conversation to stay out of Ida's reach",
    )
