"""What agents and supervisors do to a call in progress: recording, 3-way, monitoring.

The voice service owns one :class:`CallControls`; an :class:`InboundCall` tells it when
the agent is bridged (recording starts if the call's queue records calls), when the agent
has gone (the caller and a third party may talk on) and when the call ends. Everything
else comes from the agent's and the supervisor's HTTP requests.

Audio: while only the caller and the agent are on the call they are *bridged* (a plain
relay, which hold needs). Once a third party or a supervisor joins, the call moves into a
*conference* in the media engine: every talker hears the others (mix-minus), a listening
supervisor hears everyone and is heard by nobody, a whispering one is heard by the agent
only. When the conference shrinks back to two talkers, they are bridged again.

Recording: a *segment* is a mixed WAV of the call's talkers plus one WAV per talker, in
``<data dir>/recordings/<day>/``. A segment ends and the next begins whenever a third
party joins or leaves, so each file holds everyone who was talking at the time;
supervisors are never recorded. Pausing pauses every file of the segment (the engine
writes silence for the paused span, so the file keeps the call's timeline).

Ending rules:
- the caller hangs up: the call ends for everyone (third party, supervisors);
- the agent ends the call on the dashboard: it ends for everyone;
- the agent *leaves* a 3-way (or hangs up their phone while a third party is on): the
  caller and the third party talk on, the agent's wrap-up starts;
- the third party hangs up or the agent drops them: caller and agent talk on;
- a supervisor hangs up or stops monitoring: nothing changes for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.channels.sip.transaction import TransactionTimeout
from helpline.errors import Conflict, Invalid, NotFound
from helpline.storage.eventlog import Event, append_event
from helpline.storage.unit_of_work import Publisher, unit_of_work
from helpline.voice import repository
from helpline.voice.control_events import (
    AgentLeftCall,
    MonitorEnded,
    MonitorModeChanged,
    MonitorStarted,
    PartyAdded,
    PartyJoined,
    PartyLeft,
    RecordingPaused,
    RecordingResumed,
    RecordingStarted,
    RecordingStopped,
)
from helpline.voice.legs import LegState, OutboundLeg
from helpline.voice.models import CallRecording

if TYPE_CHECKING:
    from helpline.voice.calls import InboundCall
    from helpline.voice.service import VoiceService

log = logging.getLogger(__name__)

RING_SECONDS = 45.0  # a third party or a supervisor's phone that does not answer by then
EXTENSION = re.compile(r"^[0-9*#]{2,20}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
THIRD_PARTY = "third_party"
SUPERVISOR = "supervisor"


class MonitorMode(StrEnum):
    LISTEN = "listen"  # hears the caller and the agent, heard by nobody
    WHISPER = "whisper"  # heard by the agent only
    BARGE = "barge"  # a talker like the others


@dataclass(eq=False)
class Party:
    """A third party or a supervisor on a call, ringing or joined."""

    party_id: str
    role: str  # THIRD_PARTY or SUPERVISOR
    target: str
    media_leg: str
    leg: OutboundLeg | None  # None: a supervisor's browser softphone, joined at once
    supervisor_id: str | None = None
    mode: MonitorMode | None = None
    joined: bool = False
    gone: bool = False
    end_reason: str | None = None  # set by whoever ends it on purpose
    task: asyncio.Task[None] | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "party_id": self.party_id,
            "role": self.role,
            "target": self.target,
            "state": "joined" if self.joined else "ringing",
            "supervisor_id": self.supervisor_id,
            "mode": self.mode.value if self.mode else None,
        }


@dataclass(eq=False)
class _Segment:
    number: int
    recording_ids: list[str]
    row_ids: list[int]
    files: list[str]
    started_at: datetime


@dataclass(eq=False)
class CallState:
    call: InboundCall
    agent_id: str | None = None
    record: bool = False
    paused: bool = False
    segments: int = 0
    segment: _Segment | None = None
    parties: dict[str, Party] = field(default_factory=dict)
    room: str | None = None
    agent_left: bool = False
    ending: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def third_party(self) -> Party | None:
        return next((p for p in self.parties.values() if p.role == THIRD_PARTY), None)

    def monitor_of(self, supervisor_id: str) -> Party | None:
        return next((p for p in self.parties.values() if p.supervisor_id == supervisor_id), None)


class CallControls:
    def __init__(
        self,
        voice: VoiceService,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publisher | None,
    ) -> None:
        self.voice = voice
        self._session_factory = session_factory
        self._publish = publish
        self._calls: dict[str, CallState] = {}  # by the caller leg's Call-ID

    # ---- hooks from the call -------------------------------------------------------------

    async def bridged(self, call: InboundCall) -> None:
        """The agent is talking to the caller: record the call if its queue says so."""
        state = self._state(call)
        state.agent_id = call.connected_agent
        try:
            state.record = await self._queue_records(call.queue_id)
            if state.record:
                async with state.lock:
                    await self._start_segment(state)
        except Exception:
            # A recording that cannot start must not cost the caller their call.
            log.exception("call %s: starting the recording failed", call.leg.call_id)

    async def agent_gone(self, call: InboundCall) -> None:
        """The agent's part is over; with a third party on, the caller talks on with them.

        Returns when the caller or the third party has hung up (or at once when no third
        party had joined, or the agent ended the call for everyone on the dashboard).
        """
        state = self._calls.get(call.leg.call_id)
        if state is None or state.ending:
            return
        if not _talking_on(state):
            return
        agent_leg = call.agent_leg
        hung_up = agent_leg is not None and agent_leg.state is LegState.ENDED
        if not state.agent_left and not hung_up:
            return  # "End call" on the dashboard ends it for everyone
        if not state.agent_left:
            # The agent hung up their phone in a 3-way: as a PBX would, the others stay.
            await self._agent_leaves(state, actor_user_id=None)
        while _talking_on(state):
            state.changed.clear()
            ended = asyncio.ensure_future(call.leg.wait_ended())
            changed = asyncio.ensure_future(state.changed.wait())
            try:
                await asyncio.wait([ended, changed], return_when=asyncio.FIRST_COMPLETED)
            finally:
                ended.cancel()
                changed.cancel()

    async def call_ending(self, call: InboundCall) -> None:
        """The call is being torn down: everyone else leaves, the recording closes."""
        state = self._calls.pop(call.leg.call_id, None)
        if state is None:
            return
        state.ending = True
        for party in list(state.parties.values()):
            party.end_reason = party.end_reason or "call ended"
            if party.task is not None and not party.task.done():
                party.task.cancel()
            await self._hang_up(party)
            await self._party_left(state, party, remix=False)
        media = self.voice.media
        if state.room is not None and media.running:
            with contextlib.suppress(Exception):
                await media.end_conference(state.room)
            state.room = None
        async with state.lock:
            await self._stop_segment(state)

    # ---- the agent's controls ------------------------------------------------------------

    def _agent_call(self, agent_id: str) -> CallState:
        call = self.voice.call_of_agent(agent_id)
        if call is None:
            raise NotFound("you are not on a call")
        state = self._state(call)
        if state.agent_left:
            raise NotFound("you are not on a call")
        return state

    def agent_call(self, agent_id: str) -> dict[str, Any]:
        """My call and its controls' state (404 when I am on no call). A supervisor who
        only listens is not shown: silent monitoring is silent."""
        described = self.describe(self._agent_call(agent_id))
        described["monitors"] = [
            m for m in described["monitors"] if m["mode"] != MonitorMode.LISTEN.value
        ]
        return described

    def describe(self, state: CallState) -> dict[str, Any]:
        call = state.call
        return {
            "call_id": call.leg.call_id,
            "contact_id": call.contact_id,
            "queue_id": call.queue_id,
            "caller": call.leg.caller,
            "agent_id": state.agent_id,
            "recording": {
                "enabled": state.segment is not None,
                "paused": state.paused,
                "segment": state.segments,
            },
            "parties": [p.describe() for p in state.parties.values() if p.role == THIRD_PARTY],
            "monitors": [p.describe() for p in state.parties.values() if p.role == SUPERVISOR],
        }

    async def pause_recording(self, agent_id: str, *, actor_user_id: int | None) -> dict[str, Any]:
        state = self._agent_call(agent_id)
        async with state.lock:
            if state.segment is None:
                raise Conflict("this call is not being recorded")
            if state.paused:
                raise Conflict("the recording is paused already")
            for recording_id in state.segment.recording_ids:
                await self.voice.media.pause_recording(recording_id)
            state.paused = True
            call = state.call
            await self._write(
                RecordingPaused(
                    call_id=call.leg.call_id, contact_id=call.contact_id, agent_id=agent_id
                ),
                actor_user_id=actor_user_id,
            )
        return self.describe(state)

    async def resume_recording(self, agent_id: str, *, actor_user_id: int | None) -> dict[str, Any]:
        state = self._agent_call(agent_id)
        async with state.lock:
            if state.segment is None:
                raise Conflict("this call is not being recorded")
            if not state.paused:
                raise Conflict("the recording is not paused")
            for recording_id in state.segment.recording_ids:
                await self.voice.media.resume_recording(recording_id)
            state.paused = False
            call = state.call
            await self._write(
                RecordingResumed(
                    call_id=call.leg.call_id, contact_id=call.contact_id, agent_id=agent_id
                ),
                actor_user_id=actor_user_id,
            )
        return self.describe(state)

    async def add_party(
        self, agent_id: str, target: str, *, actor_user_id: int | None
    ) -> dict[str, Any]:
        """Dial a third party (an extension, or an outside number through a trunk) into
        the call; it rings in the background and joins the conference when answered."""
        target = target.strip()
        if not (EXTENSION.match(target) or E164.match(target)):
            raise Invalid(
                "dial an extension (digits) or an outside number in E.164 (+ and digits)",
                field="target",
            )
        state = self._agent_call(agent_id)
        call = state.call
        if state.third_party() is not None:
            raise Conflict("a third party is on the call already: drop them first")
        own_lines = {line for line in (self.voice.acd.lines.get(agent_id),) if line}
        if target in own_lines:
            raise Invalid("that is your own line", field="target")
        leg = await originate(
            self.voice,
            target,
            from_user=call.leg.caller or "anonymous",
            from_name=call.leg.caller_name,
        )
        if leg is None:
            raise NotFound(
                f"no phone is registered on extension {target}"
                if not target.startswith("+")
                else f"no trunk can dial {target}",
                field="target",
            )
        party = Party(
            party_id=uuid.uuid4().hex[:12],
            role=THIRD_PARTY,
            target=target,
            media_leg="",
            leg=leg,
        )
        state.parties[party.party_id] = party
        await self._write(
            PartyAdded(
                call_id=call.leg.call_id,
                contact_id=call.contact_id,
                agent_id=agent_id,
                party_id=party.party_id,
                target=target,
            ),
            actor_user_id=actor_user_id,
        )
        party.task = asyncio.get_running_loop().create_task(self._run_party(state, party))
        return party.describe()

    async def drop_party(self, agent_id: str, party_id: str) -> dict[str, Any]:
        state = self._agent_call(agent_id)
        party = state.parties.get(party_id)
        if party is None or party.role != THIRD_PARTY:
            raise NotFound(f"no party {party_id} on your call")
        party.end_reason = "dropped"
        await self._hang_up(party)
        await self._wait_gone(party)
        return self.describe(state)

    async def leave(self, agent_id: str, *, actor_user_id: int | None) -> dict[str, Any]:
        """Leave a 3-way: the caller and the third party talk on; my wrap-up starts."""
        state = self._agent_call(agent_id)
        third = state.third_party()
        if third is None or not third.joined:
            raise Conflict("leaving needs a third party who has answered; end the call instead")
        described = self.describe(state)
        await self._agent_leaves(state, actor_user_id=actor_user_id)
        return described

    async def _agent_leaves(self, state: CallState, *, actor_user_id: int | None) -> None:
        call = state.call
        agent_id = state.agent_id or call.connected_agent or ""
        agent_leg = call.agent_leg
        async with state.lock:
            state.agent_left = True
            # The agent's softphone leg is theirs again (for their next call): this call's
            # clean-up must not touch it.
            call.softphone_agent = None
            call.connected_agent = None
            for party in list(state.parties.values()):
                if party.role == SUPERVISOR:
                    party.end_reason = "agent left"
                    await self._hang_up(party)
            await self._remix(state)
            await self._restart_segment(state)
        await self._write(
            AgentLeftCall(call_id=call.leg.call_id, contact_id=call.contact_id, agent_id=agent_id),
            actor_user_id=actor_user_id,
        )
        contact_id = call.contact_id
        if contact_id is not None and not call.agent_done.is_set():
            with contextlib.suppress(Exception):
                await self.voice.acd.run(
                    lambda r, now: r.end_contact(contact_id, now), actor_id=actor_user_id
                )
        if agent_leg is not None and agent_leg.state is LegState.ANSWERED:
            await agent_leg.hangup()

    # ---- the supervisor's controls ---------------------------------------------------------

    def agent_call_for_supervisor(self, agent_id: str) -> CallState:
        call = self.voice.call_of_agent(agent_id)
        if call is None or self._state(call).agent_left:
            raise NotFound("the agent is not on a call")
        return self._state(call)

    async def monitor(
        self,
        supervisor_id: str,
        agent_id: str,
        mode: MonitorMode,
        *,
        actor_user_id: int | None,
    ) -> dict[str, Any]:
        """Join the agent's call from my phone (or change how I am on it)."""
        if supervisor_id == agent_id:
            raise Invalid("you cannot monitor your own call")
        state = self.agent_call_for_supervisor(agent_id)
        call = state.call
        existing = state.monitor_of(supervisor_id)
        if existing is not None:
            if existing.mode is not mode:
                existing.mode = mode
                async with state.lock:
                    if existing.joined:
                        await self._remix(state)
                await self._write(
                    MonitorModeChanged(
                        call_id=call.leg.call_id,
                        contact_id=call.contact_id,
                        agent_id=agent_id,
                        supervisor_id=supervisor_id,
                        mode=mode.value,
                    ),
                    actor_user_id=actor_user_id,
                )
            return self.describe(state)
        if self.voice.call_of_agent(supervisor_id) is not None:
            raise Conflict("you are on a call yourself")
        party = Party(
            party_id=uuid.uuid4().hex[:12],
            role=SUPERVISOR,
            target=supervisor_id,
            media_leg="",
            leg=None,
            supervisor_id=supervisor_id,
            mode=mode,
        )
        softphone = self.voice.softphones.get(supervisor_id)
        if softphone is not None and not self._softphone_busy(softphone):
            party.media_leg = softphone
        else:
            devices = await self.voice.agent_devices(supervisor_id)
            if not devices:
                raise NotFound(
                    "you have no registered phone and no softphone switched on to listen with"
                )
            extension, peer, contact = devices[0]
            party.leg = OutboundLeg(
                self.voice.endpoint,
                peer=peer,
                request_uri=contact,
                from_uri=f"sip:{call.leg.caller or 'anonymous'}@{self.voice.endpoint.host}",
                from_name=f"{mode.value}: {call.leg.caller or 'anonymous'}",
                to_uri=f"sip:{extension}@{self.voice.endpoint.host}",
            )
        state.parties[party.party_id] = party
        await self._write(
            MonitorStarted(
                call_id=call.leg.call_id,
                contact_id=call.contact_id,
                agent_id=agent_id,
                supervisor_id=supervisor_id,
                mode=mode.value,
            ),
            actor_user_id=actor_user_id,
        )
        party.task = asyncio.get_running_loop().create_task(self._run_party(state, party))
        return self.describe(state)

    async def stop_monitoring(self, supervisor_id: str, agent_id: str) -> dict[str, Any]:
        state = self.agent_call_for_supervisor(agent_id)
        party = state.monitor_of(supervisor_id)
        if party is None:
            raise NotFound("you are not monitoring this agent's call")
        party.end_reason = "stopped"
        await self._hang_up(party)
        await self._wait_gone(party)
        return self.describe(state)

    def _softphone_busy(self, media_leg: str) -> bool:
        for state in self._calls.values():
            if state.call.agent_media == media_leg and not state.agent_left:
                return True
            if any(p.media_leg == media_leg for p in state.parties.values()):
                return True
        return False

    # ---- parties ----------------------------------------------------------------------------

    async def _run_party(self, state: CallState, party: Party) -> None:
        call = state.call
        try:
            if party.leg is None:
                await self._joined(state, party)
                # A softphone has no dialog to end: it leaves when stopped or the call ends.
                await asyncio.Event().wait()
                return
            leg = party.leg
            media_leg, offer = await call._prepare(leg, party.role)
            party.media_leg = media_leg
            try:
                async with asyncio.timeout(RING_SECONDS):
                    response = await leg.invite(offer)
            except TimeoutError:
                leg.cancel()
                party.end_reason = party.end_reason or "no answer"
                return
            except TransactionTimeout:
                party.end_reason = party.end_reason or "no answer"
                return
            if not 200 <= response.status < 300 or leg.state is not LegState.ANSWERED:
                party.end_reason = party.end_reason or (
                    "cancelled"
                    if leg.state is LegState.ENDED and response.status < 300
                    else f"rejected {response.status}"
                )
                return
            if party.end_reason is not None or state.ending:
                await leg.hangup()  # dropped while it rang
                return
            remote = leg.remote_media
            assert remote is not None
            await call._connect_media(media_leg, remote)
            leg.on_media_changed = lambda changed: self._media_changed(call, media_leg, changed)
            await self._joined(state, party)
            reason = await leg.wait_ended()
            log.info("call %s: party %s ended (%s)", call.leg.call_id, party.target, reason)
            party.end_reason = party.end_reason or "hung up"
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("call %s: party %s failed", call.leg.call_id, party.target)
            party.end_reason = party.end_reason or "failed"
            if party.leg is not None and party.leg.state is LegState.ANSWERED:
                with contextlib.suppress(Exception):
                    await party.leg.hangup()
        finally:
            if not state.ending:
                await self._party_left(state, party, remix=True)

    def _media_changed(self, call: InboundCall, media_leg: str, leg: Any) -> None:
        remote = leg.remote_media
        if remote is not None:
            asyncio.get_running_loop().create_task(call._connect_media(media_leg, remote))

    async def _joined(self, state: CallState, party: Party) -> None:
        call = state.call
        async with state.lock:
            party.joined = True
            await self._remix(state)
            if party.role == THIRD_PARTY:
                await self._restart_segment(state)
        if party.role == THIRD_PARTY:
            await self._write(
                PartyJoined(
                    call_id=call.leg.call_id,
                    contact_id=call.contact_id,
                    party_id=party.party_id,
                    target=party.target,
                )
            )
        state.changed.set()

    async def _party_left(self, state: CallState, party: Party, *, remix: bool) -> None:
        if party.gone:
            return
        party.gone = True
        call = state.call
        was_joined = party.joined
        state.parties.pop(party.party_id, None)
        party.joined = False
        media = self.voice.media
        if remix and was_joined and media.running:
            async with state.lock:
                with contextlib.suppress(Exception):
                    await self._remix(state)
                if party.role == THIRD_PARTY:
                    with contextlib.suppress(Exception):
                        await self._restart_segment(state)
        if party.leg is not None and party.media_leg and media.running:
            with contextlib.suppress(Exception):
                await media.destroy_leg(party.media_leg)
        reason = party.end_reason or "hung up"
        if party.role == THIRD_PARTY:
            event: Event = PartyLeft(
                call_id=call.leg.call_id,
                contact_id=call.contact_id,
                party_id=party.party_id,
                target=party.target,
                reason=reason,
            )
        else:
            event = MonitorEnded(
                call_id=call.leg.call_id,
                contact_id=call.contact_id,
                agent_id=state.agent_id or "",
                supervisor_id=party.supervisor_id or "",
                reason=reason,
            )
        with contextlib.suppress(Exception):
            await self._write(event)
        state.changed.set()

    async def _hang_up(self, party: Party) -> None:
        leg = party.leg
        if leg is None:
            if party.task is not None and not party.task.done():
                party.task.cancel()
            return
        if leg.state is LegState.RINGING:
            leg.cancel()
        elif leg.state is LegState.ANSWERED:
            with contextlib.suppress(Exception):
                await leg.hangup()

    async def _wait_gone(self, party: Party) -> None:
        if party.task is None:
            return
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(10):
                await asyncio.shield(party.task)

    # ---- audio ------------------------------------------------------------------------------

    async def _remix(self, state: CallState) -> None:
        """Put the call's legs where the parties on it say: a bridge or a conference."""
        call = state.call
        media = self.voice.media
        agent = None if state.agent_left else call.agent_media
        talkers = [call.media_leg]
        if agent is not None:
            talkers.append(agent)
        listeners: list[str] = []
        whisper: dict[str, str] = {}
        for party in state.parties.values():
            if not party.joined or not party.media_leg:
                continue
            if party.role == THIRD_PARTY or party.mode is MonitorMode.BARGE:
                talkers.append(party.media_leg)
            elif party.mode is MonitorMode.WHISPER and agent is not None:
                whisper[party.media_leg] = agent
            else:
                listeners.append(party.media_leg)
        if len(talkers) == 2 and not listeners and not whisper:
            if state.room is not None:
                with contextlib.suppress(Exception):
                    await media.end_conference(state.room)
                state.room = None
            await media.bridge(talkers[0], talkers[1])
            return
        if state.room is None:
            state.room = f"{call.media_leg}-room"
        await media.conference(state.room, talkers, listen_only=listeners, whisper=whisper)

    # ---- recording ------------------------------------------------------------------------

    async def _queue_records(self, queue_id: str | None) -> bool:
        if not queue_id or not queue_id.startswith("call:"):
            return False
        try:
            number = int(queue_id.split(":", 1)[1])
        except ValueError:
            return False
        async with self._session_factory() as session:
            return await repository.queue_records_calls(session, number)

    def _talking_legs(self, state: CallState) -> list[tuple[str, str]]:
        call = state.call
        legs = [("caller", call.media_leg)]
        agent = None if state.agent_left else call.agent_media
        if agent is not None:
            legs.append(("agent", agent))
        for party in state.parties.values():
            if party.role == THIRD_PARTY and party.joined and party.media_leg:
                legs.append((THIRD_PARTY, party.media_leg))
        return legs

    async def _restart_segment(self, state: CallState) -> None:
        if state.segment is None:
            return
        await self._stop_segment(state)
        await self._start_segment(state)

    async def _start_segment(self, state: CallState) -> None:
        call = state.call
        media = self.voice.media
        now = self.voice.now()
        state.segments += 1
        number = state.segments
        safe = "".join(c if c.isalnum() else "_" for c in call.leg.call_id)[:80]
        data_dir = self.voice.data_dir
        folder = data_dir / "recordings" / f"{now:%Y%m%d}"
        stem = f"{now:%H%M%S}-{safe}-{number}"
        legs = self._talking_legs(state)
        files: list[tuple[str, Path, list[str]]] = [
            ("mixed", folder / f"{stem}-mixed.wav", [leg for _, leg in legs])
        ]
        files += [(kind, folder / f"{stem}-{kind}.wav", [leg]) for kind, leg in legs]
        segment = _Segment(number, [], [], [], now)
        try:
            for _kind, path, leg_ids in files:
                recording_id = f"rec-{uuid.uuid4().hex}"
                await media.start_recording(recording_id, path, leg_ids)
                segment.recording_ids.append(recording_id)
                if state.paused:
                    await media.pause_recording(recording_id)
        except Exception:
            for recording_id in segment.recording_ids:
                with contextlib.suppress(Exception):
                    await media.stop_recording(recording_id)
            raise
        relative = [_relative(path, data_dir) for _, path, _ in files]
        segment.files = relative
        async with unit_of_work(self._session_factory, self._publish) as session:
            rows = [
                repository.add_recording(
                    session,
                    CallRecording(
                        call_id=call.leg.call_id,
                        contact_id=call.contact_id,
                        queue_id=call.queue_id,
                        agent_id=state.agent_id,
                        segment=number,
                        kind=kind,
                        path=path,
                        started_at=now,
                    ),
                )
                for (kind, _, _), path in zip(files, relative, strict=True)
            ]
            append_event(
                session,
                RecordingStarted(
                    call_id=call.leg.call_id,
                    contact_id=call.contact_id,
                    segment=number,
                    files=relative,
                    paused=state.paused,
                ),
                occurred_at=now,
            )
            await session.flush()
            segment.row_ids = [row.id for row in rows]
        state.segment = segment

    async def _stop_segment(self, state: CallState) -> None:
        segment = state.segment
        if segment is None:
            return
        state.segment = None
        media = self.voice.media
        for recording_id in segment.recording_ids:
            if media.running:
                with contextlib.suppress(Exception):
                    await media.stop_recording(recording_id)
        now = self.voice.now()
        duration = max(0, int((now - segment.started_at).total_seconds() * 1000))
        call = state.call
        async with unit_of_work(self._session_factory, self._publish) as session:
            await repository.finish_recordings(
                session, segment.row_ids, ended_at=now, duration_ms=duration
            )
            append_event(
                session,
                RecordingStopped(
                    call_id=call.leg.call_id,
                    contact_id=call.contact_id,
                    segment=segment.number,
                    duration_ms=duration,
                ),
                occurred_at=now,
            )

    # ---- helpers ----------------------------------------------------------------------------

    def _state(self, call: InboundCall) -> CallState:
        state = self._calls.get(call.leg.call_id)
        if state is None:
            state = self._calls[call.leg.call_id] = CallState(call, call.connected_agent)
        return state

    async def _write(self, event: Event, *, actor_user_id: int | None = None) -> None:
        async with unit_of_work(self._session_factory, self._publish) as session:
            append_event(session, event, occurred_at=self.voice.now(), actor_user_id=actor_user_id)


