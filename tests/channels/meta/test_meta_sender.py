"""MetaSender against a fake Graph API on a real local HTTP server (``tests/fakes/meta``).

The fake checks the page token and the Send API body as the Graph API does and answers in
its shapes: ``{"recipient_id", "message_id"}`` or ``{"error": {"message", "type", "code",
"fbtrace_id", ...}}``.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from helpline.channels.errors import MediaFetchError, ProviderPayloadError, ProviderSendError
from helpline.channels.messaging import Channel, DeliveryStatus, MessageSender, OutboundMessage
from helpline.channels.meta import MetaSender
from helpline.channels.meta.send import attachment_type
from tests.fakes.meta import FakeMeta
from tests.fakes.server import Reply

PAGE = "109876543210987"
PSID = "6543210987654321"


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    with FakeMeta(api_version="v19.0") as fake:
        yield fake


@pytest.fixture
async def sender(meta: FakeMeta) -> AsyncIterator[MetaSender]:
    async with MetaSender(
        page_access_token=meta.page_access_token, base_url=meta.base_url + "/"
    ) as sender:
        yield sender


def reply(
    text: str = "Thanks, we are on it!",
    *media: str,
    channel: Channel = Channel.MESSENGER,
) -> OutboundMessage:
    return OutboundMessage(
        channel=channel, sender=PAGE, recipient=PSID, text=text, media_urls=media
    )


def test_it_is_a_message_sender() -> None:
    sender: MessageSender = MetaSender(page_access_token="t")
    assert callable(sender.send)


async def test_sends_a_text(meta: FakeMeta, sender: MetaSender) -> None:
    result = await sender.send(reply("Olá! Já verificámos a sua encomenda 📦"))

    [sent] = meta.messages
    assert result.provider_message_id == sent.message_id
    assert result.status is DeliveryStatus.SENT
    request = sent.request
    assert request.method == "POST"
    assert request.path == "/v19.0/me/messages"
    assert request.query == {"access_token": [meta.page_access_token]}
    assert request.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Olá! Já verificámos a sua encomenda 📦"},
    }


async def test_sends_text_then_one_message_per_attachment(
    meta: FakeMeta, sender: MetaSender
) -> None:
    media = (
        "https://helpline.example.org/files/abc/photo.JPG",
        "https://helpline.example.org/files/abc/guide.pdf?download=1",
    )
    result = await sender.send(reply("Here you go", *media, channel=Channel.INSTAGRAM))

    assert [m.json["message"] for m in meta.messages] == [
        {"text": "Here you go"},
        {"attachment": {"type": "image", "payload": {"url": media[0], "is_reusable": True}}},
        {"attachment": {"type": "file", "payload": {"url": media[1], "is_reusable": True}}},
    ]
    assert result.provider_message_id == meta.messages[-1].message_id


async def test_attachments_alone(meta: FakeMeta, sender: MetaSender) -> None:
    await sender.send(reply("", "https://h.example/v/clip.mp4"))
    [sent] = meta.messages
    assert sent.json["message"]["attachment"]["type"] == "video"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://h.example/a.jpg", "image"),
        ("https://h.example/a.jpeg?x=1", "image"),
        ("https://h.example/A.PNG", "image"),
        ("https://h.example/a.gif#top", "image"),
        ("https://h.example/a.webp", "image"),
        ("https://h.example/clip.mp4", "video"),
        ("https://h.example/clip.mov", "video"),
        ("https://h.example/voice.mp3", "audio"),
        ("https://h.example/voice.ogg", "audio"),
        ("https://h.example/guide.pdf", "file"),
        ("https://h.example/download", "file"),
        ("https://h.example/dir.jpg/", "file"),
        ("https://h.example/na%C3%AFve.png", "image"),
    ],
)
def test_attachment_type_from_the_extension(url: str, kind: str) -> None:
    assert attachment_type(url) == kind


async def test_an_expired_token_is_not_retryable(meta: FakeMeta) -> None:
    async with MetaSender(page_access_token="expired", base_url=meta.base_url) as sender:
        with pytest.raises(ProviderSendError) as caught:
            await sender.send(reply())
    assert not caught.value.retryable
    assert caught.value.code == "190"
    assert "Invalid OAuth access token" in str(caught.value)
    assert meta.messages == []


@pytest.mark.parametrize(
    ("scripted", "retryable", "code"),
    [
        (FakeMeta.graph_error(400, 4, "Application request limit reached"), True, "4"),
        (FakeMeta.graph_error(400, 17, "User request limit reached"), True, "17"),
        (FakeMeta.graph_error(400, 32, "Page request limit reached"), True, "32"),
        (
            FakeMeta.graph_error(400, 613, "Calls to this api have exceeded the rate limit."),
            True,
            "613",
        ),
        (FakeMeta.graph_error(500, 2, "An unexpected error has occurred."), True, "2"),
        (
            FakeMeta.graph_error(400, 1200, "Temporary send failure", is_transient=True),
            True,
            "1200",
        ),
        (Reply(502), True, None),
        (Reply(429), True, None),
        (Reply.drop(), True, None),
        (
            FakeMeta.graph_error(
                400,
                10,
                "(#10) This message is sent outside of allowed window.",
                subcode=2018278,
                is_transient=False,
            ),
            False,
            "10",
        ),
        (
            FakeMeta.graph_error(
                400, 551, "This person isn't available right now.", subcode=1545041
            ),
            False,
            "551",
        ),
        (
            FakeMeta.graph_error(403, 200, "(#200) Requires pages_messaging permission"),
            False,
            "200",
        ),
        (Reply(400, json={"unexpected": True}), False, None),
        (Reply(200, json={"recipient_id": PSID}), False, None),
    ],
    ids=[
        "code-4",
        "code-17",
        "code-32",
        "code-613",
        "500",
        "is-transient",
        "502-no-body",
        "429",
        "dropped-connection",
        "outside-24h-window",
        "person-unavailable",
        "permission",
        "400-not-a-graph-error",
        "200-without-message-id",
    ],
)
async def test_failures_and_whether_to_retry(
    meta: FakeMeta,
    sender: MetaSender,
    scripted: Reply,
    retryable: bool,
    code: str | None,
) -> None:
    meta.script(scripted)
    with pytest.raises(ProviderSendError) as caught:
        await sender.send(reply())
    assert caught.value.retryable is retryable
    assert caught.value.code == code
    if isinstance(scripted.json, dict) and "error" in scripted.json:
        assert scripted.json["error"]["message"] in str(caught.value)

    result = await sender.send(reply())
    assert result.provider_message_id == meta.messages[-1].message_id


async def test_a_failed_attachment_fails_the_send_after_the_text_went(
    meta: FakeMeta, sender: MetaSender
) -> None:
    meta.script(Reply(200, json=None), Reply(500))
    # The first scripted reply is a bare 200 without a message id: not a success.
    with pytest.raises(ProviderSendError):
        await sender.send(reply("text", "https://h.example/a.png"))
    assert len(meta.requests) == 1

    meta.reset()
    ok_then_fail = [Reply(200, json={"recipient_id": PSID, "message_id": "m_1"}), Reply(503)]
    meta.script(*ok_then_fail)
    with pytest.raises(ProviderSendError) as caught:
        await sender.send(reply("text", "https://h.example/a.png", "https://h.example/b.png"))
    assert caught.value.retryable
    # The text went, the first attachment failed, the second was never tried.
    assert len(meta.requests) == 2


async def test_nobody_listening_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with MetaSender(page_access_token="t", base_url=f"http://127.0.0.1:{port}") as sender:
        with pytest.raises(ProviderSendError) as caught:
            await sender.send(reply())
    assert caught.value.retryable


async def test_refuses_what_it_cannot_send_without_asking_meta(
    meta: FakeMeta, sender: MetaSender
) -> None:
    with pytest.raises(ProviderSendError) as empty:
        await sender.send(reply(""))
    with pytest.raises(ProviderSendError) as sms:
        await sender.send(reply(channel=Channel.SMS))
    assert not empty.value.retryable
    assert not sms.value.retryable
    assert meta.requests == []


async def test_another_api_version_is_a_path_meta_does_not_know(meta: FakeMeta) -> None:
    async with MetaSender(
        page_access_token=meta.page_access_token, base_url=meta.base_url, api_version="v2.0"
    ) as sender:
        with pytest.raises(ProviderSendError) as caught:
            await sender.send(reply())
    assert not caught.value.retryable
    assert meta.requests[-1].path == "/v2.0/me/messages"


async def test_fetches_attachments_without_credentials(meta: FakeMeta, sender: MetaSender) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    url = meta.add_media(png, "image/png", "photo.png")
    assert await sender.fetch_media(url, max_bytes=len(png)) == (png, "image/png")
    request = meta.requests[-1]
    assert "authorization" not in request.headers
    assert "access_token" not in request.query
    with pytest.raises(ProviderPayloadError):
        await sender.fetch_media(url, max_bytes=len(png) - 1)
    with pytest.raises(MediaFetchError) as missing:
        await sender.fetch_media(meta.base_url + "/cdn/nothing/here.png", max_bytes=10)
    assert missing.value.http_status == 404
