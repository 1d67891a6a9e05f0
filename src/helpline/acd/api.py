"""The ACD over HTTP: an agent's status and work, supervisors' actions, contact intake.

The agent's endpoints serve users with the agent role, and temporary agents: users without
it whom a supervisor logged into a queue ("+ Log agents"), while they are logged into one
or at a contact. A temporary agent works like an agent (ready, pause, offers, log out) but
does not log themself into queues: logging in (``/me/login``) takes the agent role.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.schemas import (
    CandidateOut,
    ContactIn,
    ContactOut,
    LoginIn,
    PauseIn,
    QueueTarget,
    QueueViewOut,
    WrapUpIn,
)
from helpline.acd.service import AcdService, Change, Command, agent_key, visible_queue_ids
from helpline.core.acd import errors as core_errors
from helpline.core.acd.events import Event as CoreEvent
from helpline.core.acd.model import AgentStatus, EndedBy, NewContact
from helpline.core.acd.router import Router
from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.devices import service as devices_service
from helpline.http.deps import (
    CurrentUser,
    MatrixDep,
    NowDep,
    PermissionDenied,
    SessionDep,
    require,
    user_roles,
)
from helpline.pause_reasons import repository as pause_repository
from helpline.skills import service as skills_service
from helpline.users import repository as user_repository
from helpline.users import service as user_service
from helpline.users.models import User

router = APIRouter(prefix="/acd", tags=["acd"])

DEFAULT_PAUSE = "Paused"
SUPERVISOR_PAUSE = "Paused by a supervisor"


def get_acd(request: Request) -> AcdService:
    service: AcdService = request.app.state.acd
    return service


AcdDep = Annotated[AcdService, Depends(get_acd)]


async def require_agent_at_work(
    request: Request, user: CurrentUser, matrix: MatrixDep, acd: AcdDep
) -> User:
    """The agent dashboard's gate: the agent role (admins pass too), or a temporary agent
    at work (logged into a queue by a supervisor, or at a contact)."""
    action = Action.USE_AGENT_DASHBOARD
    if not is_allowed(user_roles(user), action, matrix) and not acd.is_temporary_agent(user.id):
        raise PermissionDenied(action)
    request.state.required_action = action
    return user


AgentAtWork = Annotated[User, Depends(require_agent_at_work)]
Supervisor = Annotated[User, Depends(require(Action.USE_SUPERVISOR_DASHBOARD))]
Integration = Annotated[User, Depends(require(Action.ROUTE_CONTACTS))]


def acd_http_error(error: core_errors.AcdError) -> HTTPException:
    if isinstance(error, KeyError):  # unknown agent, queue, contact or offer
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(error, core_errors.NotAllowedError):
        code = status.HTTP_403_FORBIDDEN
    else:
        code = status.HTTP_409_CONFLICT
    kind = type(error).__name__.removeprefix("Unknown").removesuffix("Error").lower()
    message = f"no such {kind}: {error.args[0]}" if isinstance(error, KeyError) else str(error)
    return HTTPException(status_code=code, detail=message)


async def run(acd: AcdService, command: Command, actor: User) -> list[Change]:
    try:
        return await acd.run(command, actor_id=actor.id)
    except core_errors.AcdError as error:
        raise acd_http_error(error) from error


def require_agent(acd: AcdService, user: User) -> str:
    key = agent_key(user.id)
    if key not in acd.router.agent_ids():
        raise HTTPException(status.HTTP_409_CONFLICT, "you are not set up as an agent yet")
    return key


def is_agent(user: User) -> bool:
    return Role.AGENT.value in user.role_names


def require_queue(acd: AcdService, queue_id: str) -> str:
    if queue_id not in acd.router.queue_ids():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no queue {queue_id}")
    return queue_id


UNASSIGNED_OFF = (
    "the organization does not allow logging into queues one is not assigned to"
    " (Permissions: Allow users to log into queues they are not assigned to)"
)


def check_unassigned(
    acd: AcdService, agent: str, queue_ids: list[str], matrix: dict[Permission, bool]
) -> None:
    members = set(acd._memberships(agent))
    outside = [q for q in queue_ids if q not in members]
    if outside and not matrix.get(Permission.ALLOW_UNASSIGNED_QUEUE_LOGIN, False):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{UNASSIGNED_OFF}: not assigned to {', '.join(outside)}",
        )


async def pause_reason(session: AsyncSession, given: str | None) -> str:
    enabled = [r for r in await pause_repository.list_all(session) if r.enabled]
    if not enabled:
        return given or DEFAULT_PAUSE
    if given is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "choose a pause reason")
    for reason in enabled:
        if reason.name.casefold() == given.casefold():
            return reason.name
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, f"{given!r} is not an enabled pause reason"
    )


# ---------------------------------------------------------------------- the agent


@router.get("/me")
async def my_status(acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    """My status, queues, open offers and contacts."""
    return acd.agent_view(require_agent(acd, user))


@router.post("/me/login")
async def login(body: LoginIn, acd: AcdDep, user: AgentAtWork, matrix: MatrixDep) -> dict[str, Any]:
    """Log into every assigned queue, or the ones chosen; pick the line for the session.
    Agents only: a temporary agent is logged in by a supervisor."""
    agent = require_agent(acd, user)
    if not is_agent(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only agents log themselves into queues: a supervisor can log you in",
        )
    queue_ids = (
        [require_queue(acd, q) for q in body.queue_ids] if body.queue_ids is not None else None
    )
    if queue_ids:
        check_unassigned(acd, agent, queue_ids, matrix)
    extensions = [line.extension for line in user.lines]
    if body.line is not None and body.line not in extensions:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{body.line} is not one of your lines"
        )
    line = body.line or (extensions[0] if extensions else None)

    def command(router_: Router, now: float) -> list[CoreEvent]:
        events = router_.agent_login(agent, now, queue_ids)
        if line is not None:
            acd.lines[agent] = line
        return events

    await run(acd, command, user)
    return acd.agent_view(agent)


@router.post("/me/ready")
async def ready(body: QueueTarget, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    agent = require_agent(acd, user)
    await run(acd, lambda r, now: r.agent_ready(agent, now, body.queue_id), user)
    return acd.agent_view(agent)


@router.post("/me/pause")
async def pause(
    body: PauseIn, session: SessionDep, acd: AcdDep, user: AgentAtWork
) -> dict[str, Any]:
    agent = require_agent(acd, user)
    reason = await pause_reason(session, body.reason)
    await run(acd, lambda r, now: r.agent_pause(agent, now, reason, body.queue_id), user)
    return acd.agent_view(agent)


def logout_command(agent: str, queue_id: str | None) -> Callable[[Router, float], list[CoreEvent]]:
    """Log out of one queue or of all; leaving one's last queue is logging out."""

    def command(router_: Router, now: float) -> list[CoreEvent]:
        events = router_.agent_logout(agent, now, queue_id)
        view = router_.agent_view(agent)
        left_last_queue = queue_id is not None and not view.queues and not view.contacts
        if left_last_queue and view.status.value != "logged_out":
            events += router_.agent_logout(agent, now)
        return events

    return command


