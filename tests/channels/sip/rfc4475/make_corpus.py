"""The torture messages of RFC 4475 ("SIP Torture Test Messages"), section 3.

``uv run python -m tests.channels.sip.rfc4475.make_corpus`` (re)writes one ``<name>.dat``
file per message next to this script, named as in the RFC. ``test_torture.py`` checks that
the files on disk are exactly what this script produces: edit the messages here, then run
the script, never edit a ``.dat`` file by hand.

Transcribed from the RFC's text: every line ends with CRLF; a line the RFC marks
``<allOneLine>`` is one line here; its ``<repeat count=N>`` runs are Python repetitions
(``b"long" * 20``); its ``<hex>`` octets (the control characters of intmeth) are the raw
bytes; its non-ASCII text (intmeth, unreason) is UTF-8. One message could not be reproduced
octet for octet, and says so where it is built: the binary S/MIME part of mpart01.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def message(*lines: bytes, body: bytes = b"") -> bytes:
    """A start line and header lines, each ended by CRLF, the empty line, then the body."""
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def text(*lines: bytes) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


def sdp(origin: bytes, connection: bytes | None = None, timing: bytes = b"0 0") -> bytes:
    """The SDP body most RFC 4475 messages carry (150 octets with a 9-character address)."""
    return text(
        b"v=0",
        b"o=mhandley 29739 7272939 IN IP4 " + origin,
        b"s=-",
        b"c=IN IP4 " + (connection or origin),
        b"t=" + timing,
        b"m=audio 49217 RTP/AVP 0 12",
        b"m=video 3227 RTP/AVP 31",
        b"a=rtpmap:31 LPC",
    )


# ---- 3.1.1 valid messages ---------------------------------------------------------------

WSINV = message(
    b"INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
    b"TO :",
    b" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
    rb'from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>',
    b"  ;",
    b"  tag = 98asjd8",
    b"MaX-fOrWaRdS: 0068",
    b"Call-ID: wsinv.ndaksdj@192.0.2.1",
    b"Content-Length   : 150",
    b"cseq: 0009",
    b"  INVITE",
    b"Via  : SIP  /   2.0",
    b" /UDP",
    b"    192.0.2.2;branch=390skdjuw",
    b"s :",
    b"NewFangledHeader:   newfangled value",
    b" continued newfangled value",
    b"UnknownHeaderWithUnusualValue: ;;,,;;,;",
    b"Content-Type: application/sdp",
    b"Route:",
    b" <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
    b"v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
    b"  branch  =   z9hG4bK9ikj8  ,",
    b" SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
    b" z9hG4bK30239",
    rb'm:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =',
    b"      newvalue ;",
    b"  secondparam ; q = 0.33",
    body=sdp(b"192.0.2.3", b"192.0.2.4"),
)

_INTMETH_METHOD = b"!interesting-Method0123456789_*+`.%indeed'~"
_INTMETH_USER = b"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
INTMETH = message(
    _INTMETH_METHOD
    + b" sip:"
    + _INTMETH_USER
    + b":&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
    b"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
    # The RFC writes the quoted-pairs' octets as <hex>07</hex> and so on: raw BEL, NUL, DEL.
    b'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:' + _INTMETH_USER + b"@example.com>",
    b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
    + '"работающий"'.encode()
    + b";tag=_token~1'+`*%!-.",
    b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
    b"CSeq: 139122385 " + _INTMETH_METHOD,
    b"Max-Forwards: 255",
    b"extensionHeader-!.%*+_`'~:" + "\ufeff大停電".encode(),
    b"Content-Length: 0",
)

ESC01 = message(
    b"INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
    b"To: sip:%75se%72@example.com",
    b"From: <sip:I%20have%20spaces@example.net>;tag=938",
    b"Max-Forwards: 87",
    b"i: esc01.239409asdfakjkn23onasd0-3234",
    b"CSeq: 234234 INVITE",
    b"Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw",
    b"C: application/sdp",
    b"Contact:",
    b"  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
    b"Content-Length: 150",
    body=sdp(b"192.0.2.1"),
)

# The NULs are escaped (%00) text in the URIs, never raw octets.
ESCNULL = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: sip:null-%00-null@example.com",
    b"From: sip:null-%00-null@example.com;tag=839923423",
    b"Max-Forwards: 70",
    b"Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
    b"CSeq: 14398234 REGISTER",
    b"Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
    b"Contact: <sip:%00@host5.example.com>",
    b"Contact: <sip:%00%00@host5.example.com>",
    b"L:0",
)

ESC02 = message(
    b"RE%47IST%45R sip:registrar.example.com SIP/2.0",
    b'To: "%Z%45" <sip:resource@example.com>',
    b'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
    b"Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
    b"Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234",
    b"CSeq: 29344 RE%47IST%45R",
    b"Max-Forwards: 70",
    b"Contact: <sip:alias1@host1.example.com>",
    b"C%6Fntact: <sip:alias2@host2.example.com>",
    b"Contact: <sip:alias3@host3.example.com>",
    b"l: 0",
)

LWSDISP = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: caller<sip:caller@example.com>;tag=323",
    b"Max-Forwards: 70",
    b"Call-ID: lwsdisp.1234abcd@funky.example.com",
    b"CSeq: 60 OPTIONS",
    b"Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw",
    b"l: 0",
)

_LONG_USER = b"amazinglylongcallername" * 5
_LONG_VALUE = b"unknown-" + b"long" * 20
_VIA_NAMES = (b"Via: ", b"v: ", b"V: ", b"Via: ", b"ViA: ", b"VIa: ", b"VIA: ", b"via: ")
_VIA_NAMES += (b"viA: ", b"vIa: ", b"vIA: ", b"V :  ", b"v :  ", b"V  : ", b"v  : ")
_VIA_NAMES += (b"Via : ", b"Via  : ") + (b"Via: ",) * 16
LONGREQ = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b'To: "I have a user name of '
    + b"extreme" * 10
    + b' proportion"<sip:user@example.com:6000;unknownparam1=very'
    + b"long" * 20
    + b"value;longparam"
    + b"name" * 25
    + b"=shortvalue;very"
    + b"long" * 25
    + b"ParameterNameWithNoValue>",
    b"F: sip:"
    + _LONG_USER
    + b"@example.net;tag=12"
    + b"982" * 50
    + b"424;unknownheaderparam"
    + b"name" * 20
    + b"=unknowheaderparam"
    + b"value" * 15
    + b";unknownValueless"
    + b"paramname" * 10,
    b"Call-ID: longreq.one" + b"really" * 20 + b"longcallid",
    b"CSeq: 3882340 INVITE",
    b"Unknown-"
    + b"Long" * 20
    + b"-Name: "
    + _LONG_VALUE
    + b"-value; "
    + _LONG_VALUE
    + b"-parameter-name = "
    + _LONG_VALUE
    + b"-parameter-value",
    *(name + b"SIP/2.0/TCP sip%d.example.com" % (33 - n) for n, name in enumerate(_VIA_NAMES)),
    b"Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very"
    + b"long" * 50
    + b"branchvalue",
    b"Max-Forwards: 70",
    b"Contact: <sip:" + _LONG_USER + b"@host5.example.net>",
    b"Content-Type: application/sdp",
    b"l: 150",
    body=sdp(b"192.0.2.1"),
)

# One UDP datagram: a REGISTER with no body, then octets that look like an INVITE.
DBLREQ = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: sip:j.user@example.com",
    b"From: sip:j.user@example.com;tag=43251j3j324",
    b"Max-Forwards: 8",
    b"I: dblreq.0ha0isndaksdj99sdfafnl3lk233412",
    b"Contact: sip:j.user@host.example.com",
    b"CSeq: 8 REGISTER",
    b"Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492",
    b"Content-Length: 0",
    body=b"\r\n"
    + message(
        b"INVITE sip:joe@example.com SIP/2.0",
        b"t: sip:joe@example.com",
        b"From: sip:caller@example.net;tag=141334",
        b"Max-Forwards: 8",
        b"Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
        b"CSeq: 8 INVITE",
        b"Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
        b"Content-Type: application/sdp",
        b"Content-Length: 150",
        body=sdp(b"192.0.2.15").replace(b"m=video", b"m =video") + b"\r\n",
    ),
)

SEMIURI = message(
    b"OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
    b"To: sip:j_user@example.com",
    b"From: sip:caller@example.org;tag=33242",
    b"Max-Forwards: 3",
    b"Call-ID: semiuri.0ha0isndaksdj",
    b"CSeq: 8 OPTIONS",
    b"Accept: application/sdp, application/pkcs7-mime,",
    b"        multipart/mixed, multipart/signed,",
    b"        message/sip, message/sipfrag",
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
    b"l: 0",
)

TRANSPORTS = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: <sip:caller@example.com>;tag=323",
    b"Max-Forwards: 70",
    b"Call-ID:  transports.kijh4akdnaqjkwendsasfdj",
    b"Accept: application/sdp",
    b"CSeq: 60 OPTIONS",
    b"Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw",
    b"Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
    b"Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
    b"Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
    b"Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
    b"l: 0",
)

_BOUNDARY = b"--7a9cbec02ceef655"
_MPART01_TEXT = text(
    _BOUNDARY,
    b"Content-Type: text/plain",
    b"Content-Transfer-Encoding: binary",
    b"",
    b"Hello",
    _BOUNDARY,
    b"Content-Type: application/octet-stream",
    b"Content-Transfer-Encoding: binary",
    b"",
)
_MPART01_END = b"\r\n" + _BOUNDARY + b"--\r\n"


def _mpart01_binary() -> bytes:
    """A stand-in for the RFC's binary part (a DER-encoded PKCS#7 signature).

    The RFC prints those octets in a form that cannot be turned back into bytes, so this
    part has the same shape instead: the same DER opening and certificate-issuer strings,
    NULs, a CRLF CRLF that must not be taken for the end of the headers, and the length
    that keeps the RFC's Content-Length of 553 exact. What the RFC tests is unchanged: a
    binary body with NULs that only Content-Length can frame.
    """
    head = (
        b"0\x82\x01R\x06\t*\x86H\x86\xf7\r\x01\x07\x02\xa0\x82\x01C0\x82\x01?\x02\x01\x01"
        b"1\t0\x07\x06\x05+\x0e\x03\x02\x1a0\x0b\x06\t*\x86H\x86\xf7\r\x01\x07\x01"
        b"1\x82\x01 0\x82\x01\x1c\x02\x01\x010|0p1\x0b0\t\x06\x03U\x04\x06\x13\x02US"
        b"1\x130\x11\x06\x03U\x04\x08\x13\nCalifornia1\x110\x0f\x06\x03U\x04\x07\x13\x08"
        b"San Jose1\x0e0\x0c\x06\x03U\x04\n\x13\x05sipit1)0'\x06\x03U\x04\x0b\x13 "
        b"Sipit Test Certificate Authority\x02\x08\x01\x95\x00q\x02330\x00\r\n\r\n\x00"
    )
    size = 553 - len(_MPART01_TEXT) - len(_MPART01_END) - len(head)
    return head + bytes((index * 151 + 7) % 256 for index in range(size))


MPART01 = message(
    b"MESSAGE sip:kumiko@example.org SIP/2.0",
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport",
    b"Max-Forwards: 70",
    b"Route: <sip:127.0.0.1:5080>",
    b"Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+"
    b"813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteei"
    b"vUhkMWYUA=",
    b"Contact: <sip:fluffy@127.0.0.1:5070>",
    b"To: <sip:kumiko@example.org>",
    b"From: <sip:fluffy@example.com>;tag=2fb0dcc9",
    b"Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..",
    b"CSeq: 1 MESSAGE",
    b"Content-Transfer-Encoding: binary",
    b"Content-Type: multipart/mixed;boundary=7a9cbec02ceef655",
    b"Date: Sat, 15 Oct 2005 04:44:56 GMT",
    b"User-Agent: SIPimp.org/0.2.5 (curses)",
    b"Content-Length: 553",
    body=_MPART01_TEXT + _mpart01_binary() + _MPART01_END,
)

UNREASON = message(
    b"SIP/2.0 200 = 2**3 * 5**2 " + "но сто девяносто девять - простое".encode(),
    b"Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
    b"Call-ID: unreason.1234ksdfak3j2erwedfsASdf",
    b"CSeq: 35 INVITE",
    b"From: sip:user@example.com;tag=11141343",
    b"To: sip:user@example.edu;tag=2229",
    b"Content-Length: 154",
    b"Content-Type: application/sdp",
    b"Contact: <sip:user@host198.example.com>",
    body=sdp(b"192.0.2.198"),
)

# The space after the status code is required even with no reason phrase.
NOREASON = message(
    b"SIP/2.0 100 ",
    b"Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
    b"Call-ID: noreason.asndj203insdf99223ndf",
    b"CSeq: 35 INVITE",
    b"From: <sip:user@example.com>;tag=39ansfi3",
    b"To: <sip:user@example.edu>;tag=902jndnke3",
    b"Content-Length: 0",
    b"Contact: <sip:user@host105.example.com>",
)

# ---- 3.1.2 invalid messages -------------------------------------------------------------

BADINV01 = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=134161461246",
    b"Max-Forwards: 7",
    b"Call-ID: badinv01.0ha0isndaksdjasdf3234nas",
    b"CSeq: 8 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
    b'Contact: "Joe" <sip:joe@example.org>;;;;',
    b"Content-Length: 152",
    b"Content-Type: application/sdp",
    body=sdp(b"192.0.2.15"),
)

CLERR = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"Max-Forwards: 80",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=93942939o2",
    b"Contact: <sip:caller@hungry.example.net>",
    b"Call-ID: clerr.0ha0isndaksdjweiafasdk3",
    b"CSeq: 8 INVITE",
    b"Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523",
    b"Content-Type: application/sdp",
    b"Content-Length: 9999",
    body=sdp(b"192.0.2.155"),
)

NCL = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"Max-Forwards: 254",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=32394234",
    b"Call-ID: ncl.0ha0isndaksdj2193423r542w35",
    b"CSeq: 0 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw",
    b"Contact: <sip:caller@example53.example.net>",
    b"Content-Type: application/sdp",
    b"Content-Length: -999",
    body=sdp(b"192.0.2.53"),
)

SCALAR02 = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3",
    b"To: <sip:user@example.com>",
    b"From: <sip:user@example.com>;tag=239232jh3",
    b"CSeq: 36893488147419103232 REGISTER",
    b"Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32",
    b"Max-Forwards: 300",
    b"Expires: 1" + b"0" * 100,
    b"Contact: <sip:user@host129.example.com>",
    b"  ;expires=280297596632815",
    b"Content-Length: 0",
)

SCALARLG = message(
    b"SIP/2.0 503 Service Unavailable",
    b"Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129",
    b"To: <sip:user@example.com>",
    b"From: <sip:other@example.net>;tag=2easdjfejw",
    b"CSeq: 9292394834772304023312 OPTIONS",
    b"Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r",
    b"Retry-After: 949302838503028349304023988",
    b'Warning: 1812 overture "In Progress"',
    b"Content-Length: 0",
)

QUOTBAL = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b'To: "Mr. J. User <sip:j.user@example.com>',
    b"From: sip:caller@example.net;tag=93334",
    b"Max-Forwards: 10",
    b"Call-ID: quotbal.aksdj",
    b"Contact: <sip:caller@host59.example.net>",
    b"CSeq: 8 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234",
    b"Content-Type: application/sdp",
    b"Content-Length: 152",
    body=sdp(b"192.0.2.15"),
)

LTGTRURI = message(
    b"INVITE <sip:user@example.com> SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=39291",
    b"Max-Forwards: 23",
    b"Call-ID: ltgtruri.1@192.0.2.5",
    b"CSeq: 1 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.5",
    b"Contact: <sip:caller@host5.example.net>",
    b"Content-Type: application/sdp",
    b"Content-Length: 159",
    body=sdp(b"192.0.2.5", timing=b"3149328700 0"),
)

LWSRURI = message(
    b"INVITE sip:user@example.com; lr SIP/2.0",
    b"To: sip:user@example.com;tag=3xfe-9921883-z9f",
    b"From: sip:caller@example.net;tag=231413434",
    b"Max-Forwards: 5",
    b"Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423",
    b"CSeq: 2130706432 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395",
    b"Contact: <sip:caller@host1.example.net>",
    b"Content-Type: application/sdp",
    b"Content-Length: 159",
    body=sdp(b"192.0.2.1", timing=b"3149328700 0"),
)

LWSSTART = message(
    b"INVITE  sip:user@example.com  SIP/2.0",
    b"Max-Forwards: 8",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=8814",
    b"Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com",
    b"CSeq: 1893884 INVITE",
    b"Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923",
    b"Contact: <sip:caller@host1.example.net>",
    b"Content-Type: application/sdp",
    b"Content-Length: 150",
    body=sdp(b"192.0.2.1"),
)

TRWS = message(
    b"OPTIONS sip:remote-target@example.com SIP/2.0  ",
    b"Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093",
    b"To: <sip:remote-target@example.com>",
    b"From: <sip:local-resource@example.com>;tag=329429089",
    b"Call-ID: trws.oicu34958239neffasdhr2345r",
    b"Accept: application/sdp",
    b"CSeq: 238923 OPTIONS",
    b"Max-Forwards: 70",
    b"Content-Length: 0",
)

ESCRURI = message(
    b"INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=341518",
    b"Max-Forwards: 7",
    b"Contact: <sip:caller@host39923.example.net>",
    b"Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5",
    b"CSeq: 149209342 INVITE",
    b"Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw",
    b"Content-Type: application/sdp",
    b"Content-Length: 150",
    body=sdp(b"192.0.2.1"),
)

BADDATE = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=2234923",
    b"Max-Forwards: 70",
    b"Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234",
    b"CSeq: 1392934 INVITE",
    b"Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw",
    b"Date: Fri, 01 Jan 2010 16:00:00 EST",
    b"Contact: <sip:caller@host5.example.net>",
    b"Content-Type: application/sdp",
    b"Content-Length: 150",
    body=sdp(b"192.0.2.5"),
)

REGBADCT = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:user@example.com;tag=998332",
    b"Max-Forwards: 70",
    b"Call-ID: regbadct.k345asrl3fdbv@10.0.0.1",
    b"CSeq: 1 REGISTER",
    b"Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw",
    b"Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    b"l: 0",
)

BADASPEC = message(
    b"OPTIONS sip:user@example.org SIP/2.0",
    b"Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234",
    b"Max-Forwards: 70",
    b'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423',
    b'To: "Watson, Thomas" < sip:t.watson@example.org >',
    b"Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3",
    b"Accept: application/sdp",
    b"CSeq: 3923239 OPTIONS",
    b"l: 0",
)

BADDN = message(
    b"OPTIONS sip:t.watson@example.org SIP/2.0",
    b"Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw",
    b"Max-Forwards:      70",
    b"From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
    b"To:      Watson, Thomas <sip:t.watson@example.org>",
    b"Call-ID: baddn.31415@c.example.com",
    b"Accept: application/sdp",
    b"CSeq:    3923239 OPTIONS",
    b"l: 0",
)

BADVERS = message(
    b"OPTIONS sip:t.watson@example.org SIP/7.0",
    b"Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw",
    b"Max-Forwards:     70",
    b"From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe",
    b"To:      T. Watson <sip:t.watson@example.org>",
    b"Call-ID: badvers.31417@c.example.com",
    b"CSeq:    1 OPTIONS",
    b"l: 0",
)

MISMATCH01 = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=34525",
    b"Max-Forwards: 6",
    b"Call-ID: mismatch01.dj0234sxdfl3",
    b"CSeq: 8 INVITE",
    b"Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw",
    b"l: 0",
)

MISMATCH02 = message(
    b"NEWMETHOD sip:user@example.com SIP/2.0",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=34525",
    b"Max-Forwards: 6",
    b"Call-ID: mismatch02.dj0234sxdfl3",
    b"CSeq: 8 INVITE",
    b"Contact: <sip:caller@host.example.net>",
    b"Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw",
    b"Content-Type: application/sdp",
    b"l: 138",
    # This one SDP body has no s= and no t= line.
    body=text(
        b"v=0",
        b"o=mhandley 29739 7272939 IN IP4 192.0.2.1",
        b"c=IN IP4 192.0.2.1",
        b"m=audio 49217 RTP/AVP 0 12",
        b"m=video 3227 RTP/AVP 31",
        b"a=rtpmap:31 LPC",
    ),
)

BIGCODE = message(
    b"SIP/2.0 4294967301 better not break the receiver",
    b"Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
    b"Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i",
    b"CSeq: 353494 INVITE",
    b"From: <sip:user@example.com>;tag=39ansfi3",
    b"To: <sip:user@example.edu>;tag=902jndnke3",
    b"Content-Length: 0",
    b"Contact: <sip:user@host105.example.com>",
)

# ---- 3.2 transaction layer --------------------------------------------------------------

BADBRANCH = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.org;tag=33242",
    b"Max-Forwards: 3",
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK",
    b"Accept: application/sdp",
    b"Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n",
    b"CSeq: 8 OPTIONS",
    b"l: 0",
)

# ---- 3.3 application layer --------------------------------------------------------------

INSUF = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"CSeq: 193942 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
    b"Content-Type: application/sdp",
    b"l: 152",
    body=sdp(b"192.0.2.95"),
)

UNKSCM = message(
    b"OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=384",
    b"Max-Forwards: 3",
    b"Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34",
    b"CSeq: 3923423 OPTIONS",
    b"Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234",
    b"Content-Length: 0",
)

NOVELSC = message(
    b"OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=384",
    b"Max-Forwards: 3",
    b"Call-ID: novelsc.asdfasser0q239nwsdfasdkl34",
    b"CSeq: 3923423 OPTIONS",
    b"Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234",
    b"Content-Length: 0",
)

UNKSM2 = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: isbn:2983792873",
    b"From: <http://www.example.com>;tag=3234233",
    b"Call-ID: unksm2.daksdj@hyphenated-host.example.com",
    b"CSeq: 234902 REGISTER",
    b"Max-Forwards: 70",
    b"Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw",
    b"Contact: <name:John_Smith>",
    b"l: 0",
)

BEXT01 = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:j_user@example.com",
    b"From: sip:caller@example.net;tag=242etr",
    b"Max-Forwards: 6",
    b"Call-ID: bext01.0ha0isndaksdj",
    b"Require: nothingSupportsThis, nothingSupportsThisEither",
    b"Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis",
    b"CSeq: 8 OPTIONS",
    b"Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw",
    b"Content-Length: 0",
)

INVUT = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"Contact: <sip:caller@host5.example.net>",
    b"To: sip:j.user@example.com",
    b"From: sip:caller@example.net;tag=8392034",
    b"Max-Forwards: 70",
    b"Call-ID: invut.0ha0isndaksdjadsfij34n23d",
    b"CSeq: 235448 INVITE",
    b"Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw",
    b"Content-Type: application/unknownformat",
    b"Content-Length: 40",
    body=text(b"<audio>", b' <pcmu port="443"/>', b"</audio>"),
)

REGAUT01 = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: sip:j.user@example.com",
    b"From: sip:j.user@example.com;tag=87321hj23128",
    b"Max-Forwards: 8",
    b"Call-ID: regaut01.0ha0isndaksdj",
    b"CSeq: 9338 REGISTER",
    b"Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw",
    b"Authorization: NoOneKnowsThisScheme opaque-data=here",
    b"Content-Length:0",
)

MULTI01 = message(
    b"INVITE sip:user@company.com SIP/2.0",
    b"Contact: <sip:caller@host25.example.net>",
    b"Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw",
    b"Max-Forwards: 70",
    b"CSeq: 5 INVITE",
    b"Call-ID: multi01.98asdh@192.0.2.1",
    b"CSeq: 59 INVITE",
    b"Call-ID: multi01.98asdh@192.0.2.2",
    b"From: sip:caller@example.com;tag=3413415",
    b"To: sip:user@example.com",
    b"To: sip:other@example.net",
    b"From: sip:caller@example.net;tag=2923420123",
    b"Content-Type: application/sdp",
    b"l: 154",
    b"Contact: <sip:caller@host36.example.net>",
    b"Max-Forwards: 5",
    # The RFC's body ends with an empty line, which its "l: 154" counts.
    body=sdp(b"192.0.2.25") + b"\r\n",
)

MCL01 = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423",
    b"To: sip:user@example.com",
    b"From: sip:other@example.net;tag=3923942",
    b"Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf",
    b"CSeq: 15932 OPTIONS",
    b"Content-Length: 13",
    b"Max-Forwards: 60",
    b"Content-Length: 5",
    b"Content-Type: text/plain",
    body=text(b"There's no way to know how many octets are supposed to be here.", b""),
)

BCAST = message(
    b"SIP/2.0 200 OK",
    b"Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
    b"Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23",
    b"Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf",
    b"CSeq: 35 INVITE",
    b"From: sip:user@example.com;tag=11141343",
    b"To: sip:user@example.edu;tag=2229",
    b"Content-Length: 154",
    b"Content-Type: application/sdp",
    b"Contact: <sip:user@host28.example.com>",
    body=sdp(b"192.0.2.198"),
)

ZEROMF = message(
    b"OPTIONS sip:user@example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:caller@example.net;tag=3ghsd41",
    b"Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas",
    b"CSeq: 39234321 OPTIONS",
    b"Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i",
    b"Max-Forwards: 0",
    b"Content-Length: 0",
)

CPARAM01 = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw",
    b"Max-Forwards: 70",
    b"From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe",
    b"To: sip:watson@example.com",
    b"Call-ID: cparam01.70710@saturn.example.com",
    b"CSeq: 2 REGISTER",
    b"Contact: sip:+19725552222@gw1.example.net;unknownparam",
    b"l: 0",
)

CPARAM02 = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw",
    b"Max-Forwards: 70",
    b"From: sip:watson@example.com;tag=838293",
    b"To: sip:watson@example.com",
    b"Call-ID: cparam02.70710@saturn.example.com",
    b"CSeq: 3 REGISTER",
    b"Contact: <sip:+19725552222@gw1.example.net;unknownparam>",
    b"l: 0",
)

REGESCRT = message(
    b"REGISTER sip:example.com SIP/2.0",
    b"To: sip:user@example.com",
    b"From: sip:user@example.com;tag=8",
    b"Max-Forwards: 70",
    b"Call-ID: regescrt.k345asrl3fdbv@192.0.2.1",
    b"CSeq: 14398234 REGISTER",
    b"Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
    b"M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
    b"L:0",
)

SDP01 = message(
    b"INVITE sip:user@example.com SIP/2.0",
    b"To: sip:j_user@example.com",
    b"Contact: <sip:caller@host15.example.net>",
    b"From: sip:caller@example.net;tag=234",
    b"Max-Forwards: 5",
    b"Call-ID: sdp01.ndaksdj9342dasdd",
    b"Accept: text/nobodyKnowsThis",
    b"CSeq: 8 INVITE",
    b"Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw",
    b"Content-Length: 150",
    b"Content-Type: application/sdp",
    body=sdp(b"192.0.2.5"),
)

# RFC 2543 syntax: no branch, no From tag, no Max-Forwards and no Content-Length.
INV2543 = message(
    b"INVITE sip:UserB@example.com SIP/2.0",
    b"Via: SIP/2.0/UDP iftgw.example.com",
    b"From: <sip:+13035551111@ift.client.example.net;user=phone>",
    b"Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>",
    b"To: sip:+16505552222@ss1.example.net;user=phone",
    b"Call-ID: inv2543.1717@ift.client.example.com",
    b"CSeq: 56 INVITE",
    b"Content-Type: application/sdp",
    body=text(
        b"v=0",
        b"o=mhandley 29739 7272939 IN IP4 192.0.2.5",
        b"s=-",
        b"c=IN IP4 192.0.2.5",
        b"t=0 0",
        b"m=audio 49217 RTP/AVP 0",
    ),
)

# name -> (RFC 4475 section, message), in the RFC's order.
CORPUS: dict[str, tuple[str, bytes]] = {
    "wsinv": ("3.1.1.1", WSINV),
    "intmeth": ("3.1.1.2", INTMETH),
    "esc01": ("3.1.1.3", ESC01),
    "escnull": ("3.1.1.4", ESCNULL),
    "esc02": ("3.1.1.5", ESC02),
    "lwsdisp": ("3.1.1.6", LWSDISP),
    "longreq": ("3.1.1.7", LONGREQ),
    "dblreq": ("3.1.1.8", DBLREQ),
    "semiuri": ("3.1.1.9", SEMIURI),
    "transports": ("3.1.1.10", TRANSPORTS),
    "mpart01": ("3.1.1.11", MPART01),
    "unreason": ("3.1.1.12", UNREASON),
    "noreason": ("3.1.1.13", NOREASON),
    "badinv01": ("3.1.2.1", BADINV01),
    "clerr": ("3.1.2.2", CLERR),
    "ncl": ("3.1.2.3", NCL),
    "scalar02": ("3.1.2.4", SCALAR02),
    "scalarlg": ("3.1.2.5", SCALARLG),
    "quotbal": ("3.1.2.6", QUOTBAL),
    "ltgtruri": ("3.1.2.7", LTGTRURI),
    "lwsruri": ("3.1.2.8", LWSRURI),
    "lwsstart": ("3.1.2.9", LWSSTART),
    "trws": ("3.1.2.10", TRWS),
    "escruri": ("3.1.2.11", ESCRURI),
    "baddate": ("3.1.2.12", BADDATE),
    "regbadct": ("3.1.2.13", REGBADCT),
    "badaspec": ("3.1.2.14", BADASPEC),
    "baddn": ("3.1.2.15", BADDN),
    "badvers": ("3.1.2.16", BADVERS),
    "mismatch01": ("3.1.2.17", MISMATCH01),
    "mismatch02": ("3.1.2.18", MISMATCH02),
    "bigcode": ("3.1.2.19", BIGCODE),
    "badbranch": ("3.2.1", BADBRANCH),
    "insuf": ("3.3.1", INSUF),
    "unkscm": ("3.3.2", UNKSCM),
    "novelsc": ("3.3.3", NOVELSC),
    "unksm2": ("3.3.4", UNKSM2),
    "bext01": ("3.3.5", BEXT01),
    "invut": ("3.3.6", INVUT),
    "regaut01": ("3.3.7", REGAUT01),
    "multi01": ("3.3.8", MULTI01),
    "mcl01": ("3.3.9", MCL01),
    "bcast": ("3.3.10", BCAST),
    "zeromf": ("3.3.11", ZEROMF),
    "cparam01": ("3.3.12", CPARAM01),
    "cparam02": ("3.3.13", CPARAM02),
    "regescrt": ("3.3.14", REGESCRT),
    "sdp01": ("3.3.15", SDP01),
    "inv2543": ("3.3.16", INV2543),
}


def corpus() -> dict[str, bytes]:
    """File name -> contents, as this script writes them."""
    return {f"{name}.dat": data for name, (_, data) in CORPUS.items()}


def main(folder: Path = HERE) -> int:
    wanted = corpus()
    for stale in sorted(folder.glob("*.dat")):
        if stale.name not in wanted:
            stale.unlink()
    for file_name, data in wanted.items():
        (folder / file_name).write_bytes(data)
    sys.stdout.write(f"wrote {len(wanted)} messages to {folder}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
