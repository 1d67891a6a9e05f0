"""``X-Twilio-Signature`` checked against Twilio's own library.

The reference is ``twilio.request_validator.RequestValidator`` (the official ``twilio``
package, a development dependency): our signature must equal its ``compute_signature``
on any URL and form, and ``valid_signature`` must accept what its ``validate`` accepts
(the URL with or without its default port) and refuse what it refuses.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, UploadFile
from twilio.request_validator import RequestValidator

from helpline.channels.sms.twilio import (
    request_signature,
    valid_json_signature,
    valid_signature,
)

SETTINGS = settings(max_examples=300, deadline=None)


class MultiDict(dict[str, list[str]]):
    """What the twilio library expects for repeated parameters (werkzeug's ``getall``)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


tokens = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    st.text(min_size=1, max_size=40),
)
hosts = st.sampled_from(
    ["example.com", "helpline.example.org", "127.0.0.1", "localhost", "xn--bcher-kva.example"]
)
ports = st.one_of(st.none(), st.sampled_from([80, 443]), st.integers(1, 65535))
path_segments = st.lists(
    st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"),
        st.sampled_from(["%20", "%C3%A9", "webhooks", "sms", "twilio.php"]),
    ),
    max_size=4,
)
queries = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=3)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(hosts)
    port = draw(ports)
    netloc = host if port is None else f"{host}:{port}"
    path = "/" + "/".join(draw(path_segments))
    query = draw(queries)
    return f"{scheme}://{netloc}{path}" + (f"?{urlencode(query)}" if query else "")


names = st.one_of(
    st.sampled_from(["Body", "From", "To", "MessageSid", "MediaUrl0", "NumMedia", "body"]),
    st.text(max_size=12),
)
param_sets = st.dictionaries(names, st.lists(st.text(max_size=30), min_size=1, max_size=3))


def plain(params: dict[str, list[str]]) -> dict[str, Any]:
    """A plain mapping as an endpoint might build it: strings, lists when repeated."""
    return {name: values[0] if len(values) == 1 else values for name, values in params.items()}


@SETTINGS
@given(token=tokens, url=urls(), params=param_sets)
def test_signature_is_twilios(token: str, url: str, params: dict[str, list[str]]) -> None:
    expected = RequestValidator(token).compute_signature(url, MultiDict(params))
    assert request_signature(token, url, plain(params)) == expected
    assert request_signature(token, url, MultiDict(params)) == expected


@SETTINGS
@given(token=tokens, url=urls(), pairs=st.lists(st.tuples(names, st.text(max_size=20))))
def test_form_data_with_repeated_keys(token: str, url: str, pairs: list[tuple[str, str]]) -> None:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    expected = RequestValidator(token).compute_signature(url, MultiDict(grouped))
    form = FormData(pairs)
    assert request_signature(token, url, form) == expected
    assert valid_signature(token, url, form, expected)


