"""Twilio's webhooks parsed into provider-neutral messages and delivery updates.

The saved payloads in ``payloads/`` are the raw ``application/x-www-form-urlencoded``
bodies Twilio posts, with the parameters documented in Twilio's "Twilio's request to your
incoming message Webhook URL" (twilio.com/docs/messaging/guides/webhook-request:
MessageSid, SmsSid, SmsMessageSid, AccountSid, MessagingServiceSid, From, To, Body,
NumMedia, NumSegments, MediaContentType{N}, MediaUrl{N} with media URLs under
/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid}, the From*/To*
geographic fields, ProfileName and WaId for WhatsApp senders) and in "Track the Message
Status of Outbound Messages" (twilio.com/docs/messaging/guides/track-outbound-message-status:
MessageStatus and SmsStatus, ErrorCode for undelivered/failed, RawDlrDoneDate on
delivered/undelivered per Twilio's changelog of 2023-02-14; WhatsApp's read callback
with ChannelPrefix, ChannelToAddress, ChannelInstallSid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from helpline.channels.errors import ProviderPayloadError
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    DeliveryUpdate,
    InboundMessage,
    MediaRef,
)
from helpline.channels.sms.twilio import STATUS_MAP, parse_inbound, parse_status

PAYLOADS = Path(__file__).parent / "payloads"
ACCOUNT = "AC3f6b8d2e9a1c4b7f8e2d5a6c9b1e4f70"
MMS_SID = "MM8b2d4f6a8c0e2b4d6f8a0c2e4b6d8f01"
MEDIA_BASE = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MMS_SID}/Media/"
OUTBOUND_SID = "SM7e9a1c3b5d7f9e1a3c5b7d9f1e3a5c77"


def load(name: str) -> dict[str, str]:
    """A saved form as a plain dict (each parameter appears once in Twilio's webhooks)."""
    raw = (PAYLOADS / name).read_text().strip()
    pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    assert len({key for key, _ in pairs}) == len(pairs)
    return dict(pairs)


def as_form_data(name: str) -> FormData:
    """The same form as Starlette's request.form() gives it to an endpoint."""
    raw = (PAYLOADS / name).read_text().strip()
    return FormData(parse_qsl(raw, keep_blank_values=True))


INBOUND_EXPECTED = {
    "inbound_sms.form": InboundMessage(
        channel=Channel.SMS,
        provider_message_id="SM5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e52",
        sender="+14155550199",
        recipient="+14155550100",
        text="Hi, my order #1042 hasn't arrived yet. Can you check? 🙏",
    ),
    "inbound_mms_two_media.form": InboundMessage(
        channel=Channel.SMS,
        provider_message_id=MMS_SID,
        sender="+12125550143",
        recipient="+14155550100",
        text="Here is the photo of the damaged box and the receipt",
        media=(
            MediaRef(MEDIA_BASE + "ME1c3e5a7b9d1f3a5c7e9b1d3f5a7c9e11", "image/jpeg"),
            MediaRef(MEDIA_BASE + "ME2d4f6b8c0e2a4c6e8a0c2e4a6c8e0a22", "application/pdf"),
        ),
    ),
    "inbound_whatsapp_profile_name.form": InboundMessage(
        channel=Channel.SMS,
        provider_message_id="SM0f2e4d6c8b0a2f4e6d8c0b2a4f6e8d9c",
        sender="whatsapp:+5511988887777",
        recipient="whatsapp:+14155550100",
        text="Olá! Preciso de ajuda com a fatura",
        sender_name="Ana Souza",
    ),
}

STATUS_EXPECTED = {
    "status_queued.form": (OUTBOUND_SID, DeliveryStatus.SENT, None),
    "status_sending.form": (OUTBOUND_SID, DeliveryStatus.SENT, None),
    "status_sent.form": (OUTBOUND_SID, DeliveryStatus.SENT, None),
    "status_delivered.form": (OUTBOUND_SID, DeliveryStatus.DELIVERED, None),
    "status_undelivered.form": (OUTBOUND_SID, DeliveryStatus.FAILED, "30003"),
    "status_failed.form": (OUTBOUND_SID, DeliveryStatus.FAILED, "30008"),
    "status_canceled.form": (OUTBOUND_SID, DeliveryStatus.FAILED, None),
    "status_read.form": ("SM1a2e4d6c8b0a2f4e6d8c0b2a4f6e8d9c", DeliveryStatus.READ, None),
}


def test_every_saved_payload_is_checked() -> None:
    saved = {path.name for path in PAYLOADS.glob("*.form")}
    assert saved == set(INBOUND_EXPECTED) | set(STATUS_EXPECTED)


@pytest.mark.parametrize("name", sorted(INBOUND_EXPECTED))
def test_inbound_payloads(name: str) -> None:
    assert parse_inbound(load(name)) == INBOUND_EXPECTED[name]
    assert parse_inbound(as_form_data(name)) == INBOUND_EXPECTED[name]


@pytest.mark.parametrize("name", sorted(STATUS_EXPECTED))
def test_status_payloads(name: str) -> None:
    sid, status, error = STATUS_EXPECTED[name]
    expected = DeliveryUpdate(
        channel=Channel.SMS, provider_message_id=sid, status=status, error=error
    )
    assert parse_status(load(name)) == expected
    assert parse_status(as_form_data(name)) == expected


@pytest.mark.parametrize(
    ("twilio_status", "ours"),
    [
        ("accepted", DeliveryStatus.SENT),
        ("scheduled", DeliveryStatus.SENT),
        ("queued", DeliveryStatus.SENT),
        ("sending", DeliveryStatus.SENT),
        ("sent", DeliveryStatus.SENT),
        ("partially_delivered", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("read", DeliveryStatus.READ),
        ("undelivered", DeliveryStatus.FAILED),
        ("failed", DeliveryStatus.FAILED),
        ("canceled", DeliveryStatus.FAILED),
    ],
)
def test_every_outbound_status_is_mapped(twilio_status: str, ours: DeliveryStatus) -> None:
    form = load("status_sent.form") | {"MessageStatus": twilio_status, "SmsStatus": twilio_status}
    assert parse_status(form).status is ours
    assert STATUS_MAP[twilio_status] is ours


def test_status_falls_back_to_sms_status_and_reads_error_message() -> None:
    form = load("status_failed.form")
    del form["MessageStatus"]
    form["ErrorMessage"] = "Message Delivery - Unknown error"
    update = parse_status(form)
    assert update.status is DeliveryStatus.FAILED
    assert update.error == "30008: Message Delivery - Unknown error"


def test_an_empty_body_with_media_is_an_mms() -> None:
    form = load("inbound_mms_two_media.form") | {"Body": ""}
    message = parse_inbound(form)
    assert message.text == ""
    assert len(message.media) == 2


def test_media_content_type_is_optional_and_normalised() -> None:
    form = load("inbound_mms_two_media.form")
    del form["MediaContentType1"]
    form["MediaContentType0"] = " Image/JPEG "
    media = parse_inbound(form).media
    assert media[0].content_type == "image/jpeg"
    assert media[1].content_type is None


def test_missing_num_media_means_no_media() -> None:
    form = load("inbound_sms.form")
    del form["NumMedia"]
    assert parse_inbound(form).media == ()


# -- bad payloads -------------------------------------------------------------------------


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in form.items() if key != name}


SMS = load("inbound_sms.form")
MMS = load("inbound_mms_two_media.form")
SENT = load("status_sent.form")

BAD_INBOUND: list[tuple[str, Any, str]] = [
    ("no MessageSid", without(SMS, "MessageSid"), "MessageSid"),
    ("empty MessageSid", SMS | {"MessageSid": " "}, "MessageSid"),
    ("MessageSid not a SID", SMS | {"MessageSid": "SM<script>"}, "MessageSid"),
    ("no From", without(SMS, "From"), "From"),
    ("empty From", SMS | {"From": ""}, "From"),
    ("no To", without(SMS, "To"), "To"),
    ("NumMedia not a number", SMS | {"NumMedia": "two"}, "NumMedia"),
    ("NumMedia negative", SMS | {"NumMedia": "-1"}, "NumMedia"),
    ("NumMedia in Arabic digits", SMS | {"NumMedia": "٣"}, "NumMedia"),
    ("NumMedia a float", SMS | {"NumMedia": "1.0"}, "NumMedia"),
    ("NumMedia beyond the media", MMS | {"NumMedia": "3"}, "MediaUrl2"),
    ("a MediaUrl missing", without(MMS, "MediaUrl0"), "MediaUrl0"),
    ("a MediaUrl not http", MMS | {"MediaUrl1": "javascript:alert(1)"}, "MediaUrl1"),
    ("a MediaUrl relative", MMS | {"MediaUrl0": "/Media/ME1"}, "MediaUrl0"),
    ("a media type garbled", MMS | {"MediaContentType0": "jpeg"}, "MediaContentType0"),
    ("MessageSid repeated", SMS | {"MessageSid": ["SM1", "SM2"]}, "MessageSid"),
    ("From not text", SMS | {"From": 14155550199}, "From"),
    ("MessageSid an object", SMS | {"MessageSid": {"SM1": 1}}, "MessageSid"),
    ("To bytes", SMS | {"To": b"+14155550100"}, "To"),
    ("Body not text", SMS | {"Body": None}, "Body"),
    ("not a form", ["MessageSid", "SM1"], "payload"),
]


@pytest.mark.parametrize(("case", "form", "field"), BAD_INBOUND, ids=[c[0] for c in BAD_INBOUND])
def test_bad_inbound_payloads_name_the_field(case: str, form: Any, field: str) -> None:
    with pytest.raises(ProviderPayloadError) as caught:
        parse_inbound(form)
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": ")


