"""Unit tests of the SIP message module: headers, URIs, addresses, Via, framing, writing."""

from __future__ import annotations

import pytest

from helpline.channels.sip.message import (
    MAX_MESSAGE_SIZE,
    Headers,
    NameAddr,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamFramer,
    parse_auth_params,
    parse_cseq,
    parse_message,
    parse_name_addr,
    parse_params,
    parse_uri,
    parse_via,
    response_to,
)

INVITE = (
    b"INVITE sip:100@helpline.example SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa1;rport\r\n"
    b"Via: SIP/2.0/TCP proxy.example;branch=z9hG4bKp1\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Caller" <sip:caller@example.net>;tag=f1\r\n'
    b"To: <sip:100@helpline.example>\r\n"
    b"Call-ID: c1@10.0.0.2\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Timestamp: 54.2\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
    b"From: <sip:a@example.com>;tag=1\r\n"
    b"To: <sip:b@example.com>;tag=2\r\n"
    b"Call-ID: ok1\r\n"
    b"CSeq: 7 OPTIONS\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def _invite() -> Request:
    message = parse_message(INVITE)
    assert isinstance(message, Request)
    return message


# ---- Headers --------------------------------------------------------------------------------


def test_compact_header_names_are_expanded() -> None:
    headers = Headers([("v", "SIP/2.0/UDP h"), ("i", "id"), ("m", "<sip:a@b>"), ("l", "0")])
    assert [name for name, _ in headers] == ["Via", "Call-ID", "Contact", "Content-Length"]
    assert headers.get("Via") == "SIP/2.0/UDP h"
    assert headers.get("i") == "id"  # and looked up by the compact name as well


def test_header_names_are_case_insensitive_and_unknown_ones_keep_their_spelling() -> None:
    headers = Headers([("call-id", "x"), ("X-Custom-Thing", "1")])
    assert headers.get("CALL-ID") == "x"
    assert "cAlL-iD" in headers
    assert [name for name, _ in headers] == ["Call-ID", "X-Custom-Thing"]
    assert headers.get("x-custom-thing") == "1"
    assert 42 not in headers
    assert headers.get("Missing", "default") == "default"


def test_values_split_list_headers_but_not_inside_quotes_or_brackets() -> None:
    headers = Headers(
        [
            ("Contact", '"Doe, John" <sip:j@x>, <sip:k@y?h=a,b>'),
            ("Contact", '"say \\"hi, there\\"" <sip:l@z>'),
            ("m", "*"),
        ]
    )
    assert headers.values("Contact") == [
        '"Doe, John" <sip:j@x>',
        "<sip:k@y?h=a,b>",
        '"say \\"hi, there\\"" <sip:l@z>',
        "*",
    ]
    assert len(headers.get_all("Contact")) == 3


def test_values_do_not_split_headers_that_are_not_lists() -> None:
    headers = Headers(
        [
            ("Subject", "hello, world"),
            ("Authorization", 'Digest username="a", realm="b"'),
            ("Allow", "INVITE, ACK,,BYE"),
            ("Subject", "  "),
        ]
    )
    assert headers.values("Subject") == ["hello, world"]
    assert headers.values("Authorization") == ['Digest username="a", realm="b"']
    assert headers.values("Allow") == ["INVITE", "ACK", "BYE"]  # empty elements dropped


def test_set_replaces_the_first_in_place_and_drops_the_others() -> None:
    headers = Headers([("Via", "a"), ("To", "t"), ("v", "b"), ("From", "f")])
    headers.set("VIA", "c")
    assert list(headers) == [("Via", "c"), ("To", "t"), ("From", "f")]
    headers.set("Subject", "new")
    assert list(headers)[-1] == ("Subject", "new")


def test_remove_drops_every_line_and_add_first_prepends() -> None:
    headers = Headers([("Via", "a"), ("To", "t"), ("Via", "b")])
    headers.add("v", "top", first=True)
    assert headers.get_all("Via") == ["top", "a", "b"]
    headers.remove("via")
    assert list(headers) == [("To", "t")]
    assert len(headers) == 1


def test_copy_is_independent() -> None:
    headers = Headers([("To", "t")])
    copy = headers.copy()
    copy.add("From", "f")
    assert "From" not in headers
    assert repr(headers) == "Headers([('To', 't')])"


# ---- parameters ---------------------------------------------------------------------------


def test_params_with_and_without_values_and_quoted_values() -> None:
    assert parse_params(';a=b;C;d="x;y=z"') == {"a": "b", "c": None, "d": "x;y=z"}
    assert parse_params("a=b") == {"a": "b"}
    assert parse_params("") == {}
    assert parse_params("a=1;") == {"a": "1"}  # one trailing ";" is tolerated


@pytest.mark.parametrize("text", [";;", "a=1;;b=2", ";=x", ";a b=1", ';a="open'])
def test_bad_params_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_params(text)


# ---- URIs ---------------------------------------------------------------------------------


def test_a_full_sip_uri() -> None:
    uri = parse_uri("SIP:Alice:secret@Example.COM:5070;transport=TCP;lr?Subject=hi%20there")
    assert uri == SipUri(
        "sip",
        "Alice",
        "secret",
        "example.com",
        5070,
        {"transport": "TCP", "lr": None},
        {"Subject": "hi there"},
    )
    assert (uri.transport, uri.host_port) == ("tcp", "example.com:5070")
    assert parse_uri("sip:h").transport == "udp"
    assert parse_uri(str(uri)) == uri


def test_ipv6_hosts_with_and_without_port() -> None:
    uri = parse_uri("sips:bob@[2001:db8::1]:5061;maddr=[2001:db8::2]")
    assert (uri.scheme, uri.host, uri.port) == ("sips", "[2001:db8::1]", 5061)
    assert uri.params == {"maddr": "[2001:db8::2]"}
    assert uri.host_port == "[2001:db8::1]:5061"
    assert parse_uri("sip:[::1]").port is None
    assert parse_uri(str(uri)) == uri


@pytest.mark.parametrize("user", ["alice smith", "a@b", "100%", "x;y=z?w", "Jürgen", "\x00"])
def test_an_escaped_user_round_trips(user: str) -> None:
    uri = SipUri("sip", user, None, "example.com", None, {"x": "a b"}, {"Route": "<sip:r>"})
    text = str(uri)
    assert " " not in text
    assert "<" not in text
    assert parse_uri(text) == uri


def test_tel_uris() -> None:
    uri = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert (uri.scheme, uri.user, uri.host) == ("tel", "+1-201-555-0123", "")
    assert uri.params == {"phone-context": "example.com"}
    assert str(uri) == "tel:+1-201-555-0123;phone-context=example.com"
    with pytest.raises(SipParseError):
        parse_uri("tel:call-me!")


@pytest.mark.parametrize(
    "text",
    [
        "sip:h:0",
        "sip:h:65536",
        "sip:h:5o6o",
        "sip:h:-1",
        "sip:h:\u00b2",  # "²".isdigit() is true, int() refuses it
        "sip:h:" + "9" * 5000,  # int() refuses more than 4,300 digits
        "sip:[::1]:99999",
        "sip:[::1]5060",
    ],
)
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_uri(text)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "text",
    [
        "sip:",
        "sip:ho st",
        "sip:host_name",
        "sip:@host",
        "sip:a@",
        "sip:a@[::1",
        "sip:<a@b>",
        'sip:"a"@b',
        "sip:a@b\n;x",
        "not a uri",
        "1sip:a@b",
    ],
)
def test_bad_hosts_and_shapes_are_refused(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_uri(text)
    assert caught.value.status == 400


@pytest.mark.parametrize("text", ["http://example.com/", "mailto:a@b", "urn:x:y", "im:a@b"])
def test_unknown_schemes_are_416(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_uri(text)
    assert caught.value.status == 416


def test_uri_parameters_are_unescaped_once() -> None:
    uri = parse_uri("sip:h;%6C%72;n%61me=v%61lue%25%34%31")
    assert uri.params == {"lr": None, "name": "value%41"}
    assert str(uri) == "sip:h;lr;name=value%2541"


# ---- name-addr ------------------------------------------------------------------------------


def test_a_quoted_display_name_with_escapes() -> None:
    address = parse_name_addr('"say \\"hi\\" \\\\o/" <sip:a@x>;tag=1;expires=60')
    assert address.display_name == 'say "hi" \\o/'
    assert (address.uri.user, address.tag, address.params["expires"]) == ("a", "1", "60")
    assert parse_name_addr(str(address)) == address


def test_unquoted_display_names() -> None:
    assert parse_name_addr("Alice   Smith <sip:a@x>").display_name == "Alice Smith"
    assert parse_name_addr("Jürgen<sip:j@x>").display_name == "Jürgen"
    # Not tokens, but unambiguous: accepted, as phones send them.
    assert parse_name_addr("John Doe (mobile) <sip:j@x>").display_name == "John Doe (mobile)"
    assert parse_name_addr("<sip:a@x>").display_name is None


def test_uri_params_inside_brackets_header_params_outside() -> None:
    address = parse_name_addr("<sip:a@x;transport=tcp>;expires=60")
    assert (address.uri.params, address.params) == ({"transport": "tcp"}, {"expires": "60"})


def test_without_brackets_params_after_the_uri_belong_to_the_header() -> None:
    address = parse_name_addr("sip:a@x;tag=9;transport=tcp")
    assert address.uri.params == {}
    assert address.params == {"tag": "9", "transport": "tcp"}
    assert address.tag == "9"
    assert str(address) == "<sip:a@x>;tag=9;transport=tcp"


def test_the_wildcard_contact() -> None:
    address = parse_name_addr(" * ")
    assert address.wildcard
    assert str(address) == "*"
    assert isinstance(address, NameAddr)


@pytest.mark.parametrize(
    "text",
    [
        '"Alice" sip:a@x',  # a quoted display name needs <...>
        '"Alice <sip:a@x>',  # unterminated quote
        "<sip:a@x",  # no '>'
        "Bell, Alexander <sip:a@x>",  # "," needs quotes
        "a;b <sip:a@x>",  # so does ";"
        "sip:a@x?Route=%3Csip:r%3E",  # headers outside <...>
        "sip:a b@x",
        "<sip:a@x>;;",
    ],
)
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_name_addr(text)
    assert caught.value.status == 400


# ---- Via and CSeq ------------------------------------------------------------------------


def test_via_with_received_and_rport() -> None:
    via = parse_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport;received=192.0.2.7")
    assert (via.protocol, via.transport, via.host, via.port) == ("SIP/2.0", "UDP", "10.0.0.1", 5060)
    assert via.params == {"branch": "z9hG4bKabc", "rport": None, "received": "192.0.2.7"}
    assert via.branch == "z9hG4bKabc"
    via.params["rport"] = "6000"
    assert str(via) == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport=6000;received=192.0.2.7"


def test_via_with_an_ipv6_sent_by() -> None:
    via = parse_via("SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKx")
    assert (via.host, via.port, via.transport) == ("[2001:db8::9]", 5061, "TLS")
    assert parse_via("SIP/2.0/TCP [::1];branch=z9hG4bKy").port is None


def test_via_with_lws_around_the_slashes() -> None:
    via = parse_via("sip / 2.0 /udp   host.example ; branch = z9hG4bKq")
    assert (via.protocol, via.transport, via.host) == ("SIP/2.0", "UDP", "host.example")
    assert via.branch == "z9hG4bKq"


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0 host",
        "SIP/2.0/UDP",
        "SIP/2.0/UDP ;branch=x",
        "SIP/2.0/UDP h:99999",
        "SIP/2.0/UDP h:0",
        "SIP/2.0/UDP h;;",
        "SIP/2.0/UDP [::1",
        "SIP//UDP h",
    ],
)
def test_bad_vias_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_via(text)


