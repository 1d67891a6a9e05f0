"""Explicit state machines (in the style of wazo-calld's ``plugins/calls/state.py``).

Each state is a class; a transition is a method that returns the next state; a transition
the state does not allow raises :class:`InvalidTransitionError`. States carry no data, so
each is a singleton (no allocation on the hot path); the data (pause reason, agent, times)
lives on the agent or contact object that holds the state.

Agent presence (the agent's own choice): ``logged_out -> ready <-> paused -> logged_out``.
The dashboard status (busy / wrap-up) is derived from presence and the agent's work.

Contact lifecycle::

    created -> queued -> offered -> connected -> wrap_up -> ended
                 ^  |       |
                 |  |       +-> queued (declined, missed, cancelled: back to its place)
                 |  +-> abandoned | expired | callback_requested
                 +--- offered -> abandoned (the customer left while ringing)
"""

from __future__ import annotations

from typing import ClassVar

from helpline.core.acd.errors import InvalidTransitionError


class PresenceState:
    name: ClassVar[str] = "?"

    def _invalid(self, action: str) -> PresenceState:
        raise InvalidTransitionError("agent presence", self.name, action)

    def login(self) -> PresenceState:
        return self._invalid("log in")

    def ready(self) -> PresenceState:
        return self._invalid("become ready")

    def pause(self) -> PresenceState:
        return self._invalid("pause")

    def logout(self) -> PresenceState:
        return self._invalid("log out")

    def __repr__(self) -> str:
        return f"<{self.name}>"


class LoggedOut(PresenceState):
    name = "logged_out"

    def login(self) -> PresenceState:
        return READY


class Ready(PresenceState):
    name = "ready"

    def login(self) -> PresenceState:  # logging into more queues
        return self

    def ready(self) -> PresenceState:  # idempotent: also clears per-queue pauses
        return self

    def pause(self) -> PresenceState:
        return PAUSED

    def logout(self) -> PresenceState:
        return LOGGED_OUT


class Paused(PresenceState):
    name = "paused"

    def login(self) -> PresenceState:
        return self

    def ready(self) -> PresenceState:
        return READY

    def pause(self) -> PresenceState:  # change of reason
        return self

    def logout(self) -> PresenceState:
        return LOGGED_OUT


LOGGED_OUT = LoggedOut()
READY = Ready()
PAUSED = Paused()
PRESENCE_BY_NAME: dict[str, PresenceState] = {s.name: s for s in (LOGGED_OUT, READY, PAUSED)}


class ContactState:
    name: ClassVar[str] = "?"
    waiting: ClassVar[bool] = False  # in a queue's waiting list
    final: ClassVar[bool] = False

    def _invalid(self, action: str) -> ContactState:
        raise InvalidTransitionError("contact", self.name, action)

    def queue(self) -> ContactState:
        return self._invalid("be queued")

    def offer(self) -> ContactState:
        return self._invalid("be offered")

    def requeue(self) -> ContactState:
        return self._invalid("go back to the queue")

    def accept(self) -> ContactState:
        return self._invalid("be accepted")

    def end(self) -> ContactState:
        return self._invalid("end")

    def finish_wrap_up(self) -> ContactState:
        return self._invalid("finish wrap-up")

    def abandon(self) -> ContactState:
        return self._invalid("be abandoned")

    def expire(self) -> ContactState:
        return self._invalid("expire")

    def request_callback(self) -> ContactState:
        return self._invalid("become a callback request")

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Created(ContactState):
    name = "created"

    def queue(self) -> ContactState:
        return QUEUED


class Queued(ContactState):
    name = "queued"
    waiting = True

    def offer(self) -> ContactState:
        return OFFERED

    def abandon(self) -> ContactState:
        return ABANDONED

    def expire(self) -> ContactState:
        return EXPIRED

    def request_callback(self) -> ContactState:
        return CALLBACK_REQUESTED


class Offered(ContactState):
    name = "offered"

    def offer(self) -> ContactState:  # ring all: several offers at once
        return self

    def requeue(self) -> ContactState:
        return QUEUED

    def accept(self) -> ContactState:
        return CONNECTED

    def abandon(self) -> ContactState:
        return ABANDONED

    def expire(self) -> ContactState:
        return EXPIRED

    def request_callback(self) -> ContactState:
        return CALLBACK_REQUESTED


class Connected(ContactState):
    name = "connected"

    def end(self) -> ContactState:
        return WRAP_UP


class WrapUp(ContactState):
    name = "wrap_up"

    def finish_wrap_up(self) -> ContactState:
        return ENDED


class Ended(ContactState):
    name = "ended"
    final = True


class Abandoned(ContactState):
    name = "abandoned"
    final = True


class Expired(ContactState):
    name = "expired"
    final = True


class CallbackRequested(ContactState):
    name = "callback_requested"
    final = True


CREATED = Created()
QUEUED = Queued()
OFFERED = Offered()
CONNECTED = Connected()
WRAP_UP = WrapUp()
ENDED = Ended()
ABANDONED = Abandoned()
EXPIRED = Expired()
CALLBACK_REQUESTED = CallbackRequested()
