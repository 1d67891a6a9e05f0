"""Routes of skills: the API (skills, agents' skills, queue requirements) and the admin page."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Request, Route, api, page_get, page_post, unique


def _new_skill(ctx: Context) -> None:
    """A skill for the call to use, made through the service (the subject may not)."""
    from helpline.skills import service
    from helpline.skills.schemas import SkillCreate
    from helpline.timeutil import utcnow

    skill_in = SkillCreate(name=unique("Skill "))
    skill = ctx.helpline.run(
        lambda session: service.create(
            session=session, skill_in=skill_in, now=utcnow(), actor_id=None
        )
    )
    ctx.ids["skill_id"] = skill.id


def with_skill(request: Request) -> Request:
    def call(ctx: Context) -> Any:
        _new_skill(ctx)
        return request(ctx)

    return call


def with_skill_and_agent(request: Request) -> Request:
    """A skill and a fresh agent (other routes may change the scratch user's roles)."""

    def call(ctx: Context) -> Any:
        _new_skill(ctx)
        ctx.ids["agent_id"] = ctx.helpline.create_user(unique("skilled"), "agent").id
        return request(ctx)

    return call


def _agent_skills(ctx: Context) -> list[dict[str, int]]:
    return [{"skill_id": ctx.ids["skill_id"], "proficiency": 3}]


def _requirements(ctx: Context) -> list[dict[str, Any]]:
    return [
        {
            "skill_id": ctx.ids["skill_id"],
            "min_proficiency": 4,
            "relax_after_seconds": 30,
            "relaxed_min_proficiency": 2,
        }
    ]


ROUTES: list[Route] = [
    Route("GET", "/api/v1/skills", Action.VIEW_SKILLS, api("GET", "/api/v1/skills")),
    Route(
        "POST",
        "/api/v1/skills",
        Action.MANAGE_SKILLS,
        api("POST", "/api/v1/skills", lambda _ctx: {"name": unique("Skill "), "description": "d"}),
    ),
    Route(
        "PATCH",
        "/api/v1/skills/{skill_id}",
        Action.MANAGE_SKILLS,
        with_skill(
            api("PATCH", "/api/v1/skills/{skill_id}", lambda _ctx: {"name": unique("Renamed ")})
        ),
    ),
    Route(
        "DELETE",
        "/api/v1/skills/{skill_id}",
        Action.MANAGE_SKILLS,
        with_skill(api("DELETE", "/api/v1/skills/{skill_id}")),
    ),
    Route(
        "GET",
        "/api/v1/skills/agents/{user_id}",
        Action.VIEW_SKILLS,
        api("GET", "/api/v1/skills/agents/{scratch_id}"),
    ),
    Route(
        "PUT",
        "/api/v1/skills/agents/{user_id}",
        Action.MANAGE_SKILLS,
        with_skill(api("PUT", "/api/v1/skills/agents/{scratch_id}", _agent_skills)),
    ),
    Route(
        "GET",
        "/api/v1/skills/requirements/{queue_kind}/{queue_id}",
        Action.VIEW_SKILLS,
        api("GET", "/api/v1/skills/requirements/call/1"),
    ),
    Route(
        "PUT",
        "/api/v1/skills/requirements/{queue_kind}/{queue_id}",
        Action.MANAGE_SKILLS,
        with_skill(api("PUT", "/api/v1/skills/requirements/chat/1", _requirements)),
    ),
    # Pages.
    Route("GET", "/admin/skills", Action.VIEW_SKILLS, page_get("/admin/skills"), page=True),
    Route(
        "POST",
        "/admin/skills",
        Action.MANAGE_SKILLS,
        page_post("/admin/skills", lambda _ctx: {"name": unique("Paged "), "description": ""}),
        page=True,
    ),
    Route(
        "GET",
        "/admin/skills/{skill_id}",
        Action.VIEW_SKILLS,
        with_skill(page_get("/admin/skills/{skill_id}")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/skills/{skill_id}",
        Action.MANAGE_SKILLS,
        with_skill(
            page_post("/admin/skills/{skill_id}", lambda _ctx: {"name": unique("Renamed ")})
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/skills/{skill_id}/agents",
        Action.MANAGE_SKILLS,
        with_skill_and_agent(
            page_post(
                "/admin/skills/{skill_id}/agents",
                lambda ctx: {"user_id": str(ctx.ids["agent_id"]), "proficiency": "4"},
            )
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/skills/{skill_id}/agents/{user_id}/remove",
        Action.MANAGE_SKILLS,
        with_skill(page_post("/admin/skills/{skill_id}/agents/{scratch_id}/remove")),
        page=True,
    ),
    Route(
        "GET",
        "/admin/skills/{skill_id}/delete",
        Action.MANAGE_SKILLS,
        with_skill(page_get("/admin/skills/{skill_id}/delete")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/skills/{skill_id}/delete",
        Action.MANAGE_SKILLS,
        with_skill(page_post("/admin/skills/{skill_id}/delete")),
        page=True,
    ),
]
