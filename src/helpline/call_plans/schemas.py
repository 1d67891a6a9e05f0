"""Call plans as data: a graph of typed nodes that the voice service executes.

These classes check each field on its own (formats, ranges). Rules about the graph as a
whole (branches that name missing nodes, loops, unreachable nodes, deleted queues) are in
``validation.py``, so that every problem can be reported at once, naming its node.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MAX_NAME_LENGTH = 100
MAX_NODES = 200

_NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_PROMPT_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
_EXTENSION = re.compile(r"^[0-9]{2,10}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TIME = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
# What people type between the digits of a phone number.
_NUMBER_SEPARATORS = re.compile(r"[\s().\-/]")


def _node_id(value: str) -> str:
    if not _NODE_ID.match(value):
        raise ValueError(
            f"{value!r} is not a node id: use up to 32 lower-case letters, digits, '-' or '_', "
            "starting with a letter or a digit"
        )
    return value


def _prompt_key(value: str) -> str:
    if not _PROMPT_KEY.match(value):
        raise ValueError(
            f"{value!r} is not a prompt name: use lower-case letters, digits and '_' "
            "(such as welcome or closed)"
        )
    return value


def _transfer_target(value: str) -> str:
    value = _NUMBER_SEPARATORS.sub("", value)
    if not (_EXTENSION.match(value) or _E164.match(value)):
        raise ValueError(
            f"{value!r} is neither an extension (2 to 10 digits) nor a number in international "
            "format such as +390212345678"
        )
    return value


def normalize_number(value: str) -> str:
    """A number as routes store it: no spaces, dashes, dots or brackets."""
    return _NUMBER_SEPARATORS.sub("", value)


def _routable_number(value: str) -> str:
    value = normalize_number(value)
    if not (_EXTENSION.match(value) or _E164.match(value)):
        raise ValueError(
            f"{value!r} is neither an internal number (2 to 10 digits) nor a number in "
            "international format such as +390212345678"
        )
    return value


def _time(value: str) -> str:
    if not _TIME.match(value):
        raise ValueError(f"{value!r} is not a time: use HH:MM, such as 08:30")
    return value


def _timezone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Rome)"
        ) from exc
    return value


def _plan_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValueError("a call plan needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a call plan's name has at most {MAX_NAME_LENGTH} characters")
    return name


def name_key(name: str) -> str:
    """What makes two names the same: case does not count."""
    return name.casefold()


NodeId = Annotated[str, AfterValidator(_node_id)]
# None: the call ends there (hang up), or for "on exit by *", the key does nothing.
Target = NodeId | None
PromptKey = Annotated[str, AfterValidator(_prompt_key)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
PlanName = Annotated[str, AfterValidator(_plan_name)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
RoutableNumber = Annotated[str, AfterValidator(_routable_number)]
Digit = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]
DIGITS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")

# Nodes where the caller waits for something (an agent, a key, the beep): a loop through
# one of them advances with the caller; a loop through none of them spins for ever.
WAITING_TYPES = frozenset({"queue", "menu", "voicemail"})


@dataclass(frozen=True)
class Branch:
    """One way out of a node: ``kind`` (e.g. "choice"), ``detail`` (e.g. the digit)."""

    kind: str
    target: str | None
    detail: str = ""

    @property
    def name(self) -> str:
        """The branch as messages name it: "choice 3", "on timeout" …"""
        names = {
            "choice": f"choice {self.detail}",
            "timeout": "on timeout",
            "exit_star": "on exit by *",
            "invalid": "on invalid input",
            "next": "next",
            "open": "when open",
            "closed": "when closed",
            "rule": f"rule {self.detail}",
            "otherwise": "otherwise",
        }
        return names.get(self.kind, self.kind)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Node(_Strict):
    waits_for_caller: ClassVar[bool] = False

    id: NodeId
    label: Label = ""

    def branches(self) -> list[Branch]:
        return []


class QueueNode(_Node):
    """Put the caller in a call queue until an agent answers."""

    waits_for_caller: ClassVar[bool] = True

    type: Literal["queue"] = "queue"
    queue_id: Annotated[int, Field(ge=1)]
    # None: the queue's own maximum wait applies.
    timeout_seconds: Annotated[int, Field(ge=5, le=86_400)] | None = None
    on_timeout: Target = None
    on_exit_star: Target = None
    announce_position: bool = False

    def branches(self) -> list[Branch]:
        return [Branch("timeout", self.on_timeout), Branch("exit_star", self.on_exit_star)]


class PromptNode(_Node):
    """Play a recorded prompt, then go on."""

    type: Literal["prompt"] = "prompt"
    prompt: PromptKey
    next: Target = None

    def branches(self) -> list[Branch]:
        return [Branch("next", self.next)]


class MenuNode(_Node):
    """Play a prompt and branch on the key the caller presses."""

    waits_for_caller: ClassVar[bool] = True

    type: Literal["menu"] = "menu"
    prompt: PromptKey
    choices: dict[Digit, NodeId] = {}
    timeout_seconds: Annotated[int, Field(ge=1, le=60)] = 5
    on_timeout: Target = None
    on_invalid: Target = None
    # How many times the prompt is played again after a timeout or a wrong key, before
    # on_timeout / on_invalid is taken.
    max_retries: Annotated[int, Field(ge=0, le=5)] = 2

    @field_validator("choices")
    @classmethod
    def _in_keypad_order(cls, value: dict[str, str]) -> dict[str, str]:
        return {digit: value[digit] for digit in DIGITS if digit in value}

    def branches(self) -> list[Branch]:
        return [
            *(Branch("choice", target, digit) for digit, target in self.choices.items()),
            Branch("timeout", self.on_timeout),
            Branch("invalid", self.on_invalid),
        ]


class OpenRange(_Strict):
    """Open from ``start`` to ``end`` (local time) on ``weekday`` (0 Monday … 6 Sunday)."""

    weekday: Annotated[int, Field(ge=0, le=6)]
    start: Annotated[str, AfterValidator(_time)]
    end: Annotated[str, AfterValidator(_time)]

    @model_validator(mode="after")
    def _ends_after_start(self) -> OpenRange:
        if self.start >= self.end:
            raise ValueError(f"a range must end after it starts ({self.start}-{self.end})")
        return self


class ScheduleNode(_Node):
    """Branch on whether the contact center is open now (weekly hours, minus holidays)."""

    type: Literal["schedule"] = "schedule"
    # None: the organization's time zone (HELPLINE_TIMEZONE).
    timezone: Annotated[str | None, AfterValidator(_timezone)] = None
    open_hours: Annotated[list[OpenRange], Field(max_length=70)] = []
    holidays: Annotated[list[date], Field(max_length=366)] = []
    on_open: Target = None
    on_closed: Target = None

    @field_validator("holidays")
    @classmethod
    def _sorted_once(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    def branches(self) -> list[Branch]:
        return [Branch("open", self.on_open), Branch("closed", self.on_closed)]

    def is_open(self, moment: datetime, organization_timezone: str) -> bool:
        """Whether ``moment`` (timezone-aware) falls in the open hours and on no holiday."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone or organization_timezone))
        if local.date() in self.holidays:
            return False
        now = local.strftime("%H:%M")
        return any(
            item.weekday == local.weekday() and item.start <= now < item.end
            for item in self.open_hours
        )


