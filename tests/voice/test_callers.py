"""Who may call: a trusted network, a trunk's address, or where a user's phone registered
from. Everyone else gets 403 before anything is looked up (HELPLINE_SIP_TRUSTED_NETWORKS)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpline.config import Settings
from tests.support import Helpline
from tests.voice.conftest import run_sipp
from tests.voice.test_queue_calls import Caller
from tests.voice.test_registrar import REGISTER_SCENARIO, SIP_PASSWORD, _agent


@pytest.fixture
def guarded(settings: Settings) -> Iterator[Helpline]:
    """SIP and media on free ports; only 192.0.2.0/24 trusted (not this machine)."""
    from helpline.web.app import create_app

    base = random.randrange(30000, 60000, 2)
    settings = settings.model_copy(
        update={
            "sip_enabled": True,
            "sip_port": 0,
            "rtp_ports": f"{base}-{base + 199}",
            "sip_trusted_networks": "192.0.2.0/24",
        }
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def _status_of_a_call(helpline: Helpline) -> int:
    async def call() -> int:
        caller = Caller(helpline.app.state.voice.port)
        try:
            _invite, response = await caller.call("555")  # no plan answers 555
            return response.status
        finally:
            await caller.close()

    return asyncio.run(call())


def test_a_stranger_is_refused_and_a_trunk_may_call(guarded: Helpline) -> None:
    guarded.create_user("boss", "admin")
    admin = guarded.login("boss")
    assert _status_of_a_call(guarded) == 403

    created = admin.post(
        "/api/v1/trunks",
        json={"name": "Local carrier", "host": "127.0.0.1", "numbers": []},
    )
    assert created.status_code == 201, created.text
    assert _status_of_a_call(guarded) == 404  # let in: no plan answers the number

    # The trunk's inbound addresses, when given, replace its host.
    trunk_id = created.json()["id"]
    moved = admin.patch(
        f"/api/v1/trunks/{trunk_id}", json={"inbound_addresses": ["198.51.100.0/24"]}
    )
    assert moved.status_code == 200, moved.text
    assert _status_of_a_call(guarded) == 403

    assert admin.delete(f"/api/v1/trunks/{trunk_id}").status_code == 204
    assert _status_of_a_call(guarded) == 403


def test_a_registered_phone_may_call(guarded: Helpline, sipp: str, tmp_path: Path) -> None:
    assert _status_of_a_call(guarded) == 403  # remembered as refused...
    _agent(guarded)
    scenario = REGISTER_SCENARIO.format(
        extension="201", username="agent1", password=SIP_PASSWORD, expected=200
    )
    result = run_sipp(sipp, scenario, f"127.0.0.1:{guarded.app.state.voice.port}", tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert _status_of_a_call(guarded) == 404  # ...until a phone registers from there
