"""The chat domain's events. Conversation events carry the conversation as the API shows
it (``conversation``), so that a dashboard updates its list from the event alone."""

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class _ConversationEvent(Event):
    conversation: dict[str, Any]


class ConversationOpened(_ConversationEvent):
    type = "chat.conversation_opened"


class MessageReceived(_ConversationEvent):
    type = "chat.message_received"
    message: dict[str, Any]


class MessageSent(_ConversationEvent):
    """An agent's (or the system's) message, queued for its channel."""

    type = "chat.message_sent"
    message: dict[str, Any]


class MessageStatusChanged(_ConversationEvent):
    type = "chat.message_status_changed"
    message: dict[str, Any]
    previous: str


class ConversationQueued(_ConversationEvent):
    """The conversation goes to its chat queue as an ACD contact."""

    type = "chat.queued"
    acd_contact_id: str
    reason: str  # new, reopened, unassigned, reassigned, requeued


class ConversationAssigned(_ConversationEvent):
    type = "chat.assigned"
    user_id: int


class ConversationUnassigned(_ConversationEvent):
    type = "chat.unassigned"
    previous_user_id: int | None
    reason: str  # agent, supervisor, no_reply


class ConversationResolved(_ConversationEvent):
    type = "chat.resolved"


class ConversationReopened(_ConversationEvent):
    type = "chat.reopened"


class ConversationRead(_ConversationEvent):
    type = "chat.read"


class ContactLinked(_ConversationEvent):
    type = "chat.contact_linked"
    previous_contact_id: int | None


class TagAdded(_ConversationEvent):
    """A tag was put on the conversation (``tag`` as the tags API shows it; ``tags``: the
    conversation's tags after the change)."""

    type = "chat.tag_added"
    tag: dict[str, Any]
    tags: list[dict[str, Any]]


class TagRemoved(_ConversationEvent):
    type = "chat.tag_removed"
    tag: dict[str, Any]
    tags: list[dict[str, Any]]


class AddressSet(Event):
    type = "chat.address_set"
    address: dict[str, Any]


class AddressRemoved(Event):
    type = "chat.address_removed"
    address: dict[str, Any]


class WidgetCreated(Event):
    type = "webchat.widget_created"
    widget: dict[str, Any]


class WidgetUpdated(Event):
    type = "webchat.widget_updated"
    widget: dict[str, Any]
    changed: list[str]


class WidgetDeleted(Event):
    type = "webchat.widget_deleted"
    widget: dict[str, Any]


# Not stored: a customer or an agent is typing (published on the bus only).
TYPING = "chat.typing"
# Not stored: a waiting webchat customer's place in line changed.
QUEUE_POSITION = "chat.queue_position"


class TranscriptRequested(_ConversationEvent):
    """The webchat customer asks for the transcript by email, sent when it is resolved."""

    type = "chat.transcript_requested"
    email: str


class TranscriptSent(_ConversationEvent):
    type = "chat.transcript_sent"
    email: str


class TranscriptFailed(_ConversationEvent):
    type = "chat.transcript_failed"
    email: str
    reason: str
    final: bool  # no further attempt
