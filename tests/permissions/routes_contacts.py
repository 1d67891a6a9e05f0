"""Routes of contacts: agents and supervisors."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Route, api, unique

CONTACTS = Action.USE_CONTACTS


def with_contact(call: Any) -> Any:
    def wrapped(ctx: Context) -> Any:
        admin = ctx.helpline.login("admin0")
        created = admin.post("/api/v1/contacts", json={"name": unique("contact")}).json()
        other = admin.post("/api/v1/contacts", json={"name": unique("other")}).json()
        ctx.ids["contact_id"] = created["id"]
        ctx.ids["other_contact_id"] = other["id"]
        return call(ctx)

    return wrapped


ROUTES: list[Route] = [
    Route("GET", "/api/v1/contacts", CONTACTS, api("GET", "/api/v1/contacts")),
    Route(
        "POST",
        "/api/v1/contacts",
        CONTACTS,
        lambda ctx: ctx.client.post("/api/v1/contacts", json={"name": unique("c")}),
    ),
    Route(
        "GET",
        "/api/v1/contacts/{contact_id}",
        CONTACTS,
        with_contact(api("GET", "/api/v1/contacts/{contact_id}")),
    ),
    Route(
        "PATCH",
        "/api/v1/contacts/{contact_id}",
        CONTACTS,
        with_contact(api("PATCH", "/api/v1/contacts/{contact_id}", {"name": "New"})),
    ),
    Route(
        "POST",
        "/api/v1/contacts/{contact_id}/merge",
        CONTACTS,
        with_contact(
            lambda ctx: ctx.client.post(
                f"/api/v1/contacts/{ctx.ids['contact_id']}/merge",
                json={"other_id": ctx.ids["other_contact_id"]},
            )
        ),
    ),
    Route(
        "GET",
        "/api/v1/contacts/{contact_id}/history",
        CONTACTS,
        with_contact(api("GET", "/api/v1/contacts/{contact_id}/history")),
    ),
]