@router.post("/me/logout")
async def logout(body: QueueTarget, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    agent = require_agent(acd, user)
    await run(acd, logout_command(agent, body.queue_id), user)
    return acd.agent_view(agent)


def _my_offer(acd: AcdService, agent: str, offer_id: int) -> None:
    if not any(o == offer_id and a == agent for o, _c, a in acd.router.open_offers()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open offer {offer_id} for you")


@router.post("/offers/{offer_id}/accept")
async def accept(offer_id: int, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    agent = require_agent(acd, user)
    _my_offer(acd, agent, offer_id)
    await run(acd, lambda r, now: r.accept(offer_id, now), user)
    return acd.agent_view(agent)


@router.post("/offers/{offer_id}/decline")
async def decline(offer_id: int, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    agent = require_agent(acd, user)
    _my_offer(acd, agent, offer_id)
    await run(acd, lambda r, now: r.decline(offer_id, now), user)
    return acd.agent_view(agent)


@router.post("/contacts/{contact_id}/end")
async def end_contact(contact_id: str, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    """I end a contact I am connected to: wrap-up follows."""
    agent = require_agent(acd, user)
    if contact_id not in acd.router.agent_view(agent).contacts:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no contact {contact_id}")
    await run(acd, lambda r, now: r.end_contact(contact_id, now), user)
    return acd.agent_view(agent)


@router.post("/me/wrap-up/end")
async def end_wrap_up(body: WrapUpIn, acd: AcdDep, user: AgentAtWork) -> dict[str, Any]:
    agent = require_agent(acd, user)
    await run(acd, lambda r, now: r.end_wrap_up(agent, now, EndedBy.AGENT, body.contact_id), user)
    return acd.agent_view(agent)


# ---------------------------------------------------------------------- contact intake


@router.post("/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactIn, acd: AcdDep, user: Integration) -> ContactOut:
    """Bring a contact into a queue (a channel or an integration does this)."""
    queue_id = require_queue(acd, body.queue_id)
    contact_id = body.contact_id or uuid.uuid4().hex
    contact = NewContact(contact_id, queue_id, body.kind, body.caller_id)
    await run(acd, lambda r, now: r.enqueue(contact, now), user)
    return ContactOut(
        contact_id=contact_id, queue_id=queue_id, state=acd.router.contact_state(contact_id)
    )


@router.post("/contacts/{contact_id}/abandon", response_model=ContactOut)
async def abandon_contact(contact_id: str, acd: AcdDep, user: Integration) -> ContactOut:
    """The customer left while waiting."""
    await run(acd, lambda r, now: r.abandon(contact_id, now), user)
    return ContactOut(contact_id=contact_id, queue_id="", state=None)


# ---------------------------------------------------------------------- supervisors


class AgentAction(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    PAUSE = "pause"
    READY = "ready"
    END_WRAP_UP = "end-wrap-up"


async def supervised_queue(
    queue_id: str,
    session: AsyncSession,
    acd: AcdService,
    user: User,
    matrix: dict[Permission, bool],
) -> str:
    require_queue(acd, queue_id)
    if queue_id not in await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you do not supervise {queue_id}")
    return queue_id


@router.get("/queues", response_model=list[QueueViewOut])
async def list_queue_views(
    session: SessionDep, acd: AcdDep, user: Supervisor, matrix: MatrixDep
) -> list[dict[str, Any]]:
    return [
        acd.queue_view(q)
        for q in await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix)
    ]


@router.get("/queues/{queue_id}", response_model=QueueViewOut)
async def queue_view(
    queue_id: str, session: SessionDep, acd: AcdDep, user: Supervisor, matrix: MatrixDep
) -> dict[str, Any]:
    return acd.queue_view(await supervised_queue(queue_id, session, acd, user, matrix))


# Why a candidate of "+ Log agents" cannot be logged in (the page translates them).
WHY_DEACTIVATED = "deactivated user"
WHY_YOURSELF = "you are not an agent"
WHY_UNASSIGNED_OFF = "logging into unassigned queues is off"


@router.get("/queues/{queue_id}/candidates", response_model=list[CandidateOut])
async def candidates(
    queue_id: str,
    session: SessionDep,
    acd: AcdDep,
    user: Supervisor,
    matrix: MatrixDep,
    now: NowDep,
    search: Annotated[str | None, Query(max_length=100)] = None,
    role: Role | None = None,
) -> list[CandidateOut]:
    """ "+ Log agents": any user, by search and role, with their lines (the one in use
    marked). Users without the agent role can be logged in too: they become temporary
    agents of the queue."""
    queue = await supervised_queue(queue_id, session, acd, user, matrix)
    allow_unassigned = matrix.get(Permission.ALLOW_UNASSIGNED_QUEUE_LOGIN, False)
    seated = {row.agent_id: row for row in acd.router.queue_agents(queue, acd.router.now)}
    known = set(acd.router.agent_ids())
    people = await user_service.list_users(session=session, search=search, role=role)
    phones: dict[str, int] = {}
    for device in await devices_service.list_devices(
        session=session, now=now, user_ids=[person.id for person in people]
    ):
        phones[device.extension] = phones.get(device.extension, 0) + 1
    rows = []
    for person in people:
        key = agent_key(person.id)
        member = queue in acd._memberships(key)
        logged_in = bool(seated.get(key) and seated[key].logged_in)
        working = key in known and acd.router.agent_view(key).status is not AgentStatus.LOGGED_OUT
        why_not = None
        if not person.is_active:
            why_not = WHY_DEACTIVATED
        elif person.id == user.id and not is_agent(person):
            why_not = WHY_YOURSELF
        elif not member and not allow_unassigned:
            why_not = WHY_UNASSIGNED_OFF
        rows.append(
            CandidateOut(
                id=person.id,
                username=person.username,
                display_name=person.display_name,
                roles=person.role_names,
                agent=is_agent(person),
                active=person.is_active,
                lines=[
                    {
                        "extension": line.extension,
                        "label": line.label,
                        # Active: a phone is registered on the line, or it is the line of
                        # the agent's session.
                        "active": bool(phones.get(line.extension))
                        or (working and acd.lines.get(key) == line.extension),
                        "registered_phones": phones.get(line.extension, 0),
                        "in_session": working and acd.lines.get(key) == line.extension,
                    }
                    for line in person.lines
                ],
                member=member,
                logged_in=logged_in,
                can_log_in=why_not is None and not logged_in,
                why_not=why_not,
            )
        )
    return rows


async def log_in_user(
    queue: str,
    user_id: int,
    session: AsyncSession,
    acd: AcdService,
    supervisor: User,
    matrix: dict[Permission, bool],
) -> None:
    """A supervisor logs any active user into a queue; without the agent role they become
    a temporary agent. The session's line: the one they chose before, else their first."""
    person = await user_repository.get(session, user_id)
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    if not person.is_active:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{person.username} is deactivated: only active users can be logged in",
        )
    if person.id == supervisor.id and not is_agent(person):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only agents log themselves into queues: another supervisor can log you in",
        )
    agent = agent_key(user_id)
    check_unassigned(acd, agent, [queue], matrix)
    extensions = [line.extension for line in person.lines]
    chosen = acd.lines.get(agent)
    line = chosen if chosen in extensions else (extensions[0] if extensions else None)
    skills = {
        row.skill_id: row.proficiency
        for row in await skills_service.agent_skills(session=session, user_id=user_id)
    }
    try:
        await acd.log_in(user_id, queue, line=line, skills=skills, actor_id=supervisor.id)
    except core_errors.AcdError as error:
        raise acd_http_error(error) from error


@router.post("/queues/{queue_id}/agents/{user_id}/{action}")
async def act_on_agent(
    queue_id: str,
    user_id: int,
    action: AgentAction,
    session: SessionDep,
    acd: AcdDep,
    user: Supervisor,
    matrix: MatrixDep,
    body: PauseIn | None = None,
) -> dict[str, Any]:
    """A supervisor's action on an agent in a queue: log in, log out, pause, ready,
    end wrap-up. Logging in takes any active user (see :func:`log_in_user`)."""
    queue = await supervised_queue(queue_id, session, acd, user, matrix)
    agent = agent_key(user_id)
    if action is AgentAction.LOGIN:
        await log_in_user(queue, user_id, session, acd, user, matrix)
        return acd.queue_view(queue)
    if agent not in acd.router.agent_ids():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"user {user_id} is not an agent and not logged in"
        )
    if action is AgentAction.LOGOUT:
        await run(acd, logout_command(agent, queue), user)
    elif action is AgentAction.PAUSE:
        # A supervisor may pause without choosing one of the agents' reasons.
        given = body.reason if body else None
        reason = await pause_reason(session, given) if given else SUPERVISOR_PAUSE
        await run(acd, lambda r, now: r.agent_pause(agent, now, reason, queue), user)
    elif action is AgentAction.READY:
        await run(acd, lambda r, now: r.agent_ready(agent, now, queue), user)
    else:
        await run(acd, lambda r, now: r.end_wrap_up(agent, now, EndedBy.SUPERVISOR), user)
    return acd.queue_view(queue)
