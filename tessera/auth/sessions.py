"""Browser sessions: a random session id in a signed cookie, the session row in the database.

The cookie (HttpOnly, SameSite=Lax, Secure over https) holds only ``itsdangerous``-signed
session id, so logout, password change and deactivation end a session at once, server-side.
Each session carries its own CSRF token, which pages put in forms and in a meta tag for htmx.

The middleware identifies the caller on every request; :func:`cached_session` keeps a live
session (and :func:`cached_credential` an API token's principal) for ``SESSION_CACHE_SECONDS``,
so a grid scrolling through blocks does not pay a database round trip and a threadpool hop
per request. Logout (:func:`end_session`), token revocation and the user changes that end
sessions (password, deactivation, admin flag: tessera.auth.users) drop cached entries at once
through :func:`forget_sessions`; a change made by another process is honoured here within
``SESSION_CACHE_SECONDS``."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tessera.auth.models import SESSIONS, USERS
from tessera.auth.principal import Principal
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["SessionInfo", "SESSION_COOKIE", "SESSION_DAYS", "SESSION_CACHE_SECONDS",
           "create_session", "load_session", "cached_session", "remember_session",
           "cached_credential", "remember_credential",
           "forget_sessions", "end_session", "sign", "unsign"]

SESSION_COOKIE = "tessera_session"
SESSION_DAYS = 14
SESSION_CACHE_SECONDS = 5.0
_CACHE_MAX = 10_000


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
    forget_sessions(session_id)


# --- the short-lived cache of live credentials (per process) --------------------------------
_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def cached_credential(key: str) -> Any:
    """What was remembered under ``key`` in the last few seconds, else None."""
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None:
            return None
        if hit[0] <= time.monotonic():
            del _cache[key]
            return None
        return hit[1]


def remember_credential(key: str, value: Any) -> None:
    now = time.monotonic()
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            for old in [k for k, (until, _) in _cache.items() if until <= now] or list(_cache):
                del _cache[old]
        _cache[key] = (now + SESSION_CACHE_SECONDS, value)


def cached_session(session_id: str) -> SessionInfo | None:
    """The session remembered for this id, if it was seen live in the last few seconds."""
    found = cached_credential("session:" + session_id)
    return found if isinstance(found, SessionInfo) else None


def remember_session(info: SessionInfo) -> None:
    remember_credential("session:" + info.id, info)


def forget_sessions(session_id: str | None = None) -> None:
    """Drop one cached session, or every cached credential (a user's sessions ended or
    changed, a token revoked)."""
    with _cache_lock:
        if session_id is None:
            _cache.clear()
        else:
            _cache.pop("session:" + session_id, None)
