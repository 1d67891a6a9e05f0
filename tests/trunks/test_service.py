"""What the voice service asks of trunks: where an INVITE came from, where a call goes out,
what to register, and how registrations went."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from helpline.timeutil import utcnow
from helpline.trunks import service
from helpline.trunks.addresses import HostResolver, IPAddress
from helpline.trunks.schemas import Credentials, TrunkCreate, TrunkUpdate
from tests.conftest import TEST_SECRET
from tests.support import Helpline
from tests.trunks.conftest import events


def _create(helpline: Helpline, name: str, host: str, **extra: Any) -> int:
    trunk_in = TrunkCreate.model_validate({"name": name, "host": host, **extra})
    trunk = helpline.run(
        lambda session: service.create(
            session=session, trunk_in=trunk_in, secret_key=TEST_SECRET, now=utcnow(), actor_id=None
        )
    )
    trunk_id: int = trunk.id
    return trunk_id


def _update(helpline: Helpline, trunk_id: int, **changes: Any) -> None:
    trunk_in = TrunkUpdate.model_validate(changes)
    helpline.run(
        lambda session: service.update(
            session=session,
            trunk_id=trunk_id,
            trunk_in=trunk_in,
            secret_key=TEST_SECRET,
            now=utcnow(),
            actor_id=None,
        )
    )


class FakeDns:
    """Host names the test decides, counting lookups."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> tuple[IPAddress, ...]:
        self.lookups.append(host)
        return tuple(ipaddress.ip_address(item) for item in self.names.get(host, []))


def _source(helpline: Helpline, host: str, resolve: Any = None) -> str | None:
    async def work(session: Any) -> str | None:
        trunk = await service.trunk_for_source(session=session, host=host, resolve=resolve)
        return None if trunk is None else trunk.name

    result: str | None = helpline.run(work)
    return result


def test_trunk_for_source_with_addresses_networks_and_host_names(helpline: Helpline) -> None:
    dns = FakeDns({"sip.carrier-b.example": ["198.51.100.20", "2001:db8::20"]})
    _create(
        helpline, "A", "sip.carrier-a.example", inbound_addresses=["203.0.113.0/28", "192.0.2.9"]
    )
    _create(helpline, "B", "sip.carrier-b.example")
    _create(helpline, "C", "192.0.2.50")
    off = _create(helpline, "Off", "192.0.2.60", enabled=False)

    assert _source(helpline, "203.0.113.1", dns) == "A"
    assert _source(helpline, "203.0.113.15", dns) == "A"
    assert _source(helpline, "192.0.2.9", dns) == "A"
    # Outside A's /28; A's own host is not asked once it lists its addresses.
    assert _source(helpline, "203.0.113.16", dns) is None
    assert "sip.carrier-a.example" not in dns.lookups
    # Without listed addresses, the host's addresses count.
    assert _source(helpline, "198.51.100.20", dns) == "B"
    assert _source(helpline, "2001:db8::20", dns) == "B"
    assert _source(helpline, "[2001:db8::20]", dns) == "B"
    assert _source(helpline, "192.0.2.50", dns) == "C"
    # IPv4 peers of a dual-stack socket.
    assert _source(helpline, "::ffff:192.0.2.50", dns) == "C"
    # A disabled trunk brings no calls; garbage is no address.
    assert _source(helpline, "192.0.2.60", dns) is None
    assert _source(helpline, "not-an-address", dns) is None
    _update(helpline, off, enabled=True)
    assert _source(helpline, "192.0.2.60", dns) == "Off"


def test_the_first_trunk_by_position_wins_an_address_both_claim(helpline: Helpline) -> None:
    first = _create(helpline, "First", "192.0.2.1", inbound_addresses=["10.0.0.0/8"])
    _create(helpline, "Second", "192.0.2.2", inbound_addresses=["10.1.0.0/16"])
    assert _source(helpline, "10.1.2.3") == "First"
    _update(helpline, first, position=1)
    assert _source(helpline, "10.1.2.3") == "Second"


def test_the_resolver_caches_and_localhost_resolves() -> None:
    now = [0.0]
    resolver = HostResolver(ttl=10, clock=lambda: now[0])

    async def lookups() -> tuple[tuple[IPAddress, ...], ...]:
        first = await resolver("localhost")
        cached = await resolver("localhost")
        literal = await resolver("192.0.2.1")
        return first, cached, literal

    first, cached, literal = asyncio.run(lookups())
    assert ipaddress.ip_address("127.0.0.1") in first
    assert cached == first
    assert literal == (ipaddress.ip_address("192.0.2.1"),)


