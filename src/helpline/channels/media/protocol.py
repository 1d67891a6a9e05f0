"""The media engine's control protocol: JSON lines between the client and the engine process.

One JSON object a line, UTF-8, over the engine's stdin (requests) and stdout (replies and
events)::

    request  {"id": 7, "cmd": "create_leg", "leg": "call-1-a"}
    reply    {"id": 7, "ok": true, "port": 20004}
    error    {"id": 7, "ok": false, "error": "leg 'call-1-a' already exists"}
    event    {"event": "dtmf", "leg": "call-1-a", "digit": "5"}

Replies carry the id of their request and come in any order (a ``play`` that converts a
file answers after commands sent later); events carry no id. A line that is not a JSON
object with an integer id is answered with ``"id": null``.

Everything that encodes, decodes or checks a message is here, for both sides: the client
builds requests with ``request`` and reads lines with ``decode``; the engine reads the
arguments of a request with the ``arg_*`` functions, which raise ``ProtocolError`` with a
message that names the argument, and answers with ``ok``, ``error`` and ``event``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import orjson

Message = dict[str, Any]

MAX_LINE_BYTES: Final = 1 << 20  # a play list of many long paths still fits

# commands (the client's method names)
CREATE_LEG: Final = "create_leg"
CONNECT_LEG: Final = "connect_leg"
DESTROY_LEG: Final = "destroy_leg"
PLAY: Final = "play"
STOP_PLAYING: Final = "stop_playing"
BRIDGE: Final = "bridge"
UNBRIDGE: Final = "unbridge"
HOLD: Final = "hold"
UNHOLD: Final = "unhold"
SEND_DTMF: Final = "send_dtmf"
START_RECORDING: Final = "start_recording"
PAUSE_RECORDING: Final = "pause_recording"
RESUME_RECORDING: Final = "resume_recording"
STOP_RECORDING: Final = "stop_recording"
CONFERENCE: Final = "conference"
END_CONFERENCE: Final = "end_conference"
STATS: Final = "stats"
PING: Final = "ping"
SHUTDOWN: Final = "shutdown"

# events
READY: Final = "ready"
DTMF: Final = "dtmf"
PLAY_DONE: Final = "play_done"
RTP_TIMEOUT: Final = "rtp_timeout"
OVERRUN: Final = "overrun"
RECORDING_STOPPED: Final = "recording_stopped"
ENGINE_RESTARTED: Final = "engine_restarted"  # emitted by the client, never by the engine

# leg ids end up in file names (per-leg recordings), so they are kept to a safe alphabet
_LEG_ID = re.compile(r"[A-Za-z0-9_.:@+=~-]{1,128}")
_MAX_ID_CHARS = 256


class ProtocolError(ValueError):
    """A line that is not a valid message, or a request with a missing or bad argument."""


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as one line (compact JSON, newline-terminated). orjson: the standard
    library's encoder was about 4 % of the main process's CPU under the SIP benchmark."""
    try:
        return orjson.dumps(message) + b"\n"
    except TypeError as exc:  # orjson's JSONEncodeError: a value JSON cannot carry
        raise ProtocolError(f"cannot encode the message: {exc}") from None


def decode(line: bytes | str) -> Message:
    """The message on one line; ``ProtocolError`` if it is not a JSON object."""
    try:
        message = orjson.loads(line)
    except ValueError as exc:  # orjson.JSONDecodeError, invalid UTF-8 included
        raise ProtocolError(f"not a JSON line: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"a message must be a JSON object, not {type(message).__name__}")
    return message


def request(request_id: int, cmd: str, **args: Any) -> bytes:
    return encode({"id": request_id, "cmd": cmd, **args})


def ok(request_id: int | None, **fields: Any) -> bytes:
    return encode({"id": request_id, "ok": True, **fields})


def error(request_id: int | None, message: str) -> bytes:
    return encode({"id": request_id, "ok": False, "error": message})


def event(name: str, **fields: Any) -> bytes:
    return encode({"event": name, **fields})


def request_id(message: Message) -> int | None:
    """The request's id, or None if it has none usable (the reply then says ``null``)."""
    value = message.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def is_reply(message: Message) -> bool:
    return "ok" in message and "event" not in message


def is_event(message: Message) -> bool:
    return isinstance(message.get("event"), str)


# --- arguments of a request -------------------------------------------------------------


def _missing(name: str) -> ProtocolError:
    return ProtocolError(f"missing argument {name!r}")


def arg_str(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"argument {name!r} must be a non-empty string")
    if len(value) > 4096:
        raise ProtocolError(f"argument {name!r} is too long ({len(value)} characters)")
    return value


def arg_id(message: Message, name: str) -> str:
    """A recording or room id: a non-empty string without control characters."""
    value = arg_str(message, name)
    if len(value) > _MAX_ID_CHARS or not value.isprintable():
        raise ProtocolError(
            f"argument {name!r} must be printable and at most {_MAX_ID_CHARS} characters"
        )
    return value


def check_leg_id(value: object, name: str = "leg") -> str:
    if not isinstance(value, str) or _LEG_ID.fullmatch(value) is None:
        raise ProtocolError(
            f"{name} {value!r} is not a valid leg id (1-128 characters of "
            "A-Z a-z 0-9 _ . : @ + = ~ -)"
        )
    return value


def arg_leg(message: Message, name: str = "leg") -> str:
    if message.get(name) is None:
        raise _missing(name)
    return check_leg_id(message[name], f"argument {name!r}:")


def arg_legs(message: Message, name: str, *, required: bool = True) -> list[str]:
    value = message.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return []
    if not isinstance(value, list):
        raise ProtocolError(f"argument {name!r} must be a list of leg ids")
    legs = [check_leg_id(item, f"argument {name!r}: item") for item in value]
    if len(set(legs)) != len(legs):
        raise ProtocolError(f"argument {name!r} names a leg twice")
    return legs


def arg_strs(message: Message, name: str) -> list[str]:
    value = message.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProtocolError(f"argument {name!r} must be a list of non-empty strings")
    return list(value)


def arg_int(message: Message, name: str, low: int, high: int) -> int:
    value = message.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"argument {name!r} must be an integer")
    if not low <= value <= high:
        raise ProtocolError(f"argument {name!r} is {value}, outside {low}-{high}")
    return value


def arg_optional_int(message: Message, name: str, low: int, high: int) -> int | None:
    if message.get(name) is None:
        return None
    return arg_int(message, name, low, high)


def arg_bool(message: Message, name: str, default: bool) -> bool:
    value = message.get(name, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"argument {name!r} must be true or false")
    return value


def arg_leg_map(message: Message, name: str) -> dict[str, str]:
    """An object mapping leg ids to leg ids (``whisper``: supervisor leg -> agent leg)."""
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(f"argument {name!r} must be an object of leg id to leg id")
    return {
        check_leg_id(key, f"argument {name!r}: key"): check_leg_id(
            target, f"argument {name!r}: value"
        )
        for key, target in value.items()
    }
