from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.skills import service
from helpline.skills.schemas import (
    AgentSkillIn,
    AgentSkillOut,
    AgentSkillsOut,
    QueueKind,
    QueueRequirementsOut,
    RequirementIn,
    RequirementOut,
    SkillCreate,
    SkillOut,
    SkillUpdate,
)
from helpline.users.models import User

router = APIRouter(prefix="/skills", tags=["skills"])

Viewer = Annotated[User, Depends(require(Action.VIEW_SKILLS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_SKILLS))]
QueueId = Annotated[int, Path(ge=1)]


@router.get("", response_model=list[SkillOut])
async def list_skills(session: SessionDep, _viewer: Viewer) -> list[SkillOut]:
    return [SkillOut.model_validate(skill) for skill in await service.list_skills(session=session)]


@router.post("", response_model=SkillOut, status_code=status.HTTP_201_CREATED)
async def create_skill(
    body: SkillCreate, session: SessionDep, manager: Manager, now: NowDep
) -> SkillOut:
    try:
        skill = await service.create(session=session, skill_in=body, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return SkillOut.model_validate(skill)


@router.patch("/{skill_id}", response_model=SkillOut)
async def update_skill(
    skill_id: int, body: SkillUpdate, session: SessionDep, manager: Manager, now: NowDep
) -> SkillOut:
    try:
        skill = await service.update(
            session=session, skill_id=skill_id, skill_in=body, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return SkillOut.model_validate(skill)


@router.delete("/{skill_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_skill(
    skill_id: int, session: SessionDep, manager: Manager, now: NowDep
) -> Response:
    try:
        await service.delete(session=session, skill_id=skill_id, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/agents/{user_id}", response_model=AgentSkillsOut)
async def get_agent_skills(user_id: int, session: SessionDep, _viewer: Viewer) -> AgentSkillsOut:
    try:
        rows = await service.agent_skills(session=session, user_id=user_id)
    except DomainError as error:
        raise http_error(error) from error
    return AgentSkillsOut(user_id=user_id, skills=[AgentSkillOut.model_validate(r) for r in rows])


@router.put("/agents/{user_id}", response_model=AgentSkillsOut)
async def put_agent_skills(
    user_id: int, body: list[AgentSkillIn], session: SessionDep, manager: Manager, now: NowDep
) -> AgentSkillsOut:
    """Replace the agent's skills with the list given (an empty list takes them all away)."""
    try:
        rows = await service.set_agent_skills(
            session=session, user_id=user_id, skills_in=body, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return AgentSkillsOut(user_id=user_id, skills=[AgentSkillOut.model_validate(r) for r in rows])


@router.get("/requirements/{queue_kind}/{queue_id}", response_model=QueueRequirementsOut)
async def get_queue_requirements(
    queue_kind: QueueKind, queue_id: QueueId, session: SessionDep, _viewer: Viewer
) -> QueueRequirementsOut:
    try:
        rows = await service.queue_requirements(
            session=session, queue_kind=queue_kind, queue_id=queue_id
        )
    except DomainError as error:
        raise http_error(error) from error
    return QueueRequirementsOut(
        queue_kind=queue_kind,
        queue_id=queue_id,
        requirements=[RequirementOut.model_validate(row) for row in rows],
    )


@router.put("/requirements/{queue_kind}/{queue_id}", response_model=QueueRequirementsOut)
async def put_queue_requirements(
    queue_kind: QueueKind,
    queue_id: QueueId,
    body: list[RequirementIn],
    session: SessionDep,
    manager: Manager,
    now: NowDep,
) -> QueueRequirementsOut:
    """Replace the queue's skill requirements with the list given."""
    try:
        rows = await service.set_queue_requirements(
            session=session,
            queue_kind=queue_kind,
            queue_id=queue_id,
            requirements_in=body,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return QueueRequirementsOut(
        queue_kind=queue_kind,
        queue_id=queue_id,
        requirements=[RequirementOut.model_validate(row) for row in rows],
    )
