"""Hosts and addresses of trunks: checking what the admin types, resolving host names.

Standard library only (``ipaddress``, the event loop's ``getaddrinfo``), so that both the
services and the registration client use it. DNS SRV and NAPTR are not looked up: a trunk
names the host and port to use, as most carriers' setup sheets do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Resolves a host name to its addresses; an empty tuple when it cannot.
Resolve = Callable[[str], Awaitable[tuple[IPAddress, ...]]]

MAX_HOST_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_ip(text: str) -> IPAddress | None:
    """``text`` as an IP address (brackets and IPv4-mapped IPv6 accepted), or None."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
        return address.ipv4_mapped
    return address


def normalize_host(value: str) -> str:
    """A host name (lower case) or an IP address; ValueError with a message for a person."""
    text = value.strip().lower()
    if not text:
        raise ValueError("a trunk needs a host: a host name or an IP address")
    if text.startswith(("sip:", "sips:")) or "://" in text:
        raise ValueError(
            f"{value.strip()!r}: give the host alone, such as sip.carrier.example, without sip:"
        )
    address = parse_ip(text)
    if address is not None:
        if address.is_unspecified or address.is_multicast:
            raise ValueError(f"{value.strip()!r} is not the address of one host")
        return str(address)
    if text.count(":") == 1 and text.rsplit(":", 1)[1].isdigit():
        raise ValueError(f"{value.strip()!r}: put the port in the port field, not in the host")
    name = text.removesuffix(".")
    labels = name.split(".")
    if (
        len(name) > MAX_HOST_LENGTH
        or not all(_LABEL.match(label) for label in labels)
        # 10.0.0.300 is a mistyped address, not a name: top-level domains are not numeric.
        or labels[-1].isdigit()
    ):
        raise ValueError(
            f"{value.strip()!r} is neither a host name (such as sip.carrier.example) nor an "
            "IP address (such as 203.0.113.10)"
        )
    return name


def normalize_network(value: str) -> str:
    """An IP address or a CIDR network as stored: ``192.0.2.7``, ``198.51.100.0/24``."""
    text = value.strip()
    if "/" not in text:
        address = parse_ip(text)
        if address is None:
            raise ValueError(
                f"{text!r} is not an IP address or a network (such as 203.0.113.10 or "
                "198.51.100.0/24)"
            )
        return str(address)
    try:
        network = ipaddress.ip_network(text)
    except ValueError:
        try:
            meant = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(
                f"{text!r} is not an IP address or a network (such as 203.0.113.10 or "
                "198.51.100.0/24)"
            ) from None
        raise ValueError(f"{text!r} has host bits set: did you mean {meant}?") from None
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def network_of(text: str) -> IPNetwork:
    """A stored address or network, as a network (a lone address is a /32 or /128)."""
    return ipaddress.ip_network(text, strict=False)


class HostResolver:
    """Resolves host names through the event loop, remembering answers for a while.

    Every INVITE from a carrier asks which trunk it came from; the cache keeps that from
    costing a DNS query each time. Failures are remembered for less time than answers.
    """

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        failure_ttl: float = 30.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[float, tuple[IPAddress, ...]]] = {}

    async def __call__(self, host: str) -> tuple[IPAddress, ...]:
        literal = parse_ip(host)
        if literal is not None:
            return (literal,)
        now = self._clock()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM), self.timeout
            )
        except (OSError, TimeoutError) as error:
            log.warning("cannot resolve the trunk host %s: %s", host, error)
            self._cache[host] = (now + self.failure_ttl, ())
            return ()
        found: list[IPAddress] = []
        for info in infos:
            address = parse_ip(str(info[4][0]).split("%", 1)[0])
            if address is not None and address not in found:
                found.append(address)
        answer = tuple(found)
        self._cache[host] = (now + (self.ttl if answer else self.failure_ttl), answer)
        return answer


# The process's resolver (its cache is shared by every lookup).
resolve_host: Resolve = HostResolver()
