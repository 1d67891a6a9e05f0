"""SDP (RFC 4566) for audio calls, and the offer/answer choice of RFC 3264.

Only what a contact center's audio legs need: one connection address, audio streams with
static G.711 payload types, telephone-event (RFC 4733) and the direction attributes that
hold uses. Unknown lines are kept so that a re-encoded description loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATIC_PAYLOADS = {0: ("PCMU", 8000), 8: ("PCMA", 8000), 3: ("GSM", 8000), 9: ("G722", 8000)}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class SdpError(ValueError):
    """A session description that cannot be used (answered with 488 or 400)."""


@dataclass(slots=True)
class MediaDescription:
    kind: str
    port: int
    protocol: str
    formats: list[int]
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)
    fmtp: dict[int, str] = field(default_factory=dict)
    direction: str = "sendrecv"
    connection: str | None = None
    ptime: int | None = None
    other: list[str] = field(default_factory=list)

    def codec(self, payload_type: int) -> tuple[str, int] | None:
        if payload_type in self.rtpmap:
            return self.rtpmap[payload_type]
        return STATIC_PAYLOADS.get(payload_type)

    def payload_type_of(self, name: str) -> int | None:
        for payload_type in self.formats:
            codec = self.codec(payload_type)
            if codec and codec[0].lower() == name.lower():
                return payload_type
        return None


@dataclass(slots=True)
class SessionDescription:
    origin_user: str
    session_id: int
    session_version: int
    origin_address: str
    connection: str | None
    media: list[MediaDescription]
    session_name: str = "-"
    other: list[str] = field(default_factory=list)

    @property
    def audio(self) -> MediaDescription | None:
        for media in self.media:
            if media.kind == "audio" and media.port != 0:
                return media
        return None

    def address_of(self, media: MediaDescription) -> str:
        address = media.connection or self.connection
        if not address:
            raise SdpError("no connection address for the audio stream")
        return address

    def encode(self) -> bytes:
        address_type = "IP6" if ":" in self.origin_address else "IP4"
        lines = [
            "v=0",
            f"o={self.origin_user} {self.session_id} {self.session_version} IN "
            f"{address_type} {self.origin_address}",
            f"s={self.session_name}",
        ]
        if self.connection:
            lines.append(f"c=IN {'IP6' if ':' in self.connection else 'IP4'} {self.connection}")
        lines.append("t=0 0")
        lines += self.other
        for media in self.media:
            formats = " ".join(str(pt) for pt in media.formats) or "0"
            lines.append(f"m={media.kind} {media.port} {media.protocol} {formats}")
            if media.connection:
                kind = "IP6" if ":" in media.connection else "IP4"
                lines.append(f"c=IN {kind} {media.connection}")
            for payload_type in media.formats:
                if payload_type in media.rtpmap:
                    name, rate = media.rtpmap[payload_type]
                    lines.append(f"a=rtpmap:{payload_type} {name}/{rate}")
                if payload_type in media.fmtp:
                    lines.append(f"a=fmtp:{payload_type} {media.fmtp[payload_type]}")
            if media.ptime:
                lines.append(f"a=ptime:{media.ptime}")
            lines += media.other
            lines.append(f"a={media.direction}")
        return ("\r\n".join(lines) + "\r\n").encode()


def _connection_address(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad connection line c={value}")
    # Multicast TTL suffixes ("/127") are not used by phones; keep only the address.
    return parts[2].split("/", 1)[0]


def parse(body: bytes) -> SessionDescription:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SdpError("session description is not UTF-8") from error
    origin: list[str] | None = None
    connection: str | None = None
    session_name = "-"
    session_other: list[str] = []
    media: list[MediaDescription] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"bad SDP line {line[:40]!r}")
        kind, value = line[0], line[2:]
        current = media[-1] if media else None
        if kind == "v":
            if value != "0":
                raise SdpError(f"unsupported SDP version {value}")
        elif kind == "o":
            origin = value.split()
            if len(origin) != 6:
                raise SdpError("bad origin line")
        elif kind == "s":
            session_name = value or "-"
        elif kind == "c":
            address = _connection_address(value)
            if current is None:
                connection = address
            else:
                current.connection = address
        elif kind == "m":
            parts = value.split()
            if len(parts) < 3:
                raise SdpError(f"bad media line m={value}")
            try:
                port = int(parts[1].split("/", 1)[0])
                formats = [int(f) for f in parts[3:]] if parts[2].startswith("RTP/") else []
            except ValueError as error:
                raise SdpError(f"bad media line m={value}") from error
            if not 0 <= port <= 65535 or any(not 0 <= f <= 127 for f in formats):
                raise SdpError(f"bad media line m={value}")
            media.append(MediaDescription(parts[0], port, parts[2], formats))
        elif kind == "a" and current is not None:
            _media_attribute(current, value)
        elif kind == "t":
            continue
        elif current is None:
            session_other.append(line)
        else:
            current.other.append(line)
    if origin is None:
        raise SdpError("session description without an origin line")
    try:
        session_id, session_version = int(origin[1]), int(origin[2])
    except ValueError as error:
        raise SdpError("bad origin line") from error
    return SessionDescription(
        origin_user=origin[0],
        session_id=session_id,
        session_version=session_version,
        origin_address=origin[5],
        connection=connection,
        media=media,
        session_name=session_name,
        other=session_other,
    )


def _media_attribute(media: MediaDescription, value: str) -> None:
    name, _, argument = value.partition(":")
    if name in DIRECTIONS and not argument:
        media.direction = name
    elif name == "rtpmap":
        number, _, encoding = argument.partition(" ")
        codec, _, rest = encoding.partition("/")
        try:
            media.rtpmap[int(number)] = (codec, int(rest.split("/", 1)[0]))
        except ValueError as error:
            raise SdpError(f"bad rtpmap a={value}") from error
    elif name == "fmtp":
        number, _, parameters = argument.partition(" ")
        try:
            media.fmtp[int(number)] = parameters
        except ValueError as error:
            raise SdpError(f"bad fmtp a={value}") from error
    elif name == "ptime":
        try:
            media.ptime = int(float(argument))
        except ValueError as error:
            raise SdpError(f"bad ptime a={value}") from error
    else:
        media.other.append(f"a={value}")


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The result of answering an audio offer."""

    remote_address: str
    remote_port: int
    codec: str
    payload_type: int
    dtmf_payload_type: int | None
    direction: str
    ptime: int


