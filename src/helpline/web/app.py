"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpline import __version__
from helpline.acd import api as acd_api
from helpline.acd.service import AcdService
from helpline.auth import api as auth_api
from helpline.auth import pages as auth_pages
from helpline.call_plans import api as call_plans_api
from helpline.call_plans import pages as call_plans_pages
from helpline.canned_messages import api as canned_messages_api
from helpline.canned_messages import pages as canned_messages_pages
from helpline.channels.messaging import Channel
from helpline.channels.meta.send import MetaSender
from helpline.channels.sms.twilio import TwilioSender
from helpline.chats import api as chats_api
from helpline.chats import pages as chats_pages
from helpline.chats import webhooks as chat_webhooks
from helpline.chats.attachments import AttachmentStore
from helpline.chats.service import ChatLimits, ChatService, OutboxPolicy
from helpline.config import Settings
from helpline.contacts import api as contacts_api
from helpline.devices import api as devices_api
from helpline.help import api as help_api
from helpline.help import pages as help_pages
from helpline.help.api import smtp_relay
from helpline.http.deps import (
    CSRF_COOKIE,
    CsrfFailed,
    NotAuthenticated,
    PermissionDenied,
)
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.pause_reasons import api as pause_reasons_api
from helpline.pause_reasons import pages as pause_reasons_pages
from helpline.permissions import api as permissions_api
from helpline.permissions import pages as permissions_pages
from helpline.prompts import api as prompts_api
from helpline.prompts import pages as prompts_pages
from helpline.queues import api as queues_api
from helpline.queues import pages as queues_pages
from helpline.realtime import api as realtime_api
from helpline.realtime.bus import EventBus
from helpline.sections import pages as section_pages
from helpline.skills import api as skills_api
from helpline.skills import pages as skills_pages
from helpline.softphone import api as softphone_api
from helpline.storage.engine import create_engine, create_session_factory
from helpline.tags import api as tags_api
from helpline.tags import pages as tags_pages
from helpline.trunks import api as trunks_api
from helpline.trunks import pages as trunks_pages
from helpline.users import api as users_api
from helpline.users import pages as users_pages
from helpline.video import api as video_api
from helpline.video import pages as video_pages
from helpline.video.service import VideoRooms
from helpline.voice import api as voice_api
from helpline.voice.service import VoiceService
from helpline.web.middleware import BodySizeLimit, RequestLocale, SecurityHeaders
from helpline.webchat import api as webchat_api
from helpline.webchat import pages as webchat_pages

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/v1"
ENGINE_DISPOSE_TIMEOUT = 10.0

log = logging.getLogger(__name__)

WEBSOCKET_CLIENTS = Gauge("helpline_websocket_subscribers", "Clients subscribed to live events")


def _start_providers(
    settings: Settings, chats: ChatService
) -> tuple[TwilioSender | None, MetaSender | None]:
    """The messaging providers configured in the settings, registered as the chats'
    senders (their webhooks answer 404 while a provider is not configured)."""
    sms = None
    if settings.twilio_enabled:
        assert settings.twilio_account_sid is not None
        assert settings.twilio_auth_token is not None
        callback = (
            settings.public_url.rstrip("/") + "/webhooks/twilio/status"
            if settings.public_url
            else None
        )
        sms = TwilioSender(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            base_url=settings.twilio_api_url,
            status_callback_url=callback,
        )
        chats.senders.register(Channel.SMS, sms)
    pages = None
    if settings.meta_enabled:
        assert settings.meta_page_access_token
        pages = MetaSender(
            page_access_token=settings.meta_page_access_token, base_url=settings.meta_graph_url
        )
        chats.senders.register(Channel.MESSENGER, pages)
        chats.senders.register(Channel.INSTAGRAM, pages)
    return sms, pages


# Paths whose callers are programs (the REST API, the webchat widget's API, providers'
# webhooks): their errors are JSON, the pages' are pages.
MACHINE_PREFIXES = (API_PREFIX, "/webchat/api/", "/webhooks/", "/video/ws/")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PREFIXES)


