from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.queues import repository


@dataclass
class Assigned:
    """The call queues, chat queues and campaigns a user is assigned to, by role."""

    call_queues: list[str] = field(default_factory=list)
    chat_queues: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)


async def assigned_to(*, session: AsyncSession, user_id: int, role: str) -> Assigned:
    assignments = [
        a for a in await repository.assignments_for_user(session, user_id) if a.role == role
    ]
    names = {
        "call": {q.id: q.name for q in await repository.list_call_queues(session)},
        "chat": {q.id: q.name for q in await repository.list_chat_queues(session)},
        "campaign": {c.id: c.name for c in await repository.list_campaigns(session)},
    }
    result = Assigned()
    target = {"call": result.call_queues, "chat": result.chat_queues, "campaign": result.campaigns}
    for assignment in assignments:
        name = names[assignment.queue_kind].get(assignment.queue_id)
        if name is not None:
            target[assignment.queue_kind].append(name)
    for names_list in target.values():
        names_list.sort()
    return result