def test_repeated_fields_in_form_data_are_refused() -> None:
    raw = (PAYLOADS / "inbound_sms.form").read_text().strip() + "&From=%2B15550000000"
    with pytest.raises(ProviderPayloadError) as caught:
        parse_inbound(FormData(parse_qsl(raw)))
    assert caught.value.field == "From"


BAD_STATUS: list[tuple[str, Any, str]] = [
    ("no MessageSid", without(SENT, "MessageSid"), "MessageSid"),
    ("no status at all", without(without(SENT, "MessageStatus"), "SmsStatus"), "MessageStatus"),
    ("unknown status", SENT | {"MessageStatus": "exploded"}, "MessageStatus"),
    ("an incoming message's status", SENT | {"MessageStatus": "received"}, "MessageStatus"),
    ("empty status", SENT | {"MessageStatus": ""}, "MessageStatus"),
    ("ErrorCode not text", SENT | {"ErrorCode": 30003}, "ErrorCode"),
]


@pytest.mark.parametrize(("case", "form", "field"), BAD_STATUS, ids=[c[0] for c in BAD_STATUS])
def test_bad_status_payloads_name_the_field(case: str, form: Any, field: str) -> None:
    with pytest.raises(ProviderPayloadError) as caught:
        parse_status(form)
    assert caught.value.field == field