def test_cseq_limits() -> None:
    assert parse_cseq("0 INVITE") == (0, "INVITE")
    assert parse_cseq("  00042   ACK ") == (42, "ACK")
    assert parse_cseq(f"{2**31 - 1} BYE") == (2**31 - 1, "BYE")


@pytest.mark.parametrize(
    "text",
    [
        f"{2**31} BYE",
        "-1 INVITE",
        "1",
        "1 INVITE extra",
        "\u0661 INVITE",  # ARABIC-INDIC DIGIT ONE
        "9" * 5000 + " INVITE",
        "1 IN@VITE",
        "",
    ],
)
def test_bad_cseqs_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_cseq(text)


# ---- authentication parameters -----------------------------------------------------------


def test_auth_params_with_escaped_quotes_and_commas() -> None:
    scheme, params = parse_auth_params(
        'Digest username="bob", realm="a, b", nonce="n\\"1\\\\", uri="sip:x", qop=auth'
    )
    assert scheme == "Digest"
    assert params == {
        "username": "bob",
        "realm": "a, b",
        "nonce": 'n"1\\',
        "uri": "sip:x",
        "qop": "auth",
    }


@pytest.mark.parametrize("text", ['Digest realm="x", nonce', '"Digest" a=b', 'Digest a="b', ""])
def test_bad_auth_params_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_auth_params(text)