async def originate(
    voice: VoiceService, target: str, *, from_user: str, from_name: str | None
) -> OutboundLeg | None:
    """A leg (not yet invited) to an extension's first registered phone, or to an outside
    number (``+…``) through the trunk that dials it; None when nothing can reach it."""
    if target.startswith("+"):
        route = await voice.outbound_target(target)
        if route is None:
            return None
        peer, request_uri, from_uri, credentials = route
        return OutboundLeg(
            voice.endpoint,
            peer=peer,
            request_uri=request_uri,
            from_uri=from_uri,
            from_name=None,
            to_uri=request_uri,
            credentials=credentials,
        )
    devices = await voice.extension_devices(target)
    if not devices:
        return None
    extension, peer, contact = devices[0]
    return OutboundLeg(
        voice.endpoint,
        peer=peer,
        request_uri=contact,
        from_uri=f"sip:{from_user}@{voice.endpoint.host}",
        from_name=from_name,
        to_uri=f"sip:{extension}@{voice.endpoint.host}",
    )


def _talking_on(state: CallState) -> bool:
    """The caller is still on the line, with a third party who has answered."""
    third = state.third_party()
    return third is not None and third.joined and state.call.leg.state is not LegState.ENDED


def _relative(path: Path, data_dir: Path) -> str:
    return str(path.relative_to(data_dir)) if path.is_relative_to(data_dir) else str(path)
