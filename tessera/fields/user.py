"""The ``user`` field type: a reference to one user account (a consultant, an owner…).

Stored as the integer user id, so row rules compare it with CURRENT_USER() in SQL without a
join (``{负责咨询师} = CURRENT_USER()``); formulas see it as a number. Input is a user id or a
username; the API returns the id and ``display`` the username.

Field types get no database connection, so usernames are resolved through a *user directory*
bound for the duration of a write, a query or a type change (``user_directory(conn)``); the
records service, the query layer and the type-change code bind one. Without a directory only
numeric ids are accepted (and not checked for existence).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa

from tessera.fields.base import FieldLike, FieldType
from tessera.fields.parsing import normalize

__all__ = ["UserType", "user_directory", "UserDirectory"]


class UserDirectory:
    """Username ↔ id lookups on one connection, cached for its lifetime."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._by_name: dict[str, int | None] = {}
        self._by_id: dict[int, str | None] = {}

    def _users(self) -> Any:
        from tessera.auth.models import USERS

        return USERS

    def id_of(self, username: str) -> int | None:
        key = username.casefold()
        if key not in self._by_name:
            users = self._users()
            self._by_name[key] = self.conn.execute(
                sa.select(users.c.id).where(sa.func.lower(users.c.username) == key)).scalar()
        return self._by_name[key]

    def name_of(self, user_id: int) -> str | None:
        if user_id not in self._by_id:
            users = self._users()
            self._by_id[user_id] = self.conn.execute(
                sa.select(users.c.username).where(users.c.id == user_id)).scalar()
        return self._by_id[user_id]


_DIRECTORY: ContextVar[UserDirectory | None] = ContextVar("tessera_user_directory", default=None)


@contextmanager
def user_directory(conn: Any) -> Iterator[UserDirectory]:
    """Resolve usernames on ``conn`` inside the block (re-entrant: an outer one is kept)."""
    outer = _DIRECTORY.get()
    if outer is not None:
        yield outer
        return
    token = _DIRECTORY.set(UserDirectory(conn))
    try:
        yield _DIRECTORY.get()  # type: ignore[misc]
    finally:
        _DIRECTORY.reset(token)


_MAX_ID = 2**31 - 1


class UserType(FieldType):
    name = "user"
    label_en, label_zh = "User", "用户"
    kind = "number"
    expected_en = "a username or user id of an existing user"
    expected_zh = "已存在用户的用户名或用户编号"

    def sql_type(self, options: Mapping[str, Any]) -> sa.types.TypeEngine[Any] | None:
        return sa.Integer()

    def parse_value(self, value: Any, field: FieldLike) -> int:
        directory = _DIRECTORY.get()
        if isinstance(value, bool):
            raise ValueError("bool")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str):
            text = normalize(value).strip().lstrip("@")
            if text.isdigit() and (directory is None or directory.id_of(text) is None):
                value = int(text)
            elif directory is not None and (found := directory.id_of(text)) is not None:
                return found
            else:
                raise ValueError("unknown username")
        if not isinstance(value, int) or not 1 <= value <= _MAX_ID:
            raise ValueError("not a user id")
        if directory is not None and directory.name_of(value) is None:
            raise ValueError("no such user")
        return value

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return None if stored is None else int(stored)

    def display(self, stored: Any, field: FieldLike) -> str:
        if stored is None:
            return ""
        directory = _DIRECTORY.get()
        name = directory.name_of(int(stored)) if directory is not None else None
        return name if name is not None else f"#{int(stored)}"

    def portable(self, stored: Any, field: FieldLike) -> Any:
        """Another type receives the username (text) when the directory knows it."""
        return self.display(stored, field) if stored is not None else None
