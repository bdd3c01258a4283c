"""Service accounts for scripts, demos and test suites: an admin user with an API token.

``admin_token(bind)`` returns a fresh unscoped token of the admin ``username`` (created with a
random password when missing), so a script can call the REST API without a browser login."""

from __future__ import annotations

import secrets

from tessera.auth.tokens import create_token
from tessera.auth.users import create_user, find_user
from tessera.schema.catalog import Bind, transaction

__all__ = ["admin_token", "bearer"]


def admin_token(bind: Bind, username: str = "admin", *, name: str = "script") -> str:
    with transaction(bind) as conn:
        if find_user(conn, username) is None:
            create_user(conn, username, secrets.token_urlsafe(24), is_admin=True)
        return create_token(conn, username, name=name)[1]


def bearer(token: str) -> dict[str, str]:
    """The request header that authenticates with ``token``."""
    return {"Authorization": f"Bearer {token}"}
