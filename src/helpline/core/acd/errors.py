"""Typed errors raised by the ACD core."""

from __future__ import annotations


class AcdError(Exception):
    """Base class of every error the ACD core raises."""


class UnknownAgentError(AcdError, KeyError):
    """No agent with this id."""


class UnknownQueueError(AcdError, KeyError):
    """No queue with this id."""


class UnknownContactError(AcdError, KeyError):
    """No live contact with this id."""


class UnknownOfferError(AcdError, KeyError):
    """No offer with this id, or the offer is no longer open."""


class DuplicateIdError(AcdError, ValueError):
    """An agent, queue or contact with this id already exists."""


class InvalidTransitionError(AcdError):
    """A state machine was asked for a transition its current state does not allow."""

    def __init__(self, machine: str, state: str, action: str) -> None:
        super().__init__(f"{machine} in state {state!r} cannot {action}")
        self.machine = machine
        self.state = state
        self.action = action


class NotAllowedError(AcdError):
    """The command is valid but the queue settings forbid it (e.g. ending wrap-up early)."""


class AgentBusyError(AcdError):
    """The agent still has a connected contact (e.g. cannot log out during a call)."""
