"""What the API takes and gives for trunks, and what the voice service gets from them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from helpline.call_plans.schemas import normalize_number
from helpline.trunks.addresses import normalize_host, normalize_network

MAX_NAME_LENGTH = 100
MAX_CREDENTIAL_LENGTH = 128
MAX_NUMBERS = 1000
MAX_INBOUND_ADDRESSES = 50
DEFAULT_PORT = 5060
DEFAULT_REGISTER_EXPIRES = 600
MIN_REGISTER_EXPIRES = 60
MAX_REGISTER_EXPIRES = 3600

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

Transport = Literal["UDP", "TCP"]
RegistrationState = Literal["ok", "failed"]


def _no_control(value: str, what: str) -> str:
    for char in value:
        if unicodedata.category(char).startswith("C"):
            raise ValueError(f"{what} may not contain control or invisible characters")
    return value


def _name(value: str) -> str:
    name = _no_control(unicodedata.normalize("NFC", value).strip(), "a trunk's name")
    if not name:
        raise ValueError("a trunk needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a trunk's name has at most {MAX_NAME_LENGTH} characters")
    return name


def name_key(name: str) -> str:
    """What makes two names the same: case does not count."""
    return name.casefold()


def _username(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_CREDENTIAL_LENGTH:
        raise ValueError(f"the user name has at most {MAX_CREDENTIAL_LENGTH} characters")
    if any(char.isspace() for char in value):
        raise ValueError("the user name may not contain spaces")
    return _no_control(value, "the user name")


def _password(value: str) -> str:
    if len(value) > MAX_CREDENTIAL_LENGTH:
        raise ValueError(f"the password has at most {MAX_CREDENTIAL_LENGTH} characters")
    return _no_control(value, "the password")


def e164(value: str) -> str:
    number = normalize_number(value)
    if not _E164.match(number):
        raise ValueError(
            f"{value!r} is not a number in international format (E.164), such as +390212345678"
        )
    return number


def _optional_e164(value: str) -> str:
    return e164(value) if value.strip() else ""


def _optional_host(value: str) -> str:
    return normalize_host(value) if value.strip() else ""


def _transport(value: Any) -> Any:
    # "udp" and "tcp" as people (and SIP URIs) write them.
    return value.strip().upper() if isinstance(value, str) else value


def _addresses(values: list[str]) -> list[str]:
    normalized: list[str] = []
    for value in values:
        address = normalize_network(value)
        if address not in normalized:
            normalized.append(address)
    return normalized


TrunkName = Annotated[str, AfterValidator(_name)]
Host = Annotated[str, AfterValidator(normalize_host)]
OptionalHost = Annotated[str, AfterValidator(_optional_host)]
Username = Annotated[str, AfterValidator(_username)]
Password = Annotated[str, AfterValidator(_password)]
E164 = Annotated[str, AfterValidator(e164)]
OptionalE164 = Annotated[str, AfterValidator(_optional_e164)]
TransportIn = Annotated[Transport, BeforeValidator(_transport)]
Port = Annotated[int, Field(ge=1, le=65535)]
RegisterExpires = Annotated[int, Field(ge=MIN_REGISTER_EXPIRES, le=MAX_REGISTER_EXPIRES)]
InboundAddresses = Annotated[
    list[str], Field(max_length=MAX_INBOUND_ADDRESSES), AfterValidator(_addresses)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TrunkNumberIn(_Strict):
    """A DID of the trunk and, when ``call_plan_id`` is given, the plan that answers it.

    ``call_plan_id`` left out: the routing stays as the call plans say. A plan's id: the
    DID is routed to that plan (moved from another plan if need be). null: no plan answers
    it any more.
    """

    number: E164
    call_plan_id: int | None = None


class _Input(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Leaving a field out keeps it (on update); null is not a value any field takes.
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields:
                    raise ValueError(f"{key} may not be null")
        return data


class TrunkCreate(_Input):
    name: TrunkName
    host: Host
    port: Port = DEFAULT_PORT
    transport: TransportIn = "UDP"
    username: Username = ""
    password: Password = ""
    # "register" in JSON; pydantic models already have a ``register`` (from ABCMeta).
    register_: bool = Field(default=False, alias="register")
    register_expires: RegisterExpires = DEFAULT_REGISTER_EXPIRES
    from_domain: OptionalHost = ""
    caller_id: OptionalE164 = ""
    enabled: bool = True
    inbound_addresses: InboundAddresses = Field(default_factory=list)
    numbers: Annotated[list[TrunkNumberIn], Field(max_length=MAX_NUMBERS)] = Field(
        default_factory=list
    )


class TrunkUpdate(_Input):
    """Only the fields given change; ``numbers`` and ``inbound_addresses`` as whole lists.

    An empty ``password`` keeps the stored one; an empty ``username`` removes the
    credentials (password included). ``position`` counts from 0 (the first trunk tried).
    """

    name: TrunkName | None = None
    host: Host | None = None
    port: Port | None = None
    transport: TransportIn | None = None
    username: Username | None = None
    password: Password | None = None
    register_: bool | None = Field(default=None, alias="register")
    register_expires: RegisterExpires | None = None
    from_domain: OptionalHost | None = None
    caller_id: OptionalE164 | None = None
    enabled: bool | None = None
    inbound_addresses: InboundAddresses | None = None
    numbers: Annotated[list[TrunkNumberIn], Field(max_length=MAX_NUMBERS)] | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


class TrunkNumberOut(BaseModel):
    number: str
    # The plan that answers the DID (from the call plans' numbers), or null.
    call_plan_id: int | None
    call_plan_name: str | None


class TrunkRegistration(BaseModel):
    # "ok", "failed", or null when Helpline has not tried yet (or does not register).
    state: RegistrationState | None
    detail: str
    at: datetime | None


class TrunkOut(BaseModel):
    """A trunk as the API shows it: never its password, only whether it has one."""

    id: int
    name: str
    host: str
    port: int
    transport: Transport
    username: str
    has_password: bool
    register_: bool = Field(alias="register")
    register_expires: int
    from_domain: str
    caller_id: str
    enabled: bool
    inbound_addresses: list[str]
    position: int
    numbers: list[TrunkNumberOut]
    registration: TrunkRegistration
    created_at: datetime
    updated_at: datetime


# --- For the voice service -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    """What Helpline answers a carrier's digest challenge with (the password in clear)."""

    username: str
    password: str

    def __repr__(self) -> str:
        # Logs and tracebacks show settings objects: never the password.
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True, slots=True)
class TrunkSettings:
    """A trunk as the SIP side needs it, detached from the database session."""

    id: int
    name: str
    host: str
    port: int
    transport: Transport
    # None: the trunk has no user name, or its password cannot be decrypted (see
    # ``credentials_problem``).
    credentials: Credentials | None
    from_domain: str
    caller_id: str
    register_expires: int
    credentials_problem: str | None = None

    @property
    def domain(self) -> str:
        """The carrier's SIP domain: the From domain when set, else the host."""
        return self.from_domain or self.host
