"""SIP messages (RFC 3261 sections 7, 19, 20 and 25): parsing and writing.

Parsing works on whole lines with ``bytes.split``/``str.partition`` rather than a
character state machine: CPython does that work in C, which keeps a typical INVITE well
under the per-message budget of a stack that must answer hundreds of calls a second.
Header values are kept as text and parsed only when asked (``parse_via``,
``parse_name_addr``...), because most of them are copied, not read.

Tolerant where RFC 3261 allows it (folding, compact names, odd spacing, unknown methods
and headers), strict where RFC 4475 says a server must refuse: every problem is a
:class:`SipParseError` carrying the response code to answer with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

MAX_MESSAGE_SIZE = 65535


class SipParseError(ValueError):
    """A message or a header value that cannot be used.

    ``status`` is what a server answers when it can answer at all (400 unless said
    otherwise: 505 for a SIP version we do not speak, 413 for too large, 416 for a URI
    scheme we do not serve).
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


COMPACT_FORMS = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
    "u": "Allow-Events",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}

_CANONICAL = {
    name.lower(): name
    for name in (
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "In-Reply-To",
        "Max-Forwards",
        "Min-Expires",
        "MIME-Version",
        "Organization",
        "P-Asserted-Identity",
        "Priority",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Reply-To",
        "Require",
        "Retry-After",
        "Route",
        "RSeq",
        "RAck",
        "Server",
        "Session-Expires",
        "Subject",
        "Subscription-State",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    )
}

# Headers whose grammar is a comma-separated list: several lines or one line with commas
# mean the same (RFC 3261 7.3.1). Authentication headers are not lists of values.
LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Via",
        "Contact",
        "Route",
        "Record-Route",
        "Allow",
        "Supported",
        "Require",
        "Proxy-Require",
        "Unsupported",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Allow-Events",
        "Content-Encoding",
        "Content-Language",
        "In-Reply-To",
        "Alert-Info",
        "Call-Info",
        "Error-Info",
        "Warning",
        "P-Asserted-Identity",
    )
)

_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_HEADER_NAME = _TOKEN
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*\Z")
# An unquoted display name should be tokens and LWS (RFC 3261 25.1). Phones also send
# UTF-8 or "(mobile)" unquoted, which is unambiguous and let through; what would change the
# meaning of the value is refused: "," ("Bell, Alexander", RFC 4475 3.1.2.15) splits a list
# header, ";" starts parameters, quotes, backslashes, brackets and controls.
_UNQUOTED_DISPLAY = re.compile(r'[^,;"\\<>\x00-\x08\x0a-\x1f\x7f]*\Z')


def _decimal(text: str, what: str, limit: int) -> int:
    """An unsigned decimal no larger than ``limit``, or SipParseError.

    ASCII digits only: ``str.isdigit`` is also true for "²" and other digits ``int``
    refuses, and ``int`` refuses strings of more than 4,300 digits, so the length is
    bounded before converting (leading zeros are legal: RFC 4475 writes "0068").
    """
    if not (text.isascii() and text.isdigit()):
        raise SipParseError(f"bad {what} {text[:20]!r}")
    if len(text.lstrip("0")) > len(str(limit)) or int(text) > limit:
        raise SipParseError(f"{what} too large")
    return int(text)


def canonical_name(name: str) -> str:
    lower = name.lower()
    if len(lower) == 1 and lower in COMPACT_FORMS:
        return COMPACT_FORMS[lower]
    return _CANONICAL.get(lower, name)


def split_list(value: str) -> list[str]:
    """Split a header value at the commas that separate values.

    Commas inside quoted strings, ``<...>`` and (for Via) nothing else are part of a
    value: ``"Doe, John" <sip:j@x>, <sip:k@y>`` is two values.
    """
    if "," not in value:
        stripped = value.strip()
        return [stripped] if stripped else []
    parts: list[str] = []
    depth_angle = 0
    in_quotes = False
    escaped = False
    start = 0
    for index, char in enumerate(value):
        if in_quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == "<":
            depth_angle += 1
        elif char == ">":
            depth_angle = max(0, depth_angle - 1)
        elif char == "," and depth_angle == 0:
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    return [part for part in parts if part]


