"""Authentication and CSRF for every request, in one ASGI middleware.

Why one middleware rather than a check per endpoint: every route added later (pages, API,
other engineers' features) is protected by default; only the few public paths below opt out.

Who is asking:
- ``Authorization: Bearer tsr_...``: an API token (no CSRF check: browsers never send it by
  themselves, so a forged cross-site request cannot carry it);
- else the signed session cookie: a browser session, whose unsafe requests (POST, PUT, PATCH,
  DELETE) must echo the session's CSRF token in the ``X-CSRF-Token`` header (htmx, set by
  ui/static/js/csrf.js from the page's meta tag) or a ``csrf_token`` form field.

Nobody: HTML page requests are redirected to ``/login`` (or ``/setup`` while no user exists),
everything else gets the app's 401 error. The pre-login forms (/login, /setup) use a
double-submit cookie as their CSRF token."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.auth.errors import CsrfFailed, NotAuthenticated
from tessera.auth.request import CSRF_KEY, PRINCIPAL_KEY, VIA_KEY
from tessera.auth.sessions import (
    SESSION_COOKIE,
    SESSION_DAYS,
    cached_credential,
    cached_session,
    load_session,
    remember_credential,
    remember_session,
    unsign,
)
from tessera.auth.settings import secret_key
from tessera.auth.tokens import principal_for_token, token_hash
from tessera.auth.users import has_users
from tessera.errors import TesseraError

__all__ = ["AuthMiddleware", "PUBLIC_PATHS", "PRE_LOGIN_CSRF_COOKIE", "is_public"]

PRE_LOGIN_CSRF_COOKIE = "tessera_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRE_LOGIN_FORMS = frozenset({"/login", "/setup"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

PUBLIC_PATHS = (
    re.compile(r"^/login$"),
    re.compile(r"^/setup$"),
    re.compile(r"^/logout$"),  # signing out without a (live) session only clears the cookie
    re.compile(r"^/static/"),
    re.compile(r"^/(api/v1/)?health$"),
    re.compile(r"^/api/v1/openapi\.json$"),
    # The incoming-webhook trigger authenticates with its own per-automation secret.
    re.compile(r"^/api/v1/automations/\d+/webhook/[^/]+$"),
    # The member self-service page: its unguessable token is the credential (tessera/outreach).
    re.compile(r"^/m/[^/]+(/qr\.svg)?$"),
    re.compile(r"^/m-static/member\.css$"),
    # SMS providers' receipts and replies: the per-channel callback token (tessera/outreach).
    re.compile(r"^/hooks/outreach/\d+/[A-Za-z0-9_-]{20,64}/(receipts|inbound)$"),
    # A form shared by link: the unguessable, revocable token is the credential; the page
    # carries its own CSRF token (tessera.web.public_forms).
    re.compile(r"^/f/[A-Za-z0-9_-]{20,64}$"),
)


def is_public(path: str) -> bool:
    return any(p.match(path) for p in PUBLIC_PATHS)


def _wants_html(request: Request) -> bool:
    return (request.method in ("GET", "HEAD") and not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("router", scope["app"].router)  # error pages need url_for
        request = Request(scope)
        engine = scope["app"].state.engine
        try:
            public = is_public(request.url.path)
            await self._identify(request, engine, public=public)
            if scope.get(PRINCIPAL_KEY) is None and not public:
                response = await self._turn_away(request, engine)
                await response(scope, receive, send)
                return
            via = scope.get(VIA_KEY)
            if request.method not in SAFE_METHODS and (
                    via == "session" or (via != "token" and request.url.path in PRE_LOGIN_FORMS)):
                receive = await self._check_csrf(request, receive)
        except TesseraError as exc:
            await (await _error_response(request, exc))(scope, receive, send)
            return
        await self.app(scope, receive, self._with_pre_login_cookie(scope, send))

    async def _identify(self, request: Request, engine: Any, *, public: bool) -> None:
        scope = request.scope
        authorization = request.headers.get("authorization", "")
        if authorization:
            scheme, _, secret = authorization.partition(" ")
            principal = None
            if scheme.lower() == "bearer":
                principal = await _token_principal(engine, secret.strip())
            if principal is not None:
                scope[PRINCIPAL_KEY], scope[VIA_KEY] = principal, "token"
                return
            # A public route (the incoming webhook) ignores credentials meant for others.
            if not public:
                raise NotAuthenticated()
            scope[VIA_KEY] = "foreign"  # never a session: no cookie, no CSRF check
            return
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            key = await _secret(request, engine)
            session_id = unsign(key, cookie, max_age=SESSION_DAYS * 86400)
            session = cached_session(session_id) if session_id else None
            if session is None and session_id:
                session = await run_in_threadpool(load_session, engine, session_id)
                if session is not None:
                    remember_session(session)
            if session is not None:
                scope[PRINCIPAL_KEY], scope[VIA_KEY] = session.principal, "session"
                scope[CSRF_KEY] = session.csrf_token
                return
        pre_login = request.cookies.get(PRE_LOGIN_CSRF_COOKIE, "")
        scope[CSRF_KEY] = pre_login if 20 <= len(pre_login) <= 100 else None

    async def _turn_away(self, request: Request, engine: Any) -> Response:
        if _wants_html(request):
            if not await run_in_threadpool(has_users, engine):
                return RedirectResponse("/setup", status_code=303)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        return await _error_response(request, NotAuthenticated())

    async def _check_csrf(self, request: Request, receive: Receive) -> Receive:
        expected = request.scope.get(CSRF_KEY) or ""
        sent = request.headers.get("x-csrf-token", "")
        content_type = request.headers.get("content-type", "")
        if not sent and content_type.startswith(_FORM_TYPES):
            messages = await _drain(receive)
            form = await Request(request.scope, _replay(messages)).form()
            sent = str(form.get("csrf_token") or "")
            await form.close()
            receive = _replay(messages)
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()
        return receive

    def _with_pre_login_cookie(self, scope: Scope, send: Send) -> Send:
        """Before sign-in, give the browser a random double-submit CSRF cookie for the forms."""
        if scope.get(VIA_KEY) or scope.get(CSRF_KEY) or scope["path"] not in PRE_LOGIN_FORMS:
            return send
        token = secrets.token_urlsafe(32)
        scope[CSRF_KEY] = token
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = (f"{PRE_LOGIN_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get(CSRF_KEY) == token:
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        return send_with_cookie


async def _token_principal(engine: Any, secret: str) -> Any:
    """The token's principal, remembered for a few seconds (tessera.auth.sessions)."""
    key = "token:" + token_hash(secret)
    principal = cached_credential(key)
    if principal is None:
        principal = await run_in_threadpool(principal_for_token, engine, secret)
        if principal is not None:
            remember_credential(key, principal)
    return principal


async def _secret(request: Request, engine: Any) -> str:
    state = request.scope["app"].state
    key = getattr(state, "secret_key", None)
    if key is None:
        key = await run_in_threadpool(secret_key, engine)
        state.secret_key = key
    return str(key)


async def _drain(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _error_response(request: Request, exc: TesseraError) -> Response:
    from tessera.web.errors import tessera_error  # the web layer imports this module

    response = await tessera_error(request, exc)
    if isinstance(exc, NotAuthenticated):
        response.headers["www-authenticate"] = 'Bearer realm="tessera"'
    return response
