from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from helpline.acd import api as acd_api
from helpline.acd.service import AcdService, visible_queue_ids
from helpline.core.permissions import Action, Role, is_allowed
from helpline.http.deps import MatrixDep, SessionDep, require, user_roles
from helpline.http.templates import navigation, render
from helpline.i18n import gettext as _
from helpline.pause_reasons import repository as pause_repository
from helpline.storage.eventlog import read_events
from helpline.users import service as user_service
from helpline.users.models import User

router = APIRouter(include_in_schema=False)


def temporary_agent(request: Request, user: User) -> bool:
    """A user without the agent role whom a supervisor logged into a queue, at work."""
    acd: AcdService | None = getattr(request.app.state, "acd", None)
    return (
        acd is not None
        and Role.AGENT.value not in user.role_names
        and acd.is_temporary_agent(user.id)
    )


def section_nav(request: Request, user: User, matrix: dict[Any, bool]) -> list[dict[str, str]]:
    """The top bar, with "Agent" for a temporary agent as long as they are at work."""
    items = navigation(request.state.user, matrix)
    if temporary_agent(request, user) and not any(i["key"] == "agent" for i in items):
        items.insert(0, {"key": "agent", "href": "/agent", "label": _("Agent")})
    return items


@router.get("/agent", response_class=HTMLResponse)
async def agent_section(
    request: Request,
    session: SessionDep,
    user: acd_api.AgentAtWork,
    matrix: MatrixDep,
) -> Response:
    reasons = [r.name for r in await pause_repository.list_all(session) if r.enabled]
    return render(
        request,
        "sections/agent.html",
        {
            "pause_reasons": reasons,
            "labels": agent_labels(reasons),
            # The browser softphone needs the voice service (SIP and the media engine).
            "softphone_available": getattr(request.app.state, "voice", None) is not None,
            "active_section": "agent",
            # Temporary agents work in the queues a supervisor logged them into.
            "temporary": temporary_agent(request, user),
            "nav": section_nav(request, user, matrix),
        },
        matrix=matrix,
    )


def status_labels() -> dict[str, str]:
    return {
        "logged_out": _("Logged out"),
        "ready": _("Ready"),
        "paused": _("Paused"),
        "busy": _("Busy"),
        "wrap_up": _("Wrap-up"),
    }


def agent_labels(pause_reasons: list[str]) -> dict[str, Any]:
    """The agent dashboard script's texts, in the user's language."""
    return {
        "title": _("Agent") + " · Helpline",
        "statuses": status_labels(),
        "kinds": {
            "call": _("Inbound call"),
            "chat": _("Chat"),
            "callback": _("Queue callback"),
            "campaign_dial": _("Campaign call"),
        },
        "contact_states": {
            "offered": _("Offered"),
            "connected": _("Connected"),
            "wrap_up": _("Wrap-up"),
            "ended": _("Ended"),
        },
        "metrics": {
            "waiting": _("Waiting"),
            "agents_logged_in": _("Agents logged in"),
            "longest_wait": _("Longest wait"),
            "average_handle_time": _("Average handle time"),
            "total_today": _("Total today"),
            "outcomes": _("Abandoned / expired / handled"),
            # Chat queue cards (DESIGN.md §3)
            "unassigned": _("Unassigned"),
            "longest_unassigned": _("Longest unassigned wait"),
            "longest_reply_wait": _("Longest wait for an agent's reply"),
            "waiting_for_agent": _("Waiting for the agent"),
            "waiting_for_customer": _("Waiting for the customer"),
            "total_waiting_reply": _("Total waiting for an agent's reply"),
        },
        "pause_reasons": pause_reasons,
        "my_status": _("My status"),
        "in_queue": _("Logged in"),
        "change": _("Change…"),
        "log_in": _("Log in"),
        "log_out": _("Log out"),
        "ready_now": _("Ready now"),
        "pause": _("Pause:"),
        "pause_all": _("Pause"),
        "end": _("End"),
        "end_wrap_up": _("End wrap-up"),
        "unknown_caller": _("Unknown caller"),
        "not_agent": _("Not set up as an agent"),
        # Reasons the distributor sets by itself.
        "reasons": {"missed_offers": _("Missed offers")},
        "failed": _("That did not work. Try again."),
        "softphone": softphone_labels(),
        "call_controls": call_control_labels(),
    }


def call_control_labels() -> dict[str, str]:
    """The agent's call controls' texts (``call_controls.js``)."""
    return {
        "recording": _("Recording"),
        "recording_on": _("This call is being recorded."),
        "recording_paused": _("Recording paused: the paused part is silent."),
        "recording_off": _("This call is not recorded."),
        "pause_recording": _("Pause recording"),
        "resume_recording": _("Resume recording"),
        "ringing": _("Ringing"),
        "joined": _("On the call"),
        "drop": _("Drop"),
        "leave": _("Leave the call"),
        "monitored": _("A supervisor is on this call."),
    }


