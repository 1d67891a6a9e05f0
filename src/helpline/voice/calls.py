"""An inbound call walking through its call plan.

One :class:`InboundCall` per answered call, run as an asyncio task by the voice service.
It plays prompts and hold music through the media engine, collects keys, and for a Queue
node hands the call to the ACD as a contact: when the ACD offers it to an agent, the
agent's registered phones ring; the first to answer is accepted in the ACD and bridged to
the caller. Whatever happens to the call (the caller hangs up, the queue times out, the
agent hangs up) becomes the matching ACD command, so the queue cards count it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpline.call_plans.schemas import (
    CallerInfoNode,
    CallPlanGraph,
    HangupNode,
    MenuNode,
    PromptNode,
    QueueNode,
    ScheduleNode,
    TransferNode,
    VoicemailNode,
)
from helpline.channels.sip import sdp
from helpline.channels.sip.transaction import TransactionTimeout
from helpline.core.acd import events as acd_events
from helpline.core.acd.errors import AcdError
from helpline.core.acd.model import ContactKind, NewContact
from helpline.voice.legs import CallLeg, InboundLeg, LegState, Media, OutboundLeg, media_of

if TYPE_CHECKING:
    from helpline.voice.service import VoiceService

log = logging.getLogger(__name__)

# A plan without waits could spin; validation forbids it, this is the belt to its braces.
MAX_STEPS = 200
STAR = "*"
HASH = "#"


class CallerGone(Exception):
    """The caller hung up: the plan stops wherever it is."""


@dataclass
class Ringing:
    """An ACD offer being rung on the agent's phones."""

    offer_id: int
    agent_id: str
    legs: list[OutboundLeg] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class InboundCall:
    def __init__(
        self, voice: VoiceService, leg: InboundLeg, number: str, graph: CallPlanGraph
    ) -> None:
        self.voice = voice
        self.leg = leg
        self.number = number
        self.graph = graph
        self.nodes = {node.id: node for node in graph.nodes}
        self.media_leg = f"{uuid.uuid4().hex}-caller"
        self.contact_id: str | None = None
        self.queue_id: str | None = None
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.acd_events: asyncio.Queue[acd_events.Event] = asyncio.Queue()
        self.play_done = asyncio.Event()
        self.ringing: dict[int, Ringing] = {}
        self.agent_leg: OutboundLeg | None = None
        self.agent_media_leg: str | None = None
        # The agent talks through the browser softphone: its engine leg outlives the call.
        self.softphone_agent: str | None = None
        self.connected_agent: str | None = None
        self.connected = False
        # Set once the agent is bridged: a prompt still playing then is cut short.
        self.bridged = asyncio.Event()
        # The agent ended the contact on the dashboard (the ACD started wrap-up).
        self.agent_done = asyncio.Event()
        self.outcome = "in progress"
        # What the voice service indexes for this call, to forget it when the call ends.
        self.tracked_contacts: set[str] = set()
        self.tracked_legs: set[str] = set()
        leg.on_digit = lambda _leg, digit: self.digits.put_nowait(digit)
        leg.on_media_changed = self._media_changed

    # ---- life cycle ---------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._answer()
            node_id: str | None = self.graph.entry
            steps = 0
            while node_id is not None and steps < MAX_STEPS:
                steps += 1
                node = self.nodes.get(node_id)
                if node is None:
                    log.warning(
                        "call %s: plan node %r is missing, ending", self.leg.call_id, node_id
                    )
                    break
                self._check_caller()
                node_id = await self._execute(node)
            self.outcome = self.outcome if self.outcome != "in progress" else "completed"
        except CallerGone:
            self.outcome = "caller hung up"
        except Exception:
            self.outcome = "failed"
            log.exception("call %s failed", self.leg.call_id)
        finally:
            await self._cleanup()

    def _check_caller(self) -> None:
        if self.leg.state is LegState.ENDED:
            raise CallerGone

    async def _answer(self) -> None:
        self._check_caller()  # cancelled while the plan was looked up
        media = self.voice.media
        offer = self.leg.invite.request.body
        try:
            remote = media_of(offer)
        except sdp.SdpError as error:
            self.leg.reject(488, str(error)[:80])
            raise CallerGone from error
        port = await media.create_leg(self.media_leg)
        await self._connect_media(self.media_leg, remote)
        self.leg.remote_media = remote
        answer = sdp.audio_description(
            address=self.voice.media_host,
            port=port,
            session_id=self.leg.session_id,
            version=1,
            codecs=[(remote.payload_type, remote.codec)],
            dtmf_payload_type=remote.dtmf_payload_type or 101,
        )
        self.leg.answer(answer.encode())

    def _media_changed(self, leg: CallLeg) -> None:
        remote = leg.remote_media
        if remote is None:
            return
        target = self.media_leg if leg is self.leg else self.agent_media_leg
        if target is None:
            return
        asyncio.get_running_loop().create_task(self._connect_media(target, remote))

    async def _cleanup(self) -> None:
        await self.voice.controls.call_ending(self)
        for ringing in list(self.ringing.values()):
            self._stop_ringing(ringing)
        if self.contact_id is not None:
            await self._leave_acd()
        if self.agent_leg is not None and self.agent_leg.state is LegState.ANSWERED:
            await self.agent_leg.hangup()
        if self.leg.state is LegState.ANSWERED:
            await self.leg.hangup()
        media = self.voice.media
        if self.softphone_agent is not None and media.running:
            softphone_leg = self.voice.softphones.get(self.softphone_agent)
            if softphone_leg is not None:
                with contextlib.suppress(Exception):
                    await media.unbridge(softphone_leg)
        for media_leg in (self.media_leg, self.agent_media_leg):
            if media_leg is not None and media.running:
                with contextlib.suppress(Exception):
                    await media.destroy_leg(media_leg)
        self.voice.call_finished(self)

    async def _leave_acd(self) -> None:
        """Tell the ACD how the contact ended, if it has not heard yet."""
        contact_id = self.contact_id
        if contact_id is None:
            return
        state = self.voice.acd.router.contact_state(contact_id)
        if state is None:
            return
        if state.lower() in ("connected",):
            command = self._acd_command(lambda r, now: r.end_contact(contact_id, now))
        elif state.lower() in ("wrap_up", "wrapup"):
            return
        else:
            command = self._acd_command(lambda r, now: r.abandon(contact_id, now))
        await command

    async def _acd_command(self, command: Any) -> list[Any]:
        try:
            return list(await self.voice.acd.run(command, actor_id=None))
        except AcdError as error:
            log.info("call %s: ACD refused: %s", self.leg.call_id, error)
            return []

    # ---- ACD notifications (from the voice service's observer) --------------------------

    def on_acd_event(self, event: acd_events.Event) -> None:
        if isinstance(event, acd_events.ContactOffered):
            self._ring(event)
        elif isinstance(event, acd_events.ContactAccepted) and not self.connected:
            # Accepted on the dashboard: only a softphone call gets here unconnected.
            if event.agent_id in self.voice.softphones:
                self.connected = True
                self.softphone_agent = event.agent_id
                self.connected_agent = event.agent_id
                asyncio.get_running_loop().create_task(self._connect_softphone(event.agent_id))
        elif isinstance(event, acd_events.WrapUpStarted):
            self.agent_done.set()
        elif isinstance(
            event, acd_events.OfferTimedOut | acd_events.OfferDeclined | acd_events.OfferCancelled
        ):
            ringing = self.ringing.pop(event.offer_id, None)
            if ringing is not None:
                self._stop_ringing(ringing)
        self.acd_events.put_nowait(event)

    # ---- media helpers ------------------------------------------------------------------

    def on_media_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "dtmf":
            self.digits.put_nowait(str(event.get("digit")))
        elif event.get("event") == "play_done":
            self.play_done.set()
        elif event.get("event") == "rtp_timeout":
            log.info("call %s: no audio from the caller for a while, hanging up", self.leg.call_id)
            asyncio.get_running_loop().create_task(self.leg.hangup())

    async def _play(self, files: Sequence[Path], *, loop: bool = False) -> None:
        self.play_done.clear()
        await self.voice.media.play(self.media_leg, [str(f) for f in files], loop=loop)

    async def _wait_ended_or(self, *awaitables: asyncio.Future[Any] | asyncio.Task[Any]) -> None:
        ended = asyncio.ensure_future(self.leg.wait_ended())
        try:
            await asyncio.wait([ended, *awaitables], return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
        self._check_caller()

    async def _play_to_end(self, files: Sequence[Path]) -> None:
        await self._play(files)
        done = asyncio.ensure_future(self.play_done.wait())
        bridged = asyncio.ensure_future(self.bridged.wait())
        try:
            await self._wait_ended_or(done, bridged)
        finally:
            done.cancel()
            bridged.cancel()

    def _drain_digits(self) -> None:
        while not self.digits.empty():
            self.digits.get_nowait()

    # ---- nodes --------------------------------------------------------------------------

    async def _execute(self, node: Any) -> str | None:
        if isinstance(node, PromptNode):
            await self._play_to_end([await self.voice.prompt(node.prompt)])
            return node.next
        if isinstance(node, MenuNode):
            return await self._menu(node)
        if isinstance(node, ScheduleNode):
            opened = node.is_open(self.voice.now(), self.voice.timezone)
            return node.on_open if opened else node.on_closed
        if isinstance(node, CallerInfoNode):
            return self._caller_info(node)
        if isinstance(node, QueueNode):
            return await self._queue(node)
        if isinstance(node, VoicemailNode):
            await self._voicemail(node)
            return None
        if isinstance(node, TransferNode):
            await self._transfer(node)
            return None
        if isinstance(node, HangupNode):
            return None
        log.warning("call %s: no way to run node %r", self.leg.call_id, node)
        return None

    async def _menu(self, node: MenuNode) -> str | None:
        prompt = await self.voice.prompt(node.prompt)
        for attempt in range(node.max_retries + 1):
            self._drain_digits()
            await self._play([prompt])
            done = asyncio.ensure_future(self.play_done.wait())
            getter = asyncio.ensure_future(self.digits.get())
            try:
                # A key pressed during the prompt counts (callers who know the menu skip it).
                await self._wait_ended_or(getter, done)
                if not getter.done():
                    async with asyncio.timeout(node.timeout_seconds):
                        await self._wait_ended_or(getter)
            except TimeoutError:
                pass
            finally:
                done.cancel()
                if not getter.done():
                    getter.cancel()
            digit = getter.result() if getter.done() and not getter.cancelled() else None
            await self.voice.media.stop_playing(self.media_leg)
            last = attempt == node.max_retries
            if digit is None:
                if last:
                    return node.on_timeout
                continue
            if digit in node.choices:
                return node.choices[digit]
            if last:
                return node.on_invalid
            await self._play_to_end([await self.voice.prompt("invalid_choice")])
        return node.on_timeout

    def _caller_info(self, node: CallerInfoNode) -> str | None:
        # Contacts arrive with the chat work: until then every caller is unknown, so only
        # rules on "known" can match.
        fields: dict[str, Any] = {"known": False, "vip": False}
        for rule in node.rules:
            value = fields.get(rule.field)
            if rule.operator == "is_true" and value is True:
                return rule.next
            if rule.operator == "is_false" and value is False:
                return rule.next
            if rule.operator == "equals" and value is not None and str(value) == rule.value:
                return rule.next
            if rule.operator == "contains" and value and rule.value and rule.value in str(value):
                return rule.next
        return node.otherwise

    async def _announce(self, queue_id: str) -> None:
        view = self.voice.acd.queue_view(queue_id)
        mine = next((w for w in view["waiting"] if w["contact_id"] == self.contact_id), None)
        if mine is None or mine["state"] not in ("queued", "QUEUED"):
            return
        files = await self.voice.position_prompts(mine["position"], mine["estimated_wait"])
        if files:
            await self._play_to_end(files)

    async def _queue(self, node: QueueNode) -> str | None:
        queue_id = f"call:{node.queue_id}"
        contact_id = uuid.uuid4().hex
        caller = self.leg.caller
        contact = NewContact(contact_id, queue_id, ContactKind.CALL, caller)
        # Tracked first: the enqueue itself may offer the call, and that offer must ring.
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.voice.track_contact(contact_id, self)
        try:
            await self.voice.acd.run(lambda r, now: r.enqueue(contact, now), actor_id=None)
        except AcdError as error:
            log.warning("call %s: queue %s refused the call: %s", self.leg.call_id, queue_id, error)
            self.contact_id = None
            return node.on_timeout
        self._check_caller()
        self._drain_digits()
        if node.announce_position:
            await self._announce(queue_id)
        if not self.connected:
            # Also while an agent's phone rings: the bridge stops the music.
            await self._play([await self.voice.hold_music()], loop=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + node.timeout_seconds if node.timeout_seconds else None
        while True:
            self._check_caller()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            event_getter = asyncio.ensure_future(self.acd_events.get())
            digit_getter = asyncio.ensure_future(self.digits.get())
            try:
                async with asyncio.timeout(timeout):
                    await self._wait_ended_or(event_getter, digit_getter)
            except TimeoutError:
                event_getter.cancel()
                digit_getter.cancel()
                await self._acd_command(lambda r, now: r.expire(contact_id, now))
                self.contact_id = None
                self.outcome = "expired"
                return node.on_timeout
            finally:
                if not event_getter.done():
                    event_getter.cancel()
                if not digit_getter.done():
                    digit_getter.cancel()
            pressed = digit_getter.done() and not digit_getter.cancelled()
            if pressed and digit_getter.result() == STAR and node.on_exit_star is not None:
                await self._acd_command(lambda r, now: r.expire(contact_id, now))
                self.contact_id = None
                self.outcome = "left by *"
                return node.on_exit_star
            if event_getter.done() and not event_getter.cancelled():
                event = event_getter.result()
                if isinstance(event, acd_events.ContactExpired):
                    self.contact_id = None
                    self.outcome = "expired"
                    return node.on_timeout
                if isinstance(event, acd_events.ContactAbandoned):
                    self.contact_id = None
                    return None
                if isinstance(event, acd_events.ContactAccepted) and self.connected:
                    self.outcome = "handled"
                    await self._talk()
                    return None

    async def _talk(self) -> None:
        """Caller and agent are bridged until one of them hangs up or the agent ends it."""
        waits = [
            asyncio.ensure_future(self.leg.wait_ended()),
            asyncio.ensure_future(self.agent_done.wait()),
        ]
        if self.agent_leg is not None:
            waits.append(asyncio.ensure_future(self.agent_leg.wait_ended()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        contact_id = self.contact_id
        if self.agent_done.is_set():
            self.contact_id = None  # the ACD already moved the contact to wrap-up
        elif contact_id is not None:
            # Wrap-up starts now, whoever hung up.
            await self._acd_command(lambda r, now: r.end_contact(contact_id, now))
            self.contact_id = None
        await self.voice.controls.agent_gone(self)  # a 3-way's caller may talk on

    # ---- ringing agents -----------------------------------------------------------------

    async def _prepare(self, leg: OutboundLeg, role: str) -> tuple[str, bytes]:
        """An engine leg for an outbound SIP leg, and the SDP offer that names it."""
        media_leg = f"{uuid.uuid4().hex}-{role}"
        port = await self.voice.media.create_leg(media_leg)
        self.voice.track_leg(leg, self)
        offer = sdp.audio_description(
            address=self.voice.media_host,
            port=port,
            session_id=leg.session_id,
            version=1,
            codecs=[(0, "PCMU"), (8, "PCMA")],
        )
        return media_leg, offer.encode()

    async def _connect_media(self, media_leg: str, remote: Media) -> None:
        """Point an engine leg at where the other side wants its audio."""
        await self.voice.media.connect_leg(
            media_leg,
            remote_host=remote.host,
            remote_port=remote.port,
            codec=remote.codec,
            payload_type=remote.payload_type,
            dtmf_payload_type=remote.dtmf_payload_type,
        )

    def _ring(self, offer: acd_events.ContactOffered) -> None:
        ringing = Ringing(offer.offer_id, offer.agent_id)
        self.ringing[offer.offer_id] = ringing
        ringing.task = asyncio.get_running_loop().create_task(self._ring_agent(ringing))

    def _stop_ringing(self, ringing: Ringing) -> None:
        for leg in ringing.legs:
            if leg.state is LegState.RINGING:
                leg.cancel()
        if ringing.task is not None and not ringing.task.done():
            ringing.task.cancel()

    async def _ring_agent(self, ringing: Ringing) -> None:
        devices = await self.voice.agent_devices(ringing.agent_id)
        log.info(
            "call %s: offer %d to agent %s rings %d phone(s)",
            self.leg.call_id,
            ringing.offer_id,
            ringing.agent_id,
            len(devices),
        )
        if not devices and ringing.agent_id in self.voice.softphones:
            # The dashboard shows the offer; accepting it there connects the softphone.
            return
        if not devices:
            # Nothing can ring: let the ACD try someone who can take the call now.
            log.info(
                "call %s: agent %s has no registered phone", self.leg.call_id, ringing.agent_id
            )
            offer_id = ringing.offer_id
            self.ringing.pop(offer_id, None)
            await self._acd_command(lambda r, now: r.decline(offer_id, now))
            return
        media = self.voice.media
        attempts = []
        for extension, peer, contact in devices:
            leg = OutboundLeg(
                self.voice.endpoint,
                peer=peer,
                request_uri=contact,
                from_uri=f"sip:{self.leg.caller or 'anonymous'}@{self.voice.endpoint.host}",
                from_name=self.voice.offer_display(self.queue_id, self.leg),
                to_uri=f"sip:{extension}@{self.voice.endpoint.host}",
            )
            ringing.legs.append(leg)
            media_leg, offer_sdp = await self._prepare(leg, "agent")
            attempts.append((leg, media_leg, asyncio.ensure_future(leg.invite(offer_sdp))))
        winner: tuple[OutboundLeg, str] | None = None
        pending = {task for _, _, task in attempts}
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for leg, media_leg, task in attempts:
                if task in done and not task.cancelled():
                    try:
                        response = task.result()
                    except TransactionTimeout:
                        continue
                    if 200 <= response.status < 300 and leg.state is LegState.ANSWERED:
                        winner = (leg, media_leg)
                        break
        for leg, media_leg, _task in attempts:
            if winner is None or leg is not winner[0]:
                leg.cancel()
                with contextlib.suppress(Exception):
                    await media.destroy_leg(media_leg)
        self.ringing.pop(ringing.offer_id, None)
        if winner is None:
            offer_id = ringing.offer_id
            if self.voice.acd.router.contact_state(self.contact_id or "") is not None:
                await self._acd_command(lambda r, now: r.decline(offer_id, now))
            return
        leg, media_leg = winner
        log.info("call %s: agent %s answered", self.leg.call_id, ringing.agent_id)
        await self._connect_agent(ringing.offer_id, ringing.agent_id, leg, media_leg)

    async def _connect_agent(
        self, offer_id: int, agent_id: str, leg: OutboundLeg, media_leg: str
    ) -> None:
        accepted = await self._acd_command(lambda r, now: r.accept(offer_id, now))
        if not accepted or self.leg.state is LegState.ENDED:
            # The offer went away while the phone was answered (timeout, caller left).
            await leg.hangup()
            with contextlib.suppress(Exception):
                await self.voice.media.destroy_leg(media_leg)
            return
        # Before any await: the queue loop wakes on ContactAccepted and needs the leg.
        self.connected = True
        self.connected_agent = agent_id
        self.agent_leg = leg
        self.agent_media_leg = media_leg
        leg.on_media_changed = self._media_changed
        remote = leg.remote_media
        assert remote is not None
        media = self.voice.media
        await self._connect_media(media_leg, remote)
        await media.bridge(self.media_leg, media_leg)
        self.bridged.set()
        await self.voice.controls.bridged(self)

    @property
    def agent_media(self) -> str | None:
        """The engine leg of the agent's side, whatever the device."""
        if self.softphone_agent is not None:
            return self.voice.softphones.get(self.softphone_agent)
        return self.agent_media_leg

    async def _connect_softphone(self, agent_id: str) -> None:
        media_leg = self.voice.softphones.get(agent_id)
        if media_leg is None:
            return
        try:
            await self.voice.media.stop_playing(self.media_leg)
            await self.voice.media.bridge(self.media_leg, media_leg)
            self.bridged.set()
            await self.voice.controls.bridged(self)
        except Exception:
            log.exception(
                "call %s: bridging the softphone of %s failed", self.leg.call_id, agent_id
            )

    # ---- voicemail and transfer ---------------------------------------------------------

    async def _voicemail(self, node: VoicemailNode) -> None:
        prompt = await self.voice.prompt(node.prompt or "voicemail")
        await self._play_to_end([prompt, await self.voice.prompt("beep")])
        path = self.voice.voicemail_path(self.leg.call_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        recording_id = f"vm-{uuid.uuid4().hex}"
        await self.voice.media.start_recording(recording_id, str(path), [self.media_leg])
        self._drain_digits()
        try:
            digit = asyncio.ensure_future(self._until_hash())
            try:
                async with asyncio.timeout(node.max_seconds):
                    await self._wait_ended_or(digit)
            except (TimeoutError, CallerGone):
                pass
            finally:
                digit.cancel()
        finally:
            await self.voice.media.stop_recording(recording_id)
        queue_id = f"call:{node.queue_id}"
        contact = NewContact(uuid.uuid4().hex, queue_id, ContactKind.CALLBACK, self.leg.caller)
        await self._acd_command(lambda r, now: r.enqueue(contact, now))
        await self.voice.voicemail_left(self, contact.contact_id, path, queue_id)
        self.outcome = "voicemail"
        if self.leg.state is not LegState.ENDED:
            await self._play_to_end([await self.voice.prompt("goodbye")])

    async def _until_hash(self) -> None:
        while await self.digits.get() != HASH:
            continue

    async def _transfer(self, node: TransferNode) -> None:
        target = node.target
        leg: OutboundLeg | None = None
        if target.startswith("+"):
            # An outside number: through the first enabled trunk, answering its challenge.
            route = await self.voice.outbound_target(target)
            if route is not None:
                peer, request_uri, from_uri, credentials = route
                leg = OutboundLeg(
                    self.voice.endpoint,
                    peer=peer,
                    request_uri=request_uri,
                    from_uri=from_uri,
                    from_name=None,
                    to_uri=request_uri,
                    credentials=credentials,
                )
        else:
            devices = await self.voice.extension_devices(target)
            if devices:
                extension, peer, contact = devices[0]
                leg = OutboundLeg(
                    self.voice.endpoint,
                    peer=peer,
                    request_uri=contact,
                    from_uri=f"sip:{self.leg.caller or 'anonymous'}@{self.voice.endpoint.host}",
                    from_name=self.leg.caller_name,
                    to_uri=f"sip:{extension}@{self.voice.endpoint.host}",
                )
        if leg is None:
            log.info("call %s: transfer target %s is not reachable", self.leg.call_id, target)
            await self._play_to_end([await self.voice.prompt("goodbye")])
            self.outcome = "transfer failed"
            return
        await self._play_to_end([await self.voice.prompt("transfer")])
        media = self.voice.media
        media_leg, offer_sdp = await self._prepare(leg, "transfer")
        await self._play([await self.voice.hold_music()], loop=True)
        invite = asyncio.ensure_future(leg.invite(offer_sdp))
        try:
            await self._wait_ended_or(invite)
        except CallerGone:
            leg.cancel()
            raise
        response = invite.result()
        log.info("call %s: transfer to %s answered %d", self.leg.call_id, target, response.status)
        if not 200 <= response.status < 300 or leg.remote_media is None:
            await self._play_to_end([await self.voice.prompt("goodbye")])
            self.outcome = "transfer failed"
            return
        remote = leg.remote_media
        await self._connect_media(media_leg, remote)
        self.agent_leg = leg
        self.agent_media_leg = media_leg
        await media.bridge(self.media_leg, media_leg)
        self.outcome = "transferred"
        ended = asyncio.ensure_future(leg.wait_ended())
        with contextlib.suppress(CallerGone):
            await self._wait_ended_or(ended)
        ended.cancel()


def describe(call: InboundCall) -> dict[str, Any]:
    return {
        "call_id": call.leg.call_id,
        "number": call.number,
        "caller": call.leg.caller,
        "contact_id": call.contact_id,
        "outcome": call.outcome,
    }
