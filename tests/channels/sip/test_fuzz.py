"""Fuzzing the SIP parser with random and mutated messages.

Whatever arrives on the SIP port, parsing it, framing it from a stream and answering it
when it cannot be parsed must end in a message or in SipParseError: any other exception
is a bug in the parser. A message that parses must also survive ``encode()`` unchanged.

The seeds are the RFC 4475 torture messages; mutations truncate them, flip bytes, insert
SIP separators, duplicate, delete and swap lines and blow header values up.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.channels.sip.message import (
    MAX_MESSAGE_SIZE,
    Message,
    Request,
    Response,
    SipParseError,
    StreamFramer,
    parse_auth_params,
    parse_cseq,
    parse_message,
    parse_name_addr,
    parse_uri,
    parse_via,
    response_to,
)
from helpline.channels.sip.transport import reply_to_unparsable
from tests.channels.sip.rfc4475.make_corpus import CORPUS

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEEDS = [data for _, data in CORPUS.values()]


def _parses(data: bytes) -> bool:
    try:
        parse_message(data)
    except SipParseError:
        return False
    return True


VALID = {name: data for name, (_, data) in CORPUS.items() if _parses(data)}

ADDRESS_HEADERS = ("To", "From", "Contact", "Route", "Record-Route", "Reply-To")
AUTH_HEADERS = ("Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate")
SPICE = (
    b"\x00", b"\r", b"\n", b"\r\n", b"\r\n ", b"\r\n\r\n", b" ", b"\t", b";", b";;", b",",
    b'"', b"\\", b"<", b">", b"@", b"?", b"%", b"%00", b"%zz", b"[", b"]", b":", b"=",
    b"/", b"\xff", b"\xc2\xb2", b"\xd9\xa1", b"\xef\xbb\xbf", b"*", b"sip:", b"tel:",
)  # fmt: skip
HUGE = (
    b"9" * 5000, b"x" * 20000, b";" * 3000, b"," * 3000, b'"' * 999,
    b"<" * 2000, b"\xc2\xb2" * 100, b"%" * 1000, b"a=" * 3000, b"[" * 500,
)  # fmt: skip


# Values that break naive number handling: "²".isdigit() is true but int("²") fails, and
# int() refuses more than 4,300 digits.
NUMBERISH = (
    "\u00b2", "\u0661", "9" * 5000, "-1", "0", "00", "65536", "4294967296", "1e3", "0x10",
    "\u00b2 INVITE", "9" * 5000 + " INVITE", "4294967296 INVITE", "1 \u00b2", " 7 ", "",
)  # fmt: skip
_NUMBERISH = st.sampled_from(NUMBERISH)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def _value(draw: st.DrawFn) -> bytes:
    """A replacement header value: number-like, huge, or short SIP-ish text."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(_NUMBERISH).encode()
    if choice == 1:
        return draw(st.sampled_from(HUGE))
    if choice == 2:
        return draw(_TEXT).encode()
    # a real value with a number-like piece spliced in (ports, tags, expires...)
    real = draw(st.sampled_from([b"SIP/2.0/UDP h:5060;rport=1", b"<sip:a@b:5060>;expires=9"]))
    at = draw(st.integers(0, len(real)))
    return real[:at] + draw(_NUMBERISH).encode() + real[at:]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["truncate", "flip", "spice", "duplicate", "delete", "swap", "value", "bytes"]
            )
        )
        lines = _lines(data)
        at = draw(st.integers(0, max(0, len(data) - 1)))
        line = draw(st.integers(0, len(lines) - 1))
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip":
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "spice":
            data = data[:at] + draw(st.sampled_from(SPICE)) + data[at:]
        elif kind == "duplicate":
            lines.insert(line, lines[line])
            data = b"\r\n".join(lines)
        elif kind == "delete":
            del lines[line]
            data = b"\r\n".join(lines)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            data = b"\r\n".join(lines)
        elif kind == "value":
            if line == 0:  # the start line: a number-like status code or URI port
                lines[0] = lines[0].replace(b"200", draw(_NUMBERISH).encode(), 1)
                lines[0] = lines[0].replace(b".com ", b".com:" + _value(draw) + b" ", 1)
            else:
                name, colon, _ = lines[line].partition(b":")
                lines[line] = name + (colon or b":") + b" " + _value(draw)
            data = b"\r\n".join(lines)
        else:
            data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data


_TEXT = st.text(
    st.sampled_from(
        [*'abcXYZ019 ;:,="<>@?%/\\[]*.-_+~', "\t", "\x00", "\r", "\n", "é", "\ufeff", "²", "١"]
    ),
    max_size=40,
)
_NAMES = st.sampled_from(
    ["Via", "v", "To", "t", "From", "f", "Call-ID", "i", "CSeq", "Contact", "m", "Route",
     "Max-Forwards", "Content-Length", "l", "Authorization", "Require", "Accept", "X-Odd"]
)  # fmt: skip