def _page_error(request: Request, status_code: int, title: str, message: str) -> Response:
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "not authenticated: log in or send an API token"},
                status_code=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(
            f"/login?next={quote(target)}", status_code=status.HTTP_303_SEE_OTHER
        )

    @app.exception_handler(PermissionDenied)
    async def permission_denied(request: Request, exc: PermissionDenied) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)
        return _page_error(
            request, 403, _("Not allowed"), _("Your roles do not give you access to this page.")
        )

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403)
        return _page_error(
            request,
            403,
            _("Form expired"),
            _("The form was too old or came from another site. Go back, reload and try again."),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ()))
            errors.append({"location": location, "message": error.get("msg", "invalid")})
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5])
        if not _is_api(request):
            return _page_error(request, 422, _("Invalid request"), summary)
        return JSONResponse(
            jsonable_encoder({"detail": f"invalid request: {summary}", "errors": errors}),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_exception(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code < 400:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        title = _("Not found") if exc.status_code == 404 else _("Error")
        message = (
            _("There is nothing at this address.") if exc.status_code == 404 else str(exc.detail)
        )
        return _page_error(request, exc.status_code, title, message)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        app.state.route_paths = route_paths(app)
        acd = AcdService(
            session_factory=app.state.session_factory, bus=app.state.bus, timezone=settings.timezone
        )
        await acd.start()
        app.state.acd = acd
        chats = ChatService(
            mailer=smtp_relay(settings),
            language=settings.default_language,
            timezone=settings.timezone,
            session_factory=app.state.session_factory,
            bus=app.state.bus,
            acd=acd,
            attachments=AttachmentStore(settings.attachments_dir),
            secret_key=settings.secret_key,
            public_url=settings.public_url,
            limits=ChatLimits(
                max_files=settings.chat_max_attachments,
                max_file_bytes=settings.chat_max_attachment_bytes,
                max_text_chars=settings.chat_max_text_chars,
            ),
            outbox=OutboxPolicy(
                max_attempts=settings.chat_send_max_attempts,
                backoff_seconds=settings.chat_send_backoff_seconds,
                max_backoff_seconds=settings.chat_send_max_backoff_seconds,
            ),
            background=settings.chat_timers_enabled,
            poll_seconds=settings.chat_poll_seconds,
        )
        await chats.start()
        app.state.chats = chats
        providers = _start_providers(settings, chats)
        app.state.twilio, app.state.meta = providers
        voice = None
        if settings.sip_enabled:
            voice = VoiceService(
                session_factory=app.state.session_factory,
                publish=app.state.bus.publish,
                secret_key=settings.secret_key,
                acd=acd,
                data_dir=settings.data_dir,
                timezone=settings.timezone,
                language=settings.default_language,
                rtp_ports=settings.rtp_port_range,
                digest_algorithms=settings.digest_algorithms,
                bus=app.state.bus,
                trusted_networks=settings.trusted_sip_networks,
            )
            await voice.start(settings.sip_host, settings.sip_port)
        app.state.voice = voice
        try:
            yield
        finally:
            if voice is not None:
                await voice.stop()
            await chats.stop()
            for provider in providers:
                if provider is not None:
                    await provider.aclose()
            await acd.stop()
            try:
                # A connection whose driver thread has gone would otherwise hold the
                # shutdown forever; its resources are the process's to reclaim.
                await asyncio.wait_for(engine.dispose(), ENGINE_DISPOSE_TIMEOUT)
            except TimeoutError:
                log.warning("closing the database connections took too long; exiting anyway")

    app = FastAPI(
        title="Helpline",
        version=__version__,
        description="Helpline's REST API. Authenticate with the session cookie set by "
        "`POST /api/v1/auth/login` or with a personal API token as `Authorization: Bearer …`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.bus = EventBus()
    app.state.video_rooms = VideoRooms()

    # FastAPI (0.137 and later) walks the routes in order on every request, past every
    # included router, until one matches: the busiest paths that are not the API's (health
    # checks, static files, sockets, providers' webhooks) come first.
    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return JSONResponse({"status": "unhealthy", "database": str(error)}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        WEBSOCKET_CLIENTS.set(request.app.state.bus.subscriber_count)
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(realtime_api.ws_router)
    app.include_router(chats_api.media_router)
    app.include_router(chat_webhooks.router)
    app.include_router(webchat_api.visitor_router)
    app.include_router(webchat_api.ws_router)
    app.include_router(webchat_pages.router)
    app.include_router(video_api.ws_router)
    app.include_router(video_pages.router)
    for router in (
        auth_api.router,
        auth_api.tokens_router,
        users_api.router,
        users_api.me_router,
        permissions_api.router,
        help_api.router,
        queues_api.call_queues_router,
        queues_api.chat_queues_router,
        queues_api.campaigns_router,
        queues_api.priorities_router,
        acd_api.router,
        pause_reasons_api.router,
        skills_api.router,
        call_plans_api.router,
        devices_api.router,
        prompts_api.router,
        prompts_api.music_router,
        trunks_api.router,
        softphone_api.router,
        voice_api.router,
        voice_api.recordings_router,
        contacts_api.router,
        chats_api.router,
        webchat_api.router,
        video_api.router,
        tags_api.router,
        canned_messages_api.router,
        realtime_api.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    for router in (
        auth_pages.router,
        section_pages.router,
        users_pages.router,
        permissions_pages.router,
        queues_pages.router,
        pause_reasons_pages.router,
        skills_pages.router,
        call_plans_pages.router,
        prompts_pages.router,
        trunks_pages.router,
        tags_pages.router,
        canned_messages_pages.agent_router,
        chats_pages.router,
        canned_messages_pages.admin_router,
        help_pages.router,
    ):
        app.include_router(router)

    _install_error_handlers(app)
    app.add_middleware(
        SecurityHeaders, csrf_cookie=CSRF_COOKIE, secure_cookies=settings.cookie_secure
    )
    app.add_middleware(
        RequestLocale, timezone=settings.timezone, default_language=settings.default_language
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def _effective_routes(app: FastAPI) -> Iterator[tuple[Any, str, set[str]]]:
    """(route object, full path, methods) of every HTTP route, prefixes included.

    FastAPI keeps included routers lazily; their routes' own ``path`` lacks the prefix.
    """
    iterate = getattr(fastapi.routing, "_iter_routes_with_context", None)
    pairs = iterate(app.routes) if iterate else ((route, None) for route in app.routes)
    for route, context in pairs:
        methods = getattr(route, "methods", None)
        if not methods:
            continue
        path = context.path if context is not None else getattr(route, "path", "")
        yield route, path, set(methods)


def routes_table(app: FastAPI) -> list[dict[str, Any]]:
    """Every HTTP route with its methods (the permission test finds new routes with it)."""
    return [
        {"path": path, "methods": sorted(methods - {"HEAD"})}
        for _route, path, methods in _effective_routes(app)
    ]


def route_paths(app: FastAPI) -> dict[int, str]:
    """Full path by route object, for metrics labels."""
    return {id(route): path for route, path, _methods in _effective_routes(app)}