def port_variants(url: str) -> list[str]:
    """The URL as Twilio may have signed it: as configured, with the default port written
    out, and without an explicit port."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    default = 443 if parsed.scheme == "https" else 80
    host = parsed.hostname or ""
    return [
        url,
        parsed._replace(netloc=f"{host}:{default}").geturl(),
        parsed._replace(netloc=host).geturl(),
    ]


@SETTINGS
@given(token=tokens, url=urls(), params=param_sets, data=st.data())
def test_accepts_what_twilio_accepts(
    token: str, url: str, params: dict[str, list[str]], data: st.DataObject
) -> None:
    validator = RequestValidator(token)
    signed_url = data.draw(st.sampled_from(port_variants(url)))
    signature = validator.compute_signature(signed_url, MultiDict(params))
    theirs = validator.validate(url, MultiDict(params), signature)
    assert valid_signature(token, url, plain(params), signature) is theirs
    if signed_url == url:
        assert theirs


@SETTINGS
@given(token=tokens, url=urls(), params=param_sets, other_port=st.integers(1, 65535))
def test_refuses_another_port(
    token: str, url: str, params: dict[str, list[str]], other_port: int
) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    assume(other_port not in (parsed.port, 80, 443))
    elsewhere = parsed._replace(netloc=f"{parsed.hostname}:{other_port}").geturl()
    signature = RequestValidator(token).compute_signature(elsewhere, MultiDict(params))
    assert not RequestValidator(token).validate(url, MultiDict(params), signature)
    assert not valid_signature(token, url, plain(params), signature)


@SETTINGS
@given(
    token=tokens,
    url=urls(),
    params=param_sets,
    tamper=st.sampled_from(["add", "change", "drop", "url", "token", "signature"]),
    data=st.data(),
)
def test_tampering_is_refused(
    token: str,
    url: str,
    params: dict[str, list[str]],
    tamper: str,
    data: st.DataObject,
) -> None:
    signature = RequestValidator(token).compute_signature(url, MultiDict(params))
    assert valid_signature(token, url, plain(params), signature)
    changed = {name: list(values) for name, values in params.items()}
    check_url, check_token, check_signature = url, token, signature
    if tamper == "add":
        name = data.draw(names.filter(lambda n: n not in params))
        changed[name] = [data.draw(st.text(max_size=10))]
    elif tamper == "change":
        assume(params)
        name = data.draw(st.sampled_from(sorted(params)))
        new = data.draw(st.text(max_size=30).filter(lambda v: v not in params[name]))
        changed[name] = [*changed[name][:-1], new]
        assume(set(changed[name]) != set(params[name]))
    elif tamper == "drop":
        assume(params)
        del changed[data.draw(st.sampled_from(sorted(params)))]
    elif tamper == "url":
        check_url = url + ("&" if "?" in url else "?") + "x=1"
    elif tamper == "token":
        check_token = data.draw(tokens.filter(lambda t: t != token))
    else:
        check_signature = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    validator = RequestValidator(check_token)
    # Twilio's scheme concatenates names and values: a change that leaves the signed text
    # the same (adding an empty name with an empty value) cannot be seen by anyone.
    assume(validator.compute_signature(check_url, MultiDict(changed)) != check_signature)
    assert not valid_signature(check_token, check_url, plain(changed), check_signature)
    assert not validator.validate(check_url, MultiDict(changed), check_signature)


def test_missing_or_empty_inputs_are_never_valid() -> None:
    url = "https://helpline.example.org/webhooks/twilio/sms"
    params = {"Body": "hi"}
    signature = request_signature("secret", url, params)
    assert valid_signature("secret", url, params, signature)
    assert not valid_signature("secret", url, params, None)
    assert not valid_signature("secret", url, params, "")
    assert not valid_signature("", url, params, request_signature("", url, params))
    assert not valid_signature("secret", "https://h:99999/x", params, signature)
    assert not valid_signature("secret", url, params, "é" * 28)


def test_a_file_in_the_form_is_never_valid() -> None:
    url = "https://helpline.example.org/webhooks/twilio/sms"
    signature = request_signature("secret", url, {"Body": "hi"})
    upload = UploadFile(io.BytesIO(b"x"), filename="x.txt")
    assert not valid_signature("secret", url, FormData([("Body", "hi"), ("f", upload)]), signature)
    assert not valid_signature("secret", url, {"Body": "hi", "n": 3}, signature)  # type: ignore[dict-item]


# -- JSON bodies (bodySHA256) -------------------------------------------------------------

json_bodies = st.dictionaries(
    st.text(max_size=10), st.one_of(st.text(max_size=20), st.integers(), st.booleans())
)


@SETTINGS
@given(token=tokens, url=urls(), body=json_bodies, data=st.data())
def test_json_bodies_as_twilio_validates_them(
    token: str, url: str, body: dict[str, Any], data: st.DataObject
) -> None:
    raw = json.dumps(body, ensure_ascii=False)
    separator = "&" if "?" in url else "?"
    signed = url + separator + "bodySHA256=" + hashlib.sha256(raw.encode()).hexdigest()
    validator = RequestValidator(token)
    signed_as = data.draw(st.sampled_from(port_variants(signed)))
    signature = validator.compute_signature(signed_as, {})
    theirs = validator.validate(signed, raw, signature)
    assert valid_json_signature(token, signed, raw.encode(), signature) is theirs
    if signed_as == signed:
        assert theirs
    tampered = raw.encode() + b" "
    assert not validator.validate(signed, tampered.decode(), signature)
    assert not valid_json_signature(token, signed, tampered, signature)
    assert not valid_json_signature(token + "x", signed, raw.encode(), signature)


def test_json_without_body_hash_is_refused() -> None:
    url = "https://example.com/myapp"
    signature = RequestValidator("12345").compute_signature(url, {})
    assert not valid_json_signature("12345", url, b'{"CallSid": "CA1"}', signature)
    assert not valid_json_signature("12345", url + "?bodySHA256=", b"{}", signature)
