"""The port between the chat service and the messaging providers (SMS/MMS, Messenger,
Instagram): provider-neutral messages in, sends out, delivery updates back.

A provider adapter (``channels/sms``, ``channels/meta``) verifies and parses the provider's
webhooks into these types and sends :class:`OutboundMessage` through the provider's API;
the chat service never sees a vendor format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    WEBCHAT = "webchat"
    SMS = "sms"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"


class DeliveryStatus(StrEnum):
    """Where an outbound message is, in the order a provider reports it."""

    QUEUED = "queued"  # accepted by Helpline, not yet handed to the provider
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # the provider or the carrier gave up


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An attachment the provider hosts: fetched and stored by Helpline on intake."""

    url: str
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message. ``provider_message_id`` makes intake idempotent: a webhook the
    provider retries carries the same id."""

    channel: Channel
    provider_message_id: str
    sender: str  # the customer: E.164 number, page-scoped id, Instagram-scoped id
    recipient: str  # our side: the number, the Facebook page or the Instagram account
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    sender_name: str | None = None
    sent_at: datetime | None = None  # UTC, when the provider says when it was sent


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """A provider's news about a message we sent."""

    channel: Channel
    provider_message_id: str
    status: DeliveryStatus
    error: str | None = None  # the provider's code or text when it failed
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    channel: Channel
    sender: str  # our number / page / account the conversation came to
    recipient: str  # the customer
    text: str = ""
    media_urls: tuple[str, ...] = field(default=())  # public URLs the provider fetches


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str
    status: DeliveryStatus = DeliveryStatus.SENT


class SendError(Exception):
    """A send that failed. ``retryable``: worth trying again later (network, 429, 5xx);
    otherwise the provider refused the message itself (bad number, blocked user)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class MessageSender(Protocol):
    async def send(self, message: OutboundMessage) -> SendResult: ...
