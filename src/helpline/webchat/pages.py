"""The webchat demo page: a stand-in for a customer's site that embeds the widget."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from helpline.http.deps import SessionDep
from helpline.http.templates import render
from helpline.webchat import service

router = APIRouter(include_in_schema=False)


@router.get("/webchat/demo", response_class=HTMLResponse)
async def demo(request: Request, session: SessionDep, widget: str | None = None) -> Response:
    """Embeds the widget given (``?widget=KEY``), else the first enabled one."""
    widgets = [w for w in await service.list_widgets(session=session) if w.enabled]
    chosen = next((w for w in widgets if w.key == widget), widgets[0] if widgets else None)
    return render(request, "webchat/demo.html", {"widget": chosen})
