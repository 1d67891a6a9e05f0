from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.call_plans import service as call_plan_service
from helpline.canned_messages import service as canned_service
from helpline.canned_messages.schemas import CannedMessageCreate
from helpline.core.permissions import Role
from helpline.pause_reasons import repository as pause_repository
from helpline.pause_reasons.models import PauseReason
from helpline.queues import repository as queue_repository
from helpline.queues.models import CallQueue, Campaign, ChatQueue, QueueAssignment
from helpline.tags import repository as tag_repository
from helpline.tags import service as tag_service
from helpline.tags.schemas import TagCreate, name_key
from helpline.users import repository as user_repository
from helpline.users import service as user_service
from helpline.users.schemas import LineIn, UserCreate

# Written in the README: the demo is for trying Helpline out, never for production.
DEMO_AGENT_PASSWORD = "agent-demo-pass"  # noqa: S105 - documented demo login
DEMO_SUPERVISOR_PASSWORD = "supervisor-demo-pass"  # noqa: S105 - documented demo login

CALL_QUEUES = (("500", "Support", 10), ("501", "Sales", 5), ("502", "Billing", 0))
CHAT_QUEUES = (("Web support", ["webchat"]), ("Social and SMS", ["sms", "facebook", "instagram"]))
CAMPAIGN = "Missed calls follow-up"
PAUSE_REASONS = ("Break", "Lunch", "Meeting", "Training", "Back office")
TAGS = ("Billing question", "Complaint", "New customer", "Technical issue", "VIP")
# Shows what a disabled tag looks like: kept on old conversations, offered to nobody.
DISABLED_TAGS = ("Spring promotion",)
CANNED = (
    ("hello", "Greetings", "Hello! Thank you for contacting us. How can I help you today?"),
    ("wait", "Greetings", "Thank you for waiting. I am looking into it right now."),
    ("email", "Details", "Could you give me the email address of your account, please?"),
    ("order", "Details", "Could you give me your order number, please? It starts with HL-."),
    ("hours", "Information", "We answer Monday to Friday, 9:00 to 17:00."),
    ("bye", "Closing", "Thank you for contacting us. Have a nice day!"),
)


@dataclass
class DemoReport:
    created: bool
    users: list[tuple[str, str]] = field(default_factory=list)


async def load(*, session: AsyncSession, now: datetime) -> DemoReport:
    """Create the demo organization once; running it again changes nothing."""
    if await queue_repository.call_queue_by_extension(session, CALL_QUEUES[0][0]) is not None:
        return DemoReport(created=False)
    report = DemoReport(created=True)
    agents = []
    for number in range(1, 11):
        username = f"agent{number}"
        if await user_repository.get_by_username(session, username) is not None:
            continue
        agents.append(
            await user_service.create(
                session=session,
                user_in=UserCreate(
                    username=username,
                    display_name=f"Agent {number}",
                    password=DEMO_AGENT_PASSWORD,
                    roles=[Role.AGENT],
                    lines=[LineIn(extension=str(200 + number), label="Desk")],
                    # The demo phones use the login password as their SIP password.
                    sip_password=DEMO_AGENT_PASSWORD,
                ),
                now=now,
                actor_id=None,
            )
        )
        report.users.append((username, DEMO_AGENT_PASSWORD))
    supervisors = []
    for number in (1, 2):
        username = f"supervisor{number}"
        if await user_repository.get_by_username(session, username) is not None:
            continue
        supervisors.append(
            await user_service.create(
                session=session,
                user_in=UserCreate(
                    username=username,
                    display_name=f"Supervisor {number}",
                    password=DEMO_SUPERVISOR_PASSWORD,
                    roles=[Role.SUPERVISOR, Role.AGENT],
                    lines=[LineIn(extension=str(300 + number), label="Desk")],
                ),
                now=now,
                actor_id=None,
            )
        )
        report.users.append((username, DEMO_SUPERVISOR_PASSWORD))

    assignments: list[QueueAssignment] = []
    support_queue_id: int | None = None
    for index, (extension, name, priority) in enumerate(CALL_QUEUES):
        queue = CallQueue(
            extension=extension, name=name, priority_score=priority, created_at=now, updated_at=now
        )
        await queue_repository.add(session, queue)
        if support_queue_id is None:
            support_queue_id = queue.id
        # Agents 1-6 take Support, 4-8 Sales, 7-10 Billing: overlapping, as in real teams.
        members = agents[[0, 3, 6][index] : [6, 8, 10][index]]
        assignments += [
            QueueAssignment(queue_kind="call", queue_id=queue.id, user_id=a.id, role="agent")
            for a in members
        ]
        assignments += [
            QueueAssignment(queue_kind="call", queue_id=queue.id, user_id=s.id, role="supervisor")
            for s in supervisors
        ]
    for index, (name, channels) in enumerate(CHAT_QUEUES):
        chat_queue = ChatQueue(name=name, channels=channels, created_at=now, updated_at=now)
        await queue_repository.add(session, chat_queue)
        members = agents[index * 5 : index * 5 + 5]
        assignments += [
            QueueAssignment(queue_kind="chat", queue_id=chat_queue.id, user_id=a.id, role="agent")
            for a in members
        ]
        if supervisors:
            supervisor = supervisors[index % len(supervisors)]
            assignments.append(
                QueueAssignment(
                    queue_kind="chat",
                    queue_id=chat_queue.id,
                    user_id=supervisor.id,
                    role="supervisor",
                )
            )
    campaign = Campaign(
        name=CAMPAIGN,
        outbound_caller_id="+15550100",
        schedule={"mon-fri": ["09:00", "17:00"]},
        allowed_number_types=["local", "national", "mobile"],
        created_at=now,
        updated_at=now,
    )
    await queue_repository.add(session, campaign)
    assignments += [
        QueueAssignment(queue_kind="campaign", queue_id=campaign.id, user_id=a.id, role="agent")
        for a in agents[:4]
    ]
    for assignment in assignments:
        await queue_repository.add(session, assignment)

    assert support_queue_id is not None
    # Number 100 answers with the demo call plan into Support (DESIGN.md, demo data).
    await call_plan_service.create_demo_plan(
        session=session, support_queue_id=support_queue_id, now=now
    )
    for position, reason in enumerate(PAUSE_REASONS):
        await pause_repository.add(
            session,
            PauseReason(name=reason, name_key=reason.casefold(), position=position, created_at=now),
        )
    await _load_tags_and_canned_messages(session, now)
    return report


async def _load_tags_and_canned_messages(session: AsyncSession, now: datetime) -> None:
    """Tags (one disabled) and public canned messages; any already there is left alone."""
    for name, enabled in [(t, True) for t in TAGS] + [(t, False) for t in DISABLED_TAGS]:
        if await tag_repository.get_by_name_key(session, name_key(name)) is None:
            await tag_service.create(
                session=session,
                tag_in=TagCreate(name=name, enabled=enabled),
                now=now,
                actor_id=None,
            )
    for shortcut, category, text in CANNED:
        if await canned_service.find_public(session=session, shortcut=shortcut) is None:
            await canned_service.create(
                session=session,
                message_in=CannedMessageCreate(shortcut=shortcut, category=category, text=text),
                public=True,
                now=now,
                actor_id=None,
            )
