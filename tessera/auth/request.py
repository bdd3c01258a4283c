"""The request's principal, as resolved by :class:`tessera.auth.middleware.AuthMiddleware`.

Pages and API endpoints call ``current_principal(request)``; it raises the app's 401 error when
nobody is signed in (the middleware already turns such requests away from protected routes,
so in practice this only fires on public routes that need a user)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from tessera.auth.errors import NotAuthenticated
from tessera.auth.principal import Principal

__all__ = ["current_principal", "optional_principal", "csrf_token", "PRINCIPAL_KEY",
           "CSRF_KEY", "VIA_KEY"]

PRINCIPAL_KEY = "tessera.principal"
CSRF_KEY = "tessera.csrf"
VIA_KEY = "tessera.auth_via"  # "session", "token" or absent


def optional_principal(conn: HTTPConnection) -> Principal | None:
    return conn.scope.get(PRINCIPAL_KEY)


def current_principal(conn: HTTPConnection) -> Principal:
    principal = optional_principal(conn)
    if principal is None:
        raise NotAuthenticated()
    return principal


def csrf_token(conn: HTTPConnection) -> str:
    """The token forms and htmx must send back: the session's, or the pre-login cookie's."""
    return str(conn.scope.get(CSRF_KEY) or "")
