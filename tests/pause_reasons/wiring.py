"""Until the lead registers this issue's routers in ``create_app``, tests add them here.

Idempotent: once ``helpline.web.app`` includes them, nothing is added twice (and this file
and the fixtures that use it can go).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpline.config import Settings
from tests.support import Helpline

API_PREFIX = "/api/v1"


def include_routers(app: FastAPI) -> FastAPI:
    from helpline.pause_reasons import api as pause_reasons_api
    from helpline.pause_reasons import pages as pause_reasons_pages
    from helpline.skills import api as skills_api
    from helpline.skills import pages as skills_pages
    from helpline.web.app import routes_table

    served = {row["path"] for row in routes_table(app)}
    wiring: list[tuple[Any, str, str]] = [
        (pause_reasons_api.router, API_PREFIX, "/api/v1/pause-reasons"),
        (skills_api.router, API_PREFIX, "/api/v1/skills"),
        (pause_reasons_pages.router, "", "/admin/pause-reasons"),
        (skills_pages.router, "", "/admin/skills"),
    ]
    for router, prefix, probe in wiring:
        if probe not in served:
            app.include_router(router, prefix=prefix)
    return app


def running_helpline(settings: Settings) -> Iterator[Helpline]:
    from helpline.web.app import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(include_routers(create_app(settings))) as client:
        yield Helpline(client)
