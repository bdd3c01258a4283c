"""The public member page: ``GET /m/{token}`` (HTML), ``GET /m/{token}/qr.svg`` (the link as a
QR code) and its stylesheet. No login; rate-limited per client address (a sliding minute,
``TESSERA_MEMBER_RATE`` requests, default 30) so tokens cannot be guessed by brute force.

Rendered by its own Jinja2 environment (autoescape on, undefined names are errors) from
ui/templates/outreach/, with no-store caching and no referrer, because the URL is the key."""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tessera.outreach.errors import LinkRefused
from tessera.outreach.member import member_view, qr_svg

__all__ = ["MEMBER_ROUTES", "RateLimiter", "limiter"]

TEMPLATES = Path(__file__).resolve().parents[2] / "ui" / "templates"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined)
PRIVATE = {"cache-control": "no-store", "referrer-policy": "no-referrer",
           "x-robots-tag": "noindex, nofollow"}
TEXT = {"zh": {"invalid": ("链接无效", "此链接无效或已停用，请联系诊所获取新链接。"),
               "busy": ("请求过于频繁", "请稍后再试。")},
        "en": {"invalid": ("Link not valid", "This link is not valid or was revoked; ask the "
                           "clinic for a new one."),
               "busy": ("Too many requests", "Please try again in a minute.")}}


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds per key (the client address)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, collections.deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10000:      # forget idle clients
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return True


limiter = RateLimiter(int(os.environ.get("TESSERA_MEMBER_RATE", "30")))


def _locale(request: Request) -> str:
    lang = request.query_params.get("lang") or request.headers.get("accept-language", "zh")
    return "en" if lang.lower().startswith("en") else "zh"


def _page(locale: str, status: int, view: Any = None, problem: str = "invalid") -> Response:
    message, hint = TEXT[locale][problem]
    html = _env.get_template("outreach/member.html").render(view=view, message=message,
                                                            hint=hint, locale=locale)
    return HTMLResponse(html, status_code=status, headers=PRIVATE)


def _allowed(request: Request) -> bool:
    return limiter.allow(request.client.host if request.client else "unknown")


async def member_page(request: Request) -> Response:
    locale = _locale(request)
    if not _allowed(request):
        return _page(locale, 429, problem="busy")
    try:
        view = await run_in_threadpool(member_view, request.app.state.engine,
                                       request.path_params["token"], locale=locale)
    except LinkRefused:
        return _page(locale, 404)
    return _page(locale, 200, view)


async def member_qr(request: Request) -> Response:
    if not _allowed(request):
        return Response(status_code=429, headers=PRIVATE)
    token = request.path_params["token"]
    try:
        await run_in_threadpool(member_view, request.app.state.engine, token)
    except LinkRefused:
        return Response(status_code=404, headers=PRIVATE)
    url = str(request.url_for("member_page", token=token))
    return Response(qr_svg(url), media_type="image/svg+xml", headers=PRIVATE)


async def member_css(request: Request) -> Response:
    css = (TEMPLATES / "outreach" / "member.css").read_text()
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})


MEMBER_ROUTES = [
    Route("/m-static/member.css", member_css, name="member_css"),
    Route("/m/{token}", member_page, name="member_page"),
    Route("/m/{token}/qr.svg", member_qr, name="member_qr"),
]