def softphone_labels() -> dict[str, str]:
    """The browser softphone's texts (``softphone.js``)."""
    return {
        "off": _("Off"),
        "connecting": _("Connecting…"),
        "ready": _("Ready for calls"),
        "on_call": _("On a call"),
        "on_hold": _("On hold"),
        "muted": _("Muted"),
        "switch_on": _("Switch on"),
        "switch_off": _("Switch off"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "hold": _("Hold"),
        "resume": _("Resume"),
        "keypad": _("Keypad"),
        "end": _("End call"),
        "microphone": _("Microphone"),
        "default_microphone": _("Default microphone"),
        "muted_note": _("Muted: the caller cannot hear you."),
        "held_note": _("On hold: the caller hears music and cannot hear you."),
        "insecure": _(
            "The microphone only works on a secure page: open Helpline over https "
            "(or at http://localhost on the server itself)."
        ),
        "no_media": _(
            "This browser cannot use a microphone here. Use a recent Chrome, Edge or Firefox."
        ),
        "denied": _(
            "Microphone access is blocked. Allow it for this site in the browser (the icon "
            "next to the address), then switch the softphone on again."
        ),
        "no_microphone": _(
            "No microphone was found. Connect one, then switch the softphone on again."
        ),
        "busy": _(
            "The microphone is in use by another program or cannot be opened. Close that "
            "program or choose another microphone."
        ),
        "device_gone": _("The chosen microphone is not connected: the default one is used."),
        "lost": _("The softphone lost its connection to the server."),
        "replaced": _("The softphone was switched on in another tab or window."),
        "reconnect": _("Reconnect"),
        "failed": _("The softphone could not start:"),
        "click_for_sound": _("Click anywhere on the page to hear the caller."),
    }


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_section(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require(Action.USE_SUPERVISOR_DASHBOARD))],
    matrix: MatrixDep,
) -> Response:
    return render(
        request,
        "sections/supervisor.html",
        {
            "labels": await supervisor_labels(session),
            "active_section": "supervisor",
            "nav": section_nav(request, user, matrix),
        },
        matrix=matrix,
    )


@router.get("/supervisor/queues/{queue_key}", response_class=HTMLResponse)
async def supervisor_queue(
    request: Request,
    queue_key: str,
    session: SessionDep,
    user: Annotated[User, Depends(require(Action.USE_SUPERVISOR_DASHBOARD))],
    matrix: MatrixDep,
) -> Response:
    acd = request.app.state.acd
    visible = await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix)
    if queue_key not in visible:
        return render(
            request,
            "error.html",
            {
                "title": _("Not found"),
                "message": _("There is no such queue, or you do not supervise it."),
            },
            status_code=404,
            matrix=matrix,
        )
    return render(
        request,
        "sections/queue_detail.html",
        {
            "queue_key": queue_key,
            "queue_name": acd.queue_names.get(queue_key, queue_key),
            "labels": await supervisor_labels(session),
            "active_section": "supervisor",
            "nav": section_nav(request, user, matrix),
        },
        matrix=matrix,
    )


async def supervisor_labels(session: Any) -> dict[str, Any]:
    users = await user_service.list_users(session=session)
    labels = agent_labels([])
    labels.update(
        {
            "users": {str(u.id): u.display_name for u in users},
            "service_level": _("Service level"),
            "temporary": _("not assigned"),
            "ready": _("Ready"),
            "offered": _("Being offered"),
            "callback": _("Callback"),
            "in_queue": _("Logged in"),
            "active_device": _("Active device"),
            "not_visible": _("You do not supervise this queue."),
            "why_not": {
                acd_api.WHY_DEACTIVATED: _("Deactivated user"),
                acd_api.WHY_YOURSELF: _("You are not an agent: another supervisor can log you in"),
                acd_api.WHY_UNASSIGNED_OFF: _("Logging into unassigned queues is off"),
            },
            "temporary_agent": _("Temporary agent"),
            "monitor": {
                "listen": _("Listen"),
                "whisper": _("Whisper"),
                "barge": _("Barge in"),
                "stop": _("Stop monitoring"),
                "calling": _("Your phone is ringing: answer it to join the call."),
            },
            "recording_kinds": {
                "mixed": _("Everyone"),
                "caller": _("Caller"),
                "agent": _("Agent"),
                "third_party": _("Third party"),
            },
        }
    )
    labels["metrics"]["service_level"] = _("Service level")
    return labels


@router.get("/admin", response_class=HTMLResponse)
async def admin_section(
    request: Request,
    user: Annotated[User, Depends(require(Action.ACCESS_CONFIG_PORTAL))],
    matrix: MatrixDep,
) -> Response:
    roles = user_roles(user)
    return render(
        request,
        "sections/admin.html",
        {
            "can_manage_users": is_allowed(roles, Action.MANAGE_USERS, matrix),
            "can_manage_permissions": is_allowed(roles, Action.MANAGE_PERMISSIONS, matrix),
            "can_view_events": is_allowed(roles, Action.VIEW_EVENT_LOG, matrix),
            "can_view_queues": is_allowed(roles, Action.VIEW_QUEUE_SETTINGS, matrix),
            "can_view_pause_reasons": is_allowed(roles, Action.VIEW_PAUSE_REASONS, matrix),
            "can_view_skills": is_allowed(roles, Action.VIEW_SKILLS, matrix),
            "can_manage_tags": is_allowed(roles, Action.MANAGE_TAGS, matrix),
            "can_manage_public_canned": is_allowed(
                roles, Action.MANAGE_PUBLIC_CANNED_MESSAGES, matrix
            ),
            "active_section": "admin",
            "nav": section_nav(request, user, matrix),
        },
        matrix=matrix,
    )


@router.get("/admin/events", response_class=HTMLResponse)
async def event_log_page(
    request: Request,
    session: SessionDep,
    admin: Annotated[User, Depends(require(Action.VIEW_EVENT_LOG))],
    matrix: MatrixDep,
    after: int = 0,
) -> Response:
    events = await read_events(session, after=max(after, 0), limit=200)
    return render(
        request,
        "sections/events.html",
        {"events": events, "active_section": "admin", "nav": section_nav(request, admin, matrix)},
        matrix=matrix,
    )


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_section(
    request: Request,
    user: Annotated[User, Depends(require(Action.VIEW_ANALYTICS))],
    matrix: MatrixDep,
) -> Response:
    return render(
        request,
        "sections/analytics.html",
        {"active_section": "analytics", "nav": section_nav(request, user, matrix)},
        matrix=matrix,
    )
