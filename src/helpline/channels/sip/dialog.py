"""Dialogs (RFC 3261 section 12): what two user agents share for the life of a call."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from helpline.channels.sip.message import (
    Headers,
    NameAddr,
    Request,
    Response,
    parse_cseq,
    parse_name_addr,
)
from helpline.channels.sip.transport import Peer


@dataclass(slots=True)
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # name-addr text of our side (From of our requests)
    remote_uri: str  # name-addr text of the other side, without tag
    remote_target: str  # the other side's Contact URI
    route_set: list[str]
    peer: Peer  # where in-dialog requests go: the address the other side talks from
    local_contact: str
    local_cseq: int = field(default_factory=lambda: secrets.randbelow(2**20) + 1)
    remote_cseq: int = 0
    invite_cseq: int = 0

    @classmethod
    def as_uas(cls, invite: Request, response: Response, peer: Peer, local_contact: str) -> Dialog:
        """The dialog our 2xx (or 1xx with a tag) to an INVITE creates."""
        to = parse_name_addr(response.headers.get("To") or "")
        sender = parse_name_addr(invite.headers.get("From") or "")
        contacts = invite.headers.values("Contact")
        target = str(parse_name_addr(contacts[0]).uri) if contacts else str(sender.uri)
        number, _ = parse_cseq(invite.headers.get("CSeq") or "")
        local = _without_tag(to)
        return cls(
            call_id=invite.headers.get("Call-ID") or "",
            local_tag=to.tag or "",
            remote_tag=sender.tag or "",
            local_uri=local,
            remote_uri=_without_tag(sender),
            remote_target=target,
            route_set=list(invite.headers.values("Record-Route")),
            peer=peer,
            local_contact=local_contact,
            remote_cseq=number,
            invite_cseq=number,
        )

    @classmethod
    def as_uac(cls, invite: Request, response: Response, peer: Peer, local_contact: str) -> Dialog:
        sender = parse_name_addr(invite.headers.get("From") or "")
        to = parse_name_addr(response.headers.get("To") or "")
        contacts = response.headers.values("Contact")
        target = str(parse_name_addr(contacts[0]).uri) if contacts else invite.uri
        number, _ = parse_cseq(invite.headers.get("CSeq") or "")
        return cls(
            call_id=invite.headers.get("Call-ID") or "",
            local_tag=sender.tag or "",
            remote_tag=to.tag or "",
            local_uri=_without_tag(sender),
            remote_uri=_without_tag(to),
            remote_target=target,
            route_set=list(reversed(response.headers.values("Record-Route"))),
            peer=peer,
            local_contact=local_contact,
            local_cseq=number,
            invite_cseq=number,
        )

    def matches(self, message: Request | Response) -> bool:
        return (message.headers.get("Call-ID") or "") == self.call_id

    def request(
        self,
        method: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> Request:
        """A new in-dialog request (BYE, re-INVITE, INFO, REFER ...)."""
        if method != "ACK":
            self.local_cseq += 1
        number = self.invite_cseq if method == "ACK" else self.local_cseq
        headers = Headers()
        for route in self.route_set:
            headers.add("Route", route)
        headers.add("From", f"{self.local_uri};tag={self.local_tag}")
        headers.add(
            "To", f"{self.remote_uri};tag={self.remote_tag}" if self.remote_tag else self.remote_uri
        )
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{number} {method}")
        if method in ("INVITE", "UPDATE", "REFER", "SUBSCRIBE", "NOTIFY"):
            headers.add("Contact", self.local_contact)
        for name, value in extra:
            headers.add(name, value)
        if content_type is not None:
            headers.add("Content-Type", content_type)
        if method == "INVITE":
            self.invite_cseq = number
        return Request(method, self.remote_target, headers, body)

    def accept_remote_cseq(self, request: Request) -> bool:
        """False for a request older than the last one (answer it with 500, 12.2.2)."""
        number, _ = parse_cseq(request.headers.get("CSeq") or "")
        if request.method in ("ACK", "CANCEL"):
            return True
        if self.remote_cseq and number < self.remote_cseq:
            return False
        self.remote_cseq = number
        return True


def _without_tag(name_addr: NameAddr) -> str:
    params = {k: v for k, v in name_addr.params.items() if k != "tag"}
    copy = NameAddr(name_addr.display_name, name_addr.uri, params)
    return str(copy)
