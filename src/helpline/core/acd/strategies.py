"""Routing strategies and the small decision functions of the ACD.

A strategy is an ordering of a queue's idle agents: the router keeps, per queue and per
agent level, a heap keyed by :func:`idle_key` and offers a contact to the top of it (for
``ring_all``: to every idle agent at once; for ``skills``: to the top of the highest level
bucket that meets the contact's current requirement).

==============  ==========================================================================
longest_idle    the agent idle the longest (``idle_since``: the moment they last became
                free: login, ready after a pause, end of wrap-up); chat queues first
                prefer the agent with the fewest chats in progress
round_robin     the agent offered a contact from this queue the longest ago (in turn)
ring_all        every idle agent at once; the first to accept gets it
fewest_today    the agent who handled the fewest contacts today, then longest idle
skills          the most proficient idle agent whose level meets the contact's current
                requirement (which widens as it waits), then longest idle
==============  ==========================================================================

Ties are broken by the order in which agents were added to the router.
"""

from __future__ import annotations

import re

from helpline.core.acd.model import Seat, Strategy

# Idle-key kinds (``QueueState.key_kind``); the router inlines the same computation.
KEY_IDLE_SINCE = 0  # voice, longest idle / ring all / skills: (idle_since, 0)
KEY_CHATS_THEN_IDLE = 1  # chat, same strategies: (chats in progress, idle_since)
KEY_ROUND_ROBIN = 2  # (last offer in this queue, chats in progress)
KEY_FEWEST_TODAY = 3  # (handled today, idle_since)


def key_kind(strategy: Strategy, is_chat: bool) -> int:
    if strategy is Strategy.ROUND_ROBIN:
        return KEY_ROUND_ROBIN
    if strategy is Strategy.FEWEST_TODAY:
        return KEY_FEWEST_TODAY
    return KEY_CHATS_THEN_IDLE if is_chat else KEY_IDLE_SINCE


def idle_key(seat: Seat) -> tuple[float, float]:
    """The key that orders ``seat`` among its queue's idle agents (smaller first); the
    agent's order of creation breaks ties. Reference implementation of the router's
    inlined computation."""
    agent = seat.agent
    kind = key_kind(seat.queue.strategy, seat.queue.is_chat)
    if kind == KEY_IDLE_SINCE:
        return (agent.idle_since, 0.0)
    if kind == KEY_CHATS_THEN_IDLE:
        return (float(agent.chat_work), agent.idle_since)
    if kind == KEY_ROUND_ROBIN:
        return (float(seat.rr), float(agent.chat_work))
    return (float(agent.handled_today), agent.idle_since)


# E.164: a "+" (optional here), a country code not starting with 0, at most 15 digits.
_CALLER_ID = re.compile(r"^\+?[1-9][0-9]{6,14}$")


def valid_caller_id(caller_id: str | None) -> bool:
    """Whether a caller ID can be called back (E.164-ish: ``+`` optional, 7..15 digits)."""
    if not caller_id:
        return False
    return _CALLER_ID.match(caller_id.replace(" ", "").replace("-", "")) is not None


def should_offer_callback(
    *,
    enabled: bool,
    already_offered: bool,
    average_wait_15min: float | None,
    threshold: float,
    agents_available: int,
    caller_id: str | None,
) -> bool:
    """The callback offer decision (DESIGN §2): offered once, when the average wait of the
    last 15 minutes exceeds the queue threshold, no agent is available and the caller ID is
    valid. ``average_wait_15min`` is ``None`` when nobody left the queue in 15 minutes."""
    return (
        enabled
        and not already_offered
        and average_wait_15min is not None
        and average_wait_15min > threshold
        and agents_available == 0
        and valid_caller_id(caller_id)
    )


def estimate_wait(
    position: int, agents_able: int, agents_idle: int, average_handle_time: float
) -> float | None:
    """Estimated remaining wait of the contact at ``position`` (1 = head of the line).

    With ``agents_able`` agents logged in (not paused) who can serve it, of whom
    ``agents_idle`` are free, the contact waits for ``position - agents_idle`` completions,
    which come at a rate of ``agents_able / average_handle_time``. ``None``: nobody can
    serve it now (unknown).
    """
    if agents_able <= 0:
        return None
    ahead = position - agents_idle
    if ahead <= 0:
        return 0.0
    return ahead * average_handle_time / agents_able
