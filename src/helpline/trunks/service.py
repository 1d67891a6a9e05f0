"""SIP trunks: the carriers that bring calls in and take them out.

A trunk has the carrier's host, port and transport, optional credentials (for the
carrier's digest challenges and for REGISTER), the DIDs it brings and the addresses its
calls come from. The password is stored encrypted (``crypto.py``), never returned.

DIDs and call plans
    A trunk lists its DIDs (``trunk_numbers``, each unique across trunks); which call plan
    answers a DID is decided by the call plans' numbers (``call_plan_numbers``), the same
    table that routes internal numbers. The trunk API shows each DID's plan and can set it
    (``call_plan_id``), through ``helpline.call_plans.service.set_numbers``, so that its
    checks and its ``call_plan.numbers_changed`` events stay the only way routes change.
    Removing a DID from a trunk, or deleting the trunk, leaves its route alone: moving a
    DID to another carrier keeps the plan that answers it.

For the voice service (all keyword-only; none commits):

``trunk_for_source(session=, host=)`` -> ``Trunk | None``
    The enabled trunk an INVITE from ``host`` (the packet's source IP) comes from: the
    first, by position, whose ``inbound_addresses`` (IPs and CIDR networks) contain it,
    or, for a trunk without any, whose host is (or resolves to) it. None: not a trunk.
``outbound_route(session=, number=, secret_key=)`` -> ``OutboundRoute | None``
    ``(trunk, credentials)`` to dial an E.164 number through: the first enabled trunk by
    position; ``trunk`` is a ``TrunkSettings`` (detached, with ``caller_id`` and
    ``domain``), ``credentials`` the decrypted user name and password or None. None when
    the number is not E.164 or no trunk is enabled.
``registrations_wanted(session=, secret_key=)`` -> ``list[TrunkSettings]``
    The enabled trunks that register, with decrypted credentials: what
    ``registration.TrunkRegistrar`` keeps registered.
``record_registration_state(session=, trunk_id=, state=, detail=, now=)`` -> ``bool``
    Store how the last REGISTER ended (``"ok"`` / ``"failed"`` and the reason), shown on
    the admin page; appends ``trunk.registration_changed`` only when the state changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.call_plans import service as call_plans
from helpline.call_plans.schemas import CallPlanNumberIn
from helpline.errors import Conflict, Invalid, NotFound
from helpline.storage.eventlog import append_event
from helpline.trunks import repository
from helpline.trunks.addresses import Resolve, network_of, parse_ip, resolve_host
from helpline.trunks.crypto import decrypt_password, encrypt_password
from helpline.trunks.events import (
    TrunkCreated,
    TrunkDeleted,
    TrunkRegistrationChanged,
    TrunkUpdated,
)
from helpline.trunks.models import Trunk, TrunkNumber
from helpline.trunks.schemas import (
    Credentials,
    RegistrationState,
    TrunkCreate,
    TrunkNumberIn,
    TrunkNumberOut,
    TrunkOut,
    TrunkRegistration,
    TrunkSettings,
    TrunkUpdate,
    e164,
    name_key,
)

log = logging.getLogger(__name__)

MAX_DETAIL_LENGTH = 500
# Changing any of these makes the last registration outcome meaningless.
_REGISTRATION_FIELDS = frozenset(
    {
        "host",
        "port",
        "transport",
        "username",
        "password",
        "register",
        "register_expires",
        "from_domain",
        "enabled",
    }
)


class OutboundRoute(NamedTuple):
    trunk: TrunkSettings
    credentials: Credentials | None


# --- Reading ---------------------------------------------------------------------------


def _out(
    trunk: Trunk, numbers: Sequence[TrunkNumber], routes: dict[str, tuple[int, str]]
) -> TrunkOut:
    return TrunkOut(
        id=trunk.id,
        name=trunk.name,
        host=trunk.host,
        port=trunk.port,
        transport="TCP" if trunk.transport == "TCP" else "UDP",
        username=trunk.username,
        has_password=trunk.password_encrypted is not None,
        register=trunk.register,
        register_expires=trunk.register_expires,
        from_domain=trunk.from_domain,
        caller_id=trunk.caller_id,
        enabled=trunk.enabled,
        inbound_addresses=list(trunk.inbound_addresses),
        position=trunk.position,
        numbers=[
            TrunkNumberOut(
                number=row.number,
                call_plan_id=routes[row.number][0] if row.number in routes else None,
                call_plan_name=routes[row.number][1] if row.number in routes else None,
            )
            for row in numbers
        ],
        registration=TrunkRegistration(
            state=_state(trunk.registration_state),
            detail=trunk.registration_detail,
            at=trunk.registration_at,
        ),
        created_at=trunk.created_at,
        updated_at=trunk.updated_at,
    )


def _state(value: str | None) -> RegistrationState | None:
    if value == "ok":
        return "ok"
    if value == "failed":
        return "failed"
    return None


async def describe_all(
    *, session: AsyncSession, trunks: Sequence[Trunk] | None = None
) -> list[TrunkOut]:
    """The trunks as the API shows them, with their DIDs and the plans that answer them."""
    if trunks is None:
        trunks = await repository.list_all(session)
    numbers: dict[int, list[TrunkNumber]] = {}
    for row in await repository.numbers_of(session, [trunk.id for trunk in trunks]):
        numbers.setdefault(row.trunk_id, []).append(row)
    routes = await repository.plan_routes(
        session, [row.number for rows in numbers.values() for row in rows]
    )
    return [_out(trunk, numbers.get(trunk.id, []), routes) for trunk in trunks]


async def describe(*, session: AsyncSession, trunk: Trunk) -> TrunkOut:
    return (await describe_all(session=session, trunks=[trunk]))[0]


async def call_plan_choices(*, session: AsyncSession) -> list[tuple[int, str]]:
    """(id, name) of the call plans a DID can be routed to."""
    return await repository.call_plan_choices(session)


async def list_trunks(*, session: AsyncSession) -> Sequence[Trunk]:
    return await repository.list_all(session)


async def get(*, session: AsyncSession, trunk_id: int) -> Trunk:
    trunk = await repository.get(session, trunk_id)
    if trunk is None:
        raise NotFound(f"no trunk with id {trunk_id}")
    return trunk


def _snapshot(out: TrunkOut) -> dict[str, Any]:
    return out.model_dump(mode="json", by_alias=True)


# --- Changing --------------------------------------------------------------------------


async def _check_name_free(session: AsyncSession, name: str, *, trunk_id: int | None) -> None:
    other = await repository.get_by_name_key(session, name_key(name))
    if other is not None and other.id != trunk_id:
        raise Conflict(f"there is already a trunk named {other.name!r}", field="name")


def _check_credentials(username: str, has_password: bool) -> None:
    if has_password and not username:
        raise Invalid("a password needs a user name to go with it", field="username")


async def _check_numbers(
    session: AsyncSession, numbers_in: Sequence[TrunkNumberIn], *, trunk_id: int | None
) -> None:
    """Every reason the DIDs cannot be saved, before anything is written."""
    wanted = [item.number for item in numbers_in]
    twice = sorted({number for number in wanted if wanted.count(number) > 1})
    if twice:
        raise Invalid(f"the number {twice[0]} is listed twice", field="numbers")
    for number, other in await repository.numbers_elsewhere(session, wanted, trunk_id):
        raise Conflict(
            f"the number {number.number} already comes in through the trunk {other.name!r}: "
            "remove it there first",
            field="numbers",
        )
    plan_ids = {
        item.call_plan_id
        for item in numbers_in
        if "call_plan_id" in item.model_fields_set and item.call_plan_id is not None
    }
    for plan_id in sorted(plan_ids):
        try:
            await call_plans.get(session=session, plan_id=plan_id)
        except NotFound:
            raise Invalid(f"there is no call plan with id {plan_id}", field="numbers") from None


async def _route_numbers(
    session: AsyncSession,
    trunk: Trunk,
    numbers_in: Sequence[TrunkNumberIn],
    now: datetime,
    actor_id: int | None,
) -> None:
    """Route the DIDs whose ``call_plan_id`` was given, through the call plans' service."""
    wanted = {
        item.number: item.call_plan_id
        for item in numbers_in
        if "call_plan_id" in item.model_fields_set
    }
    current = await repository.plan_routes(session, list(wanted))
    removals: dict[int, set[str]] = {}
    additions: dict[int, set[str]] = {}
    for number, target in wanted.items():
        before = current[number][0] if number in current else None
        if before == target:
            continue
        if before is not None:
            removals.setdefault(before, set()).add(number)
        if target is not None:
            additions.setdefault(target, set()).add(number)
    # Removals first, everywhere: a DID moving between two plans must be free before the
    # call plans' service lets the other plan take it.
    for plan_id, gone in sorted(removals.items()):
        rows = await call_plans.numbers(session=session, plan_id=plan_id)
        await call_plans.set_numbers(
            session=session,
            plan_id=plan_id,
            numbers_in=[
                CallPlanNumberIn(number=row.number, label=row.label)
                for row in rows
                if row.number not in gone
            ],
            now=now,
            actor_id=actor_id,
        )
    for plan_id, new in sorted(additions.items()):
        rows = await call_plans.numbers(session=session, plan_id=plan_id)
        await call_plans.set_numbers(
            session=session,
            plan_id=plan_id,
            numbers_in=[
                *(CallPlanNumberIn(number=row.number, label=row.label) for row in rows),
                # The trunk's name tells, on the call plan's page, where the DID comes from.
                *(CallPlanNumberIn(number=number, label=trunk.name) for number in sorted(new)),
            ],
            now=now,
            actor_id=actor_id,
        )


