"""Users and groups: create, authenticate, list, change password, deactivate; group membership.

Every function takes a ``bind`` (Engine or Connection) like the rest of the storage API, so it
can join the caller's transaction. ``authenticate`` returns the request's :class:`Principal`
(or None); it never says whether the username or the password was wrong."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tessera.auth.errors import AuthInputError
from tessera.auth.models import GROUP_MEMBERS, GROUPS, SESSIONS, TOKENS, USERS
from tessera.auth.passwords import hash_password, needs_rehash, verify_password
from tessera.auth.principal import Principal
from tessera.auth.sessions import forget_sessions
from tessera.errors import NameConflictError, NotFoundError
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["User", "Group", "create_user", "authenticate", "get_user", "find_user", "list_users",
           "set_password", "set_admin", "deactivate", "activate", "has_users", "create_group",
           "get_group", "list_groups", "add_member", "remove_member", "group_members",
           "user_groups", "validate_username", "MIN_PASSWORD_LENGTH"]

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    def principal(self, token_base_ids: frozenset[int] | None = None) -> Principal:
        return Principal(user_id=self.id, username=self.username, is_admin=self.is_admin,
                         token_base_ids=token_base_ids)


@dataclass(frozen=True)
class Group:
    id: int
    name: str


def _user(row: sa.Row) -> User:
    return User(id=row.id, username=row.username, is_admin=bool(row.is_admin),
                is_active=bool(row.is_active), created_at=row.created_at,
                last_login_at=row.last_login_at)


def validate_username(username: str) -> str:
    """NFC-normalized, trimmed; 1-150 printable characters without spaces (Chinese is fine)."""
    name = unicodedata.normalize("NFC", username or "").strip()
    bad = [c for c in name if c.isspace() or unicodedata.category(c).startswith("C")]
    if not name or len(name) > 150 or bad:
        raise AuthInputError(
            f"Username {username!r} is not valid; use 1-150 characters without spaces.",
            f"用户名 {username!r} 无效；请使用 1-150 个字符，且不含空格。",
            details={"field": "username"})
    return name


def _validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AuthInputError(
            f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.",
            f"密码太短；请至少使用 {MIN_PASSWORD_LENGTH} 个字符。",
            details={"field": "password"})


def create_user(bind: Bind, username: str, password: str, *, is_admin: bool = False) -> int:
    """Create an active user and return its id; a taken username raises NameConflictError."""
    name = validate_username(username)
    _validate_password(password)
    pw_hash = hash_password(password)
    with transaction(bind) as conn:
        taken = conn.execute(sa.select(USERS.c.id).where(USERS.c.username == name)).first()
        if taken:
            raise NameConflictError("user", name)
        return int(conn.execute(USERS.insert().values(
            username=name, password_hash=pw_hash, is_admin=is_admin, is_active=True,
            created_at=utcnow())).inserted_primary_key[0])


def authenticate(bind: Bind, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password of an active user, else None."""
    try:
        name = validate_username(username)
    except AuthInputError:
        verify_password(None, password or "")
        return None
    with transaction(bind) as conn:
        row = conn.execute(sa.select(USERS).where(USERS.c.username == name)).first()
        stored = row.password_hash if row is not None and row.is_active else None
        if not verify_password(stored, password or "") or row is None:
            return None
        values: dict[str, object] = {"last_login_at": utcnow()}
        if needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        conn.execute(USERS.update().where(USERS.c.id == row.id).values(**values))
        return _user(row).principal()


def get_user(bind: Bind, user: int | str) -> User:
    """A user by id or username (NotFoundError if there is none)."""
    found = find_user(bind, user)
    if found is None:
        raise NotFoundError("user", user)
    return found


def find_user(bind: Bind, user: int | str) -> User | None:
    cond = USERS.c.id == user if isinstance(user, int) else USERS.c.username == user
    with transaction(bind) as conn:
        row = conn.execute(sa.select(USERS).where(cond)).first()
    return _user(row) if row is not None else None


def list_users(bind: Bind, *, include_inactive: bool = False) -> list[User]:
    query = sa.select(USERS).order_by(USERS.c.username)
    if not include_inactive:
        query = query.where(USERS.c.is_active.is_(True))
    with transaction(bind) as conn:
        return [_user(r) for r in conn.execute(query)]


