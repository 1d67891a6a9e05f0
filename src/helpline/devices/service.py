"""The registrar (RFC 3261 section 10.3), over bindings kept in the database.

The SIP layer authenticates the REGISTER and hands over what it asks; this module decides
which bindings to add, refresh or remove. Keeping bindings in the database (not only in
memory) lets the dashboards show which devices are active and lets a restart keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.devices import repository
from helpline.devices.events import DeviceRegistered, DeviceUnregistered
from helpline.devices.models import SipRegistration
from helpline.errors import DomainError, NotAllowed
from helpline.storage.eventlog import append_event
from helpline.users.models import User

DEFAULT_EXPIRES = 3600
MIN_EXPIRES = 60
MAX_EXPIRES = 3600
MAX_DEVICES_PER_LINE = 10


class IntervalTooBrief(DomainError):
    """Answered with 423 and Min-Expires (RFC 3261 10.3 step 7)."""

    min_expires = MIN_EXPIRES


class OutOfOrder(DomainError):
    """A REGISTER older than the one that made the binding (answered with 500)."""


@dataclass(frozen=True, slots=True)
class ContactBinding:
    uri: str  # the Contact URI, as the phone wrote it
    expires: int | None  # the contact's own expires parameter


@dataclass(frozen=True, slots=True)
class Registration:
    extension: str
    contacts: Sequence[ContactBinding]
    wildcard: bool
    expires_header: int | None
    call_id: str
    cseq: int
    transport: str
    source_host: str
    source_port: int
    user_agent: str


def snapshot(binding: SipRegistration) -> dict[str, Any]:
    return {
        "id": binding.id,
        "user_id": binding.user_id,
        "extension": binding.extension,
        "contact": binding.contact,
        "transport": binding.transport,
        "source": f"{binding.source_host}:{binding.source_port}",
        "user_agent": binding.user_agent,
        "expires_at": binding.expires_at.isoformat(),
    }


def _expires(contact: ContactBinding, header: int | None) -> int:
    if contact.expires is not None:
        return contact.expires
    if header is not None:
        return header
    return DEFAULT_EXPIRES


async def register(
    *, session: AsyncSession, user: User, registration: Registration, now: datetime
) -> Sequence[SipRegistration]:
    """Apply one REGISTER; returns the line's live bindings to list in the 200 OK."""
    extension = registration.extension
    if extension not in {line.extension for line in user.lines}:
        raise NotAllowed(f"line {extension} is not one of {user.username}'s lines")
    existing = {b.contact: b for b in await repository.bindings(session, extension)}
    if registration.wildcard:
        if registration.contacts or registration.expires_header != 0:
            raise DomainError("Contact: * needs Expires: 0 and no other contact")
        for every in existing.values():
            await _remove(session, every, cause="phone", now=now)
        return []
    for contact in registration.contacts:
        expires = _expires(contact, registration.expires_header)
        if 0 < expires < MIN_EXPIRES:
            raise IntervalTooBrief(f"registrations must last at least {MIN_EXPIRES} seconds")
    binding: SipRegistration | None
    for contact in registration.contacts:
        expires = min(_expires(contact, registration.expires_header), MAX_EXPIRES)
        found = existing.get(contact.uri)
        if (
            found is not None
            and found.call_id == registration.call_id
            and registration.cseq <= found.cseq
        ):
            raise OutOfOrder("a newer REGISTER already updated this binding")
        binding = found
        if expires == 0:
            if binding is not None:
                await _remove(session, binding, cause="phone", now=now)
                del existing[contact.uri]
            continue
        if binding is None:
            live = [b for b in existing.values() if b.expires_at > now]
            if len(live) >= MAX_DEVICES_PER_LINE:
                raise NotAllowed(f"line {extension} already has {MAX_DEVICES_PER_LINE} devices")
            binding = SipRegistration(
                user_id=user.id,
                extension=extension,
                contact=contact.uri,
                registered_at=now,
            )
            _refresh(binding, registration, now + timedelta(seconds=expires))
            await repository.add(session, binding)
            existing[contact.uri] = binding
            append_event(session, DeviceRegistered(device=snapshot(binding)), occurred_at=now)
            continue
        was_live = binding.expires_at > now
        _refresh(binding, registration, now + timedelta(seconds=expires))
        if not was_live:
            binding.registered_at = now
            append_event(session, DeviceRegistered(device=snapshot(binding)), occurred_at=now)
    await repository.flush(session)
    return await repository.live_bindings(session, extension, now)


def _refresh(binding: SipRegistration, registration: Registration, expires_at: datetime) -> None:
    binding.expires_at = expires_at
    binding.call_id = registration.call_id
    binding.cseq = registration.cseq
    binding.transport = registration.transport
    binding.source_host = registration.source_host
    binding.source_port = registration.source_port
    binding.user_agent = registration.user_agent[:200]


async def _remove(
    session: AsyncSession, binding: SipRegistration, *, cause: str, now: datetime
) -> None:
    data = snapshot(binding)
    await repository.delete(session, binding)
    append_event(session, DeviceUnregistered(device=data, cause=cause), occurred_at=now)


async def bindings_of(
    *, session: AsyncSession, extension: str, now: datetime
) -> Sequence[SipRegistration]:
    return await repository.live_bindings(session, extension, now)


async def registered_from(*, session: AsyncSession, host: str, now: datetime) -> bool:
    """Whether a phone of one of the users' lines is registered from address ``host``."""
    return await repository.has_live_binding_from(session, host, now)


async def list_devices(
    *, session: AsyncSession, now: datetime, user_ids: Sequence[int] | None = None
) -> Sequence[SipRegistration]:
    return await repository.list_live(session, now, user_ids=user_ids)


async def expire(*, session: AsyncSession, now: datetime) -> int:
    """Remove the bindings whose phones stopped refreshing them."""
    gone = await repository.expired(session, now)
    for binding in gone:
        await _remove(session, binding, cause="expired", now=now)
    return len(gone)