async def _replace_numbers(
    session: AsyncSession, trunk: Trunk, numbers_in: Sequence[TrunkNumberIn], now: datetime
) -> bool:
    """The trunk's DIDs become ``numbers_in``; whether the list changed."""
    before = {row.number for row in await repository.numbers_of(session, [trunk.id])}
    after = [item.number for item in numbers_in]
    if before == set(after):
        return False
    await repository.replace_numbers(
        session,
        trunk.id,
        [TrunkNumber(number=number, trunk_id=trunk.id, created_at=now) for number in after],
    )
    return True


async def _renumber(session: AsyncSession, ordered: Sequence[Trunk]) -> list[int]:
    """Give ``ordered`` the positions 0, 1, 2 …; returns their ids in that order."""
    for position, trunk in enumerate(ordered):
        if trunk.position != position:
            trunk.position = position
    await repository.flush(session)
    return [trunk.id for trunk in ordered]


async def create(
    *,
    session: AsyncSession,
    trunk_in: TrunkCreate,
    secret_key: str,
    now: datetime,
    actor_id: int | None,
) -> Trunk:
    await _check_name_free(session, trunk_in.name, trunk_id=None)
    _check_credentials(trunk_in.username, bool(trunk_in.password))
    await _check_numbers(session, trunk_in.numbers, trunk_id=None)
    existing = list(await repository.list_all(session))
    trunk = Trunk(
        name=trunk_in.name,
        name_key=name_key(trunk_in.name),
        host=trunk_in.host,
        port=trunk_in.port,
        transport=trunk_in.transport,
        username=trunk_in.username,
        password_encrypted=(
            encrypt_password(trunk_in.password, secret_key=secret_key)
            if trunk_in.password
            else None
        ),
        register=trunk_in.register_,
        register_expires=trunk_in.register_expires,
        from_domain=trunk_in.from_domain,
        caller_id=trunk_in.caller_id,
        enabled=trunk_in.enabled,
        inbound_addresses=list(trunk_in.inbound_addresses),
        position=len(existing),
        registration_detail="",
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, trunk)
    await _replace_numbers(session, trunk, trunk_in.numbers, now)
    await _route_numbers(session, trunk, trunk_in.numbers, now, actor_id)
    order = await _renumber(session, [*existing, trunk])
    append_event(
        session,
        TrunkCreated(trunk=_snapshot(await describe(session=session, trunk=trunk)), order=order),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return trunk


async def update(
    *,
    session: AsyncSession,
    trunk_id: int,
    trunk_in: TrunkUpdate,
    secret_key: str,
    now: datetime,
    actor_id: int | None,
) -> Trunk:
    """Change the fields given. An empty password keeps the stored one; an empty user name
    removes the credentials."""
    trunk = await get(session=session, trunk_id=trunk_id)
    changed: list[str] = []
    if trunk_in.name is not None and trunk_in.name != trunk.name:
        await _check_name_free(session, trunk_in.name, trunk_id=trunk.id)
    username = trunk.username if trunk_in.username is None else trunk_in.username
    password_given = bool(trunk_in.password)
    keeps_password = trunk.password_encrypted is not None and bool(username)
    _check_credentials(username, password_given or keeps_password)
    if trunk_in.numbers is not None:
        await _check_numbers(session, trunk_in.numbers, trunk_id=trunk.id)

    simple: dict[str, Any] = {
        "name": trunk_in.name,
        "host": trunk_in.host,
        "port": trunk_in.port,
        "transport": trunk_in.transport,
        "username": trunk_in.username,
        "register": trunk_in.register_,
        "register_expires": trunk_in.register_expires,
        "from_domain": trunk_in.from_domain,
        "caller_id": trunk_in.caller_id,
        "enabled": trunk_in.enabled,
        "inbound_addresses": trunk_in.inbound_addresses,
    }
    for field, value in simple.items():
        if value is not None and value != getattr(trunk, field):
            setattr(trunk, field, list(value) if isinstance(value, list) else value)
            changed.append(field)
    if trunk_in.name is not None and "name" in changed:
        trunk.name_key = name_key(trunk_in.name)
    if password_given:
        assert trunk_in.password is not None
        old = trunk.password_encrypted
        if old is None or decrypt_password(old, secret_key=secret_key) != trunk_in.password:
            trunk.password_encrypted = encrypt_password(trunk_in.password, secret_key=secret_key)
            changed.append("password")
    elif not username and trunk.password_encrypted is not None:
        trunk.password_encrypted = None
        changed.append("password")
    if trunk_in.numbers is not None:
        if await _replace_numbers(session, trunk, trunk_in.numbers, now):
            changed.append("numbers")
        await _route_numbers(session, trunk, trunk_in.numbers, now, actor_id)

    ordered = list(await repository.list_all(session))
    if trunk_in.position is not None:
        others = [item for item in ordered if item.id != trunk.id]
        target = min(trunk_in.position, len(others))
        if ordered.index(trunk) != target:
            ordered = [*others[:target], trunk, *others[target:]]
            changed.append("position")
    if not changed:
        return trunk
    if _REGISTRATION_FIELDS.intersection(changed):
        # The carrier has not seen these settings yet: no outcome to show until it has.
        trunk.registration_state = None
        trunk.registration_detail = ""
        trunk.registration_at = None
    trunk.updated_at = now
    order = await _renumber(session, ordered)
    append_event(
        session,
        TrunkUpdated(
            trunk=_snapshot(await describe(session=session, trunk=trunk)),
            changed=changed,
            order=order,
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return trunk


async def move(
    *, session: AsyncSession, trunk_id: int, offset: int, now: datetime, actor_id: int | None
) -> Trunk:
    """Move a trunk ``offset`` places down the outbound order (negative: up)."""
    trunk = await get(session=session, trunk_id=trunk_id)
    ordered = list(await repository.list_all(session))
    target = max(ordered.index(trunk) + offset, 0)
    return await update(
        session=session,
        trunk_id=trunk_id,
        trunk_in=TrunkUpdate(position=target),
        # Moving touches no password: nothing to encrypt or decrypt.
        secret_key="",
        now=now,
        actor_id=actor_id,
    )


async def delete(
    *, session: AsyncSession, trunk_id: int, now: datetime, actor_id: int | None
) -> None:
    """Delete a trunk and its DIDs; their routes in the call plans stay (see above)."""
    trunk = await get(session=session, trunk_id=trunk_id)
    name = trunk.name
    numbers = [row.number for row in await repository.numbers_of(session, [trunk.id])]
    await repository.delete_trunk(session, trunk)
    order = await _renumber(session, list(await repository.list_all(session)))
    append_event(
        session,
        TrunkDeleted(trunk_id=trunk_id, name=name, numbers=numbers, order=order),
        occurred_at=now,
        actor_user_id=actor_id,
    )


# --- For the voice service -------------------------------------------------------------


def settings_of(trunk: Trunk, *, secret_key: str) -> TrunkSettings:
    """``trunk`` detached from the session, with its password decrypted."""
    credentials: Credentials | None = None
    problem: str | None = None
    if trunk.username:
        password = ""
        if trunk.password_encrypted is not None:
            decrypted = decrypt_password(trunk.password_encrypted, secret_key=secret_key)
            if decrypted is None:
                # Most likely HELPLINE_SECRET_KEY changed since the password was saved.
                problem = (
                    "the stored password cannot be decrypted (was HELPLINE_SECRET_KEY "
                    "changed?): enter the trunk's password again"
                )
                log.warning("trunk %r: %s", trunk.name, problem)
            password = decrypted or ""
        if problem is None:
            credentials = Credentials(username=trunk.username, password=password)
    return TrunkSettings(
        id=trunk.id,
        name=trunk.name,
        host=trunk.host,
        port=trunk.port,
        transport="TCP" if trunk.transport == "TCP" else "UDP",
        credentials=credentials,
        from_domain=trunk.from_domain,
        caller_id=trunk.caller_id,
        register_expires=trunk.register_expires,
        credentials_problem=problem,
    )


async def trunk_for_source(
    *, session: AsyncSession, host: str, resolve: Resolve | None = None
) -> Trunk | None:
    """The enabled trunk whose addresses include ``host`` (an INVITE's source IP)."""
    source = parse_ip(host)
    if source is None:
        return None
    resolve = resolve or resolve_host
    for trunk in await repository.list_all(session, enabled=True):
        if trunk.inbound_addresses:
            if any(source in network_of(item) for item in trunk.inbound_addresses):
                return trunk
            continue
        literal = parse_ip(trunk.host)
        if source == literal or (literal is None and source in await resolve(trunk.host)):
            return trunk
    return None


async def outbound_route(
    *, session: AsyncSession, number: str, secret_key: str
) -> OutboundRoute | None:
    """The trunk (and its credentials) to dial ``number`` (E.164) through."""
    try:
        e164(number)
    except ValueError:
        return None
    trunks = await repository.list_all(session, enabled=True)
    if not trunks:
        return None
    settings = settings_of(trunks[0], secret_key=secret_key)
    return OutboundRoute(trunk=settings, credentials=settings.credentials)


async def registrations_wanted(*, session: AsyncSession, secret_key: str) -> list[TrunkSettings]:
    """The enabled trunks that register to their carrier, by position."""
    return [
        settings_of(trunk, secret_key=secret_key)
        for trunk in await repository.list_registering(session)
    ]


async def record_registration_state(
    *,
    session: AsyncSession,
    trunk_id: int,
    state: RegistrationState,
    detail: str,
    now: datetime,
) -> bool:
    """Store how a REGISTER ended; True (and an event) when the state changed.

    A trunk deleted while its REGISTER was on the way is ignored.
    """
    trunk = await repository.get(session, trunk_id)
    if trunk is None:
        return False
    previous = trunk.registration_state
    trunk.registration_state = state
    trunk.registration_detail = detail[:MAX_DETAIL_LENGTH]
    trunk.registration_at = now
    await repository.flush(session)
    if previous == state:
        return False
    append_event(
        session,
        TrunkRegistrationChanged(
            trunk_id=trunk.id,
            name=trunk.name,
            state=state,
            previous=previous,
            detail=trunk.registration_detail,
        ),
        occurred_at=now,
        actor_user_id=None,
    )
    return True
