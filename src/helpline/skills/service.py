from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.errors import Conflict, Invalid, NotFound
from helpline.skills import repository
from helpline.skills.events import (
    AgentSkillsChanged,
    QueueSkillRequirementsChanged,
    SkillCreated,
    SkillDeleted,
    SkillUpdated,
)
from helpline.skills.models import QUEUE_KINDS, AgentSkill, QueueSkillRequirement, Skill
from helpline.skills.schemas import (
    AgentSkillIn,
    RequirementIn,
    RequirementOut,
    SkillCreate,
    SkillOut,
    SkillRequirement,
    SkillUpdate,
    name_key,
)
from helpline.storage.eventlog import append_event
from helpline.users import service as user_service
from helpline.users.models import User


def snapshot(skill: Skill) -> dict[str, Any]:
    return SkillOut.model_validate(skill).model_dump(mode="json")


# -- skills ----------------------------------------------------------------------------------


async def list_skills(*, session: AsyncSession) -> Sequence[Skill]:
    """Every skill, by name."""
    return await repository.list_all(session)


async def agent_counts(*, session: AsyncSession) -> dict[int, int]:
    """How many agents have each skill (skills nobody has are missing)."""
    return await repository.agent_counts(session)


async def get(*, session: AsyncSession, skill_id: int) -> Skill:
    skill = await repository.get(session, skill_id)
    if skill is None:
        raise NotFound(f"no skill with id {skill_id}")
    return skill


async def _check_name_free(
    session: AsyncSession, name: str, *, skill_id: int | None = None
) -> None:
    other = await repository.get_by_name_key(session, name_key(name))
    if other is not None and other.id != skill_id:
        raise Conflict(f"there is already a skill named {other.name!r}", field="name")


async def create(
    *, session: AsyncSession, skill_in: SkillCreate, now: datetime, actor_id: int | None
) -> Skill:
    await _check_name_free(session, skill_in.name)
    skill = Skill(
        name=skill_in.name,
        name_key=name_key(skill_in.name),
        description=skill_in.description,
        created_at=now,
    )
    await repository.add(session, skill)
    append_event(
        session, SkillCreated(skill=snapshot(skill)), occurred_at=now, actor_user_id=actor_id
    )
    return skill


