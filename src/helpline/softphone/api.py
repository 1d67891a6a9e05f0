"""The browser softphone over HTTP: the agent's WebRTC session and their call's controls.

Signalling is one request: the browser posts its offer once ICE gathering is complete and
gets the whole answer back (no trickle). The same gate as the agent dashboard: the agent
role, or a temporary agent at work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from helpline.acd.api import AgentAtWork
from helpline.acd.service import agent_key
from helpline.errors import DomainError
from helpline.http.deps import NowDep
from helpline.http.errors import http_error
from helpline.softphone.schemas import AnswerOut, DigitIn, OfferIn, SoftphoneState
from helpline.softphone.service import VOICE_OFF, SoftphoneService, VoiceUnavailable

router = APIRouter(prefix="/softphone", tags=["softphone"])


def get_softphones(request: Request) -> SoftphoneService:
    voice = getattr(request.app.state, "voice", None)
    if voice is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, VOICE_OFF)
    service: SoftphoneService | None = getattr(request.app.state, "softphones", None)
    if service is None or service.voice is not voice:
        service = SoftphoneService(voice)
        request.app.state.softphones = service
    return service


Softphones = Annotated[SoftphoneService, Depends(get_softphones)]


def _error(error: DomainError) -> HTTPException:
    if isinstance(error, VoiceUnavailable):
        return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, error.message)
    return http_error(error)


@router.get("/session", response_model=SoftphoneState)
async def get_session(user: AgentAtWork, softphones: Softphones) -> SoftphoneState:
    """My softphone: on or off, its connection, and the call it carries."""
    return SoftphoneState(**softphones.state(agent_key(user.id)))


@router.post("/session", response_model=AnswerOut)
async def open_session(
    body: OfferIn, user: AgentAtWork, softphones: Softphones, now: NowDep
) -> AnswerOut:
    """Switch my softphone on: answer the browser's offer (PCMU preferred).

    One session per agent: this one replaces any other (a call in progress moves to it).
    """
    try:
        session, answer = await softphones.open(
            agent_id=agent_key(user.id), offer_sdp=body.sdp, now=now
        )
    except DomainError as error:
        raise _error(error) from error
    return AnswerOut(sdp=answer, session_id=session.session_id, codec=session.gateway.codec)


@router.delete("/session", response_model=SoftphoneState)
async def close_session(user: AgentAtWork, softphones: Softphones) -> SoftphoneState:
    """Switch my softphone off (a call it carries ends). Off already is fine."""
    agent = agent_key(user.id)
    await softphones.close(agent_id=agent)
    return SoftphoneState(**softphones.state(agent))


@router.post("/hold", response_model=SoftphoneState)
async def hold(user: AgentAtWork, softphones: Softphones) -> SoftphoneState:
    """Put my call on hold: the caller hears hold music."""
    agent = agent_key(user.id)
    try:
        await softphones.hold(agent_id=agent)
    except DomainError as error:
        raise _error(error) from error
    return SoftphoneState(**softphones.state(agent))


@router.post("/unhold", response_model=SoftphoneState)
async def unhold(user: AgentAtWork, softphones: Softphones) -> SoftphoneState:
    agent = agent_key(user.id)
    try:
        await softphones.unhold(agent_id=agent)
    except DomainError as error:
        raise _error(error) from error
    return SoftphoneState(**softphones.state(agent))


@router.post("/dtmf", status_code=status.HTTP_204_NO_CONTENT)
async def send_digit(body: DigitIn, user: AgentAtWork, softphones: Softphones) -> None:
    """Send one key of the keypad to the caller (an IVR at the other end)."""
    try:
        await softphones.send_digit(agent_id=agent_key(user.id), digit=body.digit)
    except DomainError as error:
        raise _error(error) from error