# ---- response_to --------------------------------------------------------------------------


def test_response_to_copies_the_transaction_headers_in_order() -> None:
    invite = _invite()
    ringing = response_to(invite, 180, to_tag="t9", headers=[("Contact", "<sip:h>")])
    assert ringing.headers.get_all("Via") == invite.headers.get_all("Via")
    for name in ("From", "Call-ID", "CSeq"):
        assert ringing.headers.get(name) == invite.headers.get(name)
    assert ringing.headers.get("To") == "<sip:100@helpline.example>;tag=t9"
    assert ringing.reason == "Ringing"
    assert ringing.headers.get("Contact") == "<sip:h>"
    assert "Timestamp" not in ringing.headers
    assert response_to(invite, 299).reason == "Unknown"


def test_the_to_tag_is_added_once() -> None:
    invite = _invite()
    invite.headers.set("To", "<sip:100@helpline.example> ; TAG = already")
    ok = response_to(invite, 200, to_tag="new")
    assert ok.headers.get("To") == "<sip:100@helpline.example> ; TAG = already"


def test_a_100_trying_has_no_tag_and_echoes_timestamp() -> None:
    trying = response_to(_invite(), 100, to_tag="t9")
    assert trying.headers.get("To") == "<sip:100@helpline.example>"
    assert trying.headers.get("Timestamp") == "54.2"
    assert trying.reason == "Trying"


