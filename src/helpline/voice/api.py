"""Call controls over HTTP: the agent's (recording pause/resume, 3-way), the supervisor's
(monitor, whisper, barge) and the calls' recordings for supervisors and admins."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, Response

from helpline.acd.api import AcdDep, AgentAtWork, Supervisor
from helpline.acd.service import agent_key, visible_queue_ids
from helpline.errors import DomainError, NotFound
from helpline.http.deps import MatrixDep, SessionDep
from helpline.http.errors import http_error
from helpline.users.models import User
from helpline.voice import repository
from helpline.voice.controls import CallControls
from helpline.voice.schemas import MonitorIn, PartyIn, RecordingOut
from helpline.voice.service import VoiceService

router = APIRouter(prefix="/calls", tags=["calls"])
recordings_router = APIRouter(prefix="/recordings", tags=["calls"])

VOICE_OFF = "voice is not running (HELPLINE_SIP_ENABLED and HELPLINE_RTP_PORTS)"


def get_voice(request: Request) -> VoiceService:
    voice: VoiceService | None = getattr(request.app.state, "voice", None)
    if voice is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, VOICE_OFF)
    return voice


def get_controls(request: Request) -> CallControls:
    return get_voice(request).controls


Controls = Annotated[CallControls, Depends(get_controls)]


async def _run(work: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await work
    except DomainError as error:
        raise http_error(error) from error
    return result


# ---- the agent's call -------------------------------------------------------------------


@router.get("/me", responses={204: {"description": "I am on no call"}})
async def my_call(user: AgentAtWork, controls: Controls) -> Any:
    """The call I am on: its recording state and the third party, if any. No content
    when I am on no call: the dashboard asks every few seconds, and that is no error."""
    try:
        return controls.agent_call(agent_key(user.id))
    except NotFound:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    except DomainError as error:
        raise http_error(error) from error


@router.post("/me/recording/pause")
async def pause_recording(user: AgentAtWork, controls: Controls) -> dict[str, Any]:
    """Pause my call's recording: the files get silence until I resume."""
    return await _run(controls.pause_recording(agent_key(user.id), actor_user_id=user.id))


@router.post("/me/recording/resume")
async def resume_recording(user: AgentAtWork, controls: Controls) -> dict[str, Any]:
    return await _run(controls.resume_recording(agent_key(user.id), actor_user_id=user.id))


@router.post("/me/parties", status_code=status.HTTP_202_ACCEPTED)
async def add_party(body: PartyIn, user: AgentAtWork, controls: Controls) -> dict[str, Any]:
    """Start a 3-way call: dial an extension or an outside number (E.164) into my call.

    Answered at once with the party ringing; it joins when it answers
    (``call.party_joined``) or is gone (``call.party_left``).
    """
    return await _run(controls.add_party(agent_key(user.id), body.target, actor_user_id=user.id))


@router.delete("/me/parties/{party_id}")
async def drop_party(party_id: str, user: AgentAtWork, controls: Controls) -> dict[str, Any]:
    """Drop the third party (ringing or joined): the caller and I talk on."""
    return await _run(controls.drop_party(agent_key(user.id), party_id))


@router.post("/me/leave")
async def leave(user: AgentAtWork, controls: Controls) -> dict[str, Any]:
    """Leave a 3-way call: the caller and the third party talk on; my wrap-up starts."""
    return await _run(controls.leave(agent_key(user.id), actor_user_id=user.id))


# ---- the supervisor's ---------------------------------------------------------------------


async def _supervised_call(
    user_id: int,
    supervisor: User,
    controls: CallControls,
    session: Any,
    acd: Any,
    matrix: Any,
) -> Any:
    try:
        state = controls.agent_call_for_supervisor(agent_key(user_id))
    except DomainError as error:
        raise http_error(error) from error
    queue_id = state.call.queue_id
    visible = await visible_queue_ids(session=session, acd=acd, user=supervisor, matrix=matrix)
    if queue_id is None or queue_id not in visible:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "you do not supervise the queue of this agent's call"
        )
    return state


@router.get("/agents/{user_id}")
async def agent_call(
    user_id: int,
    user: Supervisor,
    controls: Controls,
    session: SessionDep,
    acd: AcdDep,
    matrix: MatrixDep,
) -> dict[str, Any]:
    """The call an agent is on, for a supervisor of its queue."""
    state = await _supervised_call(user_id, user, controls, session, acd, matrix)
    return controls.describe(state)


@router.put("/agents/{user_id}/monitor")
async def monitor(
    user_id: int,
    body: MonitorIn,
    user: Supervisor,
    controls: Controls,
    session: SessionDep,
    acd: AcdDep,
    matrix: MatrixDep,
) -> dict[str, Any]:
    """Listen to, whisper to or barge into an agent's call from my phone (my registered
    SIP phone, or my browser softphone when it is on). Again with another mode: switch."""
    await _supervised_call(user_id, user, controls, session, acd, matrix)
    return await _run(
        controls.monitor(agent_key(user.id), agent_key(user_id), body.mode, actor_user_id=user.id)
    )


@router.delete("/agents/{user_id}/monitor")
async def stop_monitoring(
    user_id: int,
    user: Supervisor,
    controls: Controls,
    session: SessionDep,
    acd: AcdDep,
    matrix: MatrixDep,
) -> dict[str, Any]:
    await _supervised_call(user_id, user, controls, session, acd, matrix)
    return await _run(controls.stop_monitoring(agent_key(user.id), agent_key(user_id)))


# ---- recordings ---------------------------------------------------------------------------


async def _visible(session: Any, acd: Any, user: User, matrix: Any) -> list[str]:
    return await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix)


@recordings_router.get("", response_model=list[RecordingOut])
async def list_recordings(
    user: Supervisor,
    session: SessionDep,
    acd: AcdDep,
    matrix: MatrixDep,
    call_id: Annotated[str | None, Query(max_length=200)] = None,
    contact_id: Annotated[str | None, Query(max_length=64)] = None,
    queue_id: Annotated[str | None, Query(max_length=40)] = None,
) -> list[RecordingOut]:
    """Calls' recordings (the mix and each party's file, per segment), newest first (at
    most 200); only those of queues I supervise."""
    queues = await _visible(session, acd, user, matrix)
    if queue_id is not None:
        queues = [queue for queue in queues if queue == queue_id]
    rows = await repository.list_recordings(
        session, call_id=call_id, contact_id=contact_id, queue_ids=queues
    )
    return [RecordingOut.model_validate(row) for row in rows]


@recordings_router.get("/{recording_id}/file")
async def download_recording(
    recording_id: int,
    request: Request,
    user: Supervisor,
    session: SessionDep,
    acd: AcdDep,
    matrix: MatrixDep,
) -> FileResponse:
    row = await repository.get_recording(session, recording_id)
    if row is None or row.queue_id not in await _visible(session, acd, user, matrix):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recording {recording_id}")
    path = _recording_file(Path(request.app.state.settings.data_dir), row.path)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the recording's file is missing")
    return FileResponse(path, media_type="audio/wav", filename=path.name)


def _recording_file(data_dir: Path, relative: str) -> Path | None:
    """The file under the data directory, never outside it (a row is data, not trust)."""
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
