"""The chat queue cards' live figures, kept from the conversations (DESIGN.md §3).

Per chat queue, over its conversations that are not resolved:

* ``unassigned``: waiting in the queue for an agent;
* ``oldest_unassigned_at``: since when the longest-waiting unassigned one waits (the card
  shows the *longest unassigned wait*);
* ``waiting_for_agent``: assigned, the customer wrote last (waits for the agent's reply);
* ``oldest_awaiting_reply_at``: since when the longest of those waits (*longest assigned
  wait for an agent's reply*);
* ``waiting_for_customer``: assigned, the agent wrote last;
* ``total_waiting_for_reply``: unassigned + waiting for the agent.

Times are Unix seconds (the dashboards show durations from them, as for calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Tracked:
    queue_key: str
    assigned: bool
    unassigned_since: float | None
    awaiting_agent_since: float | None


class ChatBoard:
    def __init__(self) -> None:
        self._conversations: dict[int, Tracked] = {}

    def clear(self) -> None:
        self._conversations.clear()

    def put(
        self,
        conversation_id: int,
        *,
        queue_key: str | None,
        status: str,
        unassigned_since: float | None,
        awaiting_agent_since: float | None,
    ) -> set[str]:
        """Record a conversation's state; returns the queue keys whose figures changed."""
        before = self._conversations.pop(conversation_id, None)
        touched = {before.queue_key} if before else set()
        if queue_key is not None and status != "resolved":
            item = Tracked(queue_key, status == "assigned", unassigned_since, awaiting_agent_since)
            self._conversations[conversation_id] = item
            if before != item:
                touched.add(queue_key)
            elif before is not None:
                touched.discard(queue_key)
        return touched

    def awaiting_assigned(self) -> bool:
        """Some assigned conversation waits for its agent's reply."""
        return any(
            i.assigned and i.awaiting_agent_since is not None for i in self._conversations.values()
        )

    def has_unassigned(self) -> bool:
        return any(not i.assigned for i in self._conversations.values())

    def card(self, queue_key: str) -> dict[str, Any]:
        unassigned = waiting_agent = waiting_customer = 0
        oldest_unassigned: float | None = None
        oldest_reply: float | None = None
        for item in self._conversations.values():
            if item.queue_key != queue_key:
                continue
            if not item.assigned:
                unassigned += 1
                since = item.unassigned_since
                if since is not None and (oldest_unassigned is None or since < oldest_unassigned):
                    oldest_unassigned = since
            elif item.awaiting_agent_since is not None:
                waiting_agent += 1
                since = item.awaiting_agent_since
                if oldest_reply is None or since < oldest_reply:
                    oldest_reply = since
            else:
                waiting_customer += 1
        return {
            "unassigned": unassigned,
            "oldest_unassigned_at": oldest_unassigned,
            "waiting_for_agent": waiting_agent,
            "oldest_awaiting_reply_at": oldest_reply,
            "waiting_for_customer": waiting_customer,
            "total_waiting_for_reply": unassigned + waiting_agent,
        }
