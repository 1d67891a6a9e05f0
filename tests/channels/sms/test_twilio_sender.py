"""TwilioSender against a fake Twilio on a real local HTTP server (``tests/fakes/twilio``).

The fake checks what Twilio checks (basic auth, the account, E.164 ``To``, a body or
media) and answers in Twilio's shapes: a Message resource (201) or an error
``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from helpline.channels.errors import MediaFetchError, ProviderPayloadError, ProviderSendError
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    MessageSender,
    OutboundMessage,
    SendError,
)
from helpline.channels.sms.twilio import TwilioSender
from tests.fakes.server import Reply
from tests.fakes.twilio import FakeTwilio

OURS = "+14155550100"
CUSTOMER = "+14155550199"
CALLBACK = "https://helpline.example.org/webhooks/twilio/status"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def sender(twilio: FakeTwilio) -> AsyncIterator[TwilioSender]:
    async with TwilioSender(
        account_sid=twilio.account_sid,
        auth_token=twilio.auth_token,
        base_url=twilio.base_url + "/",
        status_callback_url=CALLBACK,
    ) as sender:
        yield sender


def sms(text: str = "Your parcel left the warehouse", *media: str) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.SMS, sender=OURS, recipient=CUSTOMER, text=text, media_urls=media
    )


def test_it_is_a_message_sender() -> None:
    sender: MessageSender = TwilioSender(account_sid="AC1", auth_token="t")
    assert callable(sender.send)


async def test_sends_a_text(twilio: FakeTwilio, sender: TwilioSender) -> None:
    result = await sender.send(sms("Olá, João! Tudo certo? ✅"))

    [sent] = twilio.messages
    assert result.provider_message_id == sent.sid
    assert result.status is DeliveryStatus.SENT
    request = sent.request
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert request.basic_auth == (twilio.account_sid, twilio.auth_token)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": [CUSTOMER],
        "From": [OURS],
        "Body": ["Olá, João! Tudo certo? ✅"],
        "StatusCallback": [CALLBACK],
    }


async def test_sends_media_in_order_without_a_callback_when_none_is_set(
    twilio: FakeTwilio,
) -> None:
    media = ("https://helpline.example.org/m/a.jpg", "https://helpline.example.org/m/b.pdf")
    async with TwilioSender(
        account_sid=twilio.account_sid, auth_token=twilio.auth_token, base_url=twilio.base_url
    ) as sender:
        result = await sender.send(sms("", *media))

    [sent] = twilio.messages
    assert result.provider_message_id == sent.sid
    assert sent.fields("MediaUrl") == list(media)
    assert sent.field("Body") is None
    assert sent.field("StatusCallback") is None


async def test_twilio_refusing_the_number_is_not_retryable(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    message = OutboundMessage(channel=Channel.SMS, sender=OURS, recipient="555-0199", text="hi")
    with pytest.raises(ProviderSendError) as caught:
        await sender.send(message)

    error = caught.value
    assert isinstance(error, SendError)
    assert not error.retryable
    assert error.code == "21211"
    assert error.http_status == 400
    assert "not a valid phone number" in str(error)
    assert twilio.messages == []


async def test_wrong_credentials_are_not_retryable(twilio: FakeTwilio) -> None:
    async with TwilioSender(
        account_sid=twilio.account_sid, auth_token="wrong", base_url=twilio.base_url
    ) as sender:
        with pytest.raises(ProviderSendError) as caught:
            await sender.send(sms())
    assert not caught.value.retryable
    assert caught.value.code == "20003"
    assert caught.value.http_status == 401
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("reply", "retryable", "code"),
    [
        (FakeTwilio.error(429, 20429, "Too Many Requests"), True, "20429"),
        (Reply(500), True, None),
        (FakeTwilio.error(503, 20503, "Service unavailable"), True, "20503"),
        (Reply.drop(), True, None),
        (FakeTwilio.error(400, 21610, "Attempt to send to unsubscribed recipient"), False, "21610"),
        (FakeTwilio.error(403, 20403, "Permission denied"), False, "20403"),
        (Reply(201, json={"status": "queued"}), False, None),
        (Reply(201, json=["not", "a", "message"]), False, None),
    ],
    ids=[
        "429",
        "500-no-body",
        "503",
        "dropped-connection",
        "400-unsubscribed",
        "403",
        "201-without-sid",
        "201-not-an-object",
    ],
)
async def test_failures_and_whether_to_retry(
    twilio: FakeTwilio,
    sender: TwilioSender,
    reply: Reply,
    retryable: bool,
    code: str | None,
) -> None:
    twilio.script(reply)
    with pytest.raises(ProviderSendError) as caught:
        await sender.send(sms())
    assert caught.value.retryable is retryable
    assert caught.value.code == code
    if reply.json and isinstance(reply.json, dict) and "message" in reply.json:
        assert reply.json["message"] in str(caught.value)

    # The script is spent: the next send goes through.
    result = await sender.send(sms())
    assert result.provider_message_id == twilio.messages[-1].sid
    assert len(twilio.requests) == 2


async def test_nobody_listening_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with TwilioSender(
        account_sid="AC1", auth_token="t", base_url=f"http://127.0.0.1:{port}"
    ) as sender:
        with pytest.raises(ProviderSendError) as caught:
            await sender.send(sms())
    assert caught.value.retryable
    assert caught.value.http_status is None


async def test_refuses_what_it_cannot_send_without_asking_twilio(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    with pytest.raises(ProviderSendError) as empty:
        await sender.send(sms(""))
    messenger = OutboundMessage(channel=Channel.MESSENGER, sender="1", recipient="2", text="x")
    with pytest.raises(ProviderSendError) as wrong_channel:
        await sender.send(messenger)
    assert not empty.value.retryable
    assert not wrong_channel.value.retryable
    assert twilio.requests == []


async def test_a_client_given_is_used_and_left_open(twilio: FakeTwilio) -> None:
    async with httpx.AsyncClient() as client:
        sender = TwilioSender(
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token,
            base_url=twilio.base_url,
            client=client,
        )
        await sender.send(sms())
        await sender.aclose()
        assert not client.is_closed
    assert len(twilio.messages) == 1


async def test_an_own_client_is_closed() -> None:
    sender = TwilioSender(account_sid="AC1", auth_token="t")
    await sender.aclose()
    assert sender._client.is_closed


# -- media --------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


async def test_fetches_protected_media_with_the_account_credentials(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    url = twilio.add_media(JPEG, "image/jpeg", protected=True)
    content, content_type = await sender.fetch_media(url, max_bytes=len(JPEG))
    assert (content, content_type) == (JPEG, "image/jpeg")
    assert twilio.requests[-1].basic_auth == (twilio.account_sid, twilio.auth_token)


async def test_follows_the_redirect_to_storage(twilio: FakeTwilio, sender: TwilioSender) -> None:
    url = twilio.add_media(b"%PDF-1.7 receipt", "application/pdf; name=receipt.pdf", via_cdn=True)
    content, content_type = await sender.fetch_media(url, max_bytes=1000)
    assert (content, content_type) == (b"%PDF-1.7 receipt", "application/pdf")
    assert [r.path.split("/")[1] for r in twilio.requests] == ["2010-04-01", "cdn"]


async def test_credentials_never_go_to_another_host(sender: TwilioSender) -> None:
    with FakeTwilio() as elsewhere:
        open_url = elsewhere.add_media(b"GIF89a", "image/gif", protected=False)
        assert await sender.fetch_media(open_url, max_bytes=100) == (b"GIF89a", "image/gif")
        assert "authorization" not in elsewhere.requests[-1].headers

        protected_url = elsewhere.add_media(b"GIF89a", "image/gif", protected=True)
        with pytest.raises(MediaFetchError) as caught:
            await sender.fetch_media(protected_url, max_bytes=100)
        assert not caught.value.retryable
        assert caught.value.http_status == 401
        assert "authorization" not in elsewhere.requests[-1].headers


async def test_media_of_exactly_the_limit_is_fetched(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    url = twilio.add_generated_media(300_000, declare_length=False)
    content, content_type = await sender.fetch_media(url, max_bytes=300_000)
    assert len(content) == 300_000
    assert content_type == "video/mp4"


async def test_announced_oversized_media_is_refused_before_reading(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    size = 256 * 1024 * 1024
    url = twilio.add_generated_media(size, declare_length=True)
    with pytest.raises(ProviderPayloadError) as caught:
        await sender.fetch_media(url, max_bytes=2 * 1024 * 1024)
    assert caught.value.field == "media"
    assert twilio.bytes_served(url) < size // 4


async def test_unannounced_oversized_media_is_cut_off(
    twilio: FakeTwilio, sender: TwilioSender
) -> None:
    size = 256 * 1024 * 1024
    url = twilio.add_generated_media(size, declare_length=False)
    with pytest.raises(ProviderPayloadError):
        await sender.fetch_media(url, max_bytes=1024 * 1024)
    # The server generated the body while sending it: it stopped far short of the end
    # because the client hung up once it had more than it allows.
    assert twilio.bytes_served(url) < size // 4


async def test_one_byte_too_many_is_refused(twilio: FakeTwilio, sender: TwilioSender) -> None:
    url = twilio.add_media(JPEG, "image/jpeg")
    with pytest.raises(ProviderPayloadError):
        await sender.fetch_media(url, max_bytes=len(JPEG) - 1)


async def test_missing_media_and_bad_urls(twilio: FakeTwilio, sender: TwilioSender) -> None:
    url = twilio.add_media(JPEG, "image/jpeg")
    with pytest.raises(MediaFetchError) as missing:
        await sender.fetch_media(url[:-4] + "0000", max_bytes=len(JPEG))
    assert not missing.value.retryable
    assert missing.value.http_status == 404
    with pytest.raises(ProviderPayloadError):
        await sender.fetch_media("file:///etc/passwd", max_bytes=10)
