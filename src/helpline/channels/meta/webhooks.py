"""Meta webhooks for Facebook Messenger and Instagram messaging.

Verification handshake
    When a webhook is configured, Meta sends ``GET`` with ``hub.mode=subscribe``,
    ``hub.verify_token`` (the token typed into the app dashboard) and ``hub.challenge``;
    the endpoint answers 200 with the challenge as its body when the token is ours, 403
    otherwise (:func:`handshake`).

Signature
    Every ``POST`` carries ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw
    request body keyed with the app secret (:func:`valid_signature`). Check it on the bytes
    received, before parsing: re-serialised JSON would not match.

Payloads (:func:`parse_webhook`)
    ``{"object": "page" | "instagram", "entry": [{"id", "time", "messaging": [event]}]}``;
    an event has ``sender.id``, ``recipient.id``, ``timestamp`` (ms) and one of

    - ``message``: ``mid``, ``text``, ``attachments[]`` (``type``, ``payload.url``). Image,
      video, audio and file attachments become :class:`MediaRef` (Meta gives no content
      type: the download's says it). Echoes of our own messages (``is_echo``), deleted
      (``is_deleted``) and unsupported (``is_unsupported``) messages are skipped, and so is
      a message with neither text nor such an attachment (a shared post, a story mention,
      a location, a template);
    - ``delivery``: ``mids[]`` and ``watermark`` → one DELIVERED update per mid;
    - ``read``: Instagram's ``messaging_seen`` names the message (``mid``) → a READ update.
      Messenger's ``message_reads`` gives only a ``watermark`` (everything sent to that
      person before that time was read). A stateless adapter cannot tell which of our
      messages that covers, and the port's updates name one message each, so such reads are
      skipped: Messenger messages stop at DELIVERED;
    - anything else (postbacks, reactions, referrals, opt-ins, hand-over, ``standby``) is
      skipped, not an error.

A payload that is not a Meta messaging webhook, or whose messages lack what Meta always
sends (``mid``, ``sender.id``…), raises :class:`ProviderPayloadError` naming the field by
its path (``entry[0].messaging[2].message.mid``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from helpline.channels._http import origin
from helpline.channels.errors import ProviderPayloadError
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    DeliveryUpdate,
    InboundMessage,
    MediaRef,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="

CHANNELS: dict[str, Channel] = {"page": Channel.MESSENGER, "instagram": Channel.INSTAGRAM}
MEDIA_TYPES = frozenset({"image", "video", "audio", "file"})
# Far beyond any real timestamp in milliseconds (year 9999), small enough for datetime.
_MAX_MS = 253_402_300_799_000


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The ``hub.challenge`` to answer with when ``hub.mode`` is ``subscribe`` and
    ``hub.verify_token`` is ours (compared in constant time); None otherwise (answer 403).
    An empty configured token verifies nothing."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    token = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    if not isinstance(token, str) or not isinstance(challenge, str) or not challenge:
        return None
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return challenge


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``) is the HMAC-SHA256 of the raw ``body`` with
    the app secret. A missing or garbled header, or an empty secret, is never valid."""
    if not app_secret or not header:
        return False
    header = header.strip()
    if not header.startswith(SIGNATURE_PREFIX):
        return False
    given = header[len(SIGNATURE_PREFIX) :].lower()
    if not given.isascii():
        return False
    expected = signature(app_secret, body)[len(SIGNATURE_PREFIX) :]
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