# -- properties ---------------------------------------------------------------------------

FIELD_NAMES = [
    "MessageSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaUrl1",
    "MediaContentType0",
    "ProfileName",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ErrorMessage",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
form_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["0", "1", "2", "SM123", "+15550001", "https://a.example/m", "sent"]),
    st.lists(st.text(max_size=10), max_size=3),
    json_values,
)
arbitrary_forms = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), form_values),
    st.fixed_dictionaries(
        {"MessageSid": st.just("SM1"), "From": st.just("+1555"), "To": st.just("+1666")},
        optional={name: form_values for name in FIELD_NAMES[3:]},
    ),
    json_values,
)


@settings(max_examples=400, deadline=None)
@given(form=arbitrary_forms)
def test_arbitrary_forms_only_raise_provider_payload_errors(form: Any) -> None:
    for parse in (parse_inbound, parse_status):
        try:
            result = parse(form)
        except ProviderPayloadError:
            continue
        assert result.channel is Channel.SMS
        assert result.provider_message_id


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(),
    name=st.text(max_size=40),
    media=st.lists(
        st.tuples(
            st.from_regex(r"https://[a-z]{1,10}\.example/[A-Za-z0-9/]{0,20}", fullmatch=True),
            st.sampled_from(["image/jpeg", "image/png", "video/mp4", "application/pdf"]),
        ),
        max_size=10,
    ),
)
def test_well_formed_forms_parse_to_what_they_say(
    body: str, name: str, media: list[tuple[str, str]]
) -> None:
    form = {
        "MessageSid": "MM" + "0" * 32,
        "From": "+15550001111",
        "To": "+15550002222",
        "Body": body,
        "NumMedia": str(len(media)),
        "ProfileName": name,
    }
    for index, (url, content_type) in enumerate(media):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = content_type
    message = parse_inbound(form)
    assert message.text == body
    assert message.media == tuple(MediaRef(url, kind) for url, kind in media)
    assert message.sender_name == (name.strip() or None)


def test_saved_forms_keep_every_parameter_once() -> None:
    for path in PAYLOADS.glob("*.form"):
        parsed = parse_qs(path.read_text().strip(), keep_blank_values=True)
        assert all(len(values) == 1 for values in parsed.values()), path.name


def test_the_fakes_webhook_forms_are_what_the_parsers_read() -> None:
    """``tests/fakes/twilio`` builds webhooks for end-to-end tests: they must parse, and
    its signatures (made by the twilio package) must validate."""
    from helpline.channels.sms.twilio import valid_signature
    from tests.fakes.twilio import FakeTwilio, inbound_form, status_form

    fake = FakeTwilio(account_sid=ACCOUNT, auth_token="0123456789abcdef0123456789abcdef")
    media = [("https://api.twilio.com/m/ME1", "image/png")]
    form = inbound_form(account_sid=ACCOUNT, sender="+15550001", to="+15550002", media=media)
    message = parse_inbound(form)
    assert (message.sender, message.recipient, message.media) == (
        "+15550001",
        "+15550002",
        (MediaRef(*media[0]),),
    )
    url = "https://helpline.example.org/webhooks/twilio/sms?number=1"
    assert valid_signature(fake.auth_token, url, form, fake.sign(url, form))
    update = parse_status(
        status_form(
            account_sid=ACCOUNT,
            message_sid=OUTBOUND_SID,
            status="undelivered",
            sender="+15550002",
            to="+15550001",
            error_code="30005",
        )
    )
    assert (update.status, update.error) == (DeliveryStatus.FAILED, "30005")
