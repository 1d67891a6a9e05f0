from __future__ import annotations

import pytest
from pydantic import ValidationError

from helpline.config import DEFAULT_SECRET_KEY, Settings


def test_development_defaults_use_sqlite_in_the_data_directory(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("HELPLINE_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert (
        settings.resolved_database_url
        == f"sqlite+aiosqlite:///{tmp_path.resolve()}/helpline.sqlite3"
    )
    assert settings.sip_port == 5060


def test_environment_variables_use_the_helpline_prefix(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Europe/Rome")
    monkeypatch.setenv("HELPLINE_DATABASE_URL", "postgresql+asyncpg://db/helpline")
    settings = Settings()
    assert settings.timezone == "Europe/Rome"
    assert settings.resolved_database_url == "postgresql+asyncpg://db/helpline"


@pytest.mark.parametrize("key", [DEFAULT_SECRET_KEY, "short-key"])
def test_production_refuses_a_default_or_short_secret_key(key: str) -> None:
    with pytest.raises(ValidationError, match="HELPLINE_SECRET_KEY"):
        Settings(env="production", secret_key=key)


def test_production_accepts_a_long_random_key() -> None:
    assert Settings(env="production", secret_key="k" * 48).env == "production"


def test_production_refuses_a_weak_first_admin_password() -> None:
    with pytest.raises(ValidationError, match="HELPLINE_ADMIN_PASSWORD"):
        Settings(env="production", secret_key="k" * 48, admin_password="admin")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("rtp_ports", "30000", "range"),
        ("rtp_ports", "40000-30000", "low < high"),
        ("sip_port", 70000, "less than or equal"),
        ("env", "staging", "development"),
    ],
)
def test_bad_settings_say_what_is_wrong(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**{field: value})  # type: ignore[arg-type]


def test_who_may_call_the_sip_port_defaults_to_anyone_in_development_only() -> None:
    from ipaddress import ip_address

    def trusted(settings: Settings, address: str) -> bool:
        return any(ip_address(address) in net for net in settings.trusted_sip_networks)

    development = Settings()
    production = Settings(env="production", secret_key="k" * 48)
    chosen = Settings(sip_trusted_networks="192.168.1.0/24, 10.0.0.5")
    assert trusted(development, "203.0.113.9")
    assert not trusted(production, "203.0.113.9")
    assert trusted(production, "127.0.0.1")
    assert trusted(production, "::1")
    assert trusted(chosen, "192.168.1.77")
    assert trusted(chosen, "10.0.0.5")
    assert not trusted(chosen, "10.0.0.6")
    assert not trusted(chosen, "127.0.0.1")


def test_a_bad_trusted_network_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"HELPLINE_SIP_TRUSTED_NETWORKS: '10\.0\.0\.300'"):
        Settings(sip_trusted_networks="192.168.1.0/24,10.0.0.300")