# -- parsing ------------------------------------------------------------------------------


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProviderPayloadError(path, "not an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProviderPayloadError(path, "not a list")
    return value


def _id(value: Any, path: str) -> str:
    """Meta's ids are strings of digits (or ``m_…`` for messages); numbers are accepted."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 10**30:
            raise ProviderPayloadError(path, "not an id")
        value = str(value)
    if not isinstance(value, str):
        raise ProviderPayloadError(path, "missing" if value is None else "not an id")
    text = value.strip()
    if not text:
        raise ProviderPayloadError(path, "empty")
    if len(text) > 512:
        raise ProviderPayloadError(path, "too long")
    return text


def _party(event: Mapping[str, Any], key: str, path: str) -> str:
    party = event.get(key)
    if party is None:
        raise ProviderPayloadError(f"{path}.{key}", "missing")
    return _id(_object(party, f"{path}.{key}").get("id"), f"{path}.{key}.id")


def _time(value: Any, path: str) -> datetime | None:
    """A Unix time in milliseconds as an aware UTC datetime; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProviderPayloadError(path, "not a number")
    if not math.isfinite(value) or not 0 <= value <= _MAX_MS:
        raise ProviderPayloadError(path, "out of range")
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _media(message: Mapping[str, Any], path: str) -> tuple[MediaRef, ...]:
    if "attachments" not in message or message["attachments"] is None:
        return ()
    media = []
    for index, item in enumerate(_list(message["attachments"], f"{path}.attachments")):
        where = f"{path}.attachments[{index}]"
        attachment = _object(item, where)
        kind = attachment.get("type")
        if not isinstance(kind, str):
            raise ProviderPayloadError(f"{where}.type", "missing" if kind is None else "not text")
        if kind not in MEDIA_TYPES:
            continue  # a share, a story mention, a location, a template: nothing to store
        payload = _object(attachment.get("payload"), f"{where}.payload")
        url = payload.get("url")
        if not isinstance(url, str) or origin(url) is None:
            raise ProviderPayloadError(f"{where}.payload.url", "not an http(s) URL")
        media.append(MediaRef(url=url))
    return tuple(media)


def _message(channel: Channel, event: Mapping[str, Any], path: str) -> InboundMessage | None:
    where = f"{path}.message"
    message = _object(event["message"], where)
    if message.get("is_echo") is True:
        return None  # our own message, sent by us or by another app on the page
    if message.get("is_deleted") is True or message.get("is_unsupported") is True:
        return None
    mid = _id(message.get("mid"), f"{where}.mid")
    text = message.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ProviderPayloadError(f"{where}.text", "not text")
    media = _media(message, where)
    sender = _party(event, "sender", path)
    recipient = _party(event, "recipient", path)
    sent_at = _time(event.get("timestamp"), f"{path}.timestamp")
    if not text and not media:
        return None
    return InboundMessage(
        channel=channel,
        provider_message_id=mid,
        sender=sender,
        recipient=recipient,
        text=text,
        media=media,
        sent_at=sent_at,
    )


def _delivery(channel: Channel, event: Mapping[str, Any], path: str) -> list[DeliveryUpdate]:
    where = f"{path}.delivery"
    delivery = _object(event["delivery"], where)
    at = _time(event.get("timestamp"), f"{path}.timestamp")
    mids = delivery.get("mids")
    if mids is None:
        return []  # a watermark alone: see the module's docstring
    return [
        DeliveryUpdate(
            channel=channel,
            provider_message_id=_id(mid, f"{where}.mids[{index}]"),
            status=DeliveryStatus.DELIVERED,
            at=at,
        )
        for index, mid in enumerate(_list(mids, f"{where}.mids"))
    ]


def _read(channel: Channel, event: Mapping[str, Any], path: str) -> list[DeliveryUpdate]:
    where = f"{path}.read"
    read = _object(event["read"], where)
    at = _time(event.get("timestamp"), f"{path}.timestamp")
    if read.get("mid") is None:
        return []  # Messenger's watermark-only read: see the module's docstring
    mid = _id(read["mid"], f"{where}.mid")
    return [
        DeliveryUpdate(channel=channel, provider_message_id=mid, status=DeliveryStatus.READ, at=at)
    ]


def parse_webhook(payload: Mapping[str, Any]) -> list[InboundMessage | DeliveryUpdate]:
    """The customers' messages and the delivery news in a Messenger (``object: "page"``) or
    Instagram (``object: "instagram"``) webhook, in the order Meta listed them."""
    body = _object(payload, "payload")
    kind = body.get("object")
    if kind is None:
        raise ProviderPayloadError("object", "missing")
    channel = CHANNELS.get(kind) if isinstance(kind, str) else None
    if channel is None:
        raise ProviderPayloadError("object", "not a Messenger or Instagram webhook")
    if "entry" not in body:
        raise ProviderPayloadError("entry", "missing")
    results: list[InboundMessage | DeliveryUpdate] = []
    for entry_index, item in enumerate(_list(body["entry"], "entry")):
        entry_path = f"entry[{entry_index}]"
        entry = _object(item, entry_path)
        events = entry.get("messaging")
        if events is None:
            continue  # "standby", "changes" (feed, comments): not ours
        for event_index, raw in enumerate(_list(events, f"{entry_path}.messaging")):
            path = f"{entry_path}.messaging[{event_index}]"
            event = _object(raw, path)
            if event.get("message") is not None:
                message = _message(channel, event, path)
                if message is not None:
                    results.append(message)
            elif event.get("delivery") is not None:
                results.extend(_delivery(channel, event, path))
            elif event.get("read") is not None:
                results.extend(_read(channel, event, path))
    return results
