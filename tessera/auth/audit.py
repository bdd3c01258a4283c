"""The audit log: who did what to which target, and when.

``record`` is called by login/logout, schema changes (through the schema hook in
:mod:`tessera.auth.schema_audit`), exports, token creation and revocation, and the access
layer's permission changes. ``list_entries`` reads it newest first in keyset pages (the cursor
is the last id seen), filtered by username, action (exact or a ``prefix.*``) and date range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tessera.auth.models import AUDIT_LOG
from tessera.auth.principal import Principal
from tessera.errors import QueryError, _jsonable
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, transaction

__all__ = ["AuditEntry", "AuditPage", "record", "list_entries", "ACTIONS"]

# The actions Tessera itself records (others may add their own names, e.g. "access.*").
ACTIONS = ("login.success", "login.failure", "logout", "user.create", "user.update",
           "token.create", "token.revoke", "schema.create_table", "schema.rename_table",
           "schema.delete_table", "schema.add_field", "schema.update_field",
           "schema.delete_field", "schema.create_view", "schema.update_view",
           "schema.delete_view", "export", "trash.restore", "trash.purge", "settings.update")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    user_id: int | None
    username: str
    action: str
    target: str
    detail: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at.isoformat(),
                "user_id": self.user_id, "username": self.username, "action": self.action,
                "target": self.target, "detail": self.detail}


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None


def record(bind: Bind, principal: Principal | None, action: str, target: str,
           detail: dict[str, Any] | None = None) -> int:
    """Append one entry (in the caller's transaction when ``bind`` is a Connection)."""
    who = principal.username if principal is not None else "anonymous"
    with transaction(bind) as conn:
        return int(conn.execute(AUDIT_LOG.insert().values(
            created_at=utcnow(), user_id=principal.user_id if principal else None,
            username=who[:150], action=action[:60], target=str(target)[:300],
            detail=_jsonable(detail) if detail is not None else None)).inserted_primary_key[0])


def list_entries(bind: Bind, *, username: str | None = None, action: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 cursor: str | None = None, limit: int = 50) -> AuditPage:
    query = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit + 1)
    if username:
        query = query.where(AUDIT_LOG.c.username == username)
    if action:
        if action.endswith(".*"):
            query = query.where(AUDIT_LOG.c.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AUDIT_LOG.c.action == action)
    if since is not None:
        query = query.where(AUDIT_LOG.c.created_at >= since)
    if until is not None:
        query = query.where(AUDIT_LOG.c.created_at < until)
    if cursor:
        query = query.where(AUDIT_LOG.c.id < _cursor_id(cursor))
    with transaction(bind) as conn:
        rows = conn.execute(query).all()
    entries = [AuditEntry(id=r.id, created_at=r.created_at, user_id=r.user_id,
                          username=r.username, action=r.action, target=r.target,
                          detail=r.detail) for r in rows[:limit]]
    more = len(rows) > limit
    return AuditPage(entries, str(entries[-1].id) if more and entries else None)


def _cursor_id(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 15:
        raise QueryError(f"The cursor {cursor!r} is not valid; use the next_cursor of a page.",
                         f"游标 {cursor!r} 无效；请使用上一页返回的 next_cursor。")
    return int(cursor)