# ---- StreamFramer ---------------------------------------------------------------------------


def test_framing_byte_by_byte() -> None:
    framer = StreamFramer()
    stream = INVITE + OK
    frames: list[bytes] = []
    for index in range(len(stream)):
        frames.extend(framer.feed(stream[index : index + 1]))
    assert frames == [INVITE, OK]


def test_several_messages_in_one_chunk_and_keep_alives() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n") == []  # RFC 5626 keep-alive
    assert framer.feed(b"\r\n" + INVITE + b"\r\n\r\n" + OK + OK[:10]) == [INVITE, OK]
    assert framer.feed(OK[10:]) == [OK]


def test_compact_content_length_frames_too() -> None:
    message = OK.replace(b"Content-Length: 0", b"l:   3") + b"abc"
    assert StreamFramer().feed(message + OK) == [message, OK]


def test_a_stream_message_without_content_length_is_refused() -> None:
    framer = StreamFramer()
    with pytest.raises(SipParseError):
        framer.feed(OK.replace(b"Content-Length: 0\r\n", b""))
    assert framer.feed(OK) == [OK]  # the buffer was dropped with the error


@pytest.mark.parametrize("length", [b"abc", b"-1", b"70000", b"9" * 5000, b"1, 2"])
def test_a_stream_message_with_a_bad_content_length_is_refused(length: bytes) -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(OK.replace(b"Content-Length: 0", b"Content-Length: " + length))


def test_oversized_headers_on_a_stream_are_refused() -> None:
    framer = StreamFramer()
    framer.feed(b"INVITE sip:a@b SIP/2.0\r\nX: ")
    with pytest.raises(SipParseError) as caught:
        framer.feed(b"x" * MAX_MESSAGE_SIZE)
    assert caught.value.status == 413


# ---- whole messages and encode() ----------------------------------------------------------


def _without_length(headers: Headers) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name != "Content-Length"]


def test_a_request_round_trips_through_encode() -> None:
    invite = _invite()
    again = parse_message(invite.encode())
    assert isinstance(again, Request)
    assert (again.method, again.uri, again.body) == (invite.method, invite.uri, invite.body)
    # encode() writes Content-Length last, from the body.
    assert _without_length(again.headers) == _without_length(invite.headers)
    assert again.headers.get("Content-Length") == "4"


def test_encode_writes_the_real_content_length() -> None:
    invite = _invite()
    invite.body = b"v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\n"
    invite.headers.add("l", "999")
    data = invite.encode()
    assert data.count(b"Content-Length") == 1
    assert data.endswith(b"\r\nContent-Length: %d\r\n\r\n" % len(invite.body) + invite.body)


@pytest.mark.parametrize("reason", ["OK", "", "Très bien, merci"])
def test_a_response_round_trips_through_encode(reason: str) -> None:
    ok = parse_message(OK)
    assert isinstance(ok, Response)
    ok.reason = reason
    ok.body = b"\x00binary\r\n\r\n"
    data = ok.encode()
    assert data.startswith(f"SIP/2.0 200 {reason}\r\n".encode())
    again = parse_message(data)
    assert isinstance(again, Response)
    assert (again.status, again.reason, again.body) == (200, reason, ok.body)
    assert _without_length(again.headers) == _without_length(ok.headers)


def test_leading_crlfs_and_bare_lf_line_ends_are_accepted() -> None:
    assert isinstance(parse_message(b"\r\n\r\n" + OK), Response)
    assert isinstance(parse_message(OK.replace(b"\r\n", b"\n")), Response)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"\r\n\r\n", 400),
        (b"x" * (MAX_MESSAGE_SIZE + 1), 413),
        (OK.replace(b"200", b"\xc2\xb2\xc2\xb2\xc2\xb2", 1), 400),
        (OK.replace(b"Content-Length: 0", "Content-Length: \u0661".encode()), 400),
        (OK.replace(b"Content-Length: 0", b"Content-Length: " + b"9" * 5000), 400),
        (INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards: 256"), 400),
        (INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards: " + b"1" * 5000), 400),
        (INVITE.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1), 505),
        (INVITE.replace(b"Call-ID: c1@10.0.0.2", b"Call-ID: "), 400),
        (INVITE.replace(b"\r\nVia:", b"\r\n Via:", 1), 400),
        (b" INVITE sip:a@b SIP/2.0\r\n\r\n", 400),
        (INVITE.replace(b"Timestamp", b"Time stamp"), 400),
    ],
)
def test_bad_messages_are_refused_with_a_status(data: bytes, status: int) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.status == status