CallerField = Literal["vip", "tag", "language", "country_code", "known"]
CallerOperator = Literal["equals", "contains", "is_true", "is_false"]
# Yes/no fields take is_true / is_false; the others compare with a value.
YES_NO_FIELDS = frozenset({"vip", "known"})


class CallerRule(_Strict):
    field: CallerField
    operator: CallerOperator
    value: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    next: NodeId


class CallerInfoNode(_Node):
    """Look the caller up in the contacts and branch on the first rule that matches."""

    type: Literal["caller_info"] = "caller_info"
    rules: Annotated[list[CallerRule], Field(max_length=20)] = []
    otherwise: Target = None

    def branches(self) -> list[Branch]:
        return [
            *(Branch("rule", rule.next, str(number)) for number, rule in enumerate(self.rules, 1)),
            Branch("otherwise", self.otherwise),
        ]


class TransferNode(_Node):
    """Hand the call to an extension or an outside number; the plan ends there."""

    type: Literal["transfer"] = "transfer"
    target: Annotated[str, AfterValidator(_transfer_target)]


class VoicemailNode(_Node):
    """Record a message; it becomes a callback task in a call queue."""

    waits_for_caller: ClassVar[bool] = True

    type: Literal["voicemail"] = "voicemail"
    queue_id: Annotated[int, Field(ge=1)]
    prompt: PromptKey | None = None
    max_seconds: Annotated[int, Field(ge=10, le=600)] = 120


class HangupNode(_Node):
    type: Literal["hangup"] = "hangup"


Node = Annotated[
    QueueNode
    | PromptNode
    | MenuNode
    | ScheduleNode
    | CallerInfoNode
    | TransferNode
    | VoicemailNode
    | HangupNode,
    Field(discriminator="type"),
]
NODE_TYPES: tuple[str, ...] = (
    "queue",
    "prompt",
    "menu",
    "schedule",
    "caller_info",
    "transfer",
    "voicemail",
    "hangup",
)


class CallPlanGraph(_Strict):
    """What the voice service executes: start at ``entry``, follow the branches."""

    entry: NodeId
    nodes: Annotated[list[Node], Field(max_length=MAX_NODES)]

    def node(self, node_id: str) -> Node | None:
        return next((node for node in self.nodes if node.id == node_id), None)


class CallPlanIn(CallPlanGraph):
    name: PlanName
    description: Description = ""


class CallPlanUpdate(CallPlanIn):
    """The whole plan again, with the ``version`` it was loaded at (a stale save is refused)."""

    version: Annotated[int, Field(ge=1)]


class PlanErrorOut(BaseModel):
    node: str | None
    message: str


class CallPlanNumberIn(_Strict):
    number: RoutableNumber
    label: Label = ""


class CallPlanNumbers(_Strict):
    numbers: Annotated[list[CallPlanNumberIn], Field(max_length=500)]


class CallPlanNumberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    label: str


class CallPlanOut(BaseModel):
    id: int
    name: str
    description: str
    version: int
    entry: str
    nodes: list[Node]
    numbers: list[CallPlanNumberOut]
    # Problems the plan has now (e.g. a queue deleted after it was saved); the voice
    # service hangs up where a node cannot be carried out.
    errors: list[PlanErrorOut]
    created_at: datetime
    updated_at: datetime


class ValidationResult(BaseModel):
    valid: bool
    errors: list[PlanErrorOut]
