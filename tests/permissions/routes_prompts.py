"""Routes of prompts and hold music: the API and the admin page."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Request, Route, page_get, page_post, unique
from tests.prompts.audio import sine_wav

WAV = sine_wav(seconds=0.1, rate=8000, channels=1)


def _upload(method: str, path: str, form: dict[str, str] | None = None) -> Request:
    """A multipart upload of a short WAV (the page's forms carry the CSRF token too)."""

    def call(ctx: Context) -> Any:
        url = path.format(**ctx.ids)
        files = {"file": ("tone.wav", WAV, "audio/wav")}
        data = dict(form or {})
        if url.startswith("/admin/"):
            data["csrf_token"] = ctx.csrf()
        return ctx.client.request(method, url, files=files, data=data, follow_redirects=False)

    return call


def _delete_music(path: str) -> Request:
    """Delete a piece of music made for the call through the service (the subject may not)."""

    def call(ctx: Context) -> Any:
        import io

        from helpline.prompts import service
        from helpline.timeutil import utcnow

        key = unique("music-")
        data_dir = ctx.helpline.app.state.settings.data_dir
        ctx.helpline.run(
            lambda session: service.upload_music(
                session=session,
                key=key,
                upload=io.BytesIO(WAV),
                filename="tone.wav",
                data_dir=data_dir,
                now=utcnow(),
                actor_id=None,
            )
        )
        url = path.format(key=key)
        if url.startswith("/admin/"):
            data = {"csrf_token": ctx.csrf()}
            return ctx.client.post(url, data=data, follow_redirects=False)
        return ctx.client.delete(url)

    return call


def _api(method: str, path: str) -> Request:
    return lambda ctx: ctx.client.request(method, path.format(**ctx.ids))


ROUTES: list[Route] = [
    Route("GET", "/api/v1/prompts", Action.VIEW_QUEUE_SETTINGS, _api("GET", "/api/v1/prompts")),
    Route(
        "GET",
        "/api/v1/prompts/{key}/{language}",
        Action.VIEW_QUEUE_SETTINGS,
        _api("GET", "/api/v1/prompts/welcome/it"),
    ),
    Route(
        "PUT",
        "/api/v1/prompts/{key}/{language}",
        Action.MANAGE_QUEUE_SETTINGS,
        _upload("PUT", "/api/v1/prompts/goodbye/fr"),
    ),
    Route(
        "DELETE",
        "/api/v1/prompts/{key}/{language}",
        Action.MANAGE_QUEUE_SETTINGS,
        _api("DELETE", "/api/v1/prompts/goodbye/fr"),
    ),
    Route(
        "GET",
        "/api/v1/prompts/{key}/{language}/audio",
        Action.VIEW_QUEUE_SETTINGS,
        _api("GET", "/api/v1/prompts/n42/pt_BR/audio"),
    ),
    Route("GET", "/api/v1/music", Action.VIEW_QUEUE_SETTINGS, _api("GET", "/api/v1/music")),
    Route(
        "GET",
        "/api/v1/music/{key}",
        Action.VIEW_QUEUE_SETTINGS,
        _api("GET", "/api/v1/music/default"),
    ),
    Route(
        "PUT",
        "/api/v1/music/{key}",
        Action.MANAGE_QUEUE_SETTINGS,
        _upload("PUT", "/api/v1/music/default"),
    ),
    Route(
        "DELETE",
        "/api/v1/music/{key}",
        Action.MANAGE_QUEUE_SETTINGS,
        _delete_music("/api/v1/music/{key}"),
    ),
    Route(
        "GET",
        "/api/v1/music/{key}/audio",
        Action.VIEW_QUEUE_SETTINGS,
        _api("GET", "/api/v1/music/default/audio"),
    ),
    # The page.
    Route(
        "GET", "/admin/prompts", Action.VIEW_QUEUE_SETTINGS, page_get("/admin/prompts"), page=True
    ),
    Route(
        "POST",
        "/admin/prompts/music",
        Action.MANAGE_QUEUE_SETTINGS,
        _upload("POST", "/admin/prompts/music", {"key": "lobby"}),
        page=True,
    ),
    Route(
        "POST",
        "/admin/prompts/music/{key}/delete",
        Action.MANAGE_QUEUE_SETTINGS,
        _delete_music("/admin/prompts/music/{key}/delete"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/prompts/{key}/{language}",
        Action.MANAGE_QUEUE_SETTINGS,
        _upload("POST", "/admin/prompts/welcome/en"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/prompts/{key}/{language}/reset",
        Action.MANAGE_QUEUE_SETTINGS,
        page_post("/admin/prompts/welcome/en/reset"),
        page=True,
    ),
]
