from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from helpline.trunks.crypto import decrypt_password
from tests.conftest import TEST_SECRET
from tests.support import Helpline
from tests.trunks.conftest import API, events, make_plan, plan_numbers

TRUNK_EVENTS = ("trunk.created", "trunk.updated", "trunk.deleted")


def body(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Carrier A",
        "host": "sip.carrier.example",
        "username": "carrier-user",
        "password": "s3cret pass",
        "numbers": [{"number": "+390212345678"}],
        **extra,
    }


def _stored_password(helpline: Helpline, trunk_id: int) -> str | None:
    async def read(session: Any) -> str | None:
        query = text("SELECT password_encrypted FROM trunks WHERE id = :id")
        value: str | None = await session.scalar(query, {"id": trunk_id})
        return value

    result: str | None = helpline.run(read)
    return result


def test_create_read_list_update_delete(admin: Any) -> None:
    created = admin.post(API, json=body())
    assert created.status_code == 201, created.text
    trunk = created.json()
    assert "password" not in trunk
    assert "password_encrypted" not in str(trunk)
    assert trunk["has_password"] is True
    # The defaults.
    assert (trunk["port"], trunk["transport"], trunk["enabled"]) == (5060, "UDP", True)
    assert (trunk["register"], trunk["register_expires"]) == (False, 600)
    assert trunk["inbound_addresses"] == []
    assert trunk["numbers"] == [
        {"number": "+390212345678", "call_plan_id": None, "call_plan_name": None}
    ]
    assert trunk["registration"] == {"state": None, "detail": "", "at": None}
    assert trunk["created_at"].endswith(("+00:00", "Z"))

    assert admin.get(f"{API}/{trunk['id']}").json() == trunk
    assert [t["name"] for t in admin.get(API).json()] == ["Carrier A"]

    changed = admin.patch(
        f"{API}/{trunk['id']}",
        json={
            "host": "203.0.113.10",
            "port": 5080,
            "transport": "tcp",
            "register": True,
            "register_expires": 300,
            "from_domain": "carrier.example",
            "caller_id": "+39 02 1234 5678",
            "inbound_addresses": ["203.0.113.0/28", "198.51.100.7/32"],
        },
    )
    assert changed.status_code == 200, changed.text
    updated = changed.json()
    assert (updated["host"], updated["port"], updated["transport"]) == ("203.0.113.10", 5080, "TCP")
    assert (updated["register"], updated["register_expires"]) == (True, 300)
    assert updated["caller_id"] == "+390212345678"
    assert updated["inbound_addresses"] == ["203.0.113.0/28", "198.51.100.7"]
    assert updated["has_password"] is True
    # The same again changes nothing and is no event.
    admin.patch(f"{API}/{trunk['id']}", json={"port": 5080, "password": ""})

    assert admin.delete(f"{API}/{trunk['id']}").status_code == 204
    assert admin.get(f"{API}/{trunk['id']}").status_code == 404
    assert admin.delete(f"{API}/{trunk['id']}").status_code == 404
    logged = events(admin, *TRUNK_EVENTS)
    assert [e["type"] for e in logged] == list(TRUNK_EVENTS)
    assert logged[0]["payload"]["trunk"]["has_password"] is True
    assert "s3cret" not in str(logged)
    assert logged[1]["payload"]["changed"] == [
        "host",
        "port",
        "transport",
        "register",
        "register_expires",
        "from_domain",
        "caller_id",
        "inbound_addresses",
    ]
    assert logged[2]["payload"] == {
        "trunk_id": trunk["id"],
        "name": "Carrier A",
        "numbers": ["+390212345678"],
        "order": [],
    }