def test_outbound_route_is_the_first_enabled_trunk(helpline: Helpline) -> None:
    def route(number: str) -> Any:
        return helpline.run(
            lambda session: service.outbound_route(
                session=session, number=number, secret_key=TEST_SECRET
            )
        )

    assert route("+390212345678") is None  # no trunk at all
    first = _create(helpline, "First", "192.0.2.1", enabled=False)
    _create(
        helpline,
        "Second",
        "sip.carrier.example",
        port=5080,
        transport="TCP",
        username="user-2",
        password="pass-2",
        caller_id="+390200000000",
        from_domain="carrier.example",
    )
    found = route("+39 02 1234 5678")
    assert found is not None
    trunk, credentials = found
    assert (trunk.name, trunk.host, trunk.port, trunk.transport) == (
        "Second",
        "sip.carrier.example",
        5080,
        "TCP",
    )
    assert (trunk.caller_id, trunk.domain) == ("+390200000000", "carrier.example")
    assert credentials == Credentials(username="user-2", password="pass-2")
    assert "pass-2" not in repr(credentials)
    # Not E.164: nothing to dial out.
    assert route("201") is None
    assert route("0212345678") is None
    _update(helpline, first, enabled=True)
    found = route("+390212345678")
    assert found is not None
    assert found.trunk.name == "First"
    assert found.credentials is None


def test_registrations_wanted_and_their_credentials(helpline: Helpline) -> None:
    _create(helpline, "Static", "192.0.2.1")
    wanted = _create(
        helpline,
        "Registered",
        "192.0.2.2",
        register=True,
        register_expires=120,
        username="reg-user",
        password="reg-pass",
    )
    _create(helpline, "Off", "192.0.2.3", register=True, enabled=False)

    def load(secret: str = TEST_SECRET) -> Any:
        return helpline.run(
            lambda session: service.registrations_wanted(session=session, secret_key=secret)
        )

    [trunk] = load()
    assert (trunk.id, trunk.register_expires) == (wanted, 120)
    assert trunk.credentials == Credentials(username="reg-user", password="reg-pass")
    # With another secret key the password cannot be read: said, not guessed.
    [unreadable] = load("some-other-secret-key-that-is-long-enough")
    assert unreadable.credentials is None
    assert "HELPLINE_SECRET_KEY" in (unreadable.credentials_problem or "")


def test_record_registration_state_is_an_event_only_when_it_changes(
    helpline: Helpline, admin: Any
) -> None:
    trunk_id = _create(helpline, "Carrier", "192.0.2.1", register=True)

    def record(state: str, detail: str) -> bool:
        changed: bool = helpline.run(
            lambda session: service.record_registration_state(
                session=session, trunk_id=trunk_id, state=state, detail=detail, now=utcnow()
            )
        )
        return changed

    assert record("ok", "200 OK, registered for 600 s") is True
    assert record("ok", "200 OK, registered for 600 s") is False
    assert record("failed", "403 Forbidden") is True
    assert record("failed", "no answer from udp:192.0.2.1:5060") is False
    registration = admin.get(f"/api/v1/trunks/{trunk_id}").json()["registration"]
    assert registration["state"] == "failed"
    assert registration["detail"] == "no answer from udp:192.0.2.1:5060"
    assert registration["at"] is not None
    logged = [e["payload"] for e in events(admin, "trunk.registration_changed")]
    assert [(e["state"], e["previous"], e["detail"]) for e in logged] == [
        ("ok", None, "200 OK, registered for 600 s"),
        ("failed", "ok", "403 Forbidden"),
    ]
    # New settings: the last outcome is about the old ones, so it is cleared.
    _update(helpline, trunk_id, host="192.0.2.99")
    assert admin.get(f"/api/v1/trunks/{trunk_id}").json()["registration"]["state"] is None
    # A trunk deleted meanwhile is ignored.
    assert admin.delete(f"/api/v1/trunks/{trunk_id}").status_code == 204
    assert record("ok", "late") is False


def test_moving_changes_the_outbound_order_and_keeps_passwords(helpline: Helpline) -> None:
    _create(helpline, "First", "192.0.2.1")
    second = _create(helpline, "Second", "192.0.2.2", username="u", password="p")
    helpline.run(
        lambda session: service.move(
            session=session, trunk_id=second, offset=-1, now=utcnow(), actor_id=None
        )
    )
    found = helpline.run(
        lambda session: service.outbound_route(
            session=session, number="+390212345678", secret_key=TEST_SECRET
        )
    )
    assert found.trunk.id == second
    assert found.credentials == Credentials(username="u", password="p")
