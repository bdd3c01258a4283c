"""Template globals every page's layout uses: the CSRF token for the meta tag and forms, the
signed-in user for the top bar, and the sign-in pages' words."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from tessera.auth.messages import auth_locale, auth_text
from tessera.auth.request import csrf_token, optional_principal

__all__ = ["AUTH_TEMPLATE_GLOBALS"]


def _auth_t(request: HTTPConnection, key: str) -> str:
    return auth_text(key, auth_locale(request))


AUTH_TEMPLATE_GLOBALS: dict[str, Any] = {
    "csrf_token": csrf_token,
    "current_user": optional_principal,
    "auth_t": _auth_t,
}