def has_users(bind: Bind) -> bool:
    """Whether any user exists (when none does, the browser is sent to first-run setup)."""
    with transaction(bind) as conn:
        return conn.execute(sa.select(USERS.c.id).limit(1)).first() is not None


def _update_user(bind: Bind, user: int | str, **values: object) -> User:
    found = get_user(bind, user)
    with transaction(bind) as conn:
        conn.execute(USERS.update().where(USERS.c.id == found.id).values(**values))
    forget_sessions()  # cached sessions carry the user's flags (tessera.auth.sessions)
    return found


def set_password(bind: Bind, user: int | str, password: str) -> None:
    """Change the password and end the user's browser sessions (tokens stay valid)."""
    _validate_password(password)
    found = _update_user(bind, user, password_hash=hash_password(password))
    with transaction(bind) as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.user_id == found.id))
    forget_sessions()


def set_admin(bind: Bind, user: int | str, is_admin: bool) -> None:
    _update_user(bind, user, is_admin=is_admin)


def deactivate(bind: Bind, user: int | str) -> None:
    """Block sign-in, end every session and revoke every token; history keeps the user's name."""
    found = _update_user(bind, user, is_active=False)
    with transaction(bind) as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.user_id == found.id))
        conn.execute(TOKENS.update().where(TOKENS.c.user_id == found.id,
                                           TOKENS.c.revoked_at.is_(None))
                     .values(revoked_at=utcnow()))
    forget_sessions()


def activate(bind: Bind, user: int | str) -> None:
    _update_user(bind, user, is_active=True)


# --- groups ----------------------------------------------------------------------------------

def create_group(bind: Bind, name: str) -> int:
    clean = validate_username(name)
    with transaction(bind) as conn:
        if conn.execute(sa.select(GROUPS.c.id).where(GROUPS.c.name == clean)).first():
            raise NameConflictError("group", clean)
        return int(conn.execute(GROUPS.insert().values(name=clean, created_at=utcnow()))
                   .inserted_primary_key[0])


def get_group(bind: Bind, group: int | str) -> Group:
    cond = GROUPS.c.id == group if isinstance(group, int) else GROUPS.c.name == group
    with transaction(bind) as conn:
        row = conn.execute(sa.select(GROUPS).where(cond)).first()
    if row is None:
        raise NotFoundError("group", group)
    return Group(id=row.id, name=row.name)


def list_groups(bind: Bind) -> list[Group]:
    with transaction(bind) as conn:
        return [Group(id=r.id, name=r.name)
                for r in conn.execute(sa.select(GROUPS).order_by(GROUPS.c.name))]


def add_member(bind: Bind, group: int | str, user: int | str) -> None:
    g, u = get_group(bind, group), get_user(bind, user)
    with transaction(bind) as conn:
        exists = conn.execute(sa.select(GROUP_MEMBERS.c.user_id).where(
            GROUP_MEMBERS.c.group_id == g.id, GROUP_MEMBERS.c.user_id == u.id)).first()
        if not exists:
            conn.execute(GROUP_MEMBERS.insert().values(group_id=g.id, user_id=u.id))


def remove_member(bind: Bind, group: int | str, user: int | str) -> None:
    g, u = get_group(bind, group), get_user(bind, user)
    with transaction(bind) as conn:
        conn.execute(GROUP_MEMBERS.delete().where(GROUP_MEMBERS.c.group_id == g.id,
                                                  GROUP_MEMBERS.c.user_id == u.id))


def group_members(bind: Bind, group: int | str, *, active_only: bool = True) -> list[User]:
    """Members ordered by username (the order round-robin assignment walks)."""
    g = get_group(bind, group)
    query = (sa.select(USERS).join(GROUP_MEMBERS, GROUP_MEMBERS.c.user_id == USERS.c.id)
             .where(GROUP_MEMBERS.c.group_id == g.id).order_by(USERS.c.username))
    if active_only:
        query = query.where(USERS.c.is_active.is_(True))
    with transaction(bind) as conn:
        return [_user(r) for r in conn.execute(query)]


def user_groups(bind: Bind, user: int | str) -> list[Group]:
    u = get_user(bind, user)
    query = (sa.select(GROUPS).join(GROUP_MEMBERS, GROUP_MEMBERS.c.group_id == GROUPS.c.id)
             .where(GROUP_MEMBERS.c.user_id == u.id).order_by(GROUPS.c.name))
    with transaction(bind) as conn:
        return [Group(id=r.id, name=r.name) for r in conn.execute(query)]
