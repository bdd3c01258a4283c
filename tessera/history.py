"""Record history: change sets (one per user action) and per-field old/new values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import models as m
from tessera.bulkwrite import insert_many
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, F, transaction

__all__ = ["HistoryEntry", "HistoryRow", "new_change_set", "write_history", "record_history",
           "change_set_rows"]

CS, H = m.ChangeSet.__table__, m.RecordHistory.__table__


@dataclass(frozen=True)
class HistoryRow:
    """One entry to write: field_id None means a whole-record snapshot (create/delete)."""

    record_id: int
    field_id: int | None
    action: str
    old_value: Any
    new_value: Any


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    change_set_id: int
    record_id: int
    field_id: int | None
    field_name: str | None
    action: str
    old_value: Any
    new_value: Any
    actor: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "change_set_id": self.change_set_id,
                "record_id": self.record_id, "field_id": self.field_id,
                "field_name": self.field_name, "action": self.action,
                "old_value": self.old_value, "new_value": self.new_value, "actor": self.actor,
                "created_at": self.created_at.isoformat()}


def new_change_set(conn: Connection, table_id: int, actor: str | None, kind: str,
                   undo_of: int | None = None) -> int:
    return conn.execute(sa.insert(CS).values(table_id=table_id, actor=actor, kind=kind,
                                             undo_of=undo_of, created_at=utcnow())
                        .returning(CS.c.id)).scalar_one()


def write_history(conn: Connection, change_set_id: int, table_id: int, actor: str | None,
                  rows: Sequence[HistoryRow]) -> None:
    if not rows:
        return
    now = utcnow()
    insert_many(conn, H, _COLUMNS, (
        (change_set_id, table_id, r.record_id, r.field_id, r.action, r.old_value, r.new_value,
         actor, now) for r in rows))


_COLUMNS = ("change_set_id", "table_id", "record_id", "field_id", "action", "old_value",
            "new_value", "actor", "created_at")


def _entries(conn: Connection, query: sa.Select[Any]) -> list[HistoryEntry]:
    names = dict(conn.execute(sa.select(F.c.id, F.c.name)).all())
    return [HistoryEntry(r.id, r.change_set_id, r.record_id, r.field_id,
                         names.get(r.field_id) if r.field_id else None, r.action, r.old_value,
                         r.new_value, r.actor, r.created_at)
            for r in conn.execute(query).all()]


def record_history(bind: Bind, table_id: int, record_id: int) -> list[HistoryEntry]:
    """Everything that happened to one record, newest first."""
    with transaction(bind) as conn:
        return _entries(conn, sa.select(H).where(H.c.table_id == table_id,
                                                 H.c.record_id == record_id)
                        .order_by(H.c.id.desc()))


def change_set_rows(conn: Connection, change_set_id: int) -> list[HistoryEntry]:
    """The entries of one change set, oldest first."""
    return _entries(conn, sa.select(H).where(H.c.change_set_id == change_set_id)
                    .order_by(H.c.id))
