"""Video rooms: a WebRTC meeting between the agent of a chat and its customer.

Audio and video go from browser to browser; Helpline relays only the signalling (the
offer, the answer and the ICE candidates) between the two participants, each connected
over a WebSocket of their own. Rooms live in memory: a restart ends them (their
WebSockets close with it); their opening and ending are events.
"""

from __future__ import annotations

import enum
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.errors import Conflict, Invalid, NotAllowed, NotFound
from helpline.storage.eventlog import append_event
from helpline.video.events import VideoRoomEnded, VideoRoomOpened

ROOM_LIFETIME = timedelta(hours=2)
MAX_SIGNAL_BYTES = 64 * 1024  # an SDP with many candidates is a few kB
MAX_SIGNALS_PER_MINUTE = 600  # trickled candidates come in bursts of tens
SIGNAL_KINDS = frozenset({"offer", "answer", "candidate"})


class Role(enum.StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"

    @property
    def other(self) -> Role:
        return Role.CUSTOMER if self is Role.AGENT else Role.AGENT


# What a participant's socket must offer: send one JSON message; close.
Send = Callable[[dict[str, Any]], Awaitable[None]]
Close = Callable[[], Awaitable[None]]


@dataclass
class Participant:
    send: Send
    close: Close
    signals: list[float] = field(default_factory=list)  # monotonic times, last minute


@dataclass
class Room:
    room_id: str
    customer_key: str
    conversation_id: int
    agent_id: int
    opened_at: datetime
    expires_at: datetime
    ended_by: str | None = None
    participants: dict[Role, Participant] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.ended_by is None


class VideoRooms:
    """The open rooms, one at most per conversation."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._by_conversation: dict[int, str] = {}

    def open(self, *, conversation_id: int, agent_id: int, now: datetime) -> tuple[Room, bool]:
        """The conversation's live room (True: opened now). The agent of another live room
        of the conversation must end it first."""
        self._forget_expired(now)
        current = self._rooms.get(self._by_conversation.get(conversation_id, ""))
        if current is not None and current.live and current.expires_at > now:
            if current.agent_id != agent_id:
                raise Conflict("another agent's video room is open for this conversation")
            return current, False
        room = Room(
            room_id=secrets.token_urlsafe(16),
            customer_key=secrets.token_urlsafe(24),
            conversation_id=conversation_id,
            agent_id=agent_id,
            opened_at=now,
            expires_at=now + ROOM_LIFETIME,
        )
        self._rooms[room.room_id] = room
        self._by_conversation[conversation_id] = room.room_id
        return room, True

    def get(self, room_id: str, now: datetime) -> Room:
        self._forget_expired(now)
        room = self._rooms.get(room_id)
        if room is None or not room.live or room.expires_at <= now:
            raise NotFound("this video room has ended or does not exist")
        return room

    def for_conversation(self, conversation_id: int, now: datetime) -> Room | None:
        room_id = self._by_conversation.get(conversation_id)
        if room_id is None:
            return None
        try:
            return self.get(room_id, now)
        except NotFound:
            return None

    @staticmethod
    def admit(room: Room, *, key: str | None = None, user_id: int | None = None) -> Role:
        """The role of whoever presents ``key`` (the customer's link) or is ``user_id``."""
        if key is not None:
            if hmac.compare_digest(key.encode(), room.customer_key.encode()):
                return Role.CUSTOMER
            raise NotAllowed("this link is not valid for the room")
        if user_id is not None and user_id == room.agent_id:
            return Role.AGENT
        raise NotAllowed("only the agent who opened the room and the customer may join it")

    async def join(self, room: Room, role: Role, participant: Participant) -> None:
        """A participant connects (again, after a reload: the older socket is closed)."""
        previous = room.participants.get(role)
        room.participants[role] = participant
        if previous is not None:
            await previous.close()
        other = room.participants.get(role.other)
        await participant.send({"type": "joined", "role": role, "peer": other is not None})
        if other is not None:
            await other.send({"type": "peer_joined", "role": role})

    async def leave(self, room: Room, role: Role, participant: Participant) -> None:
        if room.participants.get(role) is not participant:
            return  # replaced by a newer socket of the same participant
        del room.participants[role]
        other = room.participants.get(role.other)
        if other is not None and room.live:
            await other.send({"type": "peer_left", "role": role})

    async def relay(
        self, room: Room, role: Role, participant: Participant, signal: Any, size: int
    ) -> None:
        """Pass an offer, answer or candidate to the other participant (if connected)."""
        if size > MAX_SIGNAL_BYTES:
            raise Invalid(f"a signalling message has at most {MAX_SIGNAL_BYTES} bytes")
        if not isinstance(signal, dict) or signal.get("kind") not in SIGNAL_KINDS:
            raise Invalid("a signal is an object whose kind is offer, answer or candidate")
        clock = time.monotonic()
        participant.signals = [t for t in participant.signals if clock - t < 60.0]
        if len(participant.signals) >= MAX_SIGNALS_PER_MINUTE:
            raise Invalid("too many signalling messages: slow down")
        participant.signals.append(clock)
        other = room.participants.get(role.other)
        if other is not None:
            await other.send({"type": "signal", "signal": signal})

    def end(self, room: Room, by: str) -> bool:
        """Mark the room ended (False: it had ended already); :meth:`dismiss` then tells
        the participants, once the caller has recorded it."""
        if not room.live:
            return False
        room.ended_by = by
        if self._by_conversation.get(room.conversation_id) == room.room_id:
            del self._by_conversation[room.conversation_id]
        return True

    @staticmethod
    async def dismiss(room: Room) -> None:
        for participant in list(room.participants.values()):
            await participant.send({"type": "ended", "by": room.ended_by})
            await participant.close()
        room.participants.clear()

    def _forget_expired(self, now: datetime) -> None:
        # A room that expires with participants is ended by their sockets' handler (it
        # waits until the expiry), which tells them; the others go quietly.
        for room_id, room in list(self._rooms.items()):
            if (not room.live or room.expires_at <= now) and not room.participants:
                del self._rooms[room_id]
                if self._by_conversation.get(room.conversation_id) == room_id:
                    del self._by_conversation[room.conversation_id]


def record_opened(*, session: AsyncSession, room: Room, now: datetime) -> None:
    append_event(
        session,
        VideoRoomOpened(
            room_id=room.room_id, conversation_id=room.conversation_id, agent_id=room.agent_id
        ),
        occurred_at=now,
        actor_user_id=room.agent_id,
    )


def record_ended(
    *, session: AsyncSession, room: Room, by: str, now: datetime, actor_id: int | None
) -> None:
    append_event(
        session,
        VideoRoomEnded(
            room_id=room.room_id,
            conversation_id=room.conversation_id,
            agent_id=room.agent_id,
            ended_by=by,
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
