from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.forms import error_messages
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.skills import service
from helpline.skills.schemas import MAX_PROFICIENCY, MIN_PROFICIENCY, SkillCreate, SkillUpdate
from helpline.users import service as user_service
from helpline.users.models import User

router = APIRouter(prefix="/admin/skills", include_in_schema=False)

Viewer = Annotated[User, Depends(require(Action.VIEW_SKILLS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_SKILLS))]
Matrix = dict[Permission, bool]

LIST_URL = "/admin/skills"
PROFICIENCIES = list(range(MIN_PROFICIENCY, MAX_PROFICIENCY + 1))


def can_manage(request: Request, matrix: Matrix) -> bool:
    # The request's plain copy of the user: after a rollback the ORM object cannot load.
    return is_allowed(user_roles(request.state.user), Action.MANAGE_SKILLS, matrix)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, matrix: Matrix) -> Response:
    return not_found_page(request, matrix, _("There is no such skill."))


def _flash(done: str | None) -> str | None:
    messages = {
        "created": _("The skill was added."),
        "saved": _("The skill was saved."),
        "deleted": _("The skill was deleted."),
        "agent": _("The agent's proficiency was saved."),
        "removed": _("The skill was taken away from the agent."),
    }
    return messages.get(done or "")


async def _list_page(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    edit: int | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "skills/list.html",
        {
            "skills": await service.list_skills(session=session),
            "counts": await service.agent_counts(session=session),
            "can_manage": can_manage(request, matrix),
            "errors": errors or [],
            "values": values or {"name": "", "description": ""},
            "edit": edit,
            "done": _flash(done),
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


async def _skill_page(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    skill_id: int,
    *,
    errors: list[str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        skill = await service.get(session=session, skill_id=skill_id)
    except DomainError:
        return _not_found(request, matrix)
    agents = await service.agents_with_skill(session=session, skill_id=skill_id)
    return render(
        request,
        "skills/skill.html",
        {
            "skill": skill,
            "agents": agents,
            "candidates": await user_service.list_users(
                session=session, role=Role.AGENT, include_inactive=False
            ),
            "proficiencies": PROFICIENCIES,
            "can_manage": can_manage(request, matrix),
            "errors": errors or [],
            "done": _flash(done),
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


@router.get("", response_class=HTMLResponse)
async def skills_page(
    request: Request,
    session: SessionDep,
    _viewer: Viewer,
    matrix: MatrixDep,
    edit: int | None = None,
    done: str | None = None,
) -> Response:
    return await _list_page(request, session, matrix, edit=edit, done=done)


@router.post("", dependencies=[CsrfProtected])
async def create_skill_submit(
    request: Request, session: SessionDep, manager: Manager, now: NowDep, matrix: MatrixDep
) -> Response:
    form = await request.form()
    values = {
        "name": str(form.get("name", "")),
        "description": str(form.get("description", "")),
    }
    try:
        skill_in = SkillCreate.model_validate(values)
        await service.create(session=session, skill_in=skill_in, now=now, actor_id=manager.id)
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _list_page(
            request,
            session,
            matrix,
            errors=error_messages(error),
            values=values,
            status_code=422,
        )
    return _redirect(f"{LIST_URL}?done=created")


@router.post("/{skill_id}", dependencies=[CsrfProtected])
async def update_skill_submit(
    request: Request,
    skill_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    data = {key: str(form[key]) for key in ("name", "description") if key in form}
    try:
        await service.get(session=session, skill_id=skill_id)
    except DomainError:
        return _not_found(request, matrix)
    try:
        skill_in = SkillUpdate.model_validate(data)
        await service.update(
            session=session, skill_id=skill_id, skill_in=skill_in, now=now, actor_id=manager.id
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _list_page(
            request,
            session,
            matrix,
            errors=error_messages(error),
            edit=skill_id,
            status_code=422,
        )
    return _redirect(f"{LIST_URL}?done=saved")


@router.get("/{skill_id}", response_class=HTMLResponse)
async def skill_page(
    request: Request,
    skill_id: int,
    session: SessionDep,
    _viewer: Viewer,
    matrix: MatrixDep,
    done: str | None = None,
) -> Response:
    return await _skill_page(request, session, matrix, skill_id, done=done)


def _form_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


async def _set_proficiency(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    now: datetime,
    manager: User,
    skill_id: int,
    user_id: int | None,
    proficiency: int | None,
    done: str,
) -> Response:
    try:
        await service.get(session=session, skill_id=skill_id)
    except DomainError:
        return _not_found(request, matrix)
    try:
        await service.set_proficiency(
            session=session,
            skill_id=skill_id,
            user_id=user_id or 0,
            proficiency=proficiency,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        await session.rollback()
        return await _skill_page(
            request, session, matrix, skill_id, errors=error_messages(error), status_code=422
        )
    return _redirect(f"{LIST_URL}/{skill_id}?done={done}")


@router.post("/{skill_id}/agents", dependencies=[CsrfProtected])
async def set_agent_proficiency_submit(
    request: Request,
    skill_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    user_id = _form_int(form.get("user_id", ""))
    proficiency = _form_int(form.get("proficiency", ""))
    problems = []
    agents = await user_service.list_users(session=session, role=Role.AGENT)
    if user_id not in {agent.id for agent in agents}:
        problems.append(_("Choose an agent."))
    if proficiency not in PROFICIENCIES:
        problems.append(_("Choose a proficiency from 1 to 5."))
    if problems:
        return await _skill_page(
            request, session, matrix, skill_id, errors=problems, status_code=422
        )
    return await _set_proficiency(
        request, session, matrix, now, manager, skill_id, user_id, proficiency, "agent"
    )


@router.post("/{skill_id}/agents/{user_id}/remove", dependencies=[CsrfProtected])
async def remove_agent_skill_submit(
    request: Request,
    skill_id: int,
    user_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _set_proficiency(
        request, session, matrix, now, manager, skill_id, user_id, None, "removed"
    )


@router.get("/{skill_id}/delete", response_class=HTMLResponse)
async def delete_skill_page(
    request: Request, skill_id: int, session: SessionDep, _manager: Manager, matrix: MatrixDep
) -> Response:
    try:
        skill = await service.get(session=session, skill_id=skill_id)
    except DomainError:
        return _not_found(request, matrix)
    agents = await service.agents_with_skill(session=session, skill_id=skill_id)
    return render(
        request,
        "skills/delete.html",
        {"skill": skill, "agent_count": len(agents), "active_section": "admin"},
        matrix=matrix,
    )


@router.post("/{skill_id}/delete", dependencies=[CsrfProtected])
async def delete_skill_submit(
    request: Request,
    skill_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    try:
        await service.delete(session=session, skill_id=skill_id, now=now, actor_id=manager.id)
    except DomainError:
        return _not_found(request, matrix)
    return _redirect(f"{LIST_URL}?done=deleted")
