"""The chat workspace over HTTP: conversations, messages, attachments; admin mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.service import agent_queue_ids, parse_queue_key, visible_queue_ids
from helpline.channels.messaging import Channel
from helpline.chats import repository, tagging
from helpline.chats.attachments import IncomingFile
from helpline.chats.events import AddressRemoved, AddressSet
from helpline.chats.models import ChatAddress, Conversation
from helpline.chats.schemas import (
    AddressIn,
    AddressOut,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    ConversationTagIn,
    LinkContactIn,
    ListFilter,
    MessageOut,
    Status,
    TypingIn,
)
from helpline.chats.service import ChatService
from helpline.core.permissions import Action, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.errors import http_error
from helpline.http.uploads import allow_uploads
from helpline.queues import repository as queue_repository
from helpline.queues.models import ChatQueue
from helpline.storage.eventlog import append_event
from helpline.tags.schemas import TagOut
from helpline.users.models import User

router = APIRouter(prefix="/chats", tags=["chats"])
media_router = APIRouter(include_in_schema=False)

ChatUser = Annotated[User, Depends(require(Action.USE_CHATS))]
Admin = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]
Reader = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]

# Five files of 2 MB and the text: the general body limit would refuse them first.
MAX_UPLOAD_BYTES = 5 * 2 * 1024 * 1024 + 64 * 1024
allow_uploads("/api/v1/chats/conversations", MAX_UPLOAD_BYTES)


def get_chats(request: Request) -> ChatService:
    service: ChatService = request.app.state.chats
    return service


ChatsDep = Annotated[ChatService, Depends(get_chats)]


@dataclass(frozen=True)
class Access:
    """Which conversations a user sees: their own, their queues' waiting ones (agents),
    every one of the queues they supervise."""

    user_id: int
    supervised: frozenset[int]
    agent_queues: frozenset[int]

    def can_view(self, conversation: Conversation) -> bool:
        return (
            conversation.assigned_user_id == self.user_id
            or conversation.queue_id in self.supervised
            or (conversation.status == Status.OPEN and conversation.queue_id in self.agent_queues)
        )

    def supervises(self, conversation: Conversation) -> bool:
        return conversation.queue_id in self.supervised


def _chat_ids(keys: set[str] | list[str]) -> frozenset[int]:
    ids = set()
    for key in keys:
        kind, number = parse_queue_key(key)
        if kind == "chat":
            ids.add(number)
    return frozenset(ids)


async def access_of(
    request: Request, session: AsyncSession, user: User, matrix: MatrixDep
) -> Access:
    acd = request.app.state.acd
    supervised = await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix)
    return Access(
        user_id=user.id,
        supervised=_chat_ids(supervised),
        agent_queues=_chat_ids(agent_queue_ids(acd, user.id)),
    )


async def get_access(
    request: Request, session: SessionDep, user: ChatUser, matrix: MatrixDep
) -> Access:
    return await access_of(request, session, user, matrix)


AccessDep = Annotated[Access, Depends(get_access)]


async def visible_conversation(
    session: AsyncSession, conversation_id: int, access: Access
) -> Conversation:
    conversation = await repository.get_conversation(session, conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation with id {conversation_id}")
    if not access.can_view(conversation):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "this conversation is another agent's or another queue's"
        )
    return conversation


@router.get("/conversations", response_model=ConversationPage)
async def list_conversations(
    session: SessionDep,
    access: AccessDep,
    view: ListFilter = ListFilter.MINE,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ConversationPage:
    """``mine``: assigned to me; ``unassigned``: waiting in my queues (and the ones I
    supervise); ``resolved``: the ones I had (supervisors: of their queues); ``all``:
    every open and assigned one of the queues I supervise."""
    queue_ids: list[int] | None = None
    assigned: int | None = None
    if view is ListFilter.MINE:
        statuses, assigned = [Status.ASSIGNED.value], access.user_id
    elif view is ListFilter.UNASSIGNED:
        statuses, queue_ids = [Status.OPEN.value], sorted(access.agent_queues | access.supervised)
    elif view is ListFilter.RESOLVED:
        statuses = [Status.RESOLVED.value]
        if access.supervised:
            queue_ids = sorted(access.supervised)
        else:
            assigned = access.user_id
    else:
        statuses = [Status.OPEN.value, Status.ASSIGNED.value]
        queue_ids = sorted(access.supervised)
    total, rows = await repository.list_conversations(
        session,
        statuses=statuses,
        queue_ids=queue_ids,
        assigned_user_id=assigned,
        limit=limit,
        offset=offset,
    )
    return ConversationPage(
        total=total, conversations=[ConversationOut.model_validate(c) for c in rows]
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: int,
    session: SessionDep,
    access: AccessDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationDetail:
    """The conversation and its messages (the newest ``limit``, before message
    ``before``), oldest first."""
    conversation = await visible_conversation(session, conversation_id, access)
    rows = await repository.messages(session, conversation.id, before_id=before, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[-limit:] if has_more else rows
    tags = await tagging.tags_of(session=session, conversation_id=conversation.id)
    return ConversationDetail(
        conversation=ConversationOut.model_validate(conversation),
        messages=[MessageOut.model_validate(m) for m in rows],
        has_more=has_more,
        tags=[TagOut.model_validate(t) for t in tags],
    )


async def read_uploads(files: list[UploadFile], limit: int) -> list[IncomingFile]:
    """The uploaded files' bytes (reading stops just past the limit of each)."""
    read = []
    for upload in files:
        data = await upload.read(limit + 1)
        read.append(IncomingFile(upload.filename or "file", data, upload.content_type))
    return read


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
)
async def send_message(
    conversation_id: int,
    session: SessionDep,
    access: AccessDep,
    chats: ChatsDep,
    text: Annotated[str, Form(max_length=100_000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> MessageOut:
    """Send text and up to 5 files (2 MB each; images, videos, PDF). A message that
    breaks a limit is refused whole: nothing is stored or sent."""
    await visible_conversation(session, conversation_id, access)
    incoming = await read_uploads(files or [], chats.limits.max_file_bytes)
    try:
        message = await chats.send(
            conversation_id=conversation_id, user_id=access.user_id, text=text, files=incoming
        )
    except DomainError as error:
        raise http_error(error) from error
    return MessageOut.model_validate(message)


@router.post("/conversations/{conversation_id}/read", response_model=ConversationOut)
async def mark_read(
    conversation_id: int, session: SessionDep, access: AccessDep, chats: ChatsDep
) -> ConversationOut:
    await visible_conversation(session, conversation_id, access)
    try:
        conversation = await chats.mark_read(
            conversation_id=conversation_id, user_id=access.user_id
        )
    except DomainError as error:
        raise http_error(error) from error
    return ConversationOut.model_validate(conversation)


@router.post("/conversations/{conversation_id}/unassign", response_model=ConversationOut)
async def unassign(
    conversation_id: int, session: SessionDep, access: AccessDep, chats: ChatsDep
) -> ConversationOut:
    """Back to the queue: offered to another agent first."""
    conversation = await visible_conversation(session, conversation_id, access)
    supervisor = access.supervises(conversation)
    try:
        conversation = await chats.unassign(
            conversation_id=conversation_id,
            user_id=access.user_id,
            supervisor=supervisor,
            reason="supervisor"
            if supervisor and conversation.assigned_user_id != access.user_id
            else "agent",
        )
    except DomainError as error:
        raise http_error(error) from error
    return ConversationOut.model_validate(conversation)


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationOut)
async def resolve(
    conversation_id: int, session: SessionDep, access: AccessDep, chats: ChatsDep
) -> ConversationOut:
    conversation = await visible_conversation(session, conversation_id, access)
    try:
        conversation = await chats.resolve(
            conversation_id=conversation_id,
            user_id=access.user_id,
            supervisor=access.supervises(conversation),
        )
    except DomainError as error:
        raise http_error(error) from error
    return ConversationOut.model_validate(conversation)


@router.put("/conversations/{conversation_id}/contact", response_model=ConversationOut)
async def link_contact(
    conversation_id: int,
    body: LinkContactIn,
    session: SessionDep,
    access: AccessDep,
    chats: ChatsDep,
) -> ConversationOut:
    """Link the conversation to a contact (null: unlink)."""
    conversation = await visible_conversation(session, conversation_id, access)
    try:
        conversation = await chats.link_contact(
            conversation_id=conversation_id,
            contact_id=body.contact_id,
            user_id=access.user_id,
            supervisor=access.supervises(conversation),
        )
    except DomainError as error:
        raise http_error(error) from error
    return ConversationOut.model_validate(conversation)


@router.post("/conversations/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT)
async def typing(
    conversation_id: int,
    body: TypingIn,
    session: SessionDep,
    access: AccessDep,
    chats: ChatsDep,
) -> Response:
    """The agent is typing (the webchat customer sees it); not stored."""
    conversation = await visible_conversation(session, conversation_id, access)
    if conversation.assigned_user_id != access.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this conversation is not assigned to you")
    await chats.typing(conversation=conversation, who="agent", typing=body.typing)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def tagged_conversation(
    session: AsyncSession, conversation_id: int, access: Access
) -> Conversation:
    """A conversation whose tags the user may change: theirs (assigned now, or when it was
    resolved) or one of a queue they supervise."""
    conversation = await visible_conversation(session, conversation_id, access)
    if conversation.assigned_user_id != access.user_id and not access.supervises(conversation):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this conversation is not yours: only its agent or a supervisor tags it",
        )
    return conversation


@router.get("/conversations/{conversation_id}/tags", response_model=list[TagOut])
async def conversation_tags(
    conversation_id: int, session: SessionDep, access: AccessDep
) -> list[TagOut]:
    """The conversation's tags, in alphabetical order (disabled ones too: they stay on)."""
    conversation = await visible_conversation(session, conversation_id, access)
    tags = await tagging.tags_of(session=session, conversation_id=conversation.id)
    return [TagOut.model_validate(t) for t in tags]


@router.post(
    "/conversations/{conversation_id}/tags",
    response_model=list[TagOut],
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The tag was on the conversation already"}},
)
async def add_conversation_tag(
    conversation_id: int,
    body: ConversationTagIn,
    response: Response,
    session: SessionDep,
    access: AccessDep,
    user: ChatUser,
    matrix: MatrixDep,
    now: NowDep,
) -> list[TagOut]:
    """Put an enabled tag on the conversation, by ``tag_id`` or ``name``. A name that no
    tag has creates a custom tag, for users with "Create custom tags" (else 403). A
    disabled tag is refused (422). Answers the conversation's tags."""
    conversation = await tagged_conversation(session, conversation_id, access)
    try:
        tags, added = await tagging.add(
            session=session,
            conversation=conversation,
            tag_id=body.tag_id,
            name=body.name,
            may_create=is_allowed(user_roles(user), Action.CREATE_CUSTOM_TAGS, matrix),
            now=now,
            actor_id=access.user_id,
        )
    except DomainError as error:
        raise http_error(error) from error
    if not added:
        response.status_code = status.HTTP_200_OK
    return [TagOut.model_validate(t) for t in tags]


@router.delete("/conversations/{conversation_id}/tags/{tag_id}", response_model=list[TagOut])
async def remove_conversation_tag(
    conversation_id: int, tag_id: int, session: SessionDep, access: AccessDep, now: NowDep
) -> list[TagOut]:
    """Take a tag off the conversation; answers the tags left."""
    conversation = await tagged_conversation(session, conversation_id, access)
    try:
        tags = await tagging.remove(
            session=session,
            conversation=conversation,
            tag_id=tag_id,
            now=now,
            actor_id=access.user_id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return [TagOut.model_validate(t) for t in tags]


@router.get("/attachments/{attachment_id}")
async def download_attachment(
    attachment_id: int, session: SessionDep, access: AccessDep, chats: ChatsDep
) -> Response:
    attachment = await repository.get_attachment(session, attachment_id)
    message = await repository.get_message(session, attachment.message_id) if attachment else None
    if attachment is None or message is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no attachment with id {attachment_id}")
    await visible_conversation(session, message.conversation_id, access)
    return attachment_response(chats, attachment.path, attachment.filename, attachment.content_type)


def attachment_response(
    chats: ChatService, path: str, filename: str, content_type: str
) -> Response:
    try:
        target = chats.store.path(path)
    except ValueError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "attachment not found") from error
    if not target.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the attachment's file is missing")
    inline = content_type.startswith(("image/", "video/"))
    return FileResponse(
        target,
        media_type=content_type,
        filename=filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"cache-control": "private, max-age=3600"},
    )


@media_router.get("/chat-media/{token}")
async def public_media(token: str, session: SessionDep, chats: ChatsDep) -> Response:
    """An attachment by its signed address: for providers fetching media, and webchat
    customers (the address is the secret; it expires after 7 days)."""
    attachment_id = chats.attachment_for_token(token)
    attachment = await repository.get_attachment(session, attachment_id) if attachment_id else None
    if attachment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such attachment, or the link expired")
    return attachment_response(chats, attachment.path, attachment.filename, attachment.content_type)


# ---------------------------------------------------------------------- admin: addresses


@router.get("/addresses", response_model=list[AddressOut])
async def list_addresses(session: SessionDep, _user: Reader) -> list[AddressOut]:
    """Our numbers, pages and accounts, and the chat queue each one's conversations go to."""
    return [AddressOut.model_validate(a) for a in await repository.list_addresses(session)]


@router.put("/addresses", response_model=AddressOut)
async def set_address(
    body: AddressIn, session: SessionDep, admin: Admin, now: NowDep
) -> AddressOut:
    queue = await queue_repository.get(session, "chat", body.queue_id)
    if not isinstance(queue, ChatQueue):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"no chat queue with id {body.queue_id}"
        )
    address = body.address.strip()
    if body.channel is Channel.SMS:
        from helpline.contacts.schemas import normalize_phone

        try:
            address = normalize_phone(address)
        except ValueError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    row = await repository.address(session, body.channel.value, address)
    if row is None:
        row = ChatAddress(
            channel=body.channel.value, address=address, queue_id=queue.id, created_at=now
        )
        await repository.add(session, row)
    else:
        row.queue_id = queue.id
        await repository.flush(session)
    out = AddressOut.model_validate(row)
    append_event(
        session,
        AddressSet(address=out.model_dump(mode="json")),
        occurred_at=now,
        actor_user_id=admin.id,
    )
    return out


@router.delete("/addresses/{address_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_address(
    address_id: int, session: SessionDep, admin: Admin, now: NowDep
) -> Response:
    row = await repository.get_address(session, address_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no address with id {address_id}")
    out = AddressOut.model_validate(row)
    await repository.delete(session, row)
    append_event(
        session,
        AddressRemoved(address=out.model_dump(mode="json")),
        occurred_at=now,
        actor_user_id=admin.id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
