"""Digest authentication: our server checks answers as RFC 7616 computes them."""

from __future__ import annotations

import hashlib

import pytest

from helpline.channels.sip.auth import (
    NONCE_LIFETIME,
    DigestServer,
    answer_challenge,
    expected_response,
    ha1,
    parse_credentials,
)
from helpline.channels.sip.message import SipParseError

SERVER = DigestServer(realm="helpline", secret=b"k" * 32, algorithms=("SHA-256", "MD5"))


def test_rfc_2617_reference_response() -> None:
    # RFC 2617 section 3.5: Mufasa / "Circle Of Life", qop=auth.
    value = expected_response(
        ha1_value=ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
        algorithm="MD5",
        method="GET",
        uri="/dir/index.html",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop="auth",
        nc="00000001",
        cnonce="0a4f113b",
    )
    assert value == "6629fae49393a05397450978507c4ef1"


def test_rfc_7616_sha256_reference_response() -> None:
    # RFC 7616 section 3.9.1, SHA-256 example.
    value = expected_response(
        ha1_value=ha1("Mufasa", "http-auth@example.org", "Circle of Life", "SHA-256"),
        algorithm="SHA-256",
        method="GET",
        uri="/dir/index.html",
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        qop="auth",
        nc="00000001",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    assert value == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_a_correct_answer_is_accepted_and_a_wrong_password_denied(algorithm: str) -> None:
    challenge = next(c for c in SERVER.challenges(1000.0) if f"algorithm={algorithm}" in c)
    answer = answer_challenge(
        challenge, method="REGISTER", uri="sip:helpline", username="agent1", password="secret-1"
    )
    credentials = parse_credentials(answer)
    stored = ha1("agent1", "helpline", "secret-1", algorithm)
    assert SERVER.check(credentials, method="REGISTER", ha1_value=stored, now=1001.0) == "ok"
    wrong = ha1("agent1", "helpline", "secret-2", algorithm)
    assert SERVER.check(credentials, method="REGISTER", ha1_value=wrong, now=1001.0) == "denied"
    assert SERVER.check(credentials, method="INVITE", ha1_value=stored, now=1001.0) == "denied"
    assert SERVER.check(credentials, method="REGISTER", ha1_value=None, now=1001.0) == "denied"


def test_an_old_nonce_is_stale_only_when_the_answer_is_right() -> None:
    challenge = SERVER.challenges(1000.0)[1]
    answer = parse_credentials(
        answer_challenge(challenge, method="REGISTER", uri="sip:h", username="a", password="p")
    )
    later = 1000.0 + NONCE_LIFETIME + 1
    stored = ha1("a", "helpline", "p")
    assert SERVER.check(answer, method="REGISTER", ha1_value=stored, now=later) == "stale"
    wrong = ha1("a", "helpline", "x")
    assert SERVER.check(answer, method="REGISTER", ha1_value=wrong, now=later) == "denied"


def test_a_forged_nonce_is_denied() -> None:
    other = DigestServer(realm="helpline", secret=b"other" * 8)
    challenge = other.challenges(1000.0)[0]
    answer = parse_credentials(
        answer_challenge(challenge, method="REGISTER", uri="sip:h", username="a", password="p")
    )
    stored = ha1("a", "helpline", "p")
    assert SERVER.check(answer, method="REGISTER", ha1_value=stored, now=1000.0) == "denied"


def test_challenges_offer_sha256_first_and_stale_when_asked() -> None:
    first, second = SERVER.challenges(5.0, stale=True)
    assert "algorithm=SHA-256" in first
    assert "algorithm=MD5" in second
    assert first.endswith("stale=true")


def test_bad_credentials_raise_parse_errors() -> None:
    with pytest.raises(SipParseError):
        parse_credentials("Basic dXNlcjpwYXNz")
    with pytest.raises(SipParseError):
        parse_credentials('Digest username="a", realm="b"')
    with pytest.raises(SipParseError):
        parse_credentials(
            'Digest username="a", realm="b", nonce="c", uri="d", response="e", algorithm=SHA-999'
        )


def test_ha1_is_what_registrars_store() -> None:
    assert ha1("201", "helpline", "pw") == hashlib.md5(b"201:helpline:pw").hexdigest()  # noqa: S324