class Headers:
    """Ordered, case-insensitive header multimap; one entry per header line."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [
            (canonical_name(name), value) for name, value in items
        ]

    def get(self, name: str, default: str | None = None) -> str | None:
        key = canonical_name(name).lower()
        for item_name, value in self._items:
            if item_name.lower() == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        key = canonical_name(name).lower()
        return [value for item_name, value in self._items if item_name.lower() == key]

    def values(self, name: str) -> list[str]:
        key = canonical_name(name).lower()
        result: list[str] = []
        for item_name, value in self._items:
            if item_name.lower() == key:
                if key in LIST_HEADERS:
                    result.extend(split_list(value))
                elif value.strip():
                    result.append(value.strip())
        return result

    def set(self, name: str, value: str) -> None:
        canonical = canonical_name(name)
        key = canonical.lower()
        for index, (item_name, _) in enumerate(self._items):
            if item_name.lower() == key:
                self._items[index] = (canonical, value)
                self._items = [
                    item
                    for position, item in enumerate(self._items)
                    if position <= index or item[0].lower() != key
                ]
                return
        self._items.append((canonical, value))

    def add(self, name: str, value: str, *, first: bool = False) -> None:
        item = (canonical_name(name), value)
        if first:
            self._items.insert(0, item)
        else:
            self._items.append(item)

    def remove(self, name: str) -> None:
        key = canonical_name(name).lower()
        self._items = [item for item in self._items if item[0].lower() != key]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = canonical_name(name).lower()
        return any(item_name.lower() == key for item_name, _ in self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        copy = Headers()
        copy._items = list(self._items)
        return copy

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


# ---- parameters -------------------------------------------------------------------------


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        if "\\" in inner:
            return re.sub(r"\\(.)", r"\1", inner)
        return inner
    return value


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    in_quotes = False
    escaped = False
    start = 0
    for index, char in enumerate(text):
        if in_quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    if in_quotes:
        raise SipParseError("unterminated quoted string")
    parts.append(text[start:])
    return parts


def parse_params(text: str) -> dict[str, str | None]:
    """``;a=b;c`` (leading ``;`` optional) as an ordered dict; names lower-cased.

    One trailing ``;`` is tolerated; an empty parameter between separators (``;;``, RFC
    4475 3.1.2.1) is an error.
    """
    params: dict[str, str | None] = {}
    text = text.strip()
    if text.startswith(";"):
        text = text[1:]
    if not text:
        return params
    parts = _split_outside_quotes(text, ";")
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()
    for part in parts:
        name, equals, value = part.partition("=")
        name = name.strip().lower()
        if not name:
            raise SipParseError("empty parameter name")
        if not _TOKEN.match(name):
            raise SipParseError(f"bad parameter name {name[:40]!r}")
        params[name] = _unquote(value.strip()) if equals else None
    return params


def _format_params(params: dict[str, str | None]) -> str:
    out = []
    for name, value in params.items():
        if value is None:
            out.append(f";{name}")
        elif value == "" or (not _TOKEN.match(value) and not _is_host_like(value)):
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f';{name}="{escaped}"')
        else:
            out.append(f";{name}={value}")
    return "".join(out)


def _is_host_like(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z0-9\-.:\[\]]+$", value))


def parse_auth_params(text: str) -> tuple[str, dict[str, str]]:
    """``Digest realm="x", nonce="y"`` as ("Digest", {"realm": "x", "nonce": "y"})."""
    text = text.strip()
    scheme, _, rest = text.partition(" ")
    if not scheme or not _TOKEN.match(scheme):
        raise SipParseError("bad authentication scheme")
    params: dict[str, str] = {}
    for part in _split_outside_quotes(rest, ","):
        if not part.strip():
            continue
        name, equals, value = part.strip().partition("=")
        if not equals:
            raise SipParseError(f"bad authentication parameter {part.strip()[:40]!r}")
        params[name.strip().lower()] = _unquote(value.strip())
    return scheme, params


# ---- URIs -------------------------------------------------------------------------------

_USER_SAFE = "-_.!~*'()&=+$,;?/"
# What RFC 3261 25.1 lets stand unescaped in a URI parameter (paramchar) and in a URI
# header (hname / hvalue); everything else is written %-escaped.
_URI_PARAM_SAFE = "-_.!~*'()[]/:&+$"
_URI_HEADER_SAFE = "-_.!~*'()[]/?:+$"
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)\Z")


@dataclass(slots=True)
class SipUri:
    scheme: str
    user: str | None
    password: str | None
    host: str
    port: int | None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user or self.host}{_format_params(self.params)}"
        text = f"{self.scheme}:"
        if self.user is not None:
            text += quote(self.user, safe=_USER_SAFE)
            if self.password is not None:
                text += ":" + quote(self.password, safe=_USER_SAFE)
            text += "@"
        text += self.host
        if self.port is not None:
            text += f":{self.port}"
        for name, value in self.params.items():
            text += ";" + quote(name, _URI_PARAM_SAFE)
            if value is not None:
                text += "=" + quote(value, _URI_PARAM_SAFE)
        if self.headers:
            text += "?" + "&".join(
                f"{quote(name, _URI_HEADER_SAFE)}={quote(value, _URI_HEADER_SAFE)}"
                for name, value in self.headers.items()
            )
        return text

    @property
    def transport(self) -> str:
        return (self.params.get("transport") or "udp").lower()

    @property
    def host_port(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


def parse_uri(text: str) -> SipUri:
    text = text.strip()
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or not _SCHEME.match(scheme):
        raise SipParseError(f"not a URI: {text[:60]!r}")
    if scheme == "tel":
        number, _, params = rest.partition(";")
        if not number or not re.match(r"^[0-9+\-.()*#A-Fa-fpPwW]+$", number):
            raise SipParseError(f"bad tel URI {text[:60]!r}")
        return SipUri("tel", number, None, "", None, parse_params(params))
    if scheme not in ("sip", "sips"):
        raise SipParseError(f"unsupported URI scheme {scheme!r}", 416)
    if any(char in rest for char in ' \t<>"') or not rest:
        raise SipParseError(f"bad SIP URI {text[:60]!r}")
    # The user part may hold "?", ";" and "/" (RFC 4475 3.1.1.2) but never "@", which
    # nothing after it may hold either: split there before looking for headers.
    user: str | None = None
    password: str | None = None
    userinfo, at, hostpart = rest.partition("@")
    if not at:
        hostpart = rest
    hostpart, _, uri_headers = hostpart.partition("?")
    if at:
        user_text, colon_pw, password_text = userinfo.partition(":")
        try:
            user = unquote(user_text, errors="strict")
            password = unquote(password_text, errors="strict") if colon_pw else None
        except UnicodeDecodeError as error:
            raise SipParseError("bad escaping in the URI user part") from error
        if not user and not colon_pw:
            raise SipParseError("empty user part in the URI")
    hostport, separator, params_text = hostpart.partition(";")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise SipParseError("unterminated IPv6 reference")
        host = hostport[: end + 1]
        port_text = hostport[end + 1 :]
        if port_text and not port_text.startswith(":"):
            raise SipParseError("bad host part after an IPv6 reference")
        port_text = port_text[1:]
    else:
        host, _, port_text = hostport.partition(":")
    if not host or not _HOST.match(host):
        raise SipParseError(f"bad host in URI {text[:60]!r}")
    port: int | None = None
    if port_text:
        port = _decimal(port_text, "port in URI", 65535)
        if port == 0:
            raise SipParseError(f"bad port in URI {text[:60]!r}")
    headers: dict[str, str] = {}
    if uri_headers:
        for pair in uri_headers.split("&"):
            name, _, value = pair.partition("=")
            headers[unquote(name)] = unquote(value)
    uri_params = parse_params(separator + params_text)
    if "%" in params_text:
        # Unescaped once, never twice: n%61me=v%61lue%25%34%31 is name=value%41 (RFC 4475
        # 3.1.1.3), which is how RFC 3261 19.1.4 compares URIs.
        uri_params = {
            unquote(name).lower(): None if value is None else unquote(value)
            for name, value in uri_params.items()
        }
    return SipUri(scheme, user, password, host.lower(), port, uri_params, headers)


# ---- name-addr (From, To, Contact, Route...) --------------------------------------------


@dataclass(slots=True)
class NameAddr:
    display_name: str | None
    uri: SipUri
    params: dict[str, str | None] = field(default_factory=dict)
    wildcard: bool = False

    def __str__(self) -> str:
        if self.wildcard:
            return "*"
        text = ""
        if self.display_name:
            escaped = self.display_name.replace("\\", "\\\\").replace('"', '\\"')
            text = f'"{escaped}" '
        return f"{text}<{self.uri}>{_format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")


_WILDCARD_URI = SipUri("sip", None, None, "*", None)


def parse_name_addr(text: str) -> NameAddr:
    text = text.strip()
    if text == "*":
        return NameAddr(None, _WILDCARD_URI, {}, wildcard=True)
    display: str | None = None
    if text.startswith('"'):
        index = 1
        escaped = False
        while index < len(text):
            char = text[index]
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                break
            index += 1
        else:
            raise SipParseError("unterminated display name")
        display = _unquote(text[: index + 1])
        text = text[index + 1 :].lstrip()
        if not text.startswith("<"):
            raise SipParseError("a quoted display name must be followed by <URI>")
    if "<" in text:
        before, _, rest = text.partition("<")
        if display is None and before.strip():
            if not _UNQUOTED_DISPLAY.match(before):
                raise SipParseError(f"display name needs quotes: {before.strip()[:40]!r}")
            display = " ".join(before.split())
        uri_text, closing, params_text = rest.partition(">")
        if not closing:
            raise SipParseError("missing '>' after the URI")
        uri = parse_uri(uri_text)
        return NameAddr(display, uri, parse_params(params_text))
    # addr-spec without brackets: parameters after the URI belong to the header
    # (RFC 3261 20.10), so ";tag=" is never a URI parameter here.
    uri_text, separator, params_text = text.partition(";")
    if " " in uri_text.strip():
        raise SipParseError(f"bad address {text[:60]!r}")
    if "?" in uri_text:
        # RFC 3261 20.10: a URI with headers MUST be in <...> (RFC 4475 3.1.2.13).
        raise SipParseError(f"a URI with headers must be enclosed in <>: {text[:60]!r}")
    return NameAddr(None, parse_uri(uri_text), parse_params(separator + params_text))


# ---- Via and CSeq -----------------------------------------------------------------------


@dataclass(slots=True)
class Via:
    protocol: str
    transport: str
    host: str
    port: int | None
    params: dict[str, str | None] = field(default_factory=dict)

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}/{self.transport} {self.host}{port}{_format_params(self.params)}"

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")


def parse_via(text: str) -> Via:
    sent_protocol, _, rest = text.strip().partition(" ")
    # LWS is allowed around the slashes ("SIP / 2.0 / UDP"): rebuild without it.
    if "/" not in sent_protocol or sent_protocol.count("/") < 2:
        pieces = text.strip().split("/", 2)
        if len(pieces) != 3:
            raise SipParseError(f"bad Via {text[:60]!r}")
        name, version = pieces[0].strip(), pieces[1].strip()
        transport, _, rest = pieces[2].strip().partition(" ")
        if " " in transport or not rest:
            transport_and_rest = pieces[2].strip().split(None, 1)
            if len(transport_and_rest) != 2:
                raise SipParseError(f"bad Via {text[:60]!r}")
            transport, rest = transport_and_rest
        sent_protocol = f"{name}/{version}/{transport}"
    name, version, transport = sent_protocol.split("/", 2)
    if not name or not version or not transport:
        raise SipParseError(f"bad Via {text[:60]!r}")
    rest = rest.strip()
    hostport, separator, params_text = rest.partition(";")
    hostport = hostport.strip()
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise SipParseError("unterminated IPv6 reference in Via")
        host, port_text = hostport[: end + 1], hostport[end + 1 :].lstrip(":").strip()
    else:
        host, _, port_text = hostport.partition(":")
        host, port_text = host.strip(), port_text.strip()
    if not host or not _HOST.match(host):
        raise SipParseError(f"bad sent-by in Via {text[:60]!r}")
    port: int | None = None
    if port_text:
        port = _decimal(port_text, "port in Via", 65535)
        if port == 0:
            raise SipParseError(f"bad port in Via {text[:60]!r}")
    params = parse_params(separator + params_text)
    return Via(f"{name.upper()}/{version}", transport.upper(), host, port, params)


def parse_cseq(text: str) -> tuple[int, str]:
    parts = text.split()
    if len(parts) != 2:
        raise SipParseError(f"bad CSeq {text[:40]!r}")
    number = _decimal(parts[0], "CSeq number", 2**31 - 1)
    if not _TOKEN.match(parts[1]):
        raise SipParseError("bad CSeq method")
    return number, parts[1]


# ---- messages ---------------------------------------------------------------------------

REASONS = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}


def _encode(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    for name, value in headers:
        if name.lower() == "content-length":
            continue
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


@dataclass(slots=True)
class Request:
    method: str
    uri: str
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"

    def parsed_uri(self) -> SipUri:
        return parse_uri(self.uri)

    def encode(self) -> bytes:
        return _encode(f"{self.method} {self.uri} {self.version}", self.headers, self.body)


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"

    def encode(self) -> bytes:
        return _encode(f"{self.version} {self.status} {self.reason}", self.headers, self.body)


Message = Request | Response

_MANDATORY = ("To", "From", "Call-ID", "CSeq", "Via")
_SINGLE = ("To", "From", "Call-ID", "CSeq", "Content-Length", "Max-Forwards", "Content-Type")


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    # Leading CRLFs before a message are allowed (RFC 3261 7.5): keep-alive remnants.
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    end = data.find(b"\r\n\r\n", start)
    if end >= 0:
        return data[start:end], data[end + 4 :]
    # Some peers (and RFC 4475 cases) end lines with bare LF.
    end = data.find(b"\n\n", start)
    if end >= 0:
        return data[start:end], data[end + 2 :]
    return data[start:], b""


def _header_lines(head: str) -> list[str]:
    raw_lines = head.replace("\r\n", "\n").split("\n")
    lines: list[str] = []
    for line in raw_lines:
        if line[:1] in (" ", "\t"):
            if not lines:
                raise SipParseError("message starts with a continuation line")
            lines[-1] = lines[-1].rstrip() + " " + line.strip()
        else:
            lines.append(line)
    return lines


def parse_message(data: bytes) -> Message:
    if len(data) > MAX_MESSAGE_SIZE:
        raise SipParseError("message too large", 413)
    head_bytes, body = _split_head(data)
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 3261 headers are UTF-8; Latin-1 keeps odd bytes readable in a 400.
        head = head_bytes.decode("latin-1")
    lines = _header_lines(head)
    if not lines or not lines[0]:
        raise SipParseError("empty message")
    start = lines[0]
    headers = Headers()
    for line in lines[1:]:
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not name or not _HEADER_NAME.match(name):
            raise SipParseError(f"bad header line {line[:60]!r}")
        headers.add(name, value.strip())
    message: Message
    if start.startswith("SIP/"):
        message = _parse_status_line(start, headers)
    else:
        message = _parse_request_line(start, headers)
    _check_headers(message)
    message.body = _body(message.headers, body)
    return message


def _parse_status_line(line: str, headers: Headers) -> Response:
    parts = line.split(" ", 2)
    if len(parts) < 2:
        raise SipParseError(f"bad status line {line[:60]!r}")
    version = parts[0]
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"unsupported SIP version {version[:20]!r}", 505)
    code = parts[1]
    if len(code) != 3 or not (code.isascii() and code.isdigit()) or not 100 <= int(code) <= 699:
        raise SipParseError(f"bad status code {code[:10]!r}")
    return Response(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"", "SIP/2.0")


def _parse_request_line(line: str, headers: Headers) -> Request:
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError(f"bad request line {line[:60]!r}")
    method, uri, version = parts
    if not _TOKEN.match(method):
        raise SipParseError(f"bad method {method[:30]!r}")
    if not version.upper().startswith("SIP/"):
        raise SipParseError(f"bad request line {line[:60]!r}")
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"unsupported SIP version {version[:20]!r}", 505)
    scheme, colon, _ = uri.partition(":")
    if not colon or not _SCHEME.match(scheme):
        # Also "<sip:...>" (RFC 4475 3.1.2.7): brackets are no part of a Request-URI.
        raise SipParseError(f"bad Request-URI {uri[:60]!r}")
    # Other schemes are left to the layer that answers 416 (RFC 4475 3.3.2).
    if scheme.lower() in ("sip", "sips", "tel") and parse_uri(uri).headers:
        # RFC 3261 19.1.1: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
        raise SipParseError("a Request-URI cannot carry headers")
    return Request(method, uri, headers, b"", "SIP/2.0")


def _check_headers(message: Message) -> None:
    # One pass over the header lines: looking each name up separately rescanned (and
    # lower-cased) every line per lookup, two thirds of the cost of parsing an INVITE.
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for name, value in message.headers:
        key = name.lower()
        if key in counts:
            counts[key] += 1
        else:
            counts[key] = 1
            first[key] = value
    for name in _MANDATORY:
        if name.lower() not in counts:
            raise SipParseError(f"missing {name} header")
    for name in _SINGLE:
        if counts.get(name.lower(), 0) > 1:
            raise SipParseError(f"more than one {name} header")
    _, method = parse_cseq(first["cseq"])
    if isinstance(message, Request) and method != message.method:
        raise SipParseError("CSeq method does not match the request method")
    vias = split_list(first["via"])
    if not vias:
        raise SipParseError("missing Via header")
    parse_via(vias[0])
    if isinstance(message, Request):
        for name in ("to", "from"):
            try:
                parse_name_addr(first[name])
            except SipParseError as error:
                # Any URI scheme is allowed in To and From (RFC 4475 3.3.4): whether one
                # will do is for the layer that reads them, not for the parser.
                if error.status != 416:
                    raise
        max_forwards = first.get("max-forwards")
        if max_forwards is not None:
            _decimal(max_forwards, "Max-Forwards", 255)
    if not first["call-id"].strip():
        raise SipParseError("empty Call-ID")


def _body(headers: Headers, body: bytes) -> bytes:
    length_text = headers.get("Content-Length")
    if length_text is None:
        return body
    length = _decimal(length_text, "Content-Length", MAX_MESSAGE_SIZE)
    if length > len(body):
        raise SipParseError("Content-Length is larger than the body")
    return body[:length]


def response_to(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """A response as RFC 3261 8.2.6 builds it from its request."""
    out = Headers()
    for value in request.headers.get_all("Via"):
        out.add("Via", value)
    out.add("From", request.headers.get("From") or "")
    to = request.headers.get("To") or ""
    if to_tag is not None and status != 100 and ";tag=" not in to.replace(" ", "").lower():
        to = f"{to};tag={to_tag}"
    out.add("To", to)
    out.add("Call-ID", request.headers.get("Call-ID") or "")
    out.add("CSeq", request.headers.get("CSeq") or "")
    if status == 100 and "Timestamp" in request.headers:
        out.add("Timestamp", request.headers.get("Timestamp") or "")
    for name, value in headers:
        out.add(name, value)
    return Response(status, reason or REASONS.get(status, "Unknown"), out, body)


_CONTENT_LENGTH = re.compile(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)")


class StreamFramer:
    """Frames SIP messages out of a TCP byte stream (RFC 3261 18.3)."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            buffer = self._buffer.lstrip(b"\r\n")
            self._buffer = buffer
            if not buffer:
                return messages
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_MESSAGE_SIZE:
                    self._buffer = b""
                    raise SipParseError("headers too large", 413)
                return messages
            lengths = _CONTENT_LENGTH.findall(buffer, 0, end)
            if len(lengths) != 1:
                # None, or several (RFC 4475 3.3.9): either way the framing is lost.
                self._buffer = b""
                raise SipParseError("a message on a stream needs one Content-Length")
            length_text = lengths[0].strip()
            if (
                not length_text.isdigit()
                or len(length_text) > 10
                or int(length_text) > MAX_MESSAGE_SIZE
            ):
                self._buffer = b""
                raise SipParseError("bad Content-Length on a stream")
            total = end + 4 + int(length_text)
            if len(buffer) < total:
                return messages
            messages.append(buffer[:total])
            self._buffer = buffer[total:]
