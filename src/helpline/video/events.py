"""The video rooms' events (the signalling itself is not stored)."""

from __future__ import annotations

from helpline.storage.eventlog import Event


class VideoRoomOpened(Event):
    type = "video.room_opened"
    room_id: str
    conversation_id: int
    agent_id: int


class VideoRoomEnded(Event):
    type = "video.room_ended"
    room_id: str
    conversation_id: int
    agent_id: int
    ended_by: str  # agent, customer, expired
