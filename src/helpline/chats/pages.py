"""The agent's chat workspace page (/agent/chats): the shell and its texts; the list,
the conversation, the contact panel and the composer come from the chat, contact, tag and
canned-message APIs and stay live over /ws (``static/chats.js``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from helpline.chats.api import access_of
from helpline.chats.attachments import ALLOWED_TYPES
from helpline.core.permissions import Action, is_allowed
from helpline.http.deps import MatrixDep, SessionDep, require, user_roles
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.sections.pages import section_nav
from helpline.users.models import User

router = APIRouter(include_in_schema=False)

ChatUser = Annotated[User, Depends(require(Action.USE_CHATS))]


@router.get("/agent/chats", response_class=HTMLResponse)
async def chat_workspace(
    request: Request,
    session: SessionDep,
    user: ChatUser,
    matrix: MatrixDep,
    conversation: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """``?conversation=ID`` opens that conversation (the accepted offer's). Supervisors
    also get the "All" tab and act on their queues' conversations."""
    limits = request.app.state.chats.limits
    access = await access_of(request, session, user, matrix)
    return render(
        request,
        "chats/workspace.html",
        {
            "config": {
                "user_id": user.id,
                "conversation": conversation,
                "supervised": sorted(access.supervised),
                "may_create_tags": is_allowed(user_roles(user), Action.CREATE_CUSTOM_TAGS, matrix),
                "max_files": limits.max_files,
                "max_file_bytes": limits.max_file_bytes,
                "max_text_chars": limits.max_text_chars,
                "allowed_types": list(ALLOWED_TYPES),
                "labels": workspace_labels(limits.max_files, limits.max_file_bytes),
            },
            "active_section": "agent",
            "nav": section_nav(request, user, matrix),
        },
        matrix=matrix,
    )


def workspace_labels(max_files: int, max_file_bytes: int) -> dict[str, Any]:
    """The workspace script's texts, in the user's language."""
    megabytes = max_file_bytes // (1024 * 1024)
    return {
        "channels": {
            "webchat": _("Webchat"),
            "sms": _("SMS"),
            "messenger": _("Messenger"),
            "instagram": _("Instagram"),
        },
        "statuses": {
            "open": _("Waiting for an agent"),
            "assigned": _("Assigned"),
            "resolved": _("Conversation resolved"),
        },
        "delivery": {
            "queued": _("Sending…"),
            "sent": _("Sent"),
            "delivered": _("Delivered"),
            "read": _("Read"),
            "failed": _("Not delivered"),
            "received": "",
        },
        "authors": {"customer": _("Customer"), "agent": _("Agent"), "system": _("System")},
        "you": _("You"),
        "no_conversations": _("No conversations here."),
        "choose": _("Choose a conversation on the left."),
        "unknown_customer": _("Unknown customer"),
        "typing": _("The customer is typing…"),
        "not_yours": _("This conversation waits for an agent: accept its offer to reply."),
        "resolved_note": _(
            "This conversation is resolved: a new message from the customer reopens it."
        ),
        "other_agent": _("Another agent has this conversation."),
        "failed": _("That did not work. Try again."),
        "too_many_files": _(
            "At most %(count)d files a message: nothing was sent. Remove some and try again."
        )
        % {"count": max_files},
        "too_large": _(
            '"{name}" is larger than %(size)d MB: nothing was sent. Choose a smaller file.'
        )
        % {"size": megabytes},
        "wrong_type": _('"{name}" is not an image, a video or a PDF: nothing was sent.'),
        "empty": _("Write a message or attach a file."),
        "unread": _("{count} unread"),
        "load_more": _("Older messages"),
        "attachment_refused": _("Left out:"),
        "offer": _("A chat is offered to you: {name}"),
        "accept": _("Accept"),
        "decline": _("Decline"),
        "contact_none": _("No contact is linked to this conversation."),
        "history_empty": _("No other conversations."),
        "history_current": _("this conversation"),
        "linked": _("The contact is linked to the conversation."),
        "saved": _("The contact was saved."),
        "no_matches": _("No contact matches."),
        "link": _("Link"),
        "unlink": _("Unlink"),
        "remove_tag": _("Remove the tag {name}"),
        "tag_custom_hint": _("Choose a tag of the list, or type a new one to create it."),
        "tag_hint": _("Choose a tag of the list."),
        "tag_unknown": _('There is no tag named "{name}": choose one of the list.'),
        "no_tags": _("No tags yet."),
        "canned_none": _("No canned message matches."),
        "files_chosen": _("Attached:"),
        "video": _("Video"),
        "document": _("Document"),
        "name": _("Name"),
        "phone": _("Phone"),
        "email": _("Email"),
    }