@st.composite
def header_soup(draw: st.DrawFn) -> bytes:
    """A start line and a mix of plausible and random headers: reaches the deep parsers."""
    start = draw(
        st.sampled_from(
            [
                "INVITE sip:a@b SIP/2.0",
                "INVITE sip:a@b:{} SIP/2.0",
                "REGISTER sip:example.com SIP/2.0",
                "OPTIONS tel:+1555 SIP/2.0",
                "SIP/2.0 200 OK",
                "SIP/2.0 {} Odd",
            ]
        )
    ).format(draw(_NUMBERISH))
    lines = [
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
        "To: <sip:a@b>",
        "From: <sip:c@d>;tag=1",
        "Call-ID: x",
        "CSeq: 1 INVITE" if start.startswith("INVITE") else "CSeq: 1 REGISTER",
    ]
    lines = draw(st.lists(st.sampled_from(lines), max_size=5, unique=True))
    values = st.one_of(_TEXT, _NUMBERISH)
    pairs = draw(st.lists(st.tuples(_NAMES, values), max_size=8))
    lines += [f"{name}: {value}" for name, value in pairs]
    lines = draw(st.permutations(lines))
    body = draw(st.binary(max_size=30))
    return ("\r\n".join([start, *lines]) + "\r\n\r\n").encode() + body


def _same(first: Message, second: Message) -> None:
    if isinstance(first, Request):
        assert isinstance(second, Request)
        assert (second.method, second.uri) == (first.method, first.uri)
    else:
        assert isinstance(first, Response)
        assert isinstance(second, Response)
        assert (second.status, second.reason) == (first.status, first.reason)
    assert second.body == first.body
    original = [(name, value) for name, value in first.headers if name != "Content-Length"]
    again = [(name, value) for name, value in second.headers if name != "Content-Length"]
    assert again == original
    assert second.headers.get("Content-Length") == str(len(first.body))


def _read_everything(message: Message) -> None:
    """What the layers above the parser read; each may refuse, none may crash."""
    headers = message.headers
    readers = [
        *((parse_via, value) for value in headers.values("Via")),
        *((parse_name_addr, value) for name in ADDRESS_HEADERS for value in headers.values(name)),
        *((parse_auth_params, value) for name in AUTH_HEADERS for value in headers.get_all(name)),
        *((parse_cseq, value) for value in headers.get_all("CSeq")),
    ]
    if isinstance(message, Request):
        readers.append((parse_uri, message.uri))
    for reader, value in readers:
        with contextlib.suppress(SipParseError):
            reader(value)  # type: ignore[operator]
    if isinstance(message, Request):
        response_to(message, 180, to_tag="t1").encode()
        response_to(message, 100).encode()


def exercise(data: bytes) -> None:
    try:
        message: Message | SipParseError = parse_message(data)
    except SipParseError as error:
        message = error
    if isinstance(message, SipParseError):
        assert 400 <= message.status < 600
        reply = reply_to_unparsable(data, message)
        assert reply is None or reply[:9] in (b"SIP/2.0 4", b"SIP/2.0 5")
    else:
        _read_everything(message)
        encoded = message.encode()
        if len(encoded) <= MAX_MESSAGE_SIZE:
            _same(message, parse_message(encoded))
    try:
        frames = StreamFramer().feed(data)
    except SipParseError:
        return
    for frame in frames:
        with contextlib.suppress(SipParseError):
            parse_message(frame)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_only_ever_raise_sip_parse_error(data: bytes) -> None:
    exercise(data)


@FUZZ
@given(
    st.sampled_from([b"INVITE sip:a@b SIP/2.0\r\n", b"SIP/2.0 200 OK\r\n", b"\r\n"]),
    st.binary(max_size=1000),
)
def test_random_bytes_after_a_start_line_only_ever_raise_sip_parse_error(
    start: bytes, rest: bytes
) -> None:
    exercise(start + rest)


@FUZZ
@given(mutated())
def test_mutated_torture_messages_only_ever_raise_sip_parse_error(data: bytes) -> None:
    exercise(data)


@FUZZ
@given(header_soup())
def test_random_headers_only_ever_raise_sip_parse_error(data: bytes) -> None:
    exercise(data)


@FUZZ
@given(st.lists(st.sampled_from(SEEDS), min_size=1, max_size=4), st.data())
def test_any_split_of_a_stream_frames_like_the_whole(
    messages: list[bytes], data: st.DataObject
) -> None:
    stream = b"\r\n".join(messages)
    try:
        whole = StreamFramer().feed(stream)
    except SipParseError:
        return
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    framer = StreamFramer()
    frames: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        frames.extend(framer.feed(stream[start:end]))
    assert frames == whole


def test_every_valid_corpus_message_round_trips_through_encode() -> None:
    assert len(VALID) >= 30
    for name, data in VALID.items():
        message = parse_message(data)
        again = parse_message(message.encode())
        try:
            _same(message, again)
        except AssertionError as error:
            raise AssertionError(name) from error
