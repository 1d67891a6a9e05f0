"""SIP parser benchmark: ``uv run python -m benchmarks.sip_parse [--quick]``.

Parses per second, on one core, of three typical messages with ``parse_message``: an
INVITE carrying an SDP offer (through one proxy), the 200 OK answering it with SDP, and a
REGISTER with digest credentials. ``parse_message`` does everything a message gets before
the transaction layer sees it: the start line, header unfolding and compact names, the
checks RFC 3261 asks of every message (mandatory headers, CSeq, the top Via, To and From,
Max-Forwards) and Content-Length framing of the body.

The baseline, measured in the same run on the same header blocks (the lines between the
start line and the empty line), is the standard library's
``email.parser.BytesHeaderParser``: RFC 5322 header splitting and unfolding, no checks at
all. A ratio above 1 means the SIP parser, checks included, beats merely splitting the
headers with the standard library.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser

from helpline.channels.sip.message import parse_message

SDP_OFFER = (
    b"v=0\r\n"
    b"o=- 3912664102 3912664102 IN IP4 198.51.100.23\r\n"
    b"s=-\r\n"
    b"c=IN IP4 198.51.100.23\r\n"
    b"t=0 0\r\n"
    b"m=audio 16384 RTP/AVP 9 8 0 101\r\n"
    b"a=rtpmap:9 G722/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=ptime:20\r\n"
    b"a=sendrecv\r\n"
)
SDP_ANSWER = (
    b"v=0\r\n"
    b"o=helpline 1 1 IN IP4 203.0.113.10\r\n"
    b"s=helpline\r\n"
    b"c=IN IP4 203.0.113.10\r\n"
    b"t=0 0\r\n"
    b"m=audio 40000 RTP/AVP 8 101\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=ptime:20\r\n"
    b"a=sendrecv\r\n"
)

INVITE = (
    b"INVITE sip:100@helpline.example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK3f9a1c.0e7d2b;rport\r\n"
    b"Via: SIP/2.0/UDP 198.51.100.23:5062;received=198.51.100.23;rport=5062;"
    b"branch=z9hG4bKPj6b4c1f0e9d\r\n"
    b"Record-Route: <sip:192.0.2.10;lr;ftag=as7a1d93c2>\r\n"
    b"Max-Forwards: 69\r\n"
    b'From: "Caller 0612" <sip:+33612345678@carrier.example.net>;tag=as7a1d93c2\r\n'
    b"To: <sip:100@helpline.example.org>\r\n"
    b"Contact: <sip:+33612345678@198.51.100.23:5062;transport=udp>\r\n"
    b"Call-ID: 5c2a8e1b7f3d4e90a1b2c3d4e5f60718@198.51.100.23\r\n"
    b"CSeq: 20417 INVITE\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, NOTIFY\r\n"
    b"Supported: replaces, timer, 100rel\r\n"
    b"Session-Expires: 1800;refresher=uac\r\n"
    b"Min-SE: 90\r\n"
    b"P-Asserted-Identity: <sip:+33612345678@carrier.example.net>\r\n"
    b"User-Agent: Carrier SBC 4.2\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: %d\r\n"
    b"\r\n" % len(SDP_OFFER)
) + SDP_OFFER

OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK3f9a1c.0e7d2b;rport=5060\r\n"
    b"Via: SIP/2.0/UDP 198.51.100.23:5062;received=198.51.100.23;rport=5062;"
    b"branch=z9hG4bKPj6b4c1f0e9d\r\n"
    b"Record-Route: <sip:192.0.2.10;lr;ftag=as7a1d93c2>\r\n"
    b'From: "Caller 0612" <sip:+33612345678@carrier.example.net>;tag=as7a1d93c2\r\n'
    b"To: <sip:100@helpline.example.org>;tag=hl-4f1e2d3c\r\n"
    b"Call-ID: 5c2a8e1b7f3d4e90a1b2c3d4e5f60718@198.51.100.23\r\n"
    b"CSeq: 20417 INVITE\r\n"
    b"Contact: <sip:100@203.0.113.10:5060>\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    b"Supported: replaces, timer\r\n"
    b"Session-Expires: 1800;refresher=uac\r\n"
    b"Require: timer\r\n"
    b"Server: Helpline\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: %d\r\n"
    b"\r\n" % len(SDP_ANSWER)
) + SDP_ANSWER

REGISTER = (
    b"REGISTER sip:helpline.example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.20.30.41:5060;branch=z9hG4bK1787261642;rport\r\n"
    b"From: <sip:201@helpline.example.org>;tag=1630415237\r\n"
    b"To: <sip:201@helpline.example.org>\r\n"
    b"Call-ID: 0_1207593412@10.20.30.41\r\n"
    b"CSeq: 2 REGISTER\r\n"
    b"Contact: <sip:201@10.20.30.41:5060>;reg-id=1;"
    b'+sip.instance="<urn:uuid:00000000-0000-1000-8000-000b82a1b2c3>"\r\n'
    b'Authorization: Digest username="201", realm="helpline", '
    b'nonce="6a3f1c0b9e8d7c6b5a4f3e2d1c0b9a88", uri="sip:helpline.example.org", '
    b'response="0c8e4b3f2a1d9e8c7b6a5f4e3d2c1b0a", algorithm=MD5, '
    b'cnonce="3c2b1a09", qop=auth, nc=00000001\r\n'
    b"Max-Forwards: 70\r\n"
    b"User-Agent: Grandstream GXP1620 1.0.11.23\r\n"
    b"Supported: path, gruu\r\n"
    b"Expires: 3600\r\n"
    b"Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)

MESSAGES = (
    ("INVITE with SDP offer", INVITE),
    ("200 OK with SDP answer", OK),
    ("REGISTER with digest", REGISTER),
)


@dataclass
class Sizes:
    parses: int
    repeats: int


FULL = Sizes(20_000, 5)
QUICK = Sizes(300, 1)


def header_block(message: bytes) -> bytes:
    """The header lines alone, ended by the empty line: what the baseline parses."""
    head = message.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n", 1)[1] + b"\r\n\r\n"


def best_of(repeats: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeats):  # best of several: the machine may be busy with other work
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


def sip_parser(data: bytes, count: int) -> Callable[[], None]:
    def run() -> None:
        parse = parse_message
        for _ in range(count):
            parse(data)

    return run


def stdlib_parser(data: bytes, count: int) -> Callable[[], None]:
    def run() -> None:
        parse = BytesHeaderParser().parsebytes
        for _ in range(count):
            parse(data)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    out = sys.stdout.write

    out(
        f"SIP parser benchmark: {sizes.parses:,} parses per message, best of {sizes.repeats}, "
        "one core\n"
    )
    out(
        f"  {'message':<24} {'bytes':>6} {'headers':>7} {'parses/s':>10} {'us/parse':>9} "
        f"{'stdlib/s':>10} {'ratio':>6}\n"
    )
    for label, data in MESSAGES:
        parse_message(data)  # a benchmark of a failing parse would measure nothing useful
        block = header_block(data)
        headers = block.count(b"\r\n") - 1
        sip = sizes.parses / best_of(sizes.repeats, sip_parser(data, sizes.parses))
        stdlib = sizes.parses / best_of(sizes.repeats, stdlib_parser(block, sizes.parses))
        out(
            f"  {label:<24} {len(data):>6} {headers:>7} {sip:>10,.0f} {1e6 / sip:>9.1f} "
            f"{stdlib:>10,.0f} {sip / stdlib:>6.2f}\n"
        )
    out(
        "\n  ratio = parse_message parses/s / email.parser.BytesHeaderParser parses/s "
        "of the same header block\n"
    )
    if args.quick:
        out("  (quick mode: too few parses to judge)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
