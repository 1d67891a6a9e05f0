from __future__ import annotations

from helpline.storage.eventlog import Event


class CallStarted(Event):
    """A call reached a number that a call plan answers."""

    type = "call.started"
    call_id: str
    number: str
    caller: str | None
    call_plan_id: int


class CallEnded(Event):
    type = "call.ended"
    call_id: str
    number: str
    # "handled", "expired", "left by *", "voicemail", "transferred", "caller hung up",
    # "completed" (the plan ran to its end), "transfer failed" or "failed".
    outcome: str


class VoicemailLeft(Event):
    """A caller left a message; it waits in ``queue_id`` as a callback contact."""

    type = "call.voicemail_left"
    call_id: str
    caller: str | None
    queue_id: str
    contact_id: str
    recording: str  # path under the data directory
