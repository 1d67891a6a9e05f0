from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.call_plans.models import CallPlan, CallPlanNumber
from helpline.trunks.models import Trunk, TrunkNumber


async def add(session: AsyncSession, item: Trunk) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, trunk_id: int) -> Trunk | None:
    return await session.get(Trunk, trunk_id)


async def get_by_name_key(session: AsyncSession, name_key: str) -> Trunk | None:
    return await session.scalar(select(Trunk).where(Trunk.name_key == name_key))


async def list_all(session: AsyncSession, *, enabled: bool | None = None) -> Sequence[Trunk]:
    """Trunks in the order outbound calls try them (position, then creation)."""
    query = select(Trunk).order_by(Trunk.position, Trunk.id)
    if enabled is not None:
        query = query.where(Trunk.enabled.is_(enabled))
    return (await session.scalars(query)).all()


async def list_registering(session: AsyncSession) -> Sequence[Trunk]:
    query = (
        select(Trunk)
        .where(Trunk.enabled.is_(True), Trunk.register.is_(True))
        .order_by(Trunk.position, Trunk.id)
    )
    return (await session.scalars(query)).all()


async def delete_trunk(session: AsyncSession, trunk: Trunk) -> None:
    await session.execute(delete(TrunkNumber).where(TrunkNumber.trunk_id == trunk.id))
    await session.delete(trunk)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def numbers_of(session: AsyncSession, trunk_ids: Sequence[int]) -> Sequence[TrunkNumber]:
    query = (
        select(TrunkNumber)
        .where(TrunkNumber.trunk_id.in_(list(trunk_ids)))
        .order_by(TrunkNumber.trunk_id, TrunkNumber.number)
    )
    return (await session.scalars(query)).all()


async def numbers_elsewhere(
    session: AsyncSession, numbers: Sequence[str], trunk_id: int | None
) -> Sequence[tuple[TrunkNumber, Trunk]]:
    """(number, trunk) for those of ``numbers`` that another trunk brings."""
    query = (
        select(TrunkNumber, Trunk)
        .join(Trunk, Trunk.id == TrunkNumber.trunk_id)
        .where(TrunkNumber.number.in_(list(numbers)))
        .order_by(TrunkNumber.number)
    )
    if trunk_id is not None:
        query = query.where(TrunkNumber.trunk_id != trunk_id)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def replace_numbers(
    session: AsyncSession, trunk_id: int, rows: Sequence[TrunkNumber]
) -> None:
    await session.execute(delete(TrunkNumber).where(TrunkNumber.trunk_id == trunk_id))
    # The old rows must be gone before new ones can reuse their numbers.
    await session.flush()
    session.add_all(rows)
    await session.flush()


async def plan_routes(session: AsyncSession, numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """number -> (call plan id, plan name) for those of ``numbers`` that a plan answers."""
    if not numbers:
        return {}
    query = (
        select(CallPlanNumber.number, CallPlan.id, CallPlan.name)
        .join(CallPlan, CallPlan.id == CallPlanNumber.call_plan_id)
        .where(CallPlanNumber.number.in_(list(numbers)))
    )
    return {row[0]: (row[1], row[2]) for row in (await session.execute(query)).all()}


async def call_plan_choices(session: AsyncSession) -> list[tuple[int, str]]:
    """(id, name) of every call plan, by name: what a DID can be routed to."""
    query = select(CallPlan.id, CallPlan.name).order_by(CallPlan.name_key, CallPlan.id)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
