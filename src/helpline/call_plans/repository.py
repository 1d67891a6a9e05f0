from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from helpline.call_plans.models import CallPlan, CallPlanNumber
from helpline.queues.models import CallQueue
from helpline.users.models import User, UserLine


async def add(session: AsyncSession, item: CallPlan | CallPlanNumber) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, plan_id: int) -> CallPlan | None:
    return await session.get(CallPlan, plan_id)


async def get_by_name_key(session: AsyncSession, name_key: str) -> CallPlan | None:
    return await session.scalar(select(CallPlan).where(CallPlan.name_key == name_key))


async def list_all(session: AsyncSession) -> Sequence[CallPlan]:
    return (await session.scalars(select(CallPlan).order_by(CallPlan.name_key, CallPlan.id))).all()


async def save(session: AsyncSession) -> bool:
    """Flush a changed plan; False when another transaction changed it first."""
    try:
        await session.flush()
    except StaleDataError:
        return False
    return True


async def delete_plan(session: AsyncSession, plan: CallPlan) -> None:
    await session.delete(plan)
    await session.flush()


async def numbers_of(session: AsyncSession, plan_id: int) -> Sequence[CallPlanNumber]:
    query = select(CallPlanNumber).where(CallPlanNumber.call_plan_id == plan_id)
    return (await session.scalars(query.order_by(CallPlanNumber.number))).all()


async def all_numbers(session: AsyncSession) -> Sequence[CallPlanNumber]:
    query = select(CallPlanNumber).order_by(CallPlanNumber.call_plan_id, CallPlanNumber.number)
    return (await session.scalars(query)).all()


async def number_routes(
    session: AsyncSession, numbers: Sequence[str]
) -> Sequence[tuple[CallPlanNumber, CallPlan]]:
    query = (
        select(CallPlanNumber, CallPlan)
        .join(CallPlan, CallPlan.id == CallPlanNumber.call_plan_id)
        .where(CallPlanNumber.number.in_(list(numbers)))
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def replace_numbers(
    session: AsyncSession, plan_id: int, rows: Sequence[CallPlanNumber]
) -> None:
    await session.execute(delete(CallPlanNumber).where(CallPlanNumber.call_plan_id == plan_id))
    # The old rows must be gone before new ones can reuse their numbers.
    await session.flush()
    session.add_all(rows)
    await session.flush()


async def line_owners(session: AsyncSession, numbers: Sequence[str]) -> Sequence[tuple[str, User]]:
    """(extension, user) of the users' lines among ``numbers``."""
    query = (
        select(UserLine.extension, User)
        .join(User, User.id == UserLine.user_id)
        .where(UserLine.extension.in_(list(numbers)))
        .order_by(UserLine.extension)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def queue_extensions(session: AsyncSession, numbers: Sequence[str]) -> Sequence[CallQueue]:
    query = select(CallQueue).where(CallQueue.extension.in_(list(numbers)))
    return (await session.scalars(query.order_by(CallQueue.extension))).all()
