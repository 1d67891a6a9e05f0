"""Helpline's settings: one class, read from the environment (prefix ``HELPLINE_``)."""

from __future__ import annotations

import ipaddress
import secrets
import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A well-known value: any deployment that still uses it has a forgeable session cookie.
DEFAULT_SECRET_KEY = "change-me-helpline-development-key"  # noqa: S105 - refused in production
MIN_PRODUCTION_SECRET_LENGTH = 32

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPLINE_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./helpline-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite in the data directory"
    )
    secret_key: str = DEFAULT_SECRET_KEY
    admin_password: str | None = None
    timezone: str = "UTC"
    default_language: Literal["en", "it", "fr", "pt_BR"] = "en"
    # Off in the unit tests that build many apps; they would all want the same port.
    sip_enabled: bool = True
    sip_host: str = "127.0.0.1"
    # 0 picks a free port (tests); phones need a fixed one.
    sip_port: int = Field(default=5060, ge=0, le=65535)
    # Digest algorithms the registrar offers, in order. MD5 alone by default: baresip 1.0
    # and many desk phones give up on a 401 that also offers an algorithm they do not know
    # (instead of answering the one they do); add SHA-256 when every phone supports it.
    sip_digest_algorithms: str = "MD5"
    # Who may call Helpline's SIP port besides its trunks (their host or inbound addresses)
    # and the registered phones (from where they registered): networks, comma-separated
    # (e.g. 192.168.1.0/24,10.0.0.5). Unset: anyone in development; in production this
    # machine only, since an open SIP port is found by scanners within hours and a call
    # plan's transfer to a number would dial out at the site's expense.
    sip_trusted_networks: str | None = None
    rtp_ports: str = "20000-20999"
    redis_url: str | None = None
    nats_url: str | None = None
    # Bodies above this size are refused with 413 before they are parsed.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    cookie_secure: bool = False
    # Address people use to reach Helpline, for links in emails; default: from the request.
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "helpline@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    # SMS/MMS through Twilio (or a provider speaking its API, at twilio_api_url). Twilio
    # signs the URL it calls: behind a proxy, set public_url to the address it uses.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    # Facebook Messenger and Instagram through one Meta app and its page's access token.
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    meta_page_access_token: str | None = None
    meta_graph_url: str = "https://graph.facebook.com"
    # Chats: what one message may carry (attachments are images, videos and PDF).
    chat_max_attachments: int = Field(default=5, ge=1, le=20)
    chat_max_attachment_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    chat_max_text_chars: int = Field(default=4000, ge=1, le=100_000)
    # Outbound chat messages: attempts before a send is marked failed, and the backoff
    # (doubled after each retryable failure, up to the maximum).
    chat_send_max_attempts: int = Field(default=5, ge=1, le=50)
    chat_send_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    chat_send_max_backoff_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # How often the chat timers (outbox, reassignment) look; off: they run only when
    # called (tests drive them with the time they choose).
    chat_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    chat_timers_enabled: bool = True
    # Video rooms: the STUN and TURN servers browsers use to reach each other beyond one
    # network, comma-separated (stun:stun.example.org:3478,turn:turn.example.org:3478);
    # the user name and credential go with the turn: ones. None: direct connections only.
    ice_servers: str = ""
    ice_username: str | None = None
    ice_credential: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Rome)"
            ) from exc
        return value

    @field_validator("sip_digest_algorithms")
    @classmethod
    def _digest_algorithms(cls, value: str) -> str:
        chosen = [part.strip().upper() for part in value.split(",") if part.strip()]
        if not chosen or any(part not in ("MD5", "SHA-256") for part in chosen):
            raise ValueError(
                f"SIP digest algorithms must be MD5 and/or SHA-256 (e.g. MD5,SHA-256), "
                f"not {value!r}"
            )
        return ",".join(dict.fromkeys(chosen))

    @property
    def digest_algorithms(self) -> tuple[str, ...]:
        return tuple(self.sip_digest_algorithms.split(","))

    @field_validator("sip_trusted_networks")
    @classmethod
    def _trusted_networks(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"HELPLINE_SIP_TRUSTED_NETWORKS: {part.strip()!r} is not a network or an "
                    "address (use e.g. 192.168.1.0/24,10.0.0.5)"
                ) from None
        return value

    @property
    def trusted_sip_networks(self) -> tuple[IPNetwork, ...]:
        if self.sip_trusted_networks is not None:
            parts = [p.strip() for p in self.sip_trusted_networks.split(",") if p.strip()]
        elif self.env == "production":
            parts = ["127.0.0.0/8", "::1/128"]
        else:
            parts = ["0.0.0.0/0", "::/0"]
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts)

    @field_validator("ice_servers")
    @classmethod
    def _ice_servers(cls, value: str) -> str:
        for url in (part.strip() for part in value.split(",")):
            if url and not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
                raise ValueError(
                    f"HELPLINE_ICE_SERVERS: {url!r} is not a stun:, stuns:, turn: or turns: URL"
                )
        return value

    @property
    def ice_server_list(self) -> list[dict[str, str]]:
        """The ICE servers as a browser's RTCPeerConnection takes them."""
        servers = []
        for url in (part.strip() for part in self.ice_servers.split(",")):
            if not url:
                continue
            server = {"urls": url}
            if url.startswith("turn") and self.ice_username and self.ice_credential:
                server |= {"username": self.ice_username, "credential": self.ice_credential}
            servers.append(server)
        return servers

    @field_validator("rtp_ports")
    @classmethod
    def _port_range(cls, value: str) -> str:
        try:
            low, high = (int(part) for part in value.split("-", 1))
        except ValueError as exc:
            raise ValueError(
                f"RTP ports must be a range such as 20000-20999, not {value!r}"
            ) from exc
        if not (1024 <= low < high <= 65535):
            raise ValueError(f"RTP port range {value!r} must lie within 1024-65535, low < high")
        return value

    @model_validator(mode="after")
    def _providers_complete(self) -> Settings:
        twilio = {
            "HELPLINE_TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "HELPLINE_TWILIO_AUTH_TOKEN": self.twilio_auth_token,
        }
        meta = {
            "HELPLINE_META_APP_SECRET": self.meta_app_secret,
            "HELPLINE_META_VERIFY_TOKEN": self.meta_verify_token,
            "HELPLINE_META_PAGE_ACCESS_TOKEN": self.meta_page_access_token,
        }
        for provider, values in (("Twilio", twilio), ("Meta", meta)):
            given = [name for name, value in values.items() if value]
            if given and len(given) != len(values):
                missing = ", ".join(name for name in values if name not in given)
                raise ValueError(f"{provider} is half configured: set {missing} too")
        return self

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def meta_enabled(self) -> bool:
        return bool(self.meta_app_secret and self.meta_verify_token and self.meta_page_access_token)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            if (
                self.secret_key == DEFAULT_SECRET_KEY
                or len(self.secret_key) < MIN_PRODUCTION_SECRET_LENGTH
            ):
                raise ValueError(
                    "HELPLINE_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_PRODUCTION_SECRET_LENGTH} characters in production "
                    f"(for example: {secrets.token_urlsafe(32)})"
                )
            if self.admin_password is not None and len(self.admin_password) < 12:
                raise ValueError(
                    "HELPLINE_ADMIN_PASSWORD must have at least 12 characters in production"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.sqlite3').resolve()}"

    @property
    def rtp_port_range(self) -> tuple[int, int]:
        low, high = (int(part) for part in self.rtp_ports.split("-", 1))
        return low, high

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
