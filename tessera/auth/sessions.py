"""Browser sessions: a random session id in a signed cookie, the session row in the database.

The cookie (HttpOnly, SameSite=Lax, Secure over https) holds only ``itsdangerous``-signed
session id, so logout, password change and deactivation end a session at once, server-side.
Each session carries its own CSRF token, which pages put in forms and in a meta tag for htmx."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tessera.auth.models import SESSIONS, USERS
from tessera.auth.principal import Principal
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["SessionInfo", "SESSION_COOKIE", "SESSION_DAYS", "create_session", "load_session",
           "end_session", "sign", "unsign"]

SESSION_COOKIE = "tessera_session"
SESSION_DAYS = 14


@dataclass(frozen=True)
class SessionInfo:
    id: str
    principal: Principal
    csrf_token: str


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt="tessera-session")


def sign(key: str, value: str) -> str:
    return _serializer(key).dumps(value)


def unsign(key: str, signed: str, *, max_age: int | None = None) -> str | None:
    try:
        value = _serializer(key).loads(signed, max_age=max_age)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def create_session(bind: Bind, user_id: int) -> str:
    """A new session for ``user_id``; returns its id (to be signed into the cookie)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(bind) as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.expires_at < now))
        conn.execute(SESSIONS.insert().values(
            id=session_id, user_id=user_id, csrf_token=secrets.token_urlsafe(32), created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS)))
    return session_id


def load_session(bind: Bind, session_id: str) -> SessionInfo | None:
    """The live session with this id for an active user, else None."""
    with transaction(bind) as conn:
        row = conn.execute(
            sa.select(SESSIONS.c.id, SESSIONS.c.csrf_token, USERS.c.id.label("uid"),
                      USERS.c.username, USERS.c.is_admin)
            .join(USERS, USERS.c.id == SESSIONS.c.user_id)
            .where(SESSIONS.c.id == session_id, SESSIONS.c.expires_at > utcnow(),
                   USERS.c.is_active.is_(True))).first()
    if row is None:
        return None
    return SessionInfo(id=row.id, csrf_token=row.csrf_token,
                       principal=Principal(user_id=row.uid, username=row.username,
                                           is_admin=bool(row.is_admin)))


def end_session(bind: Bind, session_id: str) -> None:
    with transaction(bind) as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.id == session_id))
