"""Events of the agent's and the supervisor's call controls (``helpline.voice.controls``)."""

from __future__ import annotations

from helpline.storage.eventlog import Event


class RecordingStarted(Event):
    """A segment of the call's recording began: the mix and one file per party."""

    type = "call.recording_started"
    call_id: str
    contact_id: str | None
    segment: int
    files: list[str]  # under the data directory
    paused: bool  # a segment started while the agent had paused starts paused


class RecordingPaused(Event):
    type = "call.recording_paused"
    call_id: str
    contact_id: str | None
    agent_id: str | None


class RecordingResumed(Event):
    type = "call.recording_resumed"
    call_id: str
    contact_id: str | None
    agent_id: str | None


class RecordingStopped(Event):
    type = "call.recording_stopped"
    call_id: str
    contact_id: str | None
    segment: int
    duration_ms: int


class PartyAdded(Event):
    """The agent dialed a third party into the call (it rings)."""

    type = "call.party_added"
    call_id: str
    contact_id: str | None
    agent_id: str
    party_id: str
    target: str


class PartyJoined(Event):
    """The third party answered: caller, agent and third party hear each other."""

    type = "call.party_joined"
    call_id: str
    contact_id: str | None
    party_id: str
    target: str


class PartyLeft(Event):
    type = "call.party_left"
    call_id: str
    contact_id: str | None
    party_id: str
    target: str
    # "dropped" by the agent, "hung up", "no answer" / "rejected NNN", "unreachable",
    # "call ended"
    reason: str


class AgentLeftCall(Event):
    """The agent left a 3-way call: the caller and the third party talk on."""

    type = "call.agent_left"
    call_id: str
    contact_id: str | None
    agent_id: str


class MonitorStarted(Event):
    """A supervisor's phone joined an agent's call (``mode``: listen, whisper or barge)."""

    type = "call.monitor_started"
    call_id: str
    contact_id: str | None
    agent_id: str
    supervisor_id: str
    mode: str


class MonitorModeChanged(Event):
    type = "call.monitor_mode_changed"
    call_id: str
    contact_id: str | None
    agent_id: str
    supervisor_id: str
    mode: str


class MonitorEnded(Event):
    type = "call.monitor_ended"
    call_id: str
    contact_id: str | None
    agent_id: str
    supervisor_id: str
    reason: str
