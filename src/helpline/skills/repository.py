from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.skills.models import AgentSkill, QueueSkillRequirement, Skill
from helpline.users.models import User


async def add(session: AsyncSession, item: Skill | AgentSkill | QueueSkillRequirement) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, skill_id: int) -> Skill | None:
    return await session.get(Skill, skill_id)


async def get_by_name_key(session: AsyncSession, name_key: str) -> Skill | None:
    return await session.scalar(select(Skill).where(Skill.name_key == name_key))


async def list_all(session: AsyncSession) -> Sequence[Skill]:
    return (await session.scalars(select(Skill).order_by(Skill.name_key, Skill.id))).all()


async def existing_ids(session: AsyncSession, skill_ids: Sequence[int]) -> set[int]:
    if not skill_ids:
        return set()
    return set(await session.scalars(select(Skill.id).where(Skill.id.in_(list(skill_ids)))))


async def agent_counts(session: AsyncSession) -> dict[int, int]:
    query = select(AgentSkill.skill_id, func.count()).group_by(AgentSkill.skill_id)
    return {skill_id: int(count) for skill_id, count in (await session.execute(query)).all()}


async def agent_skills(session: AsyncSession, user_id: int) -> Sequence[AgentSkill]:
    query = select(AgentSkill).where(AgentSkill.user_id == user_id).order_by(AgentSkill.skill_id)
    return (await session.scalars(query)).all()


async def all_agent_skills(session: AsyncSession) -> Sequence[AgentSkill]:
    query = select(AgentSkill).order_by(AgentSkill.user_id, AgentSkill.skill_id)
    return (await session.scalars(query)).all()


async def agents_with_skill(session: AsyncSession, skill_id: int) -> list[tuple[User, int]]:
    query = (
        select(User, AgentSkill.proficiency)
        .join(AgentSkill, AgentSkill.user_id == User.id)
        .where(AgentSkill.skill_id == skill_id)
        .order_by(User.username)
    )
    return [(user, int(proficiency)) for user, proficiency in (await session.execute(query)).all()]


async def queue_requirements(
    session: AsyncSession, queue_kind: str, queue_id: int
) -> Sequence[QueueSkillRequirement]:
    query = (
        select(QueueSkillRequirement)
        .where(
            QueueSkillRequirement.queue_kind == queue_kind,
            QueueSkillRequirement.queue_id == queue_id,
        )
        .order_by(QueueSkillRequirement.skill_id)
    )
    return (await session.scalars(query)).all()


async def requirements_of_skill(
    session: AsyncSession, skill_id: int
) -> Sequence[QueueSkillRequirement]:
    query = (
        select(QueueSkillRequirement)
        .where(QueueSkillRequirement.skill_id == skill_id)
        .order_by(QueueSkillRequirement.queue_kind, QueueSkillRequirement.queue_id)
    )
    return (await session.scalars(query)).all()


async def all_requirements(session: AsyncSession) -> Sequence[QueueSkillRequirement]:
    query = select(QueueSkillRequirement).order_by(
        QueueSkillRequirement.queue_kind,
        QueueSkillRequirement.queue_id,
        QueueSkillRequirement.skill_id,
    )
    return (await session.scalars(query)).all()


async def delete(session: AsyncSession, item: Skill | AgentSkill | QueueSkillRequirement) -> None:
    await session.delete(item)
    await session.flush()


async def delete_links(session: AsyncSession, skill_id: int) -> None:
    """Remove a skill from every agent and every queue requirement."""
    await session.execute(sql_delete(AgentSkill).where(AgentSkill.skill_id == skill_id))
    await session.execute(
        sql_delete(QueueSkillRequirement).where(QueueSkillRequirement.skill_id == skill_id)
    )


async def flush(session: AsyncSession) -> None:
    await session.flush()
