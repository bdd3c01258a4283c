"""The application factory: ``create_app(url)`` declares everything in one place — the API
routes generated from the route table, the HTML pages, static files, middleware and the one
exception handler family — around one shared engine per app."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from tessera.access.context import PrincipalContextMiddleware
from tessera.api.endpoint import make_endpoint
from tessera.api.routes import API_ROUTES
from tessera.auth.admin_pages import ADMIN_PAGE_ROUTES
from tessera.auth.middleware import AuthMiddleware
from tessera.auth.pages import AUTH_PAGE_ROUTES
from tessera.auth.templating import AUTH_TEMPLATE_GLOBALS
from tessera.compute.warmup import start_warmup
from tessera.db import create_engine, database_url
from tessera.outreach.callbacks_web import CALLBACK_ROUTES
from tessera.outreach.member_web import MEMBER_ROUTES
from tessera.web.change_feed import feed_for
from tessera.web.errors import EXCEPTION_HANDLERS
from tessera.web.packs_page import PACK_PAGE_ROUTES
from tessera.web.pages import PAGE_ROUTES
from tessera.web.security import SecurityHeadersMiddleware
from tessera.workflow.worker import start_embedded_worker

__all__ = ["create_app", "UI_DIR"]

UI_DIR = Path(__file__).resolve().parents[2] / "ui"


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(UI_DIR / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(AUTH_TEMPLATE_GLOBALS)
    return Jinja2Templates(env=env)


def api_routes() -> list[Route]:
    """One Starlette route per path, dispatching on the method (so 405 lists every method)."""
    by_path: dict[str, dict[str, Any]] = {}
    for r in API_ROUTES:
        by_path.setdefault(r.path, {})[r.method] = make_endpoint(r)
    return [Route(path, _dispatch(endpoints), methods=list(endpoints))
            for path, endpoints in by_path.items()]


def _dispatch(endpoints: dict[str, Any]) -> Any:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint


def _embedded_worker_wanted(explicit: bool | None) -> bool:
    if explicit is not None:
        return explicit
    return os.environ.get("TESSERA_EMBEDDED_WORKER", "1").strip().lower() not in ("0", "false", "no")


def create_app(url: str | None = None, *, engine: Engine | None = None,
               embedded_worker: bool | None = None) -> Starlette:
    """The Tessera web app on ``url`` (default: --db / TESSERA_DATABASE_URL / ./tessera.db).
    The database must already be migrated (``tessera serve`` and ``tessera migrate`` do it).

    Automations run in a worker thread inside the web process unless ``embedded_worker`` is
    False or ``TESSERA_EMBEDDED_WORKER=0`` (set it when separate ``tessera worker`` processes
    run: workers coordinate through the database, so both setups are safe together)."""
    owned = engine is None
    engine = engine if engine is not None else create_engine(database_url(url))
    run_worker = _embedded_worker_wanted(embedded_worker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = start_embedded_worker(engine) if run_worker else None
        warmup = start_warmup(engine)  # recompute statements compiled before the first write
        feed = feed_for(engine)  # other processes' writes reach this one's grids
        await run_in_threadpool(partial(feed.start, pin=True))
        try:
            yield
        finally:
            await run_in_threadpool(partial(feed.unpin, join=True))
            if worker is not None:
                worker.stop()
            # the warm-up only reads; wait for it so no connection outlives the app
            await run_in_threadpool(partial(warmup.join, 30))
            if owned:
                engine.dispose()

    app = Starlette(
        routes=[*api_routes(), *PAGE_ROUTES, *PACK_PAGE_ROUTES, *MEMBER_ROUTES, *CALLBACK_ROUTES,
                *AUTH_PAGE_ROUTES,
                *ADMIN_PAGE_ROUTES,
                Mount("/static", app=StaticFiles(directory=UI_DIR / "static"), name="static")],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(AuthMiddleware),
                    Middleware(PrincipalContextMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.templates = _templates()
    return app