def test_the_password_is_encrypted_at_rest_and_never_returned(
    admin: Any, helpline: Helpline
) -> None:
    trunk = admin.post(API, json=body()).json()
    stored = _stored_password(helpline, trunk["id"])
    assert stored is not None
    assert "s3cret" not in stored
    assert decrypt_password(stored, secret_key=TEST_SECRET) == "s3cret pass"
    # Another secret key cannot read it.
    assert decrypt_password(stored, secret_key="another-secret-key-of-enough-length") is None

    # An empty password keeps the stored one, as does leaving it out.
    for change in ({"password": ""}, {"port": 5070}):
        answer = admin.patch(f"{API}/{trunk['id']}", json=change)
        assert answer.status_code == 200, answer.text
        assert answer.json()["has_password"] is True
        assert _stored_password(helpline, trunk["id"]) == stored

    renewed = admin.patch(f"{API}/{trunk['id']}", json={"password": "new-pass"})
    assert renewed.json()["has_password"] is True
    again = _stored_password(helpline, trunk["id"])
    assert again is not None
    assert again != stored
    assert decrypt_password(again, secret_key=TEST_SECRET) == "new-pass"

    # No user name, no credentials: the password goes too.
    cleared = admin.patch(f"{API}/{trunk['id']}", json={"username": ""})
    assert cleared.json()["has_password"] is False
    assert cleared.json()["username"] == ""
    assert _stored_password(helpline, trunk["id"]) is None
    changes = [e["payload"]["changed"] for e in events(admin, "trunk.updated")]
    assert changes == [["port"], ["password"], ["username", "password"]]
    assert "new-pass" not in str(events(admin, *TRUNK_EVENTS))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host": "sip:carrier.example"}, "without sip:"),
        ({"host": "carrier.example:5060"}, "put the port in the port field"),
        ({"host": "10.0.0.300"}, "neither a host name"),
        ({"host": "under_score.example"}, "neither a host name"),
        ({"host": "0.0.0.0"}, "not the address of one host"),
        ({"host": ""}, "needs a host"),
        ({"port": 0}, "greater than or equal to 1"),
        ({"port": 65536}, "less than or equal to 65535"),
        ({"port": "5060"}, "valid integer"),
        ({"transport": "SCTP"}, "'UDP' or 'TCP'"),
        ({"register_expires": 30}, "greater than or equal to 60"),
        ({"register_expires": 7200}, "less than or equal to 3600"),
        ({"inbound_addresses": ["10.0.0.1/8"]}, "did you mean 10.0.0.0/8"),
        ({"inbound_addresses": ["carrier.example"]}, "not an IP address or a network"),
        ({"caller_id": "0212345678"}, "international format"),
        ({"numbers": [{"number": "100"}]}, "international format"),
        ({"from_domain": "bad domain"}, "neither a host name"),
        ({"username": "two words"}, "may not contain spaces"),
        ({"name": " "}, "needs a name"),
        ({"name": None}, "may not be null"),
        ({"secret": "x"}, "Extra inputs"),
    ],
)
def test_bad_input_is_refused(admin: Any, change: dict[str, Any], message: str) -> None:
    answer = admin.post(API, json=body(**change))
    assert answer.status_code == 422, answer.text
    assert message in answer.text
    assert admin.get(API).json() == []


def test_names_and_numbers_are_unique(admin: Any) -> None:
    first = admin.post(API, json=body()).json()
    same_name = admin.post(API, json=body(name="CARRIER a", numbers=[]))
    assert same_name.status_code == 409
    assert same_name.json()["detail"]["message"] == "there is already a trunk named 'Carrier A'"

    taken = admin.post(API, json=body(name="Carrier B", numbers=[{"number": "+39 02 1234 5678"}]))
    assert taken.status_code == 409
    assert "already comes in through the trunk 'Carrier A'" in taken.text

    twice = admin.post(
        API,
        json=body(name="Carrier B", numbers=[{"number": "+441234567890"}] * 2),
    )
    assert twice.status_code == 422
    assert "+441234567890 is listed twice" in twice.text

    second = admin.post(API, json=body(name="Carrier B", numbers=[])).json()
    renamed = admin.patch(f"{API}/{second['id']}", json={"name": "carrier A"})
    assert renamed.status_code == 409
    moved_did = admin.patch(
        f"{API}/{second['id']}", json={"numbers": [{"number": "+390212345678"}]}
    )
    assert moved_did.status_code == 409
    # Once the first trunk lets go of it, the second may bring it.
    admin.patch(f"{API}/{first['id']}", json={"numbers": []})
    moved_did = admin.patch(
        f"{API}/{second['id']}", json={"numbers": [{"number": "+390212345678"}]}
    )
    assert moved_did.status_code == 200, moved_did.text