async def update(
    *,
    session: AsyncSession,
    skill_id: int,
    skill_in: SkillUpdate,
    now: datetime,
    actor_id: int | None,
) -> Skill:
    skill = await get(session=session, skill_id=skill_id)
    changed: list[str] = []
    if skill_in.name is not None and skill_in.name != skill.name:
        await _check_name_free(session, skill_in.name, skill_id=skill.id)
        skill.name = skill_in.name
        skill.name_key = name_key(skill_in.name)
        changed.append("name")
    if skill_in.description is not None and skill_in.description != skill.description:
        skill.description = skill_in.description
        changed.append("description")
    if not changed:
        return skill
    await repository.flush(session)
    append_event(
        session,
        SkillUpdated(skill=snapshot(skill), changed=changed),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return skill


async def delete(
    *, session: AsyncSession, skill_id: int, now: datetime, actor_id: int | None
) -> None:
    """Delete a skill, and with it every agent's proficiency and every queue requirement."""
    skill = await get(session=session, skill_id=skill_id)
    gone = snapshot(skill)
    user_ids = sorted(
        user.id for user, _level in await repository.agents_with_skill(session, skill_id)
    )
    queues = [
        {"queue_kind": req.queue_kind, "queue_id": req.queue_id}
        for req in await repository.requirements_of_skill(session, skill_id)
    ]
    await repository.delete_links(session, skill_id)
    await repository.delete(session, skill)
    append_event(
        session,
        SkillDeleted(skill=gone, user_ids=user_ids, queues=queues),
        occurred_at=now,
        actor_user_id=actor_id,
    )


# -- agents' skills --------------------------------------------------------------------------


def _agent_skills_payload(rows: Sequence[AgentSkill]) -> list[dict[str, int]]:
    return [
        {"skill_id": row.skill_id, "proficiency": row.proficiency}
        for row in sorted(rows, key=lambda row: row.skill_id)
    ]


async def agent_skills(*, session: AsyncSession, user_id: int) -> Sequence[AgentSkill]:
    """A user's skills, by skill id; NotFound if there is no such user."""
    await user_service.get(session=session, user_id=user_id)
    return await repository.agent_skills(session, user_id)


async def _check_skills_exist(session: AsyncSession, skill_ids: Sequence[int], field: str) -> None:
    duplicates = sorted({skill_id for skill_id in skill_ids if list(skill_ids).count(skill_id) > 1})
    if duplicates:
        raise Invalid(f"skill {duplicates[0]} is listed twice", field=field)
    missing = sorted(set(skill_ids) - await repository.existing_ids(session, skill_ids))
    if missing:
        raise Invalid(f"there is no skill with id {missing[0]}", field=field)


async def set_agent_skills(
    *,
    session: AsyncSession,
    user_id: int,
    skills_in: Sequence[AgentSkillIn],
    now: datetime,
    actor_id: int | None,
) -> Sequence[AgentSkill]:
    """Replace a user's skills with ``skills_in`` (the full list)."""
    await user_service.get(session=session, user_id=user_id)
    await _check_skills_exist(session, [item.skill_id for item in skills_in], "skills")
    wanted = {item.skill_id: item.proficiency for item in skills_in}
    current = {row.skill_id: row for row in await repository.agent_skills(session, user_id)}
    if {skill_id: row.proficiency for skill_id, row in current.items()} == wanted:
        return list(current.values())
    for skill_id, row in current.items():
        if skill_id not in wanted:
            await repository.delete(session, row)
        elif row.proficiency != wanted[skill_id]:
            row.proficiency = wanted[skill_id]
    for skill_id, proficiency in wanted.items():
        if skill_id not in current:
            await repository.add(
                session, AgentSkill(user_id=user_id, skill_id=skill_id, proficiency=proficiency)
            )
    await repository.flush(session)
    rows = await repository.agent_skills(session, user_id)
    append_event(
        session,
        AgentSkillsChanged(user_id=user_id, skills=_agent_skills_payload(rows)),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return rows


async def set_proficiency(
    *,
    session: AsyncSession,
    skill_id: int,
    user_id: int,
    proficiency: int | None,
    now: datetime,
    actor_id: int | None,
) -> None:
    """Set one agent's proficiency in one skill (``None``: take the skill away)."""
    await get(session=session, skill_id=skill_id)
    wanted = {
        row.skill_id: row.proficiency
        for row in await agent_skills(session=session, user_id=user_id)
    }
    if proficiency is None:
        wanted.pop(skill_id, None)
    else:
        wanted[skill_id] = proficiency
    await set_agent_skills(
        session=session,
        user_id=user_id,
        skills_in=[AgentSkillIn(skill_id=key, proficiency=value) for key, value in wanted.items()],
        now=now,
        actor_id=actor_id,
    )


async def agents_with_skill(*, session: AsyncSession, skill_id: int) -> list[tuple[User, int]]:
    """The users who have the skill, with their proficiency, by user name."""
    await get(session=session, skill_id=skill_id)
    return await repository.agents_with_skill(session, skill_id)


async def skills_of_agents(*, session: AsyncSession) -> dict[int, dict[int, int]]:
    """For the distributor: user id → {skill id: proficiency} (users without skills absent)."""
    result: dict[int, dict[int, int]] = {}
    for row in await repository.all_agent_skills(session):
        result.setdefault(row.user_id, {})[row.skill_id] = row.proficiency
    return result


# -- queue requirements ----------------------------------------------------------------------


def _check_queue_kind(queue_kind: str) -> None:
    if queue_kind not in QUEUE_KINDS:
        raise Invalid(f"queue kind must be one of {', '.join(QUEUE_KINDS)}", field="queue_kind")


def _requirements_payload(rows: Sequence[QueueSkillRequirement]) -> list[dict[str, Any]]:
    return [
        RequirementOut.model_validate(row).model_dump(mode="json")
        for row in sorted(rows, key=lambda row: row.skill_id)
    ]


async def queue_requirements(
    *, session: AsyncSession, queue_kind: str, queue_id: int
) -> Sequence[QueueSkillRequirement]:
    _check_queue_kind(queue_kind)
    return await repository.queue_requirements(session, queue_kind, queue_id)


async def set_queue_requirements(
    *,
    session: AsyncSession,
    queue_kind: str,
    queue_id: int,
    requirements_in: Sequence[RequirementIn],
    now: datetime,
    actor_id: int | None,
) -> Sequence[QueueSkillRequirement]:
    """Replace a queue's requirements with ``requirements_in`` (the full list)."""
    _check_queue_kind(queue_kind)
    await _check_skills_exist(session, [item.skill_id for item in requirements_in], "requirements")
    current = {
        row.skill_id: row
        for row in await repository.queue_requirements(session, queue_kind, queue_id)
    }
    wanted = {item.skill_id: item for item in requirements_in}
    fields = ("min_proficiency", "relax_after_seconds", "relaxed_min_proficiency")
    changed = False
    for skill_id, row in current.items():
        if skill_id not in wanted:
            await repository.delete(session, row)
            changed = True
            continue
        for name in fields:
            value = getattr(wanted[skill_id], name)
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
    for skill_id, item in wanted.items():
        if skill_id not in current:
            await repository.add(
                session,
                QueueSkillRequirement(
                    queue_kind=queue_kind,
                    queue_id=queue_id,
                    skill_id=skill_id,
                    **{name: getattr(item, name) for name in fields},
                ),
            )
            changed = True
    await repository.flush(session)
    rows = await repository.queue_requirements(session, queue_kind, queue_id)
    if changed:
        append_event(
            session,
            QueueSkillRequirementsChanged(
                queue_kind=queue_kind, queue_id=queue_id, requirements=_requirements_payload(rows)
            ),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    return rows


async def requirements(*, session: AsyncSession) -> dict[tuple[str, int], list[SkillRequirement]]:
    """For the distributor: (queue kind, queue id) → its requirements, by skill id."""
    result: dict[tuple[str, int], list[SkillRequirement]] = {}
    for row in await repository.all_requirements(session):
        result.setdefault((row.queue_kind, row.queue_id), []).append(
            SkillRequirement(
                skill_id=row.skill_id,
                min_proficiency=row.min_proficiency,
                relax_after_seconds=row.relax_after_seconds,
                relaxed_min_proficiency=row.relaxed_min_proficiency,
            )
        )
    return result
