"""Contacts through the API: normalized identities, deduplication, search, merge."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline


@pytest.fixture
def agent(helpline: Helpline) -> Any:
    helpline.create_user("ann", "agent")
    return helpline.login("ann")


def test_a_contact_keeps_numbers_in_e164_and_emails_in_lower_case(agent: Any) -> None:
    created = agent.post(
        "/api/v1/contacts",
        json={
            "name": " Maria Rossi ",
            "phones": ["+39 06 6988 3000", "+390669883000"],
            "emails": ["Maria.Rossi@Example.COM"],
            "facebook_ids": ["123456"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Maria Rossi"
    assert body["phones"] == ["+390669883000"]  # the same number once
    assert body["emails"] == ["maria.rossi@example.com"]
    assert body["facebook_ids"] == ["123456"]
    fetched = agent.get(f"/api/v1/contacts/{body['id']}").json()
    assert fetched == body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phones", "call me maybe", "not a phone number"),
        ("phones", "+39 12", "not a valid phone number"),
        ("emails", "maria@", "not a valid email"),
        ("instagram_ids", "maria.rossi", "digits only"),
    ],
)
def test_what_is_not_an_identity_is_refused(
    agent: Any, field: str, value: str, message: str
) -> None:
    refused = agent.post("/api/v1/contacts", json={"name": "X", field: [value]})
    assert refused.status_code == 422
    assert message in refused.text
    assert agent.get("/api/v1/contacts").json()["total"] == 0


def test_an_identity_belongs_to_one_contact_only(agent: Any) -> None:
    first = agent.post("/api/v1/contacts", json={"name": "A", "phones": ["+14155552671"]}).json()
    clash = agent.post("/api/v1/contacts", json={"name": "B", "phones": ["+1 415 555 2671"]})
    assert clash.status_code == 409
    assert str(first["id"]) in clash.text
    other = agent.post("/api/v1/contacts", json={"name": "B"}).json()
    moved = agent.patch(f"/api/v1/contacts/{other['id']}", json={"phones": ["+14155552671"]})
    assert moved.status_code == 409
    assert agent.get(f"/api/v1/contacts/{other['id']}").json()["phones"] == []
    # The owner may keep it while changing the rest.
    kept = agent.patch(
        f"/api/v1/contacts/{first['id']}",
        json={"name": "Anna", "phones": ["+14155552671", "+442071838750"]},
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["phones"] == ["+14155552671", "+442071838750"]


def test_search_finds_by_name_number_and_email(agent: Any) -> None:
    agent.post("/api/v1/contacts", json={"name": "Maria Rossi", "emails": ["m@example.com"]})
    agent.post("/api/v1/contacts", json={"name": "Luca Bianchi", "phones": ["+390669883000"]})
    agent.post("/api/v1/contacts", json={"name": "100% Real_Name"})

    def names(search: str) -> list[str]:
        page = agent.get("/api/v1/contacts", params={"search": search}).json()
        return [c["name"] for c in page["contacts"]]

    assert names("rossi") == ["Maria Rossi"]
    assert names("0669883") == ["Luca Bianchi"]
    assert names("EXAMPLE.com") == ["Maria Rossi"]
    assert names("%") == ["100% Real_Name"]  # no wildcard
    assert names("_") == ["100% Real_Name"]
    page = agent.get("/api/v1/contacts", params={"limit": 2}).json()
    assert page["total"] == 3
    assert len(page["contacts"]) == 2


def test_merge_moves_identities_and_removes_the_other(agent: Any) -> None:
    one = agent.post("/api/v1/contacts", json={"name": "Maria", "phones": ["+14155552671"]}).json()
    two = agent.post("/api/v1/contacts", json={"emails": ["maria@example.com"]}).json()
    merged = agent.post(f"/api/v1/contacts/{one['id']}/merge", json={"other_id": two["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["emails"] == ["maria@example.com"]
    assert merged.json()["phones"] == ["+14155552671"]
    assert agent.get(f"/api/v1/contacts/{two['id']}").status_code == 404
    itself = agent.post(f"/api/v1/contacts/{one['id']}/merge", json={"other_id": one["id"]})
    assert itself.status_code == 422


def test_unknown_contacts_and_roles(helpline: Helpline, agent: Any) -> None:
    assert agent.get("/api/v1/contacts/999").status_code == 404
    assert agent.patch("/api/v1/contacts/999", json={"name": "x"}).status_code == 404
    assert agent.get("/api/v1/contacts/999/history").status_code == 404
    helpline.create_user("nobody")
    assert helpline.login("nobody").get("/api/v1/contacts").status_code == 403