ANSWER_DIRECTION = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


def negotiate(
    offer: SessionDescription, supported: tuple[str, ...] = ("PCMU", "PCMA")
) -> Negotiated:
    """Pick the first codec of the offer that we support (the offerer's preference wins)."""
    audio = offer.audio
    if audio is None:
        raise SdpError("no audio stream in the offer")
    if not audio.protocol.startswith("RTP/AVP"):
        raise SdpError(f"unsupported media protocol {audio.protocol}")
    wanted = {name.upper() for name in supported}
    for payload_type in audio.formats:
        codec = audio.codec(payload_type)
        if codec and codec[0].upper() in wanted and codec[1] == 8000:
            return Negotiated(
                remote_address=offer.address_of(audio),
                remote_port=audio.port,
                codec=codec[0].upper(),
                payload_type=payload_type,
                dtmf_payload_type=audio.payload_type_of("telephone-event"),
                direction=audio.direction,
                ptime=audio.ptime or 20,
            )
    raise SdpError("none of the offered codecs is supported (PCMU or PCMA needed)")


def audio_description(
    *,
    address: str,
    port: int,
    session_id: int,
    version: int,
    codecs: list[tuple[int, str]],
    dtmf_payload_type: int | None = 101,
    direction: str = "sendrecv",
) -> SessionDescription:
    """Our own offer or answer: G.711 codecs in order of preference and telephone-event."""
    formats = [payload_type for payload_type, _ in codecs]
    rtpmap = {payload_type: (name, 8000) for payload_type, name in codecs}
    fmtp = {}
    if dtmf_payload_type is not None:
        formats.append(dtmf_payload_type)
        rtpmap[dtmf_payload_type] = ("telephone-event", 8000)
        fmtp[dtmf_payload_type] = "0-16"
    media = MediaDescription(
        kind="audio",
        port=port,
        protocol="RTP/AVP",
        formats=formats,
        rtpmap=rtpmap,
        fmtp=fmtp,
        direction=direction,
        ptime=20,
    )
    return SessionDescription(
        origin_user="helpline",
        session_id=session_id,
        session_version=version,
        origin_address=address,
        connection=address,
        media=[media],
        session_name="Helpline",
    )
