"""The live chat service: intake, agents' actions, routing through the ACD, the outbox.

Every command runs in its own transaction (like the ACD's): the conversation's new state
and its events commit together; only then are the events published and the ACD told
(a conversation goes to its chat queue as an ACD contact ``chat:<id>:<n>``, a new one each
time it is queued). Commands are serialized in the process by a lock; the database's
unique constraints keep several processes right (intake is idempotent on the provider's
message id, a customer's address on one of ours has one conversation).

What the ACD decides comes back through :meth:`AcdService.observe`: an accepted offer
assigns the conversation. Timers (reassignment when the agent has not replied within the
queue's ``reassign_after_seconds``, the outbox's retries) run from background tasks that
call :meth:`ChatService.check_reassignments` and :meth:`ChatService.process_outbox` with
the injected clock; tests call them with the time they choose.

The webhook endpoints of the providers call :meth:`ChatService.receive` with an
:class:`~helpline.channels.messaging.InboundMessage` and :meth:`ChatService.delivery_update`
with a :class:`~helpline.channels.messaging.DeliveryUpdate`; replies go out through the
:class:`~helpline.chats.senders.SenderRegistry` (``ChatService.senders``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import smtplib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.acd.service import AcdService, Change, queue_key
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    DeliveryUpdate,
    InboundMessage,
    OutboundMessage,
    SendError,
)
from helpline.chats import repository
from helpline.chats.attachments import AttachmentStore, CheckedFile, IncomingFile, check
from helpline.chats.events import (
    ContactLinked,
    ConversationAssigned,
    ConversationOpened,
    ConversationQueued,
    ConversationRead,
    ConversationReopened,
    ConversationResolved,
    ConversationUnassigned,
    MessageReceived,
    MessageSent,
    MessageStatusChanged,
    TranscriptFailed,
    TranscriptRequested,
    TranscriptSent,
)
from helpline.chats.metrics import ChatBoard
from helpline.chats.models import ChatAttachment, ChatMessage, ChatOutbox, Conversation
from helpline.chats.schemas import Author, ConversationOut, Direction, MessageOut, Status
from helpline.chats.senders import SenderRegistry
from helpline.contacts import repository as contact_repository
from helpline.contacts import service as contact_service
from helpline.contacts.schemas import IdentityKind
from helpline.core.acd import events as core_events
from helpline.core.acd.model import ContactKind, NewContact
from helpline.core.acd.router import Router
from helpline.errors import Invalid, NotAllowed, NotFound
from helpline.i18n import translations
from helpline.queues import repository as queue_repository
from helpline.queues.models import ChatQueue
from helpline.realtime.bus import EventBus
from helpline.storage.eventlog import (
    StoredEvent,
    append_event,
    discard_pending_events,
    last_sequence,
    take_pending_events,
)
from helpline.timeutil import utcnow

log = logging.getLogger(__name__)

STATUS_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
PREVIEW_LENGTH = 200
OUTBOX_BATCH = 50
# A claimed send that never reported back (the process died) is tried again after this.
SEND_LEASE = timedelta(seconds=120)
IDENTITY_OF_CHANNEL = {
    Channel.SMS: IdentityKind.PHONE,
    Channel.MESSENGER: IdentityKind.FACEBOOK,
    Channel.INSTAGRAM: IdentityKind.INSTAGRAM,
}
MEDIA_SALT = "helpline.chat-media"
TRANSCRIPT_MAX_ATTEMPTS = 5  # then the failure is final (an event says so)
TRANSCRIPT_FIRST_RETRY = timedelta(minutes=1)
TRANSCRIPT_MAX_MESSAGES = 1000
# One address: something@domain.tld, no spaces (the relay checks the rest).
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


class Mailer(Protocol):
    """Sends one plain-text email (``helpline.channels.email.SmtpRelay``)."""

    async def send(self, *, recipients: list[str], subject: str, body: str) -> None: ...


# The chat queues' channel names (``queues.schemas.ChatChannel``) where they differ.
QUEUE_CHANNEL = {Channel.MESSENGER: "facebook"}


@dataclass(frozen=True, slots=True)
class ChatLimits:
    max_files: int = 5
    max_file_bytes: int = 2 * 1024 * 1024
    max_text_chars: int = 4000


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        """The wait before attempt ``attempts + 1`` (exponential, capped)."""
        seconds = self.backoff_seconds * (2 ** max(attempts - 1, 0))
        return timedelta(seconds=min(seconds, self.max_backoff_seconds))


@dataclass(frozen=True, slots=True)
class Received:
    conversation_id: int
    message_id: int
    duplicate: bool


@dataclass(slots=True)
class _Work:
    """What a transaction changed, for after its commit."""

    conversations: dict[int, Conversation] = field(default_factory=dict)
    enqueue: list[tuple[Conversation, str]] = field(default_factory=list)  # (conv, contact id)
    end: list[str] = field(default_factory=list)  # ACD contacts to end
    avoid: dict[str, str] = field(default_factory=dict)  # new contact -> previous agent
    files: list[str] = field(default_factory=list)  # written to disk (removed on failure)
    wake_outbox: bool = False


def snapshot(conversation: Conversation) -> dict[str, Any]:
    return ConversationOut.model_validate(conversation).model_dump(mode="json")


def message_snapshot(message: ChatMessage) -> dict[str, Any]:
    return MessageOut.model_validate(message).model_dump(mode="json")


def _preview(text: str, attachments: int) -> str:
    line = " ".join(text.split())
    if not line and attachments:
        line = f"[{attachments} attachment{'s' if attachments > 1 else ''}]"
    return line[:PREVIEW_LENGTH]


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


class ChatService:
    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        bus: EventBus,
        acd: AcdService,
        attachments: AttachmentStore,
        secret_key: str,
        public_url: str | None = None,
        senders: SenderRegistry | None = None,
        limits: ChatLimits | None = None,
        outbox: OutboxPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        background: bool = True,
        poll_seconds: float = 1.0,
        mailer: Mailer | None = None,
        language: str = "en",
        timezone: str = "UTC",
    ) -> None:
        self._factory = session_factory
        self.mailer = mailer
        self._language = language
        self._tz = ZoneInfo(timezone)
        self._bus = bus
        self.acd = acd
        self.store = attachments
        self.senders = senders or SenderRegistry()
        self.limits = limits or ChatLimits()
        self.outbox = outbox or OutboxPolicy()
        self.public_url = public_url.rstrip("/") if public_url else None
        self._media_signer = URLSafeTimedSerializer(secret_key, salt=MEDIA_SALT)
        self._clock = clock
        self._background = background
        self._poll = poll_seconds
        self._lock = asyncio.Lock()
        self._outbox_lock = asyncio.Lock()
        self._outbox_wake = asyncio.Event()
        # The background tasks touch the database only when there is work: the next send
        # due (None: none pending), and whether a routing still has to reach the router.
        self._outbox_due: datetime | None = None
        self._reconcile_needed = True
        self._acd_events: asyncio.Queue[Sequence[Change]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.board = ChatBoard()

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        async with self._factory() as session:
            live = await repository.live_conversations(session)
        for conversation in live:
            self._track(conversation)
        self.acd.add_card_source(self._card)
        self.acd.observe(self._acd_events.put_nowait)
        self._tasks = [asyncio.create_task(self._follow_acd(), name="chats-acd")]
        if self._background:
            self._tasks += [
                asyncio.create_task(self._outbox_loop(), name="chats-outbox"),
                asyncio.create_task(self._timer_loop(), name="chats-timers"),
            ]
        await self.reconcile()

    async def stop(self) -> None:
        async with self._lock:
            for task in self._tasks:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def now(self) -> datetime:
        return self._clock()

    def _card(self, queue_id: str) -> dict[str, Any] | None:
        if not queue_id.startswith("chat:"):
            return None
        return {"chat": self.board.card(queue_id)}

    def _track(self, conversation: Conversation) -> set[str]:
        key = queue_key("chat", conversation.queue_id) if conversation.queue_id else None
        return self.board.put(
            conversation.id,
            queue_key=key,
            status=conversation.status,
            unassigned_since=_ts(conversation.unassigned_since),
            awaiting_agent_since=_ts(conversation.awaiting_agent_since),
        )

    # ------------------------------------------------------------------ transactions

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[tuple[AsyncSession, _Work]]:
        """One command's transaction; after the commit: metrics, events, the ACD."""
        work = _Work()
        async with self._factory() as session:
            try:
                yield session, work
                await session.commit()
            except BaseException:
                discard_pending_events(session)
                await session.rollback()
                for path in work.files:
                    self.store.remove(path)
                raise
            stored = take_pending_events(session)
            seq = stored[-1].seq if stored else await last_sequence(session)
        await self._after_commit(stored, seq, work)

    async def _after_commit(self, stored: list[StoredEvent], seq: int, work: _Work) -> None:
        touched: set[str] = set()
        for conversation in work.conversations.values():
            touched |= self._track(conversation)
        views = self.acd.queue_view_events(sorted(touched), seq) if touched else []
        await self._bus.publish(stored + views)
        if work.wake_outbox:
            self._outbox_due = self.now()
            self._outbox_wake.set()
        if work.end or work.enqueue:
            await self._tell_acd(work)

    async def _tell_acd(self, work: _Work) -> None:
        ends = list(work.end)
        new = [
            (NewContact(contact_id, queue_key("chat", c.queue_id), ContactKind.CHAT, _caller(c)))
            for c, contact_id in work.enqueue
            if c.queue_id is not None
        ]
        avoid = dict(work.avoid)

        def command(router: Router, now: float) -> list[Change]:
            events: list[Change] = []
            live = set(router.live_contact_ids())
            for contact_id in ends:
                if contact_id not in live:
                    continue
                state = router.contact_state(contact_id)
                if state == "connected":
                    events += router.end_contact(contact_id, now)
                elif state in ("queued", "offered"):
                    events += router.expire(contact_id, now)
            queues = set(router.queue_ids())
            for contact in new:
                if contact.queue_id not in queues or contact.contact_id in live:
                    self._reconcile_needed = contact.queue_id not in queues
                    continue  # reconcile() brings it in once the router knows the queue
                events += router.enqueue(contact, now)
                previous = avoid.get(contact.contact_id)
                for offer_id, contact_id, agent_id in router.open_offers():
                    if contact_id == contact.contact_id and agent_id == previous:
                        # Back to the queue means to somebody else first.
                        events += router.decline(offer_id, now)
            return events

        try:
            await self.acd.run(command, actor_id=None)
        except Exception:  # the conversation stays queued in storage: reconcile() retries
            self._reconcile_needed = True
            log.exception("the ACD refused a chat routing command")

    async def reconcile(self) -> None:
        """Open conversations whose ACD contact the router does not have go (back) to their
        queue: after a restart that lost them, or when the router learnt of a new queue
        only after the conversation arrived."""
        async with self._lock:
            self._reconcile_needed = False
            async with self._factory() as session:
                live = await repository.live_conversations(session)
                self._outbox_due = await repository.next_outbox_due(session)
            in_router = set(self.acd.router.live_contact_ids())
            work = _Work()
            for conversation in live:
                if conversation.status != Status.OPEN or conversation.acd_contact_id is None:
                    continue
                if conversation.acd_contact_id not in in_router:
                    work.enqueue.append((conversation, conversation.acd_contact_id))
            if work.enqueue:
                await self._tell_acd(work)

    # ------------------------------------------------------------------ routing

    def _queue_for_routing(
        self, session: AsyncSession, work: _Work, conversation: Conversation, now: datetime
    ) -> str:
        conversation.routings += 1
        contact_id = f"chat:{conversation.id}:{conversation.routings}"
        conversation.acd_contact_id = contact_id
        work.enqueue.append((conversation, contact_id))
        return contact_id

    async def _choose_queue(
        self, session: AsyncSession, channel: Channel, our_address: str
    ) -> ChatQueue:
        mapped = await repository.address(session, channel.value, our_address)
        if mapped is not None:
            queue = await queue_repository.get(session, "chat", mapped.queue_id)
            if isinstance(queue, ChatQueue):
                return queue
        for queue in await queue_repository.list_chat_queues(session):
            if QUEUE_CHANNEL.get(channel, channel.value) in (queue.channels or []):
                return queue
        raise Invalid(f"no chat queue takes {channel.value} messages to {our_address}")

    # ------------------------------------------------------------------ intake

    async def receive(
        self,
        *,
        message: InboundMessage,
        files: Sequence[IncomingFile] = (),
        queue_id: int | None = None,
        email: str | None = None,
    ) -> Received:
        """A customer's message from any channel, idempotent on its provider id.

        The conversation of (channel, our address, the customer's address) gets it: created
        (and queued) if new, reopened (and queued) if resolved. Files that break the limits
        are left out and said in the message's ``error`` (a provider cannot be refused);
        the webchat checks them before, to refuse the upload. ``queue_id`` chooses the chat
        queue of a new conversation (default: the one mapped to our address, else the
        first whose channels include this one).
        """
        checked, refused = self._check_each(files)
        async with self._lock:
            for attempt in range(3):
                try:
                    return await self._receive(message, checked, refused, queue_id, email)
                except IntegrityError:
                    # Another process stored the same message or conversation meanwhile.
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _check_each(self, files: Sequence[IncomingFile]) -> tuple[list[CheckedFile], list[str]]:
        checked: list[CheckedFile] = []
        refused: list[str] = []
        for item in files:
            if len(checked) >= self.limits.max_files:
                refused.append(f"{item.filename}: more than {self.limits.max_files} files")
                continue
            try:
                checked += check([item], max_files=1, max_bytes=self.limits.max_file_bytes)
            except Invalid as error:
                refused.append(error.message)
        return checked, refused

    async def _receive(
        self,
        message: InboundMessage,
        files: list[CheckedFile],
        refused: list[str],
        queue_id: int | None,
        email: str | None,
    ) -> Received:
        now = self.now()
        async with self._transaction() as (session, work):
            if message.provider_message_id:
                seen = await repository.message_by_provider_id(
                    session, message.channel.value, Direction.IN.value, message.provider_message_id
                )
                if seen is not None:
                    return Received(seen.conversation_id, seen.id, duplicate=True)
            conversation = await repository.conversation_at(
                session, message.channel.value, message.recipient, message.sender
            )
            if conversation is None:
                conversation = await self._open(session, work, message, queue_id, email, now)
            elif conversation.status == Status.RESOLVED:
                self._reopen(session, work, conversation, now)
            if message.sender_name and not conversation.customer_name:
                conversation.customer_name = message.sender_name[:200]
            text = message.text[: self.limits.max_text_chars]
            if len(message.text) > self.limits.max_text_chars:
                refused.append(f"text cut at {self.limits.max_text_chars} characters")
            item = ChatMessage(
                conversation_id=conversation.id,
                channel=message.channel.value,
                direction=Direction.IN.value,
                author=Author.CUSTOMER.value,
                text=text,
                provider_message_id=message.provider_message_id or None,
                status="received",
                error="; ".join(refused) or None,
                created_at=now,
                status_at=now,
                attachments=self._store_files(files, work, now),
            )
            await repository.add(session, item)
            conversation.unread_count += 1
            conversation.last_inbound_at = now
            conversation.last_activity_at = now
            conversation.updated_at = now
            conversation.last_message_preview = _preview(text, len(files))
            if conversation.awaiting_agent_since is None:
                conversation.awaiting_agent_since = now
            await repository.flush(session)
            work.conversations[conversation.id] = conversation
            append_event(
                session,
                MessageReceived(
                    conversation=snapshot(conversation), message=message_snapshot(item)
                ),
                occurred_at=now,
            )
        return Received(conversation.id, item.id, duplicate=False)

    def _store_files(
        self, files: Sequence[CheckedFile], work: _Work, now: datetime
    ) -> list[ChatAttachment]:
        rows = []
        for item in files:
            path = self.store.save(item)
            work.files.append(path)
            rows.append(
                ChatAttachment(
                    filename=item.filename,
                    content_type=item.content_type,
                    size=len(item.data),
                    path=path,
                    created_at=now,
                )
            )
        return rows

    async def _open(
        self,
        session: AsyncSession,
        work: _Work,
        message: InboundMessage,
        queue_id: int | None,
        email: str | None,
        now: datetime,
    ) -> Conversation:
        if queue_id is not None:
            queue = await queue_repository.get(session, "chat", queue_id)
            if not isinstance(queue, ChatQueue):
                raise NotFound(f"no chat queue with id {queue_id}")
        else:
            queue = await self._choose_queue(session, message.channel, message.recipient)
        contact_id = await self._contact_for(session, message, email, now)
        conversation = Conversation(
            channel=message.channel.value,
            our_address=message.recipient,
            customer_address=message.sender,
            customer_name=(message.sender_name or "")[:200],
            contact_id=contact_id,
            queue_id=queue.id,
            status=Status.OPEN.value,
            unread_count=0,
            routings=0,
            last_message_preview="",
            created_at=now,
            updated_at=now,
            last_activity_at=now,
            unassigned_since=now,
        )
        await repository.add(session, conversation)
        reason = "new"
        contact = self._queue_for_routing(session, work, conversation, now)
        work.conversations[conversation.id] = conversation
        append_event(
            session, ConversationOpened(conversation=snapshot(conversation)), occurred_at=now
        )
        append_event(
            session,
            ConversationQueued(
                conversation=snapshot(conversation), acd_contact_id=contact, reason=reason
            ),
            occurred_at=now,
        )
        return conversation

    async def _contact_for(
        self, session: AsyncSession, message: InboundMessage, email: str | None, now: datetime
    ) -> int | None:
        """The contact of the customer's address (created if new); None when the address
        is no identity (a webchat visitor without an email)."""
        kind = IDENTITY_OF_CHANNEL.get(message.channel)
        value = message.sender
        if kind is None:
            if not email:
                return None
            kind, value = IdentityKind.EMAIL, email
        try:
            contact = await contact_service.find_or_create(
                session=session, kind=kind, value=value, name=message.sender_name or "", now=now
            )
        except Invalid:
            return None  # e.g. an SMS short code: not a phone number of a person
        return contact.id

    def _reopen(
        self, session: AsyncSession, work: _Work, conversation: Conversation, now: datetime
    ) -> None:
        conversation.status = Status.OPEN.value
        conversation.assigned_user_id = None
        conversation.assigned_at = None
        conversation.resolved_at = None
        conversation.unassigned_since = now
        conversation.updated_at = now
        contact = self._queue_for_routing(session, work, conversation, now)
        work.conversations[conversation.id] = conversation
        append_event(
            session, ConversationReopened(conversation=snapshot(conversation)), occurred_at=now
        )
        append_event(
            session,
            ConversationQueued(
                conversation=snapshot(conversation), acd_contact_id=contact, reason="reopened"
            ),
            occurred_at=now,
        )

    async def delivery_update(self, *, update: DeliveryUpdate) -> bool:
        """A provider's news about a message we sent. False: no such message (the
        provider's callback is still answered 200). Statuses never go backwards."""
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                message = await repository.message_by_provider_id(
                    session, update.channel.value, Direction.OUT.value, update.provider_message_id
                )
                if message is None:
                    return False
                previous = message.status
                if not _moves_forward(previous, update.status):
                    return True
                message.status = update.status.value
                message.status_at = update.at or now
                if update.status is DeliveryStatus.FAILED:
                    message.error = update.error or "the provider could not deliver it"
                await self._status_event(session, work, message, previous, now)
        return True

    async def _status_event(
        self,
        session: AsyncSession,
        work: _Work,
        message: ChatMessage,
        previous: str,
        now: datetime,
    ) -> None:
        conversation = await repository.get_conversation(session, message.conversation_id)
        assert conversation is not None
        await repository.flush(session)
        append_event(
            session,
            MessageStatusChanged(
                conversation=snapshot(conversation),
                message=message_snapshot(message),
                previous=previous,
            ),
            occurred_at=now,
        )

    # ------------------------------------------------------------------ the ACD's news

    async def _follow_acd(self) -> None:
        while True:
            changes = await self._acd_events.get()
            try:
                for change in changes:
                    if isinstance(change, core_events.ContactAccepted) and (
                        change.contact_id.startswith("chat:")
                    ):
                        try:
                            await self._accepted(change.contact_id, int(change.agent_id))
                        except Exception:
                            log.exception("assigning chat contact %s failed", change.contact_id)
            finally:
                self._acd_events.task_done()

    async def _accepted(self, contact_id: str, user_id: int) -> None:
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await repository.conversation_by_acd_contact(session, contact_id)
                if conversation is None or conversation.status != Status.OPEN:
                    work.end.append(contact_id)  # resolved meanwhile: the agent is free again
                    return
                conversation.status = Status.ASSIGNED.value
                conversation.assigned_user_id = user_id
                conversation.assigned_at = now
                conversation.unassigned_since = None
                conversation.updated_at = now
                await repository.flush(session)
                work.conversations[conversation.id] = conversation
                append_event(
                    session,
                    ConversationAssigned(conversation=snapshot(conversation), user_id=user_id),
                    occurred_at=now,
                )

    async def wait_idle(self) -> None:
        """Until the ACD's news so far has been applied (for tests and shutdown)."""
        await self._acd_events.join()

    # ------------------------------------------------------------------ agents

    async def _conversation_for(
        self, session: AsyncSession, conversation_id: int, *, user_id: int, supervisor_ok: bool
    ) -> Conversation:
        conversation = await repository.get_conversation(session, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation with id {conversation_id}")
        if conversation.assigned_user_id == user_id and conversation.status == Status.ASSIGNED:
            return conversation
        if supervisor_ok:
            return conversation
        raise NotAllowed("this conversation is not assigned to you")

    async def send(
        self,
        *,
        conversation_id: int,
        user_id: int,
        text: str,
        files: Sequence[IncomingFile] = (),
    ) -> ChatMessage:
        """The assigned agent's message: stored, then queued for its channel (the outbox
        sends it). Too many, too large or wrong files refuse the whole message."""
        text = text.strip()
        if len(text) > self.limits.max_text_chars:
            raise Invalid(
                f"a message has at most {self.limits.max_text_chars} characters "
                f"({len(text)} given)",
                field="text",
            )
        checked = check(
            files, max_files=self.limits.max_files, max_bytes=self.limits.max_file_bytes
        )
        if not text and not checked:
            raise Invalid("write a message or attach a file", field="text")
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await self._conversation_for(
                    session, conversation_id, user_id=user_id, supervisor_ok=False
                )
                message = await self._outbound(
                    session,
                    work,
                    conversation,
                    text,
                    checked,
                    now,
                    author=Author.AGENT,
                    user_id=user_id,
                )
        return message

    async def _outbound(
        self,
        session: AsyncSession,
        work: _Work,
        conversation: Conversation,
        text: str,
        files: Sequence[CheckedFile],
        now: datetime,
        *,
        author: Author,
        user_id: int | None,
    ) -> ChatMessage:
        webchat = conversation.channel == Channel.WEBCHAT.value
        message = ChatMessage(
            conversation_id=conversation.id,
            channel=conversation.channel,
            direction=Direction.OUT.value,
            author=author.value,
            author_user_id=user_id,
            text=text,
            # The webchat customer gets it over their WebSocket: no provider in between.
            status=(DeliveryStatus.SENT if webchat else DeliveryStatus.QUEUED).value,
            created_at=now,
            status_at=now,
            attachments=self._store_files(files, work, now),
        )
        await repository.add(session, message)
        if not webchat:
            await repository.add(
                session,
                ChatOutbox(message_id=message.id, next_attempt_at=now, created_at=now),
            )
            work.wake_outbox = True
        if author is Author.AGENT:
            conversation.awaiting_agent_since = None
            conversation.unread_count = 0
        conversation.last_outbound_at = now
        conversation.last_activity_at = now
        conversation.updated_at = now
        conversation.last_message_preview = _preview(text, len(files))
        await repository.flush(session)
        work.conversations[conversation.id] = conversation
        append_event(
            session,
            MessageSent(conversation=snapshot(conversation), message=message_snapshot(message)),
            occurred_at=now,
            actor_user_id=user_id,
        )
        return message

    async def mark_read(self, *, conversation_id: int, user_id: int) -> Conversation:
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await self._conversation_for(
                    session, conversation_id, user_id=user_id, supervisor_ok=False
                )
                if conversation.unread_count:
                    conversation.unread_count = 0
                    conversation.updated_at = now
                    await repository.flush(session)
                    work.conversations[conversation.id] = conversation
                    append_event(
                        session,
                        ConversationRead(conversation=snapshot(conversation)),
                        occurred_at=now,
                        actor_user_id=user_id,
                    )
        return conversation

    async def unassign(
        self, *, conversation_id: int, user_id: int | None, supervisor: bool, reason: str = "agent"
    ) -> Conversation:
        """Back to the queue (offered to another agent first)."""
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await repository.get_conversation(session, conversation_id)
                if conversation is None:
                    raise NotFound(f"no conversation with id {conversation_id}")
                if not supervisor and (
                    conversation.assigned_user_id != user_id
                    or conversation.status != Status.ASSIGNED
                ):
                    raise NotAllowed("this conversation is not assigned to you")
                if conversation.status != Status.ASSIGNED:
                    raise Invalid("the conversation is not assigned to anyone")
                self._unassign(session, work, conversation, now, reason, actor_id=user_id)
        return conversation

    def _unassign(
        self,
        session: AsyncSession,
        work: _Work,
        conversation: Conversation,
        now: datetime,
        reason: str,
        *,
        actor_id: int | None,
    ) -> None:
        previous = conversation.assigned_user_id
        if conversation.acd_contact_id:
            work.end.append(conversation.acd_contact_id)
        conversation.status = Status.OPEN.value
        conversation.assigned_user_id = None
        conversation.assigned_at = None
        conversation.unassigned_since = now
        conversation.updated_at = now
        contact = self._queue_for_routing(session, work, conversation, now)
        if previous is not None:
            work.avoid[contact] = str(previous)
        work.conversations[conversation.id] = conversation
        append_event(
            session,
            ConversationUnassigned(
                conversation=snapshot(conversation), previous_user_id=previous, reason=reason
            ),
            occurred_at=now,
            actor_user_id=actor_id,
        )
        append_event(
            session,
            ConversationQueued(
                conversation=snapshot(conversation),
                acd_contact_id=contact,
                reason="reassigned" if reason == "no_reply" else "unassigned",
            ),
            occurred_at=now,
            actor_user_id=actor_id,
        )

    async def resolve(
        self, *, conversation_id: int, user_id: int | None, supervisor: bool
    ) -> Conversation:
        """Done: the ACD contact ends (the queue's wrap-up follows); a new message from the
        customer reopens it."""
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await self._conversation_for(
                    session, conversation_id, user_id=user_id or 0, supervisor_ok=supervisor
                )
                if conversation.status == Status.RESOLVED:
                    return conversation
                if conversation.acd_contact_id:
                    work.end.append(conversation.acd_contact_id)
                conversation.status = Status.RESOLVED.value
                conversation.acd_contact_id = None
                conversation.resolved_at = now
                conversation.unassigned_since = None
                conversation.awaiting_agent_since = None
                conversation.updated_at = now
                await repository.flush(session)
                work.conversations[conversation.id] = conversation
                append_event(
                    session,
                    ConversationResolved(conversation=snapshot(conversation)),
                    occurred_at=now,
                    actor_user_id=user_id,
                )
        return conversation

    async def link_contact(
        self, *, conversation_id: int, contact_id: int | None, user_id: int, supervisor: bool
    ) -> Conversation:
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, work):
                conversation = await self._conversation_for(
                    session, conversation_id, user_id=user_id, supervisor_ok=supervisor
                )
                if (
                    contact_id is not None
                    and await contact_repository.get(session, contact_id) is None
                ):
                    raise NotFound(f"no contact with id {contact_id}")
                previous = conversation.contact_id
                if previous == contact_id:
                    return conversation
                conversation.contact_id = contact_id
                conversation.updated_at = now
                await repository.flush(session)
                work.conversations[conversation.id] = conversation
                append_event(
                    session,
                    ContactLinked(
                        conversation=snapshot(conversation), previous_contact_id=previous
                    ),
                    occurred_at=now,
                    actor_user_id=user_id,
                )
        return conversation

    async def typing(self, *, conversation: Conversation, who: str, typing: bool) -> None:
        """Not stored: published on the bus for the other side."""
        from helpline.chats.events import TYPING

        async with self._factory() as session:
            seq = await last_sequence(session)
        payload = {
            "conversation_id": conversation.id,
            "queue_id": conversation.queue_id,
            "assigned_user_id": conversation.assigned_user_id,
            "status": conversation.status,
            "who": who,
            "typing": typing,
        }
        await self._bus.publish(
            [
                StoredEvent(
                    seq=seq,
                    type=TYPING,
                    payload=payload,
                    occurred_at=self.now(),
                    actor_user_id=None,
                )
            ]
        )

    # ------------------------------------------------------------------ reassignment

    async def request_transcript(self, *, conversation_id: int, email: str) -> Conversation:
        """The customer wants the transcript by email: sent once the conversation is
        resolved (at once if it is already), retried while the mail relay refuses it."""
        if self.mailer is None:
            raise NotAllowed("transcripts by email are not set up here (no mail relay)")
        email = email.strip()
        if not _EMAIL.fullmatch(email):
            raise Invalid(f"{email[:60]!r} is not an email address", field="email")
        async with self._lock:
            now = self.now()
            async with self._transaction() as (session, _work):
                conversation = await repository.get_conversation(session, conversation_id)
                if conversation is None:
                    raise NotFound(f"no conversation with id {conversation_id}")
                conversation.transcript_to = email
                conversation.transcript_sent_at = None
                conversation.transcript_attempts = 0
                conversation.transcript_next_at = None
                await repository.flush(session)
                append_event(
                    session,
                    TranscriptRequested(conversation=snapshot(conversation), email=email),
                    occurred_at=now,
                )
        return conversation

    async def process_transcripts(self, now: datetime | None = None) -> int:
        """Send the transcripts due; returns how many were sent."""
        if self.mailer is None:
            return 0
        now = now or self.now()
        async with self._factory() as session:
            due = await repository.transcripts_due(
                session, max_attempts=TRANSCRIPT_MAX_ATTEMPTS, now=now
            )
            jobs = []
            for conversation in due:
                rows = await repository.messages(
                    session, conversation.id, before_id=None, limit=TRANSCRIPT_MAX_MESSAGES
                )
                jobs.append((conversation.id, conversation.transcript_to or "", rows))
        sent = 0
        for conversation_id, email, rows in jobs:
            subject, body = self._transcript(rows)
            try:
                await self.mailer.send(recipients=[email], subject=subject, body=body)
            except (OSError, smtplib.SMTPException) as error:
                await self._transcript_done(conversation_id, email, str(error) or "refused", now)
                continue
            await self._transcript_done(conversation_id, email, None, now)
            sent += 1
        return sent

    async def _transcript_done(
        self, conversation_id: int, email: str, error: str | None, at: datetime | None
    ) -> None:
        async with self._lock:
            now = at or self.now()
            async with self._transaction() as (session, _work):
                conversation = await repository.get_conversation(session, conversation_id)
                if conversation is None or conversation.transcript_to != email:
                    return  # asked again meanwhile (another address): that request counts
                event: TranscriptSent | TranscriptFailed
                if error is None:
                    conversation.transcript_sent_at = now
                    event = TranscriptSent(conversation=snapshot(conversation), email=email)
                else:
                    conversation.transcript_attempts += 1
                    final = conversation.transcript_attempts >= TRANSCRIPT_MAX_ATTEMPTS
                    # 1, 2, 4, 8 minutes: a relay that is down for a while gets the time
                    wait = TRANSCRIPT_FIRST_RETRY * 2 ** (conversation.transcript_attempts - 1)
                    conversation.transcript_next_at = now + wait
                    log.warning(
                        "transcript of conversation %s not sent: %s", conversation_id, error
                    )
                    event = TranscriptFailed(
                        conversation=snapshot(conversation),
                        email=email,
                        reason=error[:300],
                        final=final,
                    )
                await repository.flush(session)
                append_event(session, event, occurred_at=now)

    def _transcript(self, rows: Sequence[ChatMessage]) -> tuple[str, str]:
        """The email: in the organization's language and time zone."""
        _ = translations(self._language).gettext  # (named so that extraction finds them)
        you, us, file_label = _("You"), _("Us"), _("file")
        lines = [_("The transcript of your conversation with us:"), ""]
        for message in rows:
            when = message.created_at.astimezone(self._tz).strftime("%Y-%m-%d %H:%M")
            who = you if message.direction == Direction.IN else us
            lines.append(f"[{when}] {who}: {message.text}".rstrip())
            for attachment in message.attachments:
                lines.append(f"    ({file_label}: {attachment.filename})")
        return _("Your conversation with us"), "\n".join(lines) + "\n"

    async def check_reassignments(self, now: datetime | None = None) -> list[int]:
        """Assigned conversations whose agent has not replied within the queue's
        ``reassign_after_seconds`` (counted from the customer's unanswered message, or the
        assignment if later) go back to the queue. Returns their ids."""
        moved: list[int] = []
        async with self._lock:
            at = now or self.now()
            async with self._transaction() as (session, work):
                limits = {
                    q.id: q.reassign_after_seconds
                    for q in await queue_repository.list_chat_queues(session)
                }
                for conversation in await repository.assigned_awaiting_reply(session):
                    limit = limits.get(conversation.queue_id or 0)
                    if not limit or conversation.awaiting_agent_since is None:
                        continue
                    since = max(
                        conversation.awaiting_agent_since,
                        conversation.assigned_at or conversation.awaiting_agent_since,
                    )
                    if (at - since).total_seconds() >= limit:
                        self._unassign(session, work, conversation, at, "no_reply", actor_id=None)
                        moved.append(conversation.id)
                if moved:
                    await repository.flush(session)
        return moved

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                if self.board.awaiting_assigned():
                    await self.check_reassignments()
                if self._reconcile_needed and self.board.has_unassigned():
                    await self.reconcile()
                if self.mailer is not None:
                    await self.process_transcripts()
            except Exception:
                log.exception("chat timers failed")

    # ------------------------------------------------------------------ outbox

    def media_url(self, attachment_id: int) -> str | None:
        """A public address of an attachment (providers fetch MMS and Send API media
        from it), or None without ``HELPLINE_PUBLIC_URL``."""
        if not self.public_url:
            return None
        token = self._media_signer.dumps(attachment_id)
        return f"{self.public_url}/chat-media/{token}"

    def media_token(self, attachment_id: int) -> str:
        token: str = self._media_signer.dumps(attachment_id)
        return token

    def attachment_for_token(self, token: str, max_age: int = 7 * 24 * 3600) -> int | None:
        try:
            value = self._media_signer.loads(token, max_age=max_age)
        except BadSignature:
            return None
        return value if isinstance(value, int) else None

    async def process_outbox(self, now: datetime | None = None) -> int:
        """Send what is due; returns how many sends were tried."""
        async with self._outbox_lock:
            at = now or self.now()
            async with self._lock:
                claimed = await self._claim(at)
            for outbox_id, message_id in claimed:
                await self._send_one(outbox_id, message_id, at)
            async with self._lock, self._factory() as session:
                self._outbox_due = await repository.next_outbox_due(session)
            return len(claimed)

    async def _claim(self, at: datetime) -> list[tuple[int, int]]:
        async with self._factory() as session:
            due = await repository.due_outbox(session, at, OUTBOX_BATCH)
            claimed = []
            for row in due:
                row.attempts += 1
                row.next_attempt_at = at + SEND_LEASE
                claimed.append((row.id, row.message_id))
            await session.commit()
        return claimed

    async def _send_one(self, outbox_id: int, message_id: int, at: datetime) -> None:
        # Every database call of the background tasks holds the lock: stop() takes it
        # before cancelling them, so that none is cut off in the middle of one (an
        # aiosqlite connection cancelled mid-call never closes).
        async with self._lock, self._factory() as session:
            message = await repository.get_message(session, message_id)
            conversation = (
                await repository.get_conversation(session, message.conversation_id)
                if message
                else None
            )
        if message is None or conversation is None:
            return
        outcome: DeliveryStatus | None = None
        provider_id: str | None = None
        error: str | None = None
        retry = False
        sender = self.senders.get(Channel(conversation.channel), conversation.our_address)
        urls = [self.media_url(a.id) for a in message.attachments]
        if sender is None:
            error = (
                f"no sender is set up for {conversation.channel} from {conversation.our_address}"
            )
            retry = True
        elif any(u is None for u in urls):
            error = "set HELPLINE_PUBLIC_URL so that the provider can fetch the attachments"
        else:
            try:
                result = await sender.send(
                    OutboundMessage(
                        channel=Channel(conversation.channel),
                        sender=conversation.our_address,
                        recipient=conversation.customer_address,
                        text=message.text,
                        media_urls=tuple(u for u in urls if u),
                    )
                )
                outcome, provider_id = result.status, result.provider_message_id
            except SendError as failure:
                error, retry = str(failure) or type(failure).__name__, failure.retryable
            except Exception as failure:  # noqa: BLE001 - a network error the sender did not wrap
                error, retry = f"{type(failure).__name__}: {failure}", True
        async with self._lock, self._transaction() as (session, work):
            row = await session.get(ChatOutbox, outbox_id)
            message = await repository.get_message(session, message_id)
            if row is None or message is None:
                return
            previous = message.status
            if outcome is not None:
                row.state = "done"
                row.last_error = None
                message.provider_message_id = provider_id
                message.error = None
                if _moves_forward(previous, outcome):
                    message.status = outcome.value
                message.status_at = at
                await self._status_event(session, work, message, previous, at)
                return
            row.last_error = error
            if retry and row.attempts < self.outbox.max_attempts:
                row.next_attempt_at = at + self.outbox.delay(row.attempts)
                return
            row.state = "failed"
            message.status = DeliveryStatus.FAILED.value
            message.error = f"{error} (after {row.attempts} attempts)" if retry else error
            message.status_at = at
            await self._status_event(session, work, message, previous, at)

    async def _outbox_loop(self) -> None:
        while True:
            due = self._outbox_due
            if due is not None and due <= self.now():
                try:
                    await self.process_outbox()
                except Exception:
                    log.exception("the chat outbox failed")
                    self._outbox_due = self.now() + timedelta(seconds=self._poll)
                continue
            delay = self._poll
            if due is not None:
                delay = min(max((due - self.now()).total_seconds(), 0.0), self._poll)
            self._outbox_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_wake.wait(), delay)


def _moves_forward(previous: str, new: DeliveryStatus) -> bool:
    if new is DeliveryStatus.FAILED:
        return previous != DeliveryStatus.FAILED.value
    try:
        old = DeliveryStatus(previous)
    except ValueError:
        return False
    if old is DeliveryStatus.FAILED:
        return False
    return STATUS_RANK[new] > STATUS_RANK[old]


def _caller(conversation: Conversation) -> str:
    return (conversation.customer_name or conversation.customer_address)[:100]
