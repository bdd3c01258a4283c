"""API tokens: a random secret shown once, stored as its sha256, scoped to bases, revocable.

A token is ``tsr_`` + 43 URL-safe characters (32 random bytes). SHA-256 is enough here (unlike
for passwords) because the secret is uniformly random: there is nothing to guess offline. The
scope (``base_ids``) becomes ``Principal.token_base_ids``; None means every base the user may
reach."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tessera.auth.models import TOKENS, USERS
from tessera.auth.principal import Principal
from tessera.auth.sessions import forget_sessions
from tessera.auth.users import get_user
from tessera.errors import NotFoundError
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["TokenInfo", "create_token", "list_tokens", "get_token", "revoke_token", "principal_for_token",
           "token_hash", "TOKEN_PREFIX"]

TOKEN_PREFIX = "tsr_"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    username: str
    name: str
    base_ids: list[int] | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "user_id": self.user_id, "username": self.username,
                "name": self.name, "base_ids": self.base_ids,
                "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(bind: Bind, user: int | str, *, name: str = "api",
                 base_ids: Iterable[int] | None = None) -> tuple[int, str]:
    """Create a token for ``user``; returns (token id, secret). The secret is not stored."""
    owner = get_user(bind, user)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    scope = sorted({int(b) for b in base_ids}) if base_ids is not None else None
    with transaction(bind) as conn:
        token_id = conn.execute(TOKENS.insert().values(
            user_id=owner.id, name=(name or "api")[:200], token_hash=token_hash(secret),
            base_ids=scope, created_at=utcnow())).inserted_primary_key[0]
    return int(token_id), secret


def _select() -> sa.Select:
    return sa.select(TOKENS, USERS.c.username).join(USERS, USERS.c.id == TOKENS.c.user_id)


def _info(row: sa.Row) -> TokenInfo:
    return TokenInfo(id=row.id, user_id=row.user_id, username=row.username, name=row.name,
                     base_ids=list(row.base_ids) if row.base_ids is not None else None,
                     created_at=row.created_at, last_used_at=row.last_used_at,
                     revoked_at=row.revoked_at)


def list_tokens(bind: Bind, user: int | str | None = None, *,
                include_revoked: bool = False) -> list[TokenInfo]:
    query = _select().order_by(TOKENS.c.id)
    if user is not None:
        query = query.where(TOKENS.c.user_id == get_user(bind, user).id)
    if not include_revoked:
        query = query.where(TOKENS.c.revoked_at.is_(None))
    with transaction(bind) as conn:
        return [_info(r) for r in conn.execute(query)]


def get_token(bind: Bind, token_id: int) -> TokenInfo:
    with transaction(bind) as conn:
        row = conn.execute(_select().where(TOKENS.c.id == token_id)).first()
    if row is None:
        raise NotFoundError("token", token_id)
    return _info(row)


def revoke_token(bind: Bind, token_id: int) -> TokenInfo:
    """Revoke (idempotent); the row stays so the audit trail can name it."""
    info = get_token(bind, token_id)
    if info.revoked_at is None:
        with transaction(bind) as conn:
            conn.execute(TOKENS.update().where(TOKENS.c.id == token_id)
                         .values(revoked_at=utcnow()))
        forget_sessions()  # a cached principal of this token (tessera.auth.sessions)
    return get_token(bind, token_id)


def principal_for_token(bind: Bind, secret: str) -> Principal | None:
    """The principal a bearer secret stands for, or None (unknown, revoked, inactive user)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    with transaction(bind) as conn:
        row = conn.execute(
            sa.select(TOKENS.c.id, TOKENS.c.base_ids, TOKENS.c.last_used_at, USERS.c.id.label("uid"),
                      USERS.c.username, USERS.c.is_admin)
            .join(USERS, USERS.c.id == TOKENS.c.user_id)
            .where(TOKENS.c.token_hash == token_hash(secret), TOKENS.c.revoked_at.is_(None),
                   USERS.c.is_active.is_(True))).first()
        if row is None:
            return None
        now = utcnow()
        # Refresh "last used" at most once a minute: a busy token must not write on every call.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            conn.execute(TOKENS.update().where(TOKENS.c.id == row.id).values(last_used_at=now))
    scope = frozenset(int(b) for b in row.base_ids) if row.base_ids is not None else None
    return Principal(user_id=row.uid, username=row.username, is_admin=bool(row.is_admin),
                     token_base_ids=scope)