def test_a_password_needs_a_user_name(admin: Any) -> None:
    answer = admin.post(API, json=body(username=""))
    assert answer.status_code == 422
    assert "a password needs a user name" in answer.text
    trunk = admin.post(API, json=body()).json()
    # Removing the user name while giving a password is the same mistake.
    refused = admin.patch(f"{API}/{trunk['id']}", json={"username": "", "password": "x"})
    assert refused.status_code == 422


def test_dids_are_routed_through_the_call_plans_numbers(admin: Any) -> None:
    day = make_plan(admin, "Day")
    night = make_plan(admin, "Night")
    created = admin.post(
        API,
        json=body(
            numbers=[
                {"number": "+390212345678", "call_plan_id": day},
                {"number": "+390212345679"},
            ]
        ),
    )
    assert created.status_code == 201, created.text
    trunk = created.json()
    assert trunk["numbers"] == [
        {"number": "+390212345678", "call_plan_id": day, "call_plan_name": "Day"},
        {"number": "+390212345679", "call_plan_id": None, "call_plan_name": None},
    ]
    # The call plan answers it, labelled with the trunk it comes through.
    assert plan_numbers(admin, day) == [("+390212345678", "Carrier A")]

    # The call plan's own page can route the other DID: the trunk shows it.
    admin.put(
        f"/api/v1/call-plans/{night}/numbers",
        json={"numbers": [{"number": "+390212345679", "label": "Evenings"}]},
    )
    numbers = admin.get(f"{API}/{trunk['id']}").json()["numbers"]
    assert [n["call_plan_name"] for n in numbers] == ["Day", "Night"]

    # Leaving call_plan_id out keeps the routing; giving one moves the DID; null unroutes.
    kept = admin.patch(
        f"{API}/{trunk['id']}",
        json={"numbers": [{"number": "+390212345678"}, {"number": "+390212345679"}]},
    )
    assert [n["call_plan_id"] for n in kept.json()["numbers"]] == [day, night]
    moved = admin.patch(
        f"{API}/{trunk['id']}",
        json={
            "numbers": [
                {"number": "+390212345678", "call_plan_id": night},
                {"number": "+390212345679", "call_plan_id": None},
            ]
        },
    )
    assert moved.status_code == 200, moved.text
    assert [n["call_plan_id"] for n in moved.json()["numbers"]] == [night, None]
    assert plan_numbers(admin, day) == []
    assert plan_numbers(admin, night) == [("+390212345678", "Carrier A")]
    assert events(admin, "trunk.updated") == []  # the DIDs themselves did not change
    assert len(events(admin, "call_plan.numbers_changed")) == 5

    missing = admin.patch(
        f"{API}/{trunk['id']}",
        json={"numbers": [{"number": "+390212345678", "call_plan_id": night + 100}]},
    )
    assert missing.status_code == 422
    assert f"no call plan with id {night + 100}" in missing.text

    # Deleting the trunk leaves the route: another carrier can bring the DID to the plan.
    assert admin.delete(f"{API}/{trunk['id']}").status_code == 204
    assert plan_numbers(admin, night) == [("+390212345678", "Carrier A")]
    again = admin.post(API, json=body(name="Carrier B", numbers=[{"number": "+390212345678"}]))
    assert again.json()["numbers"][0]["call_plan_name"] == "Night"


def test_order_decides_outbound_and_follows_moves_and_deletes(admin: Any) -> None:
    ids = [admin.post(API, json=body(name=name, numbers=[])).json()["id"] for name in "ABC"]
    assert [t["position"] for t in admin.get(API).json()] == [0, 1, 2]
    admin.patch(f"{API}/{ids[2]}", json={"position": 0})
    assert [t["id"] for t in admin.get(API).json()] == [ids[2], ids[0], ids[1]]
    admin.delete(f"{API}/{ids[0]}")
    listed = admin.get(API).json()
    assert [(t["id"], t["position"]) for t in listed] == [(ids[2], 0), (ids[1], 1)]
    assert events(admin, "trunk.deleted")[0]["payload"]["order"] == [ids[2], ids[1]]


def test_a_supervisor_may_not_read_trunks(admin: Any, helpline: Helpline) -> None:
    admin.post(API, json=body())
    helpline.create_user("sup", "supervisor")
    supervisor = helpline.login("sup")
    assert supervisor.get(API).status_code == 403
