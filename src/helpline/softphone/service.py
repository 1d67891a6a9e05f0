"""The browser softphone: one WebRTC session per agent, attached to the voice service.

An agent who switches the softphone on sends the browser's SDP offer; a
:class:`~helpline.channels.webrtc.gateway.WebRtcGateway` answers it and links the browser
to a leg of the media engine that lasts as long as the session, so that no call waits for
a negotiation. The voice service learns of the leg (``softphone_attached``): a call that
the ACD offers to an agent without a registered SIP phone is shown on the dashboard, and
once the agent accepts it there, the voice service bridges the caller to that leg.

One session per agent: a new one (another tab, a reconnect) replaces the old, and a call
in progress moves to the new leg. When a session ends (switched off, the browser went
away, ICE failed), the voice service hears ``softphone_detached`` and ends the agent's
call, whose audio is gone.

Nothing here is stored: sessions live in this process, like the calls they carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpline.channels.media.client import MediaEngineClient, MediaEngineError
from helpline.channels.webrtc.gateway import GatewayError, WebRtcGateway, check_offer
from helpline.errors import Conflict, DomainError, NotFound
from helpline.voice.service import VoiceService

log = logging.getLogger(__name__)

VOICE_OFF = "voice is not enabled on this server"
MEDIA_DOWN = (
    "the media engine is not running, so calls cannot reach the softphone (see the server log)"
)
NOT_ON_A_CALL = "you are not on a call"
NO_KEYS = "the caller's line does not take keypad tones (it did not offer RFC 4733)"
WATCH_SECONDS = 1.0


class VoiceUnavailable(DomainError):
    """Voice is off on this server, or its media engine is not running."""


class BadOffer(DomainError):
    """The browser's offer cannot be answered."""


@dataclass
class SoftphoneSession:
    session_id: str
    agent_id: str
    gateway: WebRtcGateway
    started_at: datetime


