"""Meta's Messenger and Instagram webhooks parsed into provider-neutral messages.

The saved payloads in ``payloads/`` follow Meta's documented shapes:

- Messenger (``object: "page"``): the Messenger Platform's "Webhook Events Reference"
  and its pages for ``messages`` (``message.mid``, ``text``, ``attachments[]`` with
  ``type`` audio/file/image/video and ``payload.url``), ``message_echoes``
  (``message.is_echo``, ``app_id``, ``metadata``; sender is the page),
  ``message_deliveries`` (``delivery.mids``, ``delivery.watermark``, no ``timestamp``),
  ``message_reads`` (``read.watermark`` only) and ``messaging_postbacks``
  (developers.facebook.com/docs/messenger-platform/reference/webhook-events);
- Instagram (``object: "instagram"``): "Webhooks for Instagram Messaging" and the
  Instagram Platform's webhook examples (``entry[].id`` the professional account,
  ``sender.id`` an Instagram-scoped id, ``message.attachments[]``, echoes with
  ``is_echo``, ``messaging_seen`` as ``read.mid``)
  (developers.facebook.com/docs/instagram-platform/webhooks/examples);
- the batch: Meta may batch several entries (and several events an entry) in one POST;
  an entry for another app in control of the thread carries ``standby`` instead of
  ``messaging`` (Handover Protocol).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.channels.errors import ProviderPayloadError
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    DeliveryUpdate,
    InboundMessage,
    MediaRef,
)
from helpline.channels.meta import parse_webhook

PAYLOADS = Path(__file__).parent / "payloads"
PAGE = "109876543210987"
PSID = "6543210987654321"
IGID = "17841400000000001"
IGSID = "987654321012345"
# Instagram message ids: one long prefix, then what tells them apart.
IG_MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1"
    "OTYxMzk4ODQ4NzcyNjc4MjozMTkxNzY1"
)


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


EXPECTED: dict[str, list[InboundMessage | DeliveryUpdate]] = {
    "messenger_text.json": [
        InboundMessage(
            channel=Channel.MESSENGER,
            provider_message_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
            sender=PSID,
            recipient=PAGE,
            text="Hello! Is the shop open on Sunday? 😊",
            sent_at=ms(1700000000123),
        )
    ],
    "messenger_image_and_file.json": [
        InboundMessage(
            channel=Channel.MESSENGER,
            provider_message_id="m_qdKXWmvBr3hn8mV0d7I2eBSymWUDxA0QnKPa9zZxCjP9lEebI7jA8Rk2Yg7tG1bQY3C2L4Ij6oN0sw",
            sender=PSID,
            recipient=PAGE,
            text="My receipt and the broken part",
            media=(
                MediaRef(
                    "https://scontent.xx.fbcdn.net/v/t1.15752-9/401234567_8765432109876543_"
                    "1234567890123456789_n.jpg?_nc_cat=105&ccb=1-7&_nc_sid=fc17b8&oh=03_AdQ"
                    "&oe=65A1B2C3"
                ),
                MediaRef(
                    "https://cdn.fbsbx.com/v/t59.2708-21/401234567_123456789012345_"
                    "1234567890123456789_n.pdf/receipt.pdf?_nc_cat=109&ccb=1-7&oh=03_AdR"
                    "&oe=65A1B2C4&dl=1"
                ),
            ),
            sent_at=ms(1700000001123),
        )
    ],
    "messenger_echo.json": [],
    "messenger_delivery.json": [
        DeliveryUpdate(
            channel=Channel.MESSENGER,
            provider_message_id="m_1458668856218_ed81099e15d3f4f233",
            status=DeliveryStatus.DELIVERED,
        ),
        DeliveryUpdate(
            channel=Channel.MESSENGER,
            provider_message_id="m_1458668856253_fc63d1e5c1f3b6e344",
            status=DeliveryStatus.DELIVERED,
        ),
    ],
    # A watermark names no message: skipped (see helpline.channels.meta.webhooks).
    "messenger_read.json": [],
    "messenger_postback.json": [],
    "instagram_text.json": [
        InboundMessage(
            channel=Channel.INSTAGRAM,
            provider_message_id=IG_MID + "MDk5NjEyNjkwNTg2MDY0NjQ5NjQwNzY0ODAw",
            sender=IGSID,
            recipient=IGID,
            text="Hi, do you ship to Portugal?",
            sent_at=ms(1700000100123),
        )
    ],
    "instagram_image.json": [
        InboundMessage(
            channel=Channel.INSTAGRAM,
            provider_message_id=IG_MID + "MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAx",
            sender=IGSID,
            recipient=IGID,
            media=(
                MediaRef(
                    "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17912345678901234"
                    "&signature=AbCdEf0123456789"
                ),
            ),
            sent_at=ms(1700000101123),
        )
    ],
    "instagram_seen.json": [
        DeliveryUpdate(
            channel=Channel.INSTAGRAM,
            provider_message_id=IG_MID + "MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAy",
            status=DeliveryStatus.READ,
            at=ms(1700000102123),
        )
    ],
    "instagram_echo.json": [],
    "batch_multi_entry.json": [
        InboundMessage(
            channel=Channel.MESSENGER,
            provider_message_id="m_batch_first_message_0001",
            sender=PSID,
            recipient=PAGE,
            text="First",
            sent_at=ms(1700000200100),
        ),
        DeliveryUpdate(
            channel=Channel.MESSENGER,
            provider_message_id="m_batch_sent_earlier_0003",
            status=DeliveryStatus.DELIVERED,
        ),
        InboundMessage(
            channel=Channel.MESSENGER,
            provider_message_id="m_batch_second_page_0004",
            sender="7654321098765432",
            recipient="209876543210988",
            text="Second page",
            media=(
                MediaRef("https://video.xx.fbcdn.net/v/t42.3356-2/clip.mp4?_nc_cat=1"),
                MediaRef(
                    "https://cdn.fbsbx.com/v/t59.3654-21/audioclip-1700000200-1234.mp4?_nc_cat=2"
                ),
            ),
            sent_at=ms(1700000200400),
        ),
    ],
}


def test_every_saved_payload_is_checked() -> None:
    assert {path.name for path in PAYLOADS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_saved_payloads(name: str) -> None:
    assert parse_webhook(load(name)) == EXPECTED[name]


def test_a_message_with_only_unsupported_attachments_is_skipped() -> None:
    payload = load("instagram_image.json")
    message = payload["entry"][0]["messaging"][0]["message"]
    message["attachments"] = [
        {"type": "share", "payload": {"url": "https://www.instagram.com/p/Cx1/"}},
        {"type": "story_mention", "payload": {"url": "https://lookaside.fbsbx.com/s"}},
    ]
    assert parse_webhook(payload) == []
    message["text"] = "look at this"
    [parsed] = parse_webhook(payload)
    assert isinstance(parsed, InboundMessage)
    assert (parsed.text, parsed.media) == ("look at this", ())


def test_deleted_and_unsupported_instagram_messages_are_skipped() -> None:
    for flag in ("is_deleted", "is_unsupported"):
        payload = load("instagram_text.json")
        payload["entry"][0]["messaging"][0]["message"][flag] = True
        assert parse_webhook(payload) == []


def test_a_delivery_with_only_a_watermark_is_skipped() -> None:
    payload = load("messenger_delivery.json")
    del payload["entry"][0]["messaging"][0]["delivery"]["mids"]
    assert parse_webhook(payload) == []


def test_numeric_ids_are_read_as_text() -> None:
    payload = load("messenger_text.json")
    event = payload["entry"][0]["messaging"][0]
    event["sender"]["id"] = 6543210987654321
    [message] = parse_webhook(payload)
    assert isinstance(message, InboundMessage)
    assert message.sender == PSID


# -- bad payloads -------------------------------------------------------------------------


def changed(name: str, change: Any) -> Any:
    payload = copy.deepcopy(load(name))
    change(payload)
    return payload


def event0(payload: Any) -> Any:
    return payload["entry"][0]["messaging"][0]


BAD: list[tuple[str, Any, str]] = [
    ("a list", [load("messenger_text.json")], "payload"),
    ("a string", "object=page", "payload"),
    ("null", None, "payload"),
    ("no object", {"entry": []}, "object"),
    ("another object", {"object": "whatsapp_business_account", "entry": []}, "object"),
    ("object not text", {"object": ["page"], "entry": []}, "object"),
    ("no entry", {"object": "page"}, "entry"),
    ("entry not a list", {"object": "instagram", "entry": {"id": "1"}}, "entry"),
    ("entry item not an object", {"object": "page", "entry": ["x"]}, "entry[0]"),
    (
        "messaging not a list",
        changed("messenger_text.json", lambda p: p["entry"][0].update(messaging={})),
        "entry[0].messaging",
    ),
    (
        "an event not an object",
        changed("messenger_text.json", lambda p: p["entry"][0].update(messaging=[1])),
        "entry[0].messaging[0]",
    ),
    (
        "a message without mid",
        changed("messenger_text.json", lambda p: event0(p)["message"].pop("mid")),
        "entry[0].messaging[0].message.mid",
    ),
    (
        "a message without sender",
        changed("instagram_text.json", lambda p: event0(p).pop("sender")),
        "entry[0].messaging[0].sender",
    ),
    (
        "a sender without id",
        changed("instagram_text.json", lambda p: event0(p).update(sender={})),
        "entry[0].messaging[0].sender.id",
    ),
    (
        "a recipient id that is an object",
        changed("instagram_text.json", lambda p: event0(p).update(recipient={"id": {}})),
        "entry[0].messaging[0].recipient.id",
    ),
    (
        "text not text",
        changed("messenger_text.json", lambda p: event0(p)["message"].update(text=12)),
        "entry[0].messaging[0].message.text",
    ),
    (
        "attachments not a list",
        changed("instagram_image.json", lambda p: event0(p)["message"].update(attachments={})),
        "entry[0].messaging[0].message.attachments",
    ),
    (
        "an image without url",
        changed(
            "messenger_image_and_file.json",
            lambda p: event0(p)["message"]["attachments"][1]["payload"].pop("url"),
        ),
        "entry[0].messaging[0].message.attachments[1].payload.url",
    ),
    (
        "an image url that is not http",
        changed(
            "instagram_image.json",
            lambda p: event0(p)["message"]["attachments"][0]["payload"].update(
                url="javascript:alert(1)"
            ),
        ),
        "entry[0].messaging[0].message.attachments[0].payload.url",
    ),
    (
        "an attachment without type",
        changed(
            "instagram_image.json",
            lambda p: event0(p)["message"]["attachments"][0].pop("type"),
        ),
        "entry[0].messaging[0].message.attachments[0].type",
    ),
    (
        "a timestamp that is text",
        changed("messenger_text.json", lambda p: event0(p).update(timestamp="yesterday")),
        "entry[0].messaging[0].timestamp",
    ),
    (
        "a timestamp beyond year 9999",
        changed("messenger_text.json", lambda p: event0(p).update(timestamp=10**20)),
        "entry[0].messaging[0].timestamp",
    ),
    (
        "mids not a list",
        changed("messenger_delivery.json", lambda p: event0(p)["delivery"].update(mids="m_1")),
        "entry[0].messaging[0].delivery.mids",
    ),
    (
        "a mid that is empty",
        changed("instagram_seen.json", lambda p: event0(p)["read"].update(mid="")),
        "entry[0].messaging[0].read.mid",
    ),
    (
        "a message that is a list",
        changed("messenger_text.json", lambda p: event0(p).update(message=["hi"])),
        "entry[0].messaging[0].message",
    ),
]


@pytest.mark.parametrize(("case", "payload", "field"), BAD, ids=[case[0] for case in BAD])
def test_bad_payloads_name_the_field(case: str, payload: Any, field: str) -> None:
    with pytest.raises(ProviderPayloadError) as caught:
        parse_webhook(payload)
    assert caught.value.field == field


# -- properties ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["page", "instagram", "image", "file", "m_1", "https://a.example/x"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "messaging",
                    "message",
                    "mid",
                    "text",
                    "attachments",
                    "type",
                    "payload",
                    "url",
                    "sender",
                    "recipient",
                    "id",
                    "timestamp",
                    "delivery",
                    "mids",
                    "read",
                    "is_echo",
                ]
            )
            | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(payload=json_values)
def test_arbitrary_json_only_raises_provider_payload_errors(payload: Any) -> None:
    try:
        results = parse_webhook(payload)
    except ProviderPayloadError:
        return
    assert all(isinstance(item, InboundMessage | DeliveryUpdate) for item in results)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@settings(max_examples=500, deadline=None)
@given(
    name=st.sampled_from(sorted(EXPECTED)),
    data=st.data(),
    replacement=json_values,
    delete=st.booleans(),
)
def test_mutated_payloads_only_raise_provider_payload_errors(
    name: str, data: st.DataObject, replacement: Any, delete: bool
) -> None:
    payload = load(name)
    path = data.draw(st.sampled_from(paths(payload)))
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    try:
        results = parse_webhook(payload)
    except ProviderPayloadError:
        return
    assert all(item.provider_message_id for item in results)


def test_the_fakes_webhooks_are_what_the_parser_reads() -> None:
    """``tests/fakes/meta`` builds webhooks for end-to-end tests: they must parse, and its
    signatures must validate."""
    from helpline.channels.meta import valid_signature
    from tests.fakes.meta import FakeMeta, message_event, webhook

    fake = FakeMeta(app_secret="s3cret")
    event = message_event(
        sender=IGSID,
        recipient=IGID,
        text="hi",
        attachments=[("image", "https://cdn.example/a.png")],
        mid="m_fake_1",
    )
    body = json.dumps(webhook("instagram", IGID, event)).encode()
    assert valid_signature("s3cret", body, fake.sign(body))
    assert parse_webhook(json.loads(body)) == [
        InboundMessage(
            channel=Channel.INSTAGRAM,
            provider_message_id="m_fake_1",
            sender=IGSID,
            recipient=IGID,
            text="hi",
            media=(MediaRef("https://cdn.example/a.png"),),
            sent_at=ms(1_700_000_000_000),
        )
    ]
