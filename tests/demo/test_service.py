from __future__ import annotations

from typing import Any

from helpline.call_plans import service as call_plan_service
from helpline.canned_messages import repository as canned_repository
from helpline.demo import service
from helpline.pause_reasons import repository as pause_repository
from helpline.queues import repository as queue_repository
from helpline.queues import service as queue_service
from helpline.tags import repository as tag_repository
from helpline.timeutil import utcnow
from helpline.users import service as user_service
from tests.support import Helpline


def test_demo_organization_has_what_the_readme_promises(helpline: Helpline) -> None:
    report = helpline.run(lambda session: service.load(session=session, now=utcnow()))
    assert report.created
    assert len(report.users) == 12

    async def inventory(session: Any) -> dict[str, Any]:
        users = await user_service.list_users(session=session)
        agent1 = next(u for u in users if u.username == "agent1")
        return {
            "call": [
                (q.extension, q.name) for q in await queue_repository.list_call_queues(session)
            ],
            "chat": len(await queue_repository.list_chat_queues(session)),
            "campaigns": len(await queue_repository.list_campaigns(session)),
            "agents": sorted(u.username for u in users if u.role_names == ["agent"]),
            "supervisors": sorted(u.username for u in users if "supervisor" in u.role_names),
            "pause": [r.name for r in await pause_repository.list_all(session)],
            "tags": len(await tag_repository.list_all(session)),
            "canned": len(await canned_repository.list_public(session)),
            "agent1": await queue_service.assigned_to(
                session=session, user_id=agent1.id, role="agent"
            ),
            "extensions": sorted(ln.extension for u in users for ln in u.lines),
            "plan_100": await call_plan_service.plan_for_number(session=session, number="100"),
            "sip_password": agent1.has_sip_password,
        }

    found = helpline.run(inventory)
    assert sorted(found["call"]) == [("500", "Support"), ("501", "Sales"), ("502", "Billing")]
    assert found["chat"] == 2
    assert found["campaigns"] == 1
    assert found["agents"] == sorted(f"agent{n}" for n in range(1, 11))
    assert found["supervisors"] == ["supervisor1", "supervisor2"]
    assert "Lunch" in found["pause"]
    assert found["tags"] >= 3
    assert found["canned"] >= 3
    assert found["agent1"].call_queues == ["Support"]
    assert found["agent1"].chat_queues == ["Web support"]
    assert [str(n) for n in range(201, 211)] == found["extensions"][:10]
    # Extension 100 answers with the demo plan into Support; demo phones can register.
    plan, graph = found["plan_100"]
    support = next(node for node in graph.nodes if node.type == "queue")
    assert plan.name == "Demo"
    assert support.queue_id == next(
        q.id for q in helpline.run(queue_repository.list_call_queues) if q.name == "Support"
    )
    assert found["sip_password"] is True

    again = helpline.run(lambda session: service.load(session=session, now=utcnow()))
    assert not again.created


def test_demo_tags_and_canned_messages(helpline: Helpline) -> None:
    from helpline.tags import service as tag_service
    from helpline.tags.schemas import TagCreate

    # A tag of the same name made beforehand is kept, not duplicated (nor a failure).
    helpline.run(
        lambda session: tag_service.create(
            session=session, tag_in=TagCreate(name="vip"), now=utcnow(), actor_id=None
        )
    )
    helpline.run(lambda session: service.load(session=session, now=utcnow()))
    helpline.create_user("boss", "admin")
    helpline.create_user("viewer", "agent")
    admin = helpline.login("boss")
    agent = helpline.login("viewer")

    tags = {t["name"]: t["enabled"] for t in admin.get("/api/v1/tags").json()}
    assert tags == {
        "Billing question": True,
        "Complaint": True,
        "New customer": True,
        "Technical issue": True,
        "vip": True,
        "Spring promotion": False,
    }
    offered = [t["name"] for t in agent.get("/api/v1/tags?enabled=true").json()]
    assert "Spring promotion" not in offered
    assert len(offered) == 5

    public = agent.get("/api/v1/canned-messages/public").json()
    assert len(public) >= 3
    assert all(m["public"] and m["enabled"] for m in public)
    assert [m["shortcut"] for m in agent.get("/api/v1/canned-messages?query=hel").json()] == [
        "hello"
    ]
    created = admin.get(
        "/api/v1/events", params={"type": ["tag.created", "canned_message.created"]}
    ).json()
    assert len(created) == len(tags) + len(public)

    # Loading again changes nothing.
    helpline.run(lambda session: service.load(session=session, now=utcnow()))
    assert len(admin.get("/api/v1/tags").json()) == len(tags)
    assert len(agent.get("/api/v1/canned-messages/public").json()) == len(public)
