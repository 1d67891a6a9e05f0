"""The Jinja2 environment every page renders with, translated per request."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from helpline import i18n
from helpline.core.permissions import Action, Role, is_allowed
from helpline.http.deps import CSRF_FIELD, Viewer, csrf_token_for, user_roles

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    # Shared layout first, then each domain's own templates/ folder (named <domain>/...).
    search_path = [
        str(PACKAGE_DIR / "http" / "templates"),
        *sorted(str(p) for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "http"),
    ]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search_path),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = i18n.format_datetime
    env.filters["time"] = i18n.format_time
    env.filters["number"] = i18n.format_number
    env.filters["percent"] = i18n.format_percent
    return Jinja2Templates(env=env)


def navigation(user: Viewer | None, matrix: dict[Any, bool] | None) -> list[dict[str, str]]:
    """The sections of the layout a user sees, by what their roles allow."""
    if user is None:
        return []
    roles = user_roles(user)
    matrix = matrix or {}
    sections: list[tuple[str, str, bool]] = [
        ("agent", "/agent", is_allowed(roles, Action.USE_AGENT_DASHBOARD, matrix)),
        ("supervisor", "/supervisor", is_allowed(roles, Action.USE_SUPERVISOR_DASHBOARD, matrix)),
        ("admin", "/admin", is_allowed(roles, Action.ACCESS_CONFIG_PORTAL, matrix)),
        ("analytics", "/analytics", is_allowed(roles, Action.VIEW_ANALYTICS, matrix)),
        ("help", "/help", True),
    ]
    labels = {
        "agent": i18n.gettext("Agent"),
        "supervisor": i18n.gettext("Supervisor"),
        "admin": i18n.gettext("Admin"),
        "analytics": i18n.gettext("Analytics"),
        "help": i18n.gettext("Help"),
    }
    return [
        {"key": key, "href": href, "label": labels[key]} for key, href, shown in sections if shown
    ]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    matrix: dict[Any, bool] | None = None,
) -> HTMLResponse:
    user: Viewer | None = getattr(request.state, "user", None)
    full_context: dict[str, Any] = {
        "user": user,
        "roles": sorted(user_roles(user)) if user else [],
        "Role": Role,
        "nav": navigation(user, matrix),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token_for(request),
        "languages": i18n.LANGUAGES,
        "language": i18n.current_language(),
        "html_lang": i18n.current_language().replace("_", "-"),
        "active_section": "",
        "role_labels": {
            Role.ADMIN.value: i18n.gettext("Contact-center admin"),
            Role.SUPERVISOR.value: i18n.gettext("Supervisor"),
            Role.AGENT.value: i18n.gettext("Agent"),
        },
    }
    full_context.update(context or {})
    return templates().TemplateResponse(request, name, full_context, status_code=status_code)


def not_found_page(request: Request, matrix: dict[Any, bool] | None, message: str) -> HTMLResponse:
    """The 404 page an admin page shows for an id that no longer exists."""
    return render(
        request,
        "error.html",
        {"title": i18n.gettext("Not found"), "message": message},
        status_code=404,
        matrix=matrix,
    )
