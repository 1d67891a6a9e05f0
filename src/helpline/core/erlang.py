"""Erlang C: queueing formulas for staffing (M/M/N, infinite patience).

Traffic ``A`` in Erlangs = arrival rate x average handle time. All functions use the
numerically stable Erlang B recurrence ``B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))`` and
``C = N B / (N - A (1 - B))``, so they work for thousands of agents and Erlangs (no
factorials, no powers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def traffic_intensity(contacts: float, interval_seconds: float, aht_seconds: float) -> float:
    """Offered traffic in Erlangs: ``contacts`` arriving per ``interval_seconds``."""
    if interval_seconds <= 0 or aht_seconds <= 0 or contacts < 0:
        raise ValueError("interval and handle time must be > 0, contacts >= 0")
    return contacts * aht_seconds / interval_seconds


def erlang_b(servers: int, traffic: float) -> float:
    """Blocking probability of an M/M/N/N system."""
    if servers < 0 or traffic < 0:
        raise ValueError("servers and traffic must be >= 0")
    b = 1.0
    for n in range(1, servers + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a contact has to wait (all ``servers`` busy). 1.0 when the system
    is overloaded (``traffic >= servers``)."""
    if traffic <= 0:
        return 0.0
    if servers <= traffic:
        return 1.0
    b = erlang_b(servers, traffic)
    return servers * b / (servers - traffic * (1.0 - b))


def service_level(servers: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Fraction of contacts answered within ``target_seconds``."""
    if servers <= traffic:
        return 0.0
    c = erlang_c(servers, traffic)
    return 1.0 - c * math.exp(-(servers - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(servers: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait over all contacts (ASA), seconds; ``inf`` when overloaded."""
    if servers <= traffic:
        return math.inf
    return erlang_c(servers, traffic) * aht_seconds / (servers - traffic)


def occupancy(servers: int, traffic: float) -> float:
    """Fraction of time agents are busy (capped at 1)."""
    if servers <= 0:
        return 1.0
    return min(1.0, traffic / servers)


@dataclass(frozen=True, slots=True)
class StaffingResult:
    traffic: float  # Erlangs
    raw_agents: int  # agents needed on the phones
    scheduled_agents: int  # raw agents grossed up for shrinkage
    service_level: float
    occupancy: float
    wait_probability: float
    average_speed_of_answer: float  # seconds


def staffing(
    contacts: float,
    interval_seconds: float,
    aht_seconds: float,
    target_seconds: float,
    service_level_target: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """The fewest agents that meet the service level target and the maximum occupancy.

    Reference case: 100 contacts per 1800 s, AHT 180 s, 20 s target, 80 % service level,
    30 % shrinkage, 85 % maximum occupancy -> 14 raw agents, 20 scheduled, service level
    0.888, occupancy 0.714, wait probability 0.174.
    """
    if not 0 < service_level_target < 1:
        raise ValueError("service_level_target must be within (0, 1)")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be within [0, 1)")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be within (0, 1]")
    if target_seconds < 0:
        raise ValueError("target_seconds must be >= 0")
    traffic = traffic_intensity(contacts, interval_seconds, aht_seconds)
    if traffic == 0:
        return StaffingResult(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    servers = max(1, math.floor(traffic) + 1, math.ceil(traffic / max_occupancy - 1e-9))
    # Erlang B iterates upwards, so carry it along instead of restarting at each n.
    b = erlang_b(servers, traffic)
    while True:
        if servers > traffic:
            c = servers * b / (servers - traffic * (1.0 - b))
            sl = 1.0 - c * math.exp(-(servers - traffic) * target_seconds / aht_seconds)
            if sl >= service_level_target and traffic / servers <= max_occupancy + 1e-12:
                return StaffingResult(
                    traffic=traffic,
                    raw_agents=servers,
                    scheduled_agents=math.ceil(servers / (1.0 - shrinkage) - 1e-9),
                    service_level=sl,
                    occupancy=traffic / servers,
                    wait_probability=c,
                    average_speed_of_answer=c * aht_seconds / (servers - traffic),
                )
        servers += 1
        b = traffic * b / (servers + traffic * b)
