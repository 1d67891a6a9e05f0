"""``X-Hub-Signature-256`` and the verification handshake.

Meta's definition ("Validating payloads" in the Graph API's Webhooks guide): the header is
``sha256=`` followed by the hex HMAC-SHA256 of the raw request body keyed with the app
secret. The tests compute it here from that definition, not with the code under test.
The handshake ("Verification requests"): ``hub.mode=subscribe``, ``hub.verify_token``,
``hub.challenge``; answer the challenge only when the token is ours.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpline.channels.meta import handshake, valid_signature

SETTINGS = settings(max_examples=300, deadline=None)
secrets_ = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=2000)


def header_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@SETTINGS
@given(secret=secrets_, body=bodies)
def test_a_correct_signature_is_accepted(secret: str, body: bytes) -> None:
    header = header_for(secret, body)
    assert valid_signature(secret, body, header)
    # Hex digits are case-insensitive; whitespace around the header is not a forgery.
    digest = header.removeprefix("sha256=")
    assert valid_signature(secret, body, " sha256=" + digest.upper() + " ")


@SETTINGS
@given(secret=secrets_, body=bodies.filter(bool), data=st.data())
def test_a_changed_byte_is_refused(secret: str, body: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    assert not valid_signature(secret, tampered, header_for(secret, body))


@SETTINGS
@given(secret=secrets_, other=secrets_, body=bodies)
def test_a_wrong_secret_is_refused(secret: str, other: str, body: bytes) -> None:
    assume(other != secret)
    assert not valid_signature(secret, body, header_for(other, body))


@SETTINGS
@given(secret=secrets_, body=bodies, header=st.one_of(st.none(), st.text(max_size=80)))
def test_garbled_headers_are_refused(secret: str, body: bytes, header: str | None) -> None:
    assume(header is None or header.strip().lower() != header_for(secret, body))
    assert not valid_signature(secret, body, header)


def test_near_misses_are_refused() -> None:
    body = json.dumps({"object": "page", "entry": []}).encode()
    good = header_for("app-secret", body)
    digest = good.removeprefix("sha256=")
    sha1 = "sha1=" + hmac.new(b"app-secret", body, hashlib.sha1).hexdigest()
    for header in (
        None,
        "",
        "sha256=",
        digest,  # no prefix
        "sha256:" + digest,
        "SHA256=" + digest,
        sha1,  # the old X-Hub-Signature
        good[:-1],
        good + "0",
        "sha256=" + "é" * 64,
        "sha256=" + "zz" * 32,
    ):
        assert not valid_signature("app-secret", body, header), header
    assert valid_signature("app-secret", body, good)
    assert not valid_signature("", body, header_for("", body))


# -- handshake ----------------------------------------------------------------------------


def test_the_handshake_echoes_the_challenge_for_our_token() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "1158201444"}
    assert handshake(params, "tok-123") == "1158201444"


def test_the_handshake_refuses_everything_else() -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "42"}
    assert handshake(good | {"hub.verify_token": "tok-124"}, "tok-123") is None
    assert handshake(good | {"hub.verify_token": ""}, "tok-123") is None
    assert handshake(good | {"hub.mode": "unsubscribe"}, "tok-123") is None
    assert handshake({k: v for k, v in good.items() if k != "hub.mode"}, "tok-123") is None
    assert handshake({k: v for k, v in good.items() if k != "hub.verify_token"}, "tok-123") is None
    assert handshake({k: v for k, v in good.items() if k != "hub.challenge"}, "tok-123") is None
    assert handshake(good | {"hub.challenge": ""}, "tok-123") is None
    # An unconfigured token verifies nothing, not even an empty one.
    assert handshake(good | {"hub.verify_token": ""}, "") is None


@SETTINGS
@given(token=st.text(min_size=1), given_token=st.text(), challenge=st.text(min_size=1))
def test_the_handshake_answers_only_the_right_token(
    token: str, given_token: str, challenge: str
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": given_token, "hub.challenge": challenge}
    expected = challenge if given_token == token else None
    assert handshake(params, token) == expected
