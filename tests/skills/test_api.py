from __future__ import annotations

from typing import Any

import pytest

from helpline.skills import service
from helpline.skills.schemas import SkillRequirement
from tests.support import Helpline

URL = "/api/v1/skills"
SKILL_EVENTS = [
    "skill.created",
    "skill.updated",
    "skill.deleted",
    "agent_skills.changed",
    "queue_skill_requirements.changed",
]


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def _events(admin: Any) -> list[dict[str, Any]]:
    return admin.get("/api/v1/events", params={"type": SKILL_EVENTS}).json()


def _skill(admin: Any, name: str, **fields: Any) -> int:
    response = admin.post(URL, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_skills_are_created_listed_renamed_and_deleted(admin: Any) -> None:
    created = admin.post(URL, json={"name": " Spanish ", "description": "Native level"})
    assert created.status_code == 201
    skill = created.json()
    assert skill["name"] == "Spanish"
    assert skill["description"] == "Native level"
    _skill(admin, "billing")
    assert [s["name"] for s in admin.get(URL).json()] == ["billing", "Spanish"]
    renamed = admin.patch(f"{URL}/{skill['id']}", json={"name": "Español"})
    assert renamed.json()["name"] == "Español"
    assert renamed.json()["description"] == "Native level"
    assert admin.patch(f"{URL}/{skill['id']}", json={"description": ""}).json()["description"] == ""
    assert admin.delete(f"{URL}/{skill['id']}").status_code == 204
    assert [s["name"] for s in admin.get(URL).json()] == ["billing"]
    assert admin.delete(f"{URL}/{skill['id']}").status_code == 404
    assert admin.patch(f"{URL}/{skill['id']}", json={"name": "x"}).status_code == 404


def test_skill_names_are_unique_regardless_of_case(admin: Any) -> None:
    first = _skill(admin, "Billing")
    second = _skill(admin, "Sales")
    assert admin.post(URL, json={"name": "BILLING"}).status_code == 409
    assert admin.patch(f"{URL}/{second}", json={"name": "billing"}).status_code == 409
    assert admin.patch(f"{URL}/{first}", json={"name": "BILLING"}).status_code == 200
    assert sorted(s["name"] for s in admin.get(URL).json()) == ["BILLING", "Sales"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x" * 101}, "at most 100"),
        ({"name": ""}, "needs a name"),
        ({"name": "Bil\nling"}, "control"),
        ({"name": "Bil\x1bling"}, "control"),
        ({"name": 7}, "string"),
        ({"name": None}, "null"),
        ({"name": "Billing", "description": "d" * 501}, "at most 500"),
        ({"name": "Billing", "description": "bell\x07"}, "control"),
        ({"name": "Billing", "level": 3}, "level"),
        ({}, "name"),
    ],
)
def test_bad_skill_input_is_refused_and_nothing_changes(
    admin: Any, body: dict[str, Any], message: str
) -> None:
    _skill(admin, "Sales")
    before = admin.get(URL).json()
    events = _events(admin)
    response = admin.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert admin.get(URL).json() == before
    assert _events(admin) == events


def test_unicode_names_and_multiline_descriptions_are_fine(admin: Any) -> None:
    skill = admin.post(URL, json={"name": "日本語", "description": "Line one\nLine two"})
    assert skill.status_code == 201
    assert skill.json()["description"] == "Line one\nLine two"
    assert admin.post(URL, json={"name": "x" * 100}).status_code == 201


