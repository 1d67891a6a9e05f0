"""The video room page, for the agent (logged in) and the customer (by the link's key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from helpline.errors import DomainError, NotFound
from helpline.http.deps import NowDep, OptionalUser
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.video.service import Role, VideoRooms

router = APIRouter(include_in_schema=False)


def room_labels() -> dict[str, str]:
    """The texts of ``video.js``, in the viewer's language."""
    return {
        "waiting_customer": _("Waiting for the customer to join…"),
        "waiting_agent": _("Waiting for the agent…"),
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "peer_left": _("The other person left. They can come back with the same link."),
        "ended_agent": _("The agent ended the video call."),
        "ended_customer": _("The customer left the video call."),
        "ended_expired": _("This video room has expired."),
        "lost": _("The connection to the server was lost."),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "camera_off": _("Camera off"),
        "camera_on": _("Camera on"),
        "no_media": _("This browser cannot use a camera or microphone here."),
        "denied": _(
            "Camera and microphone access is blocked. Allow it for this site in the browser, "
            "then reload the page."
        ),
        "no_device": _("No camera or microphone was found: you join without them."),
        "insecure": _(
            "Camera and microphone only work on a secure page: open this link over https."
        ),
    }


@router.get("/video/{room_id}", response_class=HTMLResponse)
async def room_page(
    request: Request, room_id: str, now: NowDep, user: OptionalUser, key: str | None = None
) -> Response:
    rooms: VideoRooms = request.app.state.video_rooms
    if key is None and user is None:
        return RedirectResponse(f"/login?next=/video/{room_id}", status_code=303)
    try:
        room = rooms.get(room_id, now)
        if key is not None:
            role = rooms.admit(room, key=key)
        else:
            role = rooms.admit(room, user_id=user.id if user is not None else None)
    except DomainError as error:
        return render(
            request,
            "video/gone.html",
            {"message": _("This video room has ended or the link is not valid.")},
            status_code=404 if isinstance(error, NotFound) else 403,
        )
    settings = request.app.state.settings
    ice_servers = settings.ice_server_list
    return render(
        request,
        "video/room.html",
        {
            "room_id": room.room_id,
            "role": role.value,
            "agent": role is Role.AGENT,
            "key": key or "",
            "labels": room_labels(),
            "ice_servers": ice_servers,
        },
    )
