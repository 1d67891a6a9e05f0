"""Call plans: the graphs that answer calls, and the numbers that lead to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.call_plans import repository, validation
from helpline.call_plans.events import (
    CallPlanCreated,
    CallPlanDeleted,
    CallPlanNumbersChanged,
    CallPlanUpdated,
)
from helpline.call_plans.models import CallPlan, CallPlanNumber
from helpline.call_plans.schemas import (
    CallPlanGraph,
    CallPlanIn,
    CallPlanNumberIn,
    CallPlanNumberOut,
    CallPlanOut,
    CallPlanUpdate,
    OpenRange,
    PlanErrorOut,
    PromptNode,
    QueueNode,
    ScheduleNode,
    VoicemailNode,
    name_key,
    normalize_number,
)
from helpline.call_plans.validation import PlanError
from helpline.errors import Conflict, Invalid, NotFound
from helpline.queues import service as queues_service
from helpline.queues.schemas import QueueKind
from helpline.storage.eventlog import append_event


class PlanInvalid(Invalid):
    """The plan breaks rules; ``errors`` lists every problem, each naming its node."""

    def __init__(self, errors: Sequence[PlanError]) -> None:
        shown = "; ".join(error.message for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"the call plan is not valid: {shown}{more}")
        self.errors = list(errors)


def graph_of(plan: CallPlan) -> CallPlanGraph:
    return CallPlanGraph.model_validate(plan.graph)


async def call_queue_ids(*, session: AsyncSession) -> set[int]:
    queues = await queues_service.list_queues(session=session, kind=QueueKind.CALL)
    return {queue.id for queue in queues}


async def problems(*, session: AsyncSession, graph: CallPlanGraph) -> list[PlanError]:
    """Everything wrong with ``graph`` now, queues included."""
    return validation.check(graph, await call_queue_ids(session=session))


async def validate(*, session: AsyncSession, plan_in: CallPlanGraph) -> None:
    """Raise PlanInvalid with every problem of ``plan_in``; saves nothing."""
    errors = await problems(session=session, graph=plan_in)
    if errors:
        raise PlanInvalid(errors)


def _out(
    plan: CallPlan, numbers: Sequence[CallPlanNumber], errors: Sequence[PlanError]
) -> CallPlanOut:
    graph = graph_of(plan)
    return CallPlanOut(
        id=plan.id,
        name=plan.name,
        description=plan.description,
        version=plan.version,
        entry=graph.entry,
        nodes=graph.nodes,
        numbers=[CallPlanNumberOut.model_validate(number) for number in numbers],
        errors=[PlanErrorOut(node=error.node, message=error.message) for error in errors],
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


async def describe(*, session: AsyncSession, plan: CallPlan) -> CallPlanOut:
    """The plan as the API shows it, with its numbers and its problems now."""
    numbers = await repository.numbers_of(session, plan.id)
    return _out(plan, numbers, await problems(session=session, graph=graph_of(plan)))


async def describe_all(*, session: AsyncSession) -> list[CallPlanOut]:
    queue_ids = await call_queue_ids(session=session)
    numbers: dict[int, list[CallPlanNumber]] = {}
    for number in await repository.all_numbers(session):
        numbers.setdefault(number.call_plan_id, []).append(number)
    return [
        _out(plan, numbers.get(plan.id, []), validation.check(graph_of(plan), queue_ids))
        for plan in await repository.list_all(session)
    ]


def _snapshot(plan: CallPlan) -> dict[str, Any]:
    graph = graph_of(plan)
    return {
        "id": plan.id,
        "name": plan.name,
        "description": plan.description,
        "version": plan.version,
        **graph.model_dump(mode="json"),
    }


async def get(*, session: AsyncSession, plan_id: int) -> CallPlan:
    plan = await repository.get(session, plan_id)
    if plan is None:
        raise NotFound(f"no call plan with id {plan_id}")
    return plan


async def numbers(*, session: AsyncSession, plan_id: int) -> Sequence[CallPlanNumber]:
    await get(session=session, plan_id=plan_id)
    return await repository.numbers_of(session, plan_id)


async def _check_name_free(session: AsyncSession, name: str, *, plan_id: int | None) -> None:
    other = await repository.get_by_name_key(session, name_key(name))
    if other is not None and other.id != plan_id:
        raise Conflict(f"there is already a call plan named {other.name!r}", field="name")


def _graph_json(plan_in: CallPlanGraph) -> dict[str, Any]:
    return CallPlanGraph(entry=plan_in.entry, nodes=plan_in.nodes).model_dump(mode="json")


async def create(
    *, session: AsyncSession, plan_in: CallPlanIn, now: datetime, actor_id: int | None
) -> CallPlan:
    await validate(session=session, plan_in=plan_in)
    await _check_name_free(session, plan_in.name, plan_id=None)
    plan = CallPlan(
        name=plan_in.name,
        name_key=name_key(plan_in.name),
        description=plan_in.description,
        graph=_graph_json(plan_in),
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, plan)
    append_event(
        session,
        CallPlanCreated(call_plan=_snapshot(plan)),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return plan


def _stale(plan_name: str, loaded: int, current: int | None) -> Conflict:
    now_at = f", it is now at version {current}" if current is not None else ""
    return Conflict(
        f"the call plan {plan_name!r} was changed by someone else since you opened it "
        f"(you edited version {loaded}{now_at}): reload it and make your changes again",
        field="version",
    )


async def update(
    *,
    session: AsyncSession,
    plan_id: int,
    plan_in: CallPlanUpdate,
    now: datetime,
    actor_id: int | None,
) -> CallPlan:
    """Replace the whole plan; refused when ``plan_in.version`` is not the current one."""
    plan = await get(session=session, plan_id=plan_id)
    if plan_in.version != plan.version:
        raise _stale(plan.name, plan_in.version, plan.version)
    await validate(session=session, plan_in=plan_in)
    before = graph_of(plan)
    changed: list[str] = []
    if plan_in.name != plan.name:
        await _check_name_free(session, plan_in.name, plan_id=plan.id)
        plan.name = plan_in.name
        plan.name_key = name_key(plan_in.name)
        changed.append("name")
    if plan_in.description != plan.description:
        plan.description = plan_in.description
        changed.append("description")
    if plan_in.entry != before.entry:
        changed.append("entry")
    if plan_in.nodes != before.nodes:
        changed.append("nodes")
    if not changed:
        return plan
    plan.graph = _graph_json(plan_in)
    plan.updated_at = now
    if not await repository.save(session):
        raise _stale(plan_in.name, plan_in.version, None)
    append_event(
        session,
        CallPlanUpdated(call_plan=_snapshot(plan), changed=changed),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return plan


async def delete(
    *, session: AsyncSession, plan_id: int, now: datetime, actor_id: int | None
) -> None:
    """Refused while a number still routes to the plan: calls to it would find nothing."""
    plan = await get(session=session, plan_id=plan_id)
    routed = await repository.numbers_of(session, plan.id)
    if routed:
        listed = ", ".join(number.number for number in routed)
        raise Conflict(
            f"the call plan {plan.name!r} still answers {listed}: route "
            f"{'it' if len(routed) == 1 else 'them'} to another plan or remove "
            f"{'it' if len(routed) == 1 else 'them'} first"
        )
    name = plan.name
    await repository.delete_plan(session, plan)
    append_event(
        session,
        CallPlanDeleted(call_plan_id=plan_id, name=name),
        occurred_at=now,
        actor_user_id=actor_id,
    )


async def set_numbers(
    *,
    session: AsyncSession,
    plan_id: int,
    numbers_in: Sequence[CallPlanNumberIn],
    now: datetime,
    actor_id: int | None,
) -> Sequence[CallPlanNumber]:
    """The numbers the plan answers become exactly ``numbers_in``."""
    plan = await get(session=session, plan_id=plan_id)
    wanted = [item.number for item in numbers_in]
    twice = sorted({number for number in wanted if wanted.count(number) > 1})
    if twice:
        raise Invalid(f"the number {twice[0]} is listed twice", field="numbers")
    if wanted:
        for number, other in await repository.number_routes(session, wanted):
            if other.id != plan.id:
                raise Conflict(
                    f"the number {number.number} already routes to the call plan "
                    f"{other.name!r}: remove it there first",
                    field="numbers",
                )
        for extension, user in await repository.line_owners(session, wanted):
            raise Conflict(
                f"the number {extension} is a line of the user {user.username!r}: "
                "calls to it ring that user",
                field="numbers",
            )
        for queue in await repository.queue_extensions(session, wanted):
            raise Conflict(
                f"the number {queue.extension} is the extension of the call queue {queue.name!r}",
                field="numbers",
            )
    before = {
        number.number: number.label for number in await repository.numbers_of(session, plan.id)
    }
    after = {item.number: item.label for item in numbers_in}
    if before == after:
        return await repository.numbers_of(session, plan.id)
    await repository.replace_numbers(
        session,
        plan.id,
        [
            CallPlanNumber(number=number, label=label, call_plan_id=plan.id, created_at=now)
            for number, label in after.items()
        ],
    )
    rows = await repository.numbers_of(session, plan.id)
    append_event(
        session,
        CallPlanNumbersChanged(
            call_plan_id=plan.id,
            name=plan.name,
            numbers=[{"number": row.number, "label": row.label} for row in rows],
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return rows


async def plan_for_number(
    *, session: AsyncSession, number: str
) -> tuple[CallPlan, CallPlanGraph] | None:
    """The plan that answers a dialled number, and its graph; None if no plan does.

    For the voice service. The graph may have problems that appeared after it was saved
    (a queue deleted since): a node that cannot be carried out ends the call.
    """
    routes = await repository.number_routes(session, [normalize_number(number)])
    if not routes:
        return None
    plan = routes[0][1]
    return plan, graph_of(plan)


DEMO_PLAN_NAME = "Demo"
DEMO_NUMBER = "100"


async def create_demo_plan(
    *, session: AsyncSession, support_queue_id: int, now: datetime
) -> CallPlan:
    """The demo's plan: welcome, then Support in office hours, voicemail otherwise.

    Answers the number 100 (DESIGN.md: "extension 100 answers with the demo call plan").
    """
    plan_in = CallPlanIn(
        name=DEMO_PLAN_NAME,
        # Open every day, all day: someone trying the demo on a Sunday night must still
        # reach the queue. The Schedule node is there to be edited.
        description="Welcome prompt, Support in office hours (every day, 00:00-23:59), "
        "voicemail otherwise.",
        entry="welcome",
        nodes=[
            PromptNode(id="welcome", label="Welcome", prompt="welcome", next="hours"),
            ScheduleNode(
                id="hours",
                label="Office hours",
                open_hours=[OpenRange(weekday=day, start="00:00", end="23:59") for day in range(7)],
                on_open="support",
                on_closed="closed",
            ),
            QueueNode(
                id="support",
                label="Support",
                queue_id=support_queue_id,
                timeout_seconds=600,
                on_timeout="voicemail",
                on_exit_star="voicemail",
                announce_position=True,
            ),
            PromptNode(id="closed", label="Closed", prompt="closed", next="voicemail"),
            VoicemailNode(
                id="voicemail",
                label="Voicemail",
                queue_id=support_queue_id,
                prompt="voicemail",
                max_seconds=120,
            ),
        ],
    )
    plan = await create(session=session, plan_in=plan_in, now=now, actor_id=None)
    await set_numbers(
        session=session,
        plan_id=plan.id,
        numbers_in=[CallPlanNumberIn(number=DEMO_NUMBER, label="Demo")],
        now=now,
        actor_id=None,
    )
    return plan
