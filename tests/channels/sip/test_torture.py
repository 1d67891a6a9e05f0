"""RFC 4475, the SIP torture test messages: what the RFC says an element does with each.

The messages are the ``.dat`` files of ``rfc4475/``, which ``rfc4475/make_corpus.py``
writes. Section numbers are the RFC's. Where the RFC allows either refusing a message or
being liberal, the test says which this parser does and why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.channels.sip.message import (
    Request,
    Response,
    SipParseError,
    StreamFramer,
    parse_cseq,
    parse_message,
    parse_name_addr,
    parse_uri,
    parse_via,
)
from helpline.channels.sip.transaction import server_key
from helpline.channels.sip.transport import reply_to_unparsable
from tests.channels.sip.rfc4475 import make_corpus
from tests.channels.sip.rfc4475.make_corpus import CORPUS, HERE

VALID = [name for name, (section, _) in CORPUS.items() if section.startswith("3.1.1.")]


def load(name: str) -> bytes:
    return (HERE / f"{name}.dat").read_bytes()


def request(name: str) -> Request:
    message = parse_message(load(name))
    assert isinstance(message, Request)
    return message


def response(name: str) -> Response:
    message = parse_message(load(name))
    assert isinstance(message, Response)
    return message


# ---- the corpus itself ------------------------------------------------------------------


def test_the_dat_files_are_exactly_what_the_script_writes() -> None:
    on_disk = {path.name: path.read_bytes() for path in HERE.glob("*.dat")}
    assert on_disk == make_corpus.corpus()


def test_the_script_writes_every_message_and_removes_stale_files(tmp_path: Path) -> None:
    (tmp_path / "gone.dat").write_bytes(b"old")
    assert make_corpus.main(tmp_path) == 0
    written = {path.name: path.read_bytes() for path in tmp_path.glob("*.dat")}
    assert written == make_corpus.corpus()
    assert len(written) == 49


def test_every_message_uses_crlf_line_ends() -> None:
    for name, (_, data) in CORPUS.items():
        head = data.split(b"\r\n\r\n", 1)[0]
        assert b"\n" not in head.replace(b"\r\n", b""), name


# ---- 3.1.1 valid messages: every one parses -----------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_a_valid_message_parses_and_keeps_its_whole_body(name: str) -> None:
    message = parse_message(load(name))
    length = message.headers.get("Content-Length")
    assert length is not None
    assert len(message.body) == int(length)


def test_wsinv_short_tortuous_invite() -> None:
    invite = request("wsinv")
    assert invite.method == "INVITE"
    uri = invite.parsed_uri()
    assert (uri.user, uri.host, uri.params) == (
        "vivekg",
        "chair-dnrc.example.com",
        {"unknownparam": None},
    )
    headers = invite.headers
    # LWS around the colon, odd case, folding and a tag with spaces around "=".
    to = parse_name_addr(headers.get("To") or "")
    assert (to.display_name, to.uri.user, to.tag) == (None, "vivekg", "1918181833n")
    sender = parse_name_addr(headers.get("From") or "")
    assert sender.display_name == 'J Rosenberg \\"'  # quoted-pairs \\ and \" undone
    assert sender.tag == "98asjd8"
    # Leading zeros in integer fields.
    assert headers.get("Max-Forwards") == "0068"
    assert parse_cseq(headers.get("CSeq") or "") == (9, "INVITE")
    # Three Via values: one folded over three lines, two more in a compact "v:" line.
    vias = [parse_via(value) for value in headers.values("Via")]
    assert [(via.transport, via.host, via.branch) for via in vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert all(via.protocol == "SIP/2.0" for via in vias)
    # An empty Subject, folded and unknown headers kept, the unusual value untouched.
    assert "Subject" in headers
    assert headers.get("s") == ""
    assert headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    route = parse_name_addr(headers.get("Route") or "")
    assert route.uri.params == {"lr": None, "unknownwith": "value", "unknown-no-value": None}
    [contact] = [parse_name_addr(value) for value in headers.values("Contact")]
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert headers.get("Content-Type") == "application/sdp"
    assert invite.body.startswith(b"v=0\r\n")


def test_intmeth_wide_range_of_valid_characters() -> None:
    method = "!interesting-Method0123456789_*+`.%indeed'~"
    user = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    message = request("intmeth")
    # An unknown method: % is no escape here, so this is not INVITE or anything else.
    assert message.method == method
    uri = message.parsed_uri()
    assert uri.user == user
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert (uri.host, uri.params, uri.headers) == ("example.com", {}, {})
    to = parse_name_addr(message.headers.get("To") or "")
    assert to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert to.uri.user == user
    sender = parse_name_addr(message.headers.get("From") or "")
    assert sender.display_name == "token1~` token2'+_ token3*%!.-"
    assert sender.params == {"fromparam''~+*_!.-%": "работающий", "tag": "_token~1'+`*%!-."}
    assert message.headers.get("Call-ID") == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert parse_cseq(message.headers.get("CSeq") or "") == (139122385, method)
    assert parse_via(message.headers.get("Via") or "").branch == "z9hG4bK-.!%66*_+`'~"
    assert message.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def test_esc01_escaped_characters_are_unescaped_once() -> None:
    invite = request("esc01")
    uri = invite.parsed_uri()
    assert (uri.user, uri.host) == ("sips:user@example.com", "example.net")
    assert parse_name_addr(invite.headers.get("To") or "").uri.user == "user"
    assert parse_name_addr(invite.headers.get("From") or "").uri.user == "I have spaces"
    contact = parse_name_addr(invite.headers.get("Contact") or "")
    assert contact.uri.user == "caller"
    # "value%41" is not "valueA": escapes are undone once, never recursively.
    assert contact.uri.params == {"lr": None, "name": "value%41"}
    assert parse_uri(str(contact.uri)) == contact.uri
    assert invite.headers.get("Call-ID") == "esc01.239409asdfakjkn23onasd0-3234"
    assert invite.headers.get("Content-Type") == "application/sdp"  # compact "C:"


def test_escnull_a_nul_in_the_user_part_does_not_shorten_it() -> None:
    register = request("escnull")
    to = parse_name_addr(register.headers.get("To") or "")
    assert to.uri.user == "null-\x00-null"
    assert parse_name_addr(register.headers.get("From") or "").uri.user == "null-\x00-null"
    contacts = [parse_name_addr(value).uri.user for value in register.headers.values("Contact")]
    assert contacts == ["\x00", "\x00\x00"]  # two distinct contacts
    assert parse_uri(str(to.uri)) == to.uri


def test_esc02_percent_is_not_an_escape_outside_uris() -> None:
    message = request("esc02")
    assert message.method == "RE%47IST%45R"  # an unknown method, not REGISTER
    assert parse_name_addr(message.headers.get("To") or "").display_name == "%Z%45"
    assert parse_name_addr(message.headers.get("From") or "").display_name == "%Z%45"
    # Two Contact values, not three: "C%6Fntact" is some other header.
    contacts = [parse_name_addr(value).uri.user for value in message.headers.values("Contact")]
    assert contacts == ["alias1", "alias3"]
    assert message.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"
    assert parse_via(message.headers.get("Via") or "").branch == "z9hG4bK209%fzsnel234"


def test_lwsdisp_no_space_between_display_name_and_bracket() -> None:
    sender = parse_name_addr(request("lwsdisp").headers.get("From") or "")
    assert (sender.display_name, sender.uri.user, sender.tag) == ("caller", "caller", "323")


def test_longreq_very_long_values_survive() -> None:
    invite = request("longreq")
    to = parse_name_addr(invite.headers.get("To") or "")
    assert to.display_name == "I have a user name of " + "extreme" * 10 + " proportion"
    assert (to.uri.user, to.uri.port) == ("user", 6000)
    assert to.uri.params == {
        "unknownparam1": "very" + "long" * 20 + "value",
        "longparam" + "name" * 25: "shortvalue",
        ("very" + "long" * 25 + "ParameterNameWithNoValue").lower(): None,
    }
    sender = parse_name_addr(invite.headers.get("F") or "")
    assert sender.uri.user == "amazinglylongcallername" * 5
    assert sender.tag == "12" + "982" * 50 + "424"
    assert sender.params["unknownheaderparam" + "name" * 20] == "unknowheaderparam" + "value" * 15
    assert sender.params["unknownvalueless" + "paramname" * 10] is None
    assert invite.headers.get("Call-ID") == "longreq.one" + "really" * 20 + "longcallid"
    long_value = "unknown-" + "long" * 20
    assert invite.headers.get("Unknown-" + "Long" * 20 + "-Name") == (
        f"{long_value}-value; {long_value}-parameter-name = {long_value}-parameter-value"
    )
    # 34 Via values under every spelling of the name, the compact one included.
    vias = [parse_via(value) for value in invite.headers.values("Via")]
    assert [via.host for via in vias[:33]] == [f"sip{n}.example.com" for n in range(33, 0, -1)]
    last = vias[33]
    assert (len(vias), last.host, last.params["received"]) == (34, "host.example.com", "192.0.2.5")
    assert last.branch == "very" + "long" * 50 + "branchvalue"
    contact = parse_name_addr(invite.headers.get("Contact") or "")
    assert contact.uri.user == "amazinglylongcallername" * 5
    assert len(invite.body) == 150


def test_dblreq_octets_after_the_body_of_a_datagram_are_ignored() -> None:
    register = request("dblreq")
    assert register.method == "REGISTER"
    assert register.body == b""
    assert register.headers.get("Call-ID") == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    assert b"INVITE" not in register.encode()  # a proxy would not forward them


def test_semiuri_a_semicolon_in_the_user_part() -> None:
    uri = request("semiuri").parsed_uri()
    assert (uri.user, uri.host, uri.params) == ("user;par=u@example.net", "example.com", {})
    accept = request("semiuri").headers.values("Accept")
    assert accept == [
        "application/sdp",
        "application/pkcs7-mime",
        "multipart/mixed",
        "multipart/signed",
        "message/sip",
        "message/sipfrag",
    ]


def test_transports_every_transport_token_including_unknown_ones() -> None:
    options = request("transports")
    vias = [parse_via(value) for value in options.headers.values("Via")]
    assert [via.transport for via in vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    assert options.headers.get("Call-ID") == "transports.kijh4akdnaqjkwendsasfdj"


def test_mpart01_a_binary_body_with_nuls_is_framed_by_content_length() -> None:
    data = load("mpart01")
    message = request("mpart01")
    assert len(message.body) == 553
    assert b"\x00" in message.body
    assert message.body.endswith(b"--7a9cbec02ceef655--\r\n")
    assert message.headers.get("Content-Type") == "multipart/mixed;boundary=7a9cbec02ceef655"
    via = parse_via(message.headers.get("Via") or "")
    assert (via.port, via.params["rport"]) == (5070, None)
    # On a stream, the CRLF CRLF inside the binary part does not end anything.
    assert StreamFramer().feed(data + load("noreason")) == [data, load("noreason")]


def test_unreason_a_utf8_reason_phrase() -> None:
    ok = response("unreason")
    assert ok.status == 200
    assert ok.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    assert len(ok.body) == 154


def test_noreason_an_empty_reason_phrase() -> None:
    trying = response("noreason")
    assert (trying.status, trying.reason) == (100, "")
    assert parse_name_addr(trying.headers.get("To") or "").tag == "902jndnke3"


# ---- 3.1.2 invalid messages, and the 3.3 ones the parser must refuse --------------------

# name -> the status the parser's error carries. All are requests but scalarlg and bigcode.
REFUSED = {
    "badinv01": 400,  # empty Via parameters ";;,;,,"
    "clerr": 400,  # Content-Length beyond the datagram
    "ncl": 400,  # negative Content-Length
    "scalar02": 400,  # CSeq >= 2**31 (and Max-Forwards > 255)
    "scalarlg": 400,  # a response: CSeq out of range
    "quotbal": 400,  # unterminated quoted display name
    "ltgtruri": 400,  # "<sip:...>" as the Request-URI
    "lwsruri": 400,  # LWS inside the Request-URI
    "lwsstart": 400,  # several SPs between request-line elements
    "trws": 400,  # SPs after SIP/2.0
    "escruri": 400,  # headers in the Request-URI
    "baddn": 400,  # unquoted display name with ","
    "badvers": 505,  # SIP/7.0
    "mismatch01": 400,  # CSeq method is not the request's
    "mismatch02": 400,  # the same with an unknown method (501 is preferred, 400 allowed)
    "bigcode": 400,  # a response: status code 4294967301
    "insuf": 400,  # 3.3.1: no To, From, Call-ID
    "multi01": 400,  # 3.3.8: two To, From, Call-ID, CSeq and Max-Forwards
    "mcl01": 400,  # 3.3.9: two Content-Length
}

# Requests without all of Via, From, To, Call-ID and CSeq: no response can be addressed.
UNADDRESSABLE = {"insuf"}
RESPONSES = {"scalarlg", "bigcode"}


def _reply_lines(reply: bytes) -> tuple[str, list[str]]:
    head = reply.split(b"\r\n\r\n", 1)[0].decode()
    start, *lines = head.split("\r\n")
    return start, [line.partition(":")[0] for line in lines]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_invalid_message_is_refused_with_the_right_status(name: str) -> None:
    data = load(name)
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    error = caught.value
    assert error.status == REFUSED[name]
    reply = reply_to_unparsable(data, error)
    if name in RESPONSES or name in UNADDRESSABLE:
        assert reply is None  # responses are never answered; insuf cannot be
        return
    assert reply is not None
    start, names = _reply_lines(reply)
    assert start.startswith(f"SIP/2.0 {error.status} ")
    assert 400 <= error.status < 600
    # Each single-valued header echoed once, even from multi01.
    for header in ("From", "To", "Call-ID", "CSeq"):
        assert names.count(header) == 1, header
    assert names.count("Via") >= 1


def test_badvers_is_answered_505() -> None:
    data = load("badvers")
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    reply = reply_to_unparsable(data, caught.value)
    assert reply is not None
    assert reply.startswith(b"SIP/2.0 505 ")


def test_clerr_on_a_stream_waits_for_the_missing_octets() -> None:
    # RFC 4475 3.1.2.2: over TCP there is nothing to do but wait (and time out).
    assert StreamFramer().feed(load("clerr")) == []


@pytest.mark.parametrize("name", ["ncl", "mcl01"])
def test_a_stream_with_unusable_content_length_loses_its_framing(name: str) -> None:
    # RFC 4475 3.1.2.3 and 3.3.9: over TCP the framing error is not recoverable.
    with pytest.raises(SipParseError):
        StreamFramer().feed(load(name))


def test_baddate_is_accepted_because_nothing_here_reads_date() -> None:
    # RFC 4475 3.1.2.12: an element should not reject a non-GMT Date unless the Date
    # matters to its processing; nothing in this stack reads Date.
    invite = request("baddate")
    assert invite.headers.get("Date") == "Fri, 01 Jan 2010 16:00:00 EST"


def test_regbadct_parses_but_its_contact_is_refused() -> None:
    # RFC 4475 3.1.2.13: "reasonable ... to respond with a 400". The message parses (a
    # proxy could forward it); the registrar reads Contact with parse_name_addr, which
    # refuses a URI with headers outside <>, and answers 400.
    register = request("regbadct")
    with pytest.raises(SipParseError) as caught:
        parse_name_addr(register.headers.get("Contact") or "")
    assert caught.value.status == 400


def test_badaspec_spaces_around_the_addr_spec_are_ignored() -> None:
    # RFC 4475 3.1.2.14: parsers must not break; "elements attempting to be liberal may
    # ignore the spaces", which is what this parser does inside <...>.
    to = parse_name_addr(request("badaspec").headers.get("To") or "")
    assert (to.display_name, to.uri.user, to.uri.host) == (
        "Watson, Thomas",
        "t.watson",
        "example.org",
    )


# ---- 3.2 transaction layer ----------------------------------------------------------------


def test_badbranch_a_bare_magic_cookie_falls_back_to_rfc2543_matching() -> None:
    # RFC 4475 3.2.1: the parser must not break; the element may refuse the request or
    # fall back to RFC 2543 matching. It falls back: no transaction key from the branch.
    options = request("badbranch")
    assert parse_via(options.headers.get("Via") or "").branch == "z9hG4bK"
    assert server_key(options) is None


# ---- 3.3 application layer ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["unkscm", "novelsc"])
def test_an_unknown_request_uri_scheme_parses_and_is_answered_416(name: str) -> None:
    # RFC 4475 3.3.2 and 3.3.3: a well-formed request; the element answers 416.
    options = request(name)
    with pytest.raises(SipParseError) as caught:
        options.parsed_uri()
    assert caught.value.status == 416


def test_unksm2_unknown_schemes_in_to_from_and_contact_parse() -> None:
    # RFC 4475 3.3.4: syntactically valid; a registrar answers 400 because the To is not
    # a SIP URI, which it learns from the 416-status error of parse_name_addr.
    register = request("unksm2")
    for header in ("To", "From", "Contact"):
        with pytest.raises(SipParseError) as caught:
            parse_name_addr(register.headers.get(header) or "")
        assert caught.value.status == 416


def test_bext01_lists_the_extensions_to_refuse_with_420() -> None:
    headers = request("bext01").headers
    assert headers.values("Require") == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert headers.values("Proxy-Require") == [
        "noProxiesSupportThis",
        "norDoAnyProxiesSupportThis",
    ]


def test_invut_an_unknown_body_type_is_kept_for_a_415() -> None:
    invite = request("invut")
    assert invite.headers.get("Content-Type") == "application/unknownformat"
    assert invite.body == b'<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n'


def test_regaut01_an_unknown_authorization_scheme_parses() -> None:
    from helpline.channels.sip.message import parse_auth_params

    authorization = request("regaut01").headers.get("Authorization") or ""
    assert parse_auth_params(authorization) == ("NoOneKnowsThisScheme", {"opaque-data": "here"})


def test_bcast_a_broadcast_via_is_parsed_not_trusted() -> None:
    ok = response("bcast")
    vias = [parse_via(value) for value in ok.headers.values("Via")]
    assert [via.host for via in vias] == ["192.0.2.198", "255.255.255.255"]


def test_zeromf_max_forwards_zero_is_valid() -> None:
    # RFC 4475 3.3.11: a proxy answers 483; an endpoint processes it as usual.
    assert request("zeromf").headers.get("Max-Forwards") == "0"


def test_cparam01_a_parameter_after_a_bare_uri_belongs_to_the_header() -> None:
    contact = parse_name_addr(request("cparam01").headers.get("Contact") or "")
    assert (contact.params, contact.uri.params) == ({"unknownparam": None}, {})
    assert contact.uri.user == "+19725552222"


def test_cparam02_a_parameter_inside_brackets_belongs_to_the_uri() -> None:
    contact = parse_name_addr(request("cparam02").headers.get("Contact") or "")
    assert (contact.params, contact.uri.params) == ({}, {"unknownparam": None})


def test_regescrt_an_escaped_route_in_a_contact_is_kept_intact() -> None:
    contact = parse_name_addr(request("regescrt").headers.get("m") or "")
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"}
    # Stored as str(uri): it must read back the same.
    assert str(contact.uri) == "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    assert parse_uri(str(contact.uri)) == contact.uri


def test_sdp01_an_accept_without_sdp() -> None:
    # RFC 4475 3.3.15: the answer cannot carry SDP; 406 Not Acceptable is appropriate.
    invite = request("sdp01")
    assert invite.headers.values("Accept") == ["text/nobodyKnowsThis"]


def test_inv2543_rfc2543_syntax_is_accepted() -> None:
    invite = request("inv2543")
    via = parse_via(invite.headers.get("Via") or "")
    assert via.branch is None  # no branch at all, so no magic cookie
    assert server_key(invite) is None
    assert parse_name_addr(invite.headers.get("From") or "").tag is None
    assert "Max-Forwards" not in invite.headers
    assert "Content-Length" not in invite.headers
    # No Content-Length on UDP: the body is the rest of the datagram.
    assert invite.body.startswith(b"v=0\r\n")
    assert invite.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n")
