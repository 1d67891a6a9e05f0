# No "from __future__ import annotations": the routers are built by a function, and FastAPI
# must see the body types as objects, not as strings naming the function's locals.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel

from helpline.core.permissions import Action, Permission
from helpline.errors import DomainError, NotAllowed
from helpline.http.deps import MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.errors import http_error
from helpline.queues import service
from helpline.queues.schemas import (
    AssignedUser,
    Assignments,
    AssignmentsOut,
    CallQueueCreate,
    CallQueueOut,
    CallQueueSettings,
    CampaignCreate,
    CampaignOut,
    CampaignSettings,
    ChatQueueCreate,
    ChatQueueOut,
    ChatQueueSettings,
    PriorityOut,
    PriorityUpdate,
    QueueKind,
)
from helpline.users.models import User

Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]


def _supervised_filter(kind: QueueKind, user: User, matrix: dict[Permission, bool]) -> int | None:
    if kind is QueueKind.CALL and service.restricted_to_assigned(user_roles(user), matrix):
        return user.id
    return None


async def _visible(
    session: Any, kind: QueueKind, queue_id: int, user: User, matrix: dict[Permission, bool]
) -> Any:
    queue = await service.get(session=session, kind=kind, queue_id=queue_id)
    supervised_by = _supervised_filter(kind, user, matrix)
    if supervised_by is not None:
        visible = await service.list_queues(
            session=session, kind=kind, only_supervised_by=supervised_by
        )
        if queue.id not in {q.id for q in visible}:
            raise NotAllowed("you may see only the call queues assigned to you")
    return queue


def _team_out(team: service.QueueTeam) -> AssignmentsOut:
    def users(rows: list[User]) -> list[AssignedUser]:
        return [
            AssignedUser(id=u.id, username=u.username, display_name=u.display_name) for u in rows
        ]

    return AssignmentsOut(agents=users(team.agents), supervisors=users(team.supervisors))


def kind_router(
    kind: QueueKind,
    prefix: str,
    create_schema: type[BaseModel],
    settings_schema: type[BaseModel],
    out_schema: type[BaseModel],
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[service.KIND_LABELS[kind] + "s"])
    label = service.KIND_LABELS[kind]

    @router.get("", response_model=list[out_schema], summary=f"List {label}s")  # type: ignore[valid-type]
    async def list_all(session: SessionDep, user: Viewer, matrix: MatrixDep) -> list[Any]:
        queues = await service.list_queues(
            session=session, kind=kind, only_supervised_by=_supervised_filter(kind, user, matrix)
        )
        return [out_schema.model_validate(queue) for queue in queues]

    @router.post("", response_model=out_schema, status_code=201, summary=f"Create a {label}")
    async def create(body: create_schema, session: SessionDep, user: Manager, now: NowDep) -> Any:  # type: ignore[valid-type]
        try:
            queue = await service.create(
                session=session, kind=kind, queue_in=body, now=now, actor_id=user.id
            )
        except DomainError as error:
            raise http_error(error) from error
        return out_schema.model_validate(queue)

    @router.get("/{queue_id}", response_model=out_schema, summary=f"Read a {label}")
    async def read(queue_id: int, session: SessionDep, user: Viewer, matrix: MatrixDep) -> Any:
        try:
            return out_schema.model_validate(await _visible(session, kind, queue_id, user, matrix))
        except DomainError as error:
            raise http_error(error) from error

    @router.patch("/{queue_id}", response_model=out_schema, summary=f"Change a {label}")
    async def change(
        queue_id: int,
        body: settings_schema,  # type: ignore[valid-type]
        session: SessionDep,
        user: Manager,
        now: NowDep,
    ) -> Any:
        try:
            queue = await service.update(
                session=session,
                kind=kind,
                queue_id=queue_id,
                settings=body,
                now=now,
                actor_id=user.id,
            )
        except DomainError as error:
            raise http_error(error) from error
        return out_schema.model_validate(queue)

    @router.delete("/{queue_id}", status_code=204, summary=f"Delete a {label}")
    async def remove(queue_id: int, session: SessionDep, user: Manager, now: NowDep) -> Response:
        try:
            await service.delete(
                session=session, kind=kind, queue_id=queue_id, now=now, actor_id=user.id
            )
        except DomainError as error:
            raise http_error(error) from error
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get(
        "/{queue_id}/assignments", response_model=AssignmentsOut, summary="Agents and supervisors"
    )
    async def read_team(
        queue_id: int, session: SessionDep, user: Viewer, matrix: MatrixDep
    ) -> AssignmentsOut:
        try:
            await _visible(session, kind, queue_id, user, matrix)
            return _team_out(await service.team(session=session, kind=kind, queue_id=queue_id))
        except DomainError as error:
            raise http_error(error) from error

    @router.put(
        "/{queue_id}/assignments",
        response_model=AssignmentsOut,
        summary="Assign agents and supervisors",
    )
    async def write_team(
        queue_id: int, body: Assignments, session: SessionDep, user: Manager, now: NowDep
    ) -> AssignmentsOut:
        try:
            team = await service.set_team(
                session=session,
                kind=kind,
                queue_id=queue_id,
                assignments=body,
                now=now,
                actor_id=user.id,
            )
        except DomainError as error:
            raise http_error(error) from error
        return _team_out(team)

    return router


call_queues_router = APIRouter()


@call_queues_router.get("/call-queues/next-extension", tags=["call queues"])
async def next_extension(session: SessionDep, _user: Manager) -> dict[str, str]:
    """The extension a new call queue gets when none is given."""
    return {"extension": await service.next_free_extension(session=session)}


call_queues_router.include_router(
    kind_router(QueueKind.CALL, "/call-queues", CallQueueCreate, CallQueueSettings, CallQueueOut)
)
chat_queues_router = kind_router(
    QueueKind.CHAT, "/chat-queues", ChatQueueCreate, ChatQueueSettings, ChatQueueOut
)
campaigns_router = kind_router(
    QueueKind.CAMPAIGN, "/campaigns", CampaignCreate, CampaignSettings, CampaignOut
)

priorities_router = APIRouter(prefix="/queue-priorities", tags=["queue priorities"])


@priorities_router.get("", response_model=list[PriorityOut])
async def list_priorities(
    session: SessionDep,
    _user: Viewer,
    search: Annotated[str | None, Query(max_length=100)] = None,
    kind: QueueKind | None = None,
) -> list[PriorityOut]:
    return await service.priorities(session=session, search=search, kind=kind)


@priorities_router.patch("", response_model=PriorityOut)
async def set_priority(
    body: PriorityUpdate, session: SessionDep, user: Manager, now: NowDep
) -> PriorityOut:
    settings_by_kind: dict[QueueKind, type[BaseModel]] = {
        QueueKind.CALL: CallQueueSettings,
        QueueKind.CHAT: ChatQueueSettings,
        QueueKind.CAMPAIGN: CampaignSettings,
    }
    settings = settings_by_kind[body.kind](priority_score=body.priority_score)
    try:
        queue = await service.update(
            session=session,
            kind=body.kind,
            queue_id=body.id,
            settings=settings,  # type: ignore[arg-type]
            now=now,
            actor_id=user.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return PriorityOut(
        kind=body.kind, id=queue.id, name=queue.name, priority_score=queue.priority_score
    )