class SoftphoneService:
    """The softphone sessions of one voice service, by agent."""

    def __init__(self, voice: VoiceService) -> None:
        self.voice = voice
        self.sessions: dict[str, SoftphoneSession] = {}
        self._held: dict[str, str] = {}  # agent -> Call-ID of the call they put on hold
        self._locks: dict[str, asyncio.Lock] = {}
        self._watching = False

    def _lock(self, agent_id: str) -> asyncio.Lock:
        return self._locks.setdefault(agent_id, asyncio.Lock())

    def _media(self) -> MediaEngineClient:
        try:
            media = self.voice.media
        except RuntimeError:
            raise VoiceUnavailable(MEDIA_DOWN) from None
        if not media.running:
            raise VoiceUnavailable(MEDIA_DOWN)
        return media

    # ---- sessions -----------------------------------------------------------------------

    async def open(
        self, *, agent_id: str, offer_sdp: str, now: datetime
    ) -> tuple[SoftphoneSession, str]:
        """Answer the browser's offer: the new session and the SDP answer."""
        host = self.voice.media_host
        try:
            check_offer(offer_sdp, loopback_only=False)
        except GatewayError as error:
            raise BadOffer(str(error)) from None
        media = self._media()
        self._watch()
        async with self._lock(agent_id):
            session_id = uuid.uuid4().hex
            gateway = WebRtcGateway(
                media=media,
                leg_id=f"softphone-{agent_id}-{session_id[:12]}",
                host=host,
                on_closed=self._gateway_closed,
            )
            try:
                answer = await gateway.answer(offer_sdp)
            except GatewayError as error:
                raise BadOffer(str(error)) from None
            except MediaEngineError as error:
                raise VoiceUnavailable(f"the media engine refused the softphone: {error}") from None
            session = SoftphoneSession(session_id, agent_id, gateway, now)
            old = self.sessions.get(agent_id)
            self.sessions[agent_id] = session
            self.voice.softphone_attached(agent_id, gateway.leg_id)
            if old is not None:
                await self._move_call(agent_id, gateway.leg_id)
                await old.gateway.close("replaced by a new session")
            log.info("softphone of agent %s on (%s)", agent_id, gateway.codec)
            return session, answer

    async def _move_call(self, agent_id: str, leg_id: str) -> None:
        """A call in progress continues on the new session's leg."""
        call = self.voice.call_of_agent(agent_id)
        if call is None or call.softphone_agent != agent_id:
            return
        self._held.pop(agent_id, None)  # bridging anew takes the call off hold
        try:
            await self.voice.media.bridge(call.media_leg, leg_id)
        except (MediaEngineError, RuntimeError) as error:
            log.warning("softphone of agent %s: the call did not move: %s", agent_id, error)

    def _gateway_closed(self, gateway: WebRtcGateway) -> None:
        for agent_id, session in list(self.sessions.items()):
            if session.gateway is gateway:
                del self.sessions[agent_id]
                self._held.pop(agent_id, None)
                log.info("softphone of agent %s off (%s)", agent_id, gateway.close_reason)
                self.voice.softphone_detached(agent_id)

    async def close(self, *, agent_id: str) -> bool:
        """Switch the agent's softphone off; False when it was not on."""
        async with self._lock(agent_id):
            session = self.sessions.get(agent_id)
            if session is None:
                return False
            await session.gateway.close("switched off")
            return True

    async def close_all(self) -> None:
        for session in list(self.sessions.values()):
            await session.gateway.close("the server is stopping")

    def _watch(self) -> None:
        """Once: follow the media engine (restarts) and close every session when voice stops.

        The task runs among the voice service's own, which ``VoiceService.stop`` cancels
        before it stops the engine: the sessions close while their legs can still go.
        """
        if self._watching:
            return
        self._watching = True
        self.voice._spawn(self._follow_engine())

    async def _follow_engine(self) -> None:
        restarts = self.voice.media.restarts
        try:
            while True:
                await asyncio.sleep(WATCH_SECONDS)
                try:
                    media = self.voice.media
                except RuntimeError:
                    continue
                if media.restarts == restarts or not media.running:
                    continue
                restarts = media.restarts
                # Every leg went with the old engine: make the sessions' legs again.
                for session in list(self.sessions.values()):
                    try:
                        await session.gateway.relink()
                    except MediaEngineError as error:
                        log.error("softphone of agent %s lost: %s", session.agent_id, error)
                        await session.gateway.close("the media engine restarted")
        finally:
            self._watching = False
            with contextlib.suppress(Exception):
                await self.close_all()

    # ---- the agent's call ---------------------------------------------------------------

    def state(self, agent_id: str) -> dict[str, Any]:
        session = self.sessions.get(agent_id)
        call = self.voice.call_of_agent(agent_id)
        return {
            "active": session is not None,
            "session_id": session.session_id if session else None,
            "connection": session.gateway.state if session else None,
            "codec": session.gateway.codec if session else None,
            "since": session.started_at if session else None,
            "on_call": call is not None,
            "held": call is not None and self._held.get(agent_id) == call.leg.call_id,
            "contact_id": call.contact_id if call is not None else None,
            "caller": (call.leg.caller or None) if call is not None else None,
        }

    async def hold(self, *, agent_id: str) -> None:
        """The caller hears hold music; the agent hears nothing from them."""
        call = self.voice.call_of_agent(agent_id)
        if call is None:
            raise NotFound(NOT_ON_A_CALL)
        await self._engine(self.voice.hold(agent_id))
        self._held[agent_id] = call.leg.call_id

    async def unhold(self, *, agent_id: str) -> None:
        if self.voice.call_of_agent(agent_id) is None:
            raise NotFound(NOT_ON_A_CALL)
        await self._engine(self.voice.unhold(agent_id))
        self._held.pop(agent_id, None)

    async def send_digit(self, *, agent_id: str, digit: str) -> None:
        """A key of the agent's keypad, to the caller (RFC 4733: aiortc has no DTMF)."""
        if self.voice.call_of_agent(agent_id) is None:
            raise NotFound(NOT_ON_A_CALL)
        try:
            await self.voice.send_digit(agent_id, digit.upper())
        except MediaEngineError as error:
            log.info("agent %s: key %s not sent: %s", agent_id, digit, error)
            raise Conflict(NO_KEYS) from None
        except RuntimeError as error:
            raise VoiceUnavailable(MEDIA_DOWN) from error

    async def _engine(self, command: Any) -> None:
        try:
            await command
        except MediaEngineError as error:
            raise Conflict(str(error)) from None
        except RuntimeError as error:  # the engine stopped under the call
            raise VoiceUnavailable(MEDIA_DOWN) from error
