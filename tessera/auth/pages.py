"""Sign-in pages: /login, /logout, first-run /setup, and /health.

Thin adapters: the work is in users, sessions, throttle and audit. Form posts reach these
handlers only after the middleware checked their CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tessera.auth import audit, throttle
from tessera.auth.errors import AuthInputError, TooManyAttempts
from tessera.auth.messages import auth_locale, auth_text
from tessera.auth.middleware import PRE_LOGIN_CSRF_COOKIE
from tessera.auth.principal import Principal
from tessera.auth.request import VIA_KEY, csrf_token, optional_principal
from tessera.auth.sessions import (
    SESSION_COOKIE,
    SESSION_DAYS,
    create_session,
    end_session,
    sign,
    unsign,
)
from tessera.auth.settings import secret_key
from tessera.auth.users import authenticate, create_user, has_users
from tessera.errors import NameConflictError
from tessera.schema.catalog import transaction
from tessera.web.rendering import render_page

__all__ = ["AUTH_PAGE_ROUTES", "safe_next", "render_auth"]


def safe_next(target: str | None) -> str:
    """Only same-site paths: never '//host', 'http://host' or a backslash trick."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def render_auth(request: Request, template: str, context: dict[str, Any], *,
                status_code: int = 200) -> Response:
    locale = auth_locale(request)
    return render_page(request, template, {
        **context, "a": lambda key: auth_text(key, locale), "csrf": csrf_token(request)},
        status_code=status_code)


def _login_form(request: Request, *, error: str | None = None, username: str = "",
                status_code: int = 200) -> Response:
    return render_auth(request, "auth/login.html", {
        "error": error, "username": username,
        "next": safe_next(request.query_params.get("next"))}, status_code=status_code)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    await form.close()
    return values


def _start_session(request: Request, principal: Principal, target: str) -> Response:
    engine = request.app.state.engine
    session_id = create_session(engine, principal.user_id or 0)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, sign(secret_key(engine), session_id),
                        max_age=SESSION_DAYS * 86400, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    response.delete_cookie(PRE_LOGIN_CSRF_COOKIE, path="/")
    return response


def _login(request: Request, form: dict[str, str]) -> Response:
    engine = request.app.state.engine
    username, ip = form.get("username", ""), client_ip(request)
    target = safe_next(form.get("next"))
    wait = throttle.retry_after(engine, username, ip)
    if wait:
        locale = auth_locale(request)
        return _login_form(request, error=TooManyAttempts(wait).message(locale),
                           username=username, status_code=429)
    principal = authenticate(engine, username, form.get("password", ""))
    if principal is None:
        throttle.record_failure(engine, username, ip)
        audit.record(engine, None, "login.failure", username[:150], {"ip": ip})
        return _login_form(request, error=auth_text("bad_login", auth_locale(request)),
                           username=username, status_code=401)
    throttle.clear_failures(engine, username, ip)
    audit.record(engine, principal, "login.success", principal.username, {"ip": ip})
    return _start_session(request, principal, target)


async def login(request: Request) -> Response:
    if not await run_in_threadpool(has_users, request.app.state.engine):
        return RedirectResponse("/setup", status_code=303)
    if request.method == "GET":
        return _login_form(request)
    form = await _form(request)
    return await run_in_threadpool(_login, request, form)


def _logout(request: Request) -> None:
    engine = request.app.state.engine
    signed = request.cookies.get(SESSION_COOKIE, "")
    session_id = unsign(secret_key(engine), signed) if signed else None
    if session_id:
        end_session(engine, session_id)
    principal = optional_principal(request)
    audit.record(engine, principal, "logout", principal.username if principal else "")


async def logout(request: Request) -> Response:
    if request.scope.get(VIA_KEY) == "session":
        await run_in_threadpool(_logout, request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _setup(request: Request, form: dict[str, str]) -> Response:
    engine = request.app.state.engine
    username = form.get("username", "")
    try:
        with transaction(engine) as conn:
            if has_users(conn):
                return RedirectResponse("/login", status_code=303)
            user_id = create_user(conn, username, form.get("password", ""), is_admin=True)
            principal = Principal(user_id=user_id, username=username.strip(), is_admin=True)
            audit.record(conn, principal, "user.create", principal.username,
                         {"is_admin": True, "via": "setup"})
    except (AuthInputError, NameConflictError) as exc:
        return render_auth(request, "auth/setup.html", {
            "error": exc.message(auth_locale(request)), "username": username}, status_code=400)
    return _start_session(request, principal, "/")


async def setup(request: Request) -> Response:
    if await run_in_threadpool(has_users, request.app.state.engine):
        return RedirectResponse("/login", status_code=303)
    if request.method == "GET":
        return render_auth(request, "auth/setup.html", {"error": None, "username": ""})
    form = await _form(request)
    return await run_in_threadpool(_setup, request, form)


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


AUTH_PAGE_ROUTES = [
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/setup", setup, methods=["GET", "POST"], name="setup"),
    Route("/health", health, name="health"),
]
