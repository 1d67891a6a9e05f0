"""The registrar's rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from helpline.devices import service
from helpline.devices.service import (
    ContactBinding,
    IntervalTooBrief,
    OutOfOrder,
    Registration,
)
from helpline.errors import DomainError, NotAllowed
from helpline.storage.eventlog import read_events
from helpline.timeutil import utcnow
from tests.support import Helpline


def _registration(
    *contacts: tuple[str, int | None], cseq: int = 1, call_id: str = "c1", **kw: Any
) -> Registration:
    return Registration(
        extension=kw.get("extension", "201"),
        contacts=[ContactBinding(uri, expires) for uri, expires in contacts],
        wildcard=kw.get("wildcard", False),
        expires_header=kw.get("expires_header", 600),
        call_id=call_id,
        cseq=cseq,
        transport="UDP",
        source_host="192.0.2.7",
        source_port=5062,
        user_agent="desk phone",
    )


def _register(helpline: Helpline, user: Any, registration: Registration, now: Any = None) -> Any:
    from helpline.users import repository

    async def work(session):  # type: ignore[no-untyped-def]
        fresh = await repository.get(session, user.id)
        return await service.register(
            session=session, user=fresh, registration=registration, now=now or utcnow()
        )

    return helpline.run(work)


def test_bindings_are_added_refreshed_and_listed(helpline: Helpline) -> None:
    agent = helpline.create_user("agent1", "agent", lines=("201",))
    first = _register(helpline, agent, _registration(("sip:201@10.0.0.5:5060", None)))
    assert [(b.contact, b.source_host, b.source_port) for b in first] == [
        ("sip:201@10.0.0.5:5060", "192.0.2.7", 5062)
    ]
    both = _register(
        helpline, agent, _registration(("sip:201@10.0.0.6", 120), cseq=1, call_id="other")
    )
    assert len(both) == 2
    refreshed = _register(helpline, agent, _registration(("sip:201@10.0.0.5:5060", None), cseq=2))
    assert len(refreshed) == 2
    events = helpline.run(lambda session: read_events(session, types=["device.registered"]))
    assert len(events) == 2  # the refresh is not an event


def test_out_of_order_and_too_brief_registrations_are_refused(helpline: Helpline) -> None:
    agent = helpline.create_user("agent1", "agent", lines=("201",))
    _register(helpline, agent, _registration(("sip:201@10.0.0.5", None), cseq=5))
    with pytest.raises(OutOfOrder):
        _register(helpline, agent, _registration(("sip:201@10.0.0.5", None), cseq=5))
    with pytest.raises(IntervalTooBrief):
        _register(helpline, agent, _registration(("sip:201@10.0.0.5", 10), cseq=6))
    with pytest.raises(NotAllowed):
        _register(helpline, agent, _registration(("sip:202@10.0.0.5", None), extension="202"))
    with pytest.raises(DomainError):
        _register(helpline, agent, _registration(("sip:201@x", None), wildcard=True, cseq=7))


def test_expired_bindings_are_swept_with_an_event(helpline: Helpline) -> None:
    agent = helpline.create_user("agent1", "agent", lines=("201",))
    start = utcnow()
    _register(helpline, agent, _registration(("sip:201@10.0.0.5", 60)), now=start)
    assert helpline.run(lambda s: service.list_devices(session=s, now=start))
    later = start + timedelta(seconds=61)
    assert helpline.run(lambda s: service.list_devices(session=s, now=later)) == []
    assert helpline.run(lambda s: service.expire(session=s, now=later)) == 1
    events = helpline.run(lambda session: read_events(session, types=["device.unregistered"]))
    assert [e.payload["cause"] for e in events] == ["expired"]


def test_a_line_given_to_someone_else_stops_counting_the_old_phone(helpline: Helpline) -> None:
    agent = helpline.create_user("agent1", "agent", lines=("201",))
    _register(helpline, agent, _registration(("sip:201@10.0.0.5", None)))
    admin = helpline.create_user("boss", "admin")
    client = helpline.login("boss")
    client.patch(f"/api/v1/users/{agent.id}", json={"lines": [{"extension": "209"}]})
    helpline.create_user("agent2", "agent", lines=("201",))
    assert (
        helpline.run(lambda s: service.bindings_of(session=s, extension="201", now=utcnow())) == []
    )
    assert admin is not None


def test_the_devices_api_shows_agents_their_own_and_supervisors_everyone(
    helpline: Helpline,
) -> None:
    one = helpline.create_user("agent1", "agent", lines=("201",))
    two = helpline.create_user("agent2", "agent", lines=("202",))
    helpline.create_user("lead", "supervisor")
    _register(helpline, one, _registration(("sip:201@10.0.0.5", None)))
    _register(helpline, two, _registration(("sip:202@10.0.0.6", None), extension="202"))
    mine = helpline.login("agent1").get("/api/v1/devices").json()
    assert [d["extension"] for d in mine] == ["201"]
    everyone = helpline.login("lead").get("/api/v1/devices").json()
    assert [d["extension"] for d in everyone] == ["201", "202"]
    assert everyone[0]["user_agent"] == "desk phone"
