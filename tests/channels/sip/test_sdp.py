from __future__ import annotations

import pytest

from helpline.channels.sip import sdp

BARESIP_OFFER = (
    b"v=0\r\n"
    b"o=- 1925347063 3456278901 IN IP4 10.0.0.2\r\n"
    b"s=-\r\n"
    b"c=IN IP4 10.0.0.2\r\n"
    b"t=0 0\r\n"
    b"m=audio 10250 RTP/AVP 9 8 0 101\r\n"
    b"b=AS:64\r\n"
    b"a=rtpmap:9 G722/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=ptime:20\r\n"
    b"a=sendrecv\r\n"
)


def test_the_first_supported_codec_of_the_offer_wins() -> None:
    offer = sdp.parse(BARESIP_OFFER)
    chosen = sdp.negotiate(offer)
    assert (chosen.codec, chosen.payload_type) == ("PCMA", 8)
    assert chosen.dtmf_payload_type == 101
    assert (chosen.remote_address, chosen.remote_port) == ("10.0.0.2", 10250)
    assert sdp.negotiate(offer, ("PCMU",)).codec == "PCMU"


def test_static_payload_types_need_no_rtpmap() -> None:
    offer = sdp.parse(
        b"v=0\r\no=sipp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        b"m=audio 6000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\na=sendonly\r\n"
    )
    chosen = sdp.negotiate(offer)
    assert (chosen.codec, chosen.remote_address, chosen.direction) == (
        "PCMU",
        "127.0.0.2",
        "sendonly",
    )
    assert sdp.ANSWER_DIRECTION[chosen.direction] == "recvonly"


def test_our_description_round_trips() -> None:
    ours = sdp.audio_description(
        address="192.0.2.1", port=20000, session_id=7, version=2, codecs=[(0, "PCMU"), (8, "PCMA")]
    )
    again = sdp.parse(ours.encode())
    audio = again.audio
    assert audio is not None
    assert audio.formats == [0, 8, 101]
    assert audio.rtpmap[101] == ("telephone-event", 8000)
    assert audio.ptime == 20
    assert audio.direction == "sendrecv"
    assert again.connection == "192.0.2.1"
    assert again.session_version == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"v=0\r\ns=-\r\n", "origin"),
        (b"v=1\r\no=- 1 1 IN IP4 h\r\n", "version"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio x RTP/AVP 0\r\n", "media line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN XX h\r\n", "connection"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_descriptions_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(sdp.SdpError, match=message):
        sdp.parse(body)


def test_an_offer_without_a_common_codec_is_refused() -> None:
    offer = sdp.parse(
        b"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
        b"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    )
    with pytest.raises(sdp.SdpError, match="PCMU or PCMA"):
        sdp.negotiate(offer)
    video_only = sdp.parse(b"v=0\r\no=- 1 1 IN IP4 h\r\nm=video 4000 RTP/AVP 96\r\n")
    with pytest.raises(sdp.SdpError, match="no audio"):
        sdp.negotiate(video_only)