def test_agent_skills_are_replaced_as_a_whole(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    spanish, billing, sales = (_skill(admin, n) for n in ("Spanish", "Billing", "Sales"))
    assert admin.get(f"{URL}/agents/{ann.id}").json() == {"user_id": ann.id, "skills": []}
    body = [{"skill_id": billing, "proficiency": 2}, {"skill_id": spanish, "proficiency": 5}]
    response = admin.put(f"{URL}/agents/{ann.id}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["skills"] == sorted(body, key=lambda item: item["skill_id"])
    replaced = admin.put(
        f"{URL}/agents/{ann.id}",
        json=[{"skill_id": sales, "proficiency": 1}, {"skill_id": billing, "proficiency": 4}],
    )
    assert replaced.json()["skills"] == [
        {"skill_id": billing, "proficiency": 4},
        {"skill_id": sales, "proficiency": 1},
    ]
    assert admin.get(f"{URL}/agents/{ann.id}").json() == replaced.json()
    assert admin.put(f"{URL}/agents/{ann.id}", json=[]).json()["skills"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([{"skill_id": 999, "proficiency": 3}], 422),
        ([{"skill_id": "SKILL-AS-TEXT", "proficiency": 3}], 422),
        ([{"skill_id": "SKILL", "proficiency": 0}], 422),
        ([{"skill_id": "SKILL", "proficiency": 6}], 422),
        ([{"skill_id": "SKILL", "proficiency": "3"}], 422),
        ([{"skill_id": "SKILL", "proficiency": 2.5}], 422),
        ([{"skill_id": "SKILL", "proficiency": None}], 422),
        ([{"skill_id": "SKILL"}], 422),
        ([{"skill_id": "SKILL", "proficiency": 3, "note": "x"}], 422),
        ([{"skill_id": "SKILL", "proficiency": 3}, {"skill_id": "SKILL", "proficiency": 4}], 422),
        ({"skill_id": "SKILL", "proficiency": 3}, 422),
    ],
)
def test_bad_agent_skill_lists_are_refused_and_nothing_changes(
    helpline: Helpline, admin: Any, body: Any, status: int
) -> None:
    ann = helpline.create_user("ann", "agent")
    skill = _skill(admin, "Spanish")
    other = _skill(admin, "Billing")
    admin.put(f"{URL}/agents/{ann.id}", json=[{"skill_id": other, "proficiency": 2}])
    before = admin.get(f"{URL}/agents/{ann.id}").json()
    events = _events(admin)

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return {"SKILL": skill, "SKILL-AS-TEXT": str(skill)}.get(value, value)

    response = admin.put(f"{URL}/agents/{ann.id}", json=fill(body))
    assert response.status_code == status, response.text
    assert admin.get(f"{URL}/agents/{ann.id}").json() == before
    assert _events(admin) == events


def test_unknown_users_are_404(admin: Any) -> None:
    skill = _skill(admin, "Spanish")
    assert admin.get(f"{URL}/agents/9999").status_code == 404
    response = admin.put(f"{URL}/agents/9999", json=[{"skill_id": skill, "proficiency": 3}])
    assert response.status_code == 404
    assert admin.get(f"{URL}/agents/abc").status_code == 422


def test_queue_requirements_are_replaced_as_a_whole(admin: Any) -> None:
    spanish, billing = _skill(admin, "Spanish"), _skill(admin, "Billing")
    path = f"{URL}/requirements/call/7"
    assert admin.get(path).json() == {"queue_kind": "call", "queue_id": 7, "requirements": []}
    body = [
        {
            "skill_id": spanish,
            "min_proficiency": 4,
            "relax_after_seconds": 60,
            "relaxed_min_proficiency": 2,
        },
        {"skill_id": billing, "min_proficiency": 1},
    ]
    response = admin.put(path, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["requirements"] == sorted(
        [body[0], {**body[1], "relax_after_seconds": None, "relaxed_min_proficiency": None}],
        key=lambda item: item["skill_id"],
    )
    # Another kind with the same id is another queue.
    assert admin.get(f"{URL}/requirements/chat/7").json()["requirements"] == []
    changed = admin.put(path, json=[{"skill_id": spanish, "min_proficiency": 3}])
    assert changed.json()["requirements"] == [
        {
            "skill_id": spanish,
            "min_proficiency": 3,
            "relax_after_seconds": None,
            "relaxed_min_proficiency": None,
        }
    ]
    assert admin.get(path).json() == changed.json()


@pytest.mark.parametrize(
    "item",
    [
        {"min_proficiency": 0},
        {"min_proficiency": 6},
        {"min_proficiency": "3"},
        {"min_proficiency": 3, "relax_after_seconds": -1, "relaxed_min_proficiency": 1},
        {"min_proficiency": 3, "relax_after_seconds": 30, "relaxed_min_proficiency": 3},
        {"min_proficiency": 3, "relax_after_seconds": 30, "relaxed_min_proficiency": 4},
        {"min_proficiency": 3, "relax_after_seconds": 30, "relaxed_min_proficiency": 0},
        {"min_proficiency": 3, "relax_after_seconds": 30},
        {"min_proficiency": 3, "relaxed_min_proficiency": 1},
        {"min_proficiency": 3, "relax_after_seconds": 1.5, "relaxed_min_proficiency": 1},
        {"min_proficiency": 3, "priority": 1},
        {"skill_id": 999, "min_proficiency": 3},
        {"skill_id": None, "min_proficiency": 3},
    ],
)
def test_bad_requirements_are_refused_and_nothing_changes(admin: Any, item: dict[str, Any]) -> None:
    skill = _skill(admin, "Spanish")
    path = f"{URL}/requirements/campaign/3"
    admin.put(path, json=[{"skill_id": skill, "min_proficiency": 2}])
    before = admin.get(path).json()
    events = _events(admin)
    response = admin.put(path, json=[{"skill_id": skill, **item}])
    assert response.status_code == 422, response.text
    assert admin.get(path).json() == before
    assert _events(admin) == events


def test_requirement_paths_are_validated(admin: Any) -> None:
    skill = _skill(admin, "Spanish")
    body = [{"skill_id": skill, "min_proficiency": 2}]
    assert admin.get(f"{URL}/requirements/email/1").status_code == 422
    assert admin.put(f"{URL}/requirements/email/1", json=body).status_code == 422
    assert admin.put(f"{URL}/requirements/call/0", json=body).status_code == 422
    assert admin.put(f"{URL}/requirements/call/x", json=body).status_code == 422
    assert admin.put(f"{URL}/requirements/call/1", json=body * 2).status_code == 422
    assert admin.put(f"{URL}/requirements/chat/1", json=body).status_code == 200


def test_deleting_a_skill_takes_it_from_agents_and_queues(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    spanish, billing = _skill(admin, "Spanish"), _skill(admin, "Billing")
    admin.put(
        f"{URL}/agents/{ann.id}",
        json=[{"skill_id": spanish, "proficiency": 3}, {"skill_id": billing, "proficiency": 2}],
    )
    admin.put(f"{URL}/requirements/chat/2", json=[{"skill_id": spanish, "min_proficiency": 1}])
    assert admin.delete(f"{URL}/{spanish}").status_code == 204
    assert admin.get(f"{URL}/agents/{ann.id}").json()["skills"] == [
        {"skill_id": billing, "proficiency": 2}
    ]
    assert admin.get(f"{URL}/requirements/chat/2").json()["requirements"] == []
    deleted = _events(admin)[-1]
    assert deleted["type"] == "skill.deleted"
    assert deleted["payload"]["user_ids"] == [ann.id]
    assert deleted["payload"]["queues"] == [{"queue_kind": "chat", "queue_id": 2}]
    assert deleted["payload"]["skill"]["name"] == "Spanish"


def test_deleting_a_user_deletes_their_skills(helpline: Helpline, admin: Any) -> None:
    from sqlalchemy import delete

    from helpline.users.models import User

    ann = helpline.create_user("ann", "agent")
    skill = _skill(admin, "Spanish")
    admin.put(f"{URL}/agents/{ann.id}", json=[{"skill_id": skill, "proficiency": 3}])

    async def remove(session: Any) -> None:
        await session.execute(delete(User).where(User.id == ann.id))

    helpline.run(remove)
    assert helpline.run(lambda session: service.skills_of_agents(session=session)) == {}


def test_changes_are_events(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    skill = _skill(admin, "Spanish")
    admin.patch(f"{URL}/{skill}", json={"name": "Spanish", "description": "Fluent"})
    admin.put(f"{URL}/agents/{ann.id}", json=[{"skill_id": skill, "proficiency": 4}])
    admin.put(f"{URL}/agents/{ann.id}", json=[{"skill_id": skill, "proficiency": 4}])  # no change
    requirement = {
        "skill_id": skill,
        "min_proficiency": 3,
        "relax_after_seconds": 30,
        "relaxed_min_proficiency": 1,
    }
    admin.put(f"{URL}/requirements/call/5", json=[requirement])
    admin.put(f"{URL}/requirements/call/5", json=[requirement])  # no change
    events = _events(admin)
    assert [e["type"] for e in events] == [
        "skill.created",
        "skill.updated",
        "agent_skills.changed",
        "queue_skill_requirements.changed",
    ]
    assert events[1]["payload"]["changed"] == ["description"]
    assert events[2]["payload"] == {
        "user_id": ann.id,
        "skills": [{"skill_id": skill, "proficiency": 4}],
    }
    assert events[3]["payload"] == {
        "queue_kind": "call",
        "queue_id": 5,
        "requirements": [requirement],
    }


def test_what_the_distributor_reads(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    spanish, billing = _skill(admin, "Spanish"), _skill(admin, "Billing")
    admin.put(
        f"{URL}/agents/{ann.id}",
        json=[{"skill_id": spanish, "proficiency": 5}, {"skill_id": billing, "proficiency": 1}],
    )
    admin.put(f"{URL}/agents/{bob.id}", json=[{"skill_id": billing, "proficiency": 3}])
    admin.put(
        f"{URL}/requirements/call/1",
        json=[
            {
                "skill_id": spanish,
                "min_proficiency": 4,
                "relax_after_seconds": 60,
                "relaxed_min_proficiency": 2,
            }
        ],
    )
    admin.put(f"{URL}/requirements/chat/1", json=[{"skill_id": billing, "min_proficiency": 2}])

    skills = helpline.run(lambda session: service.skills_of_agents(session=session))
    assert skills == {ann.id: {spanish: 5, billing: 1}, bob.id: {billing: 3}}
    requirements = helpline.run(lambda session: service.requirements(session=session))
    assert requirements == {
        ("call", 1): [SkillRequirement(spanish, 4, 60, 2)],
        ("chat", 1): [SkillRequirement(billing, 2)],
    }
    widening = requirements[("call", 1)][0]
    assert widening.min_proficiency_after(59.9) == 4
    assert widening.min_proficiency_after(60) == 2
    assert requirements[("chat", 1)][0].min_proficiency_after(10_000) == 2


def test_access_follows_the_permission_matrix(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    helpline.create_user("sue", "supervisor")
    sue = helpline.login("sue")
    agent = helpline.login("ann")
    skill = _skill(admin, "Spanish")
    assert agent.get(URL).status_code == 403
    assert agent.get(f"{URL}/agents/{ann.id}").status_code == 403
    assert sue.get(URL).status_code == 403
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    assert sue.get(URL).status_code == 200
    assert sue.get(f"{URL}/requirements/call/1").status_code == 200
    body = [{"skill_id": skill, "proficiency": 2}]
    assert sue.put(f"{URL}/agents/{ann.id}", json=body).status_code == 403
    admin.patch("/api/v1/permissions", json={"supervisor.manage_skills": True})
    assert sue.put(f"{URL}/agents/{ann.id}", json=body).status_code == 200
    assert helpline.client.get(URL).status_code == 401
