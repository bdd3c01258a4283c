"""Record history: change sets (one per user action) and per-field old/new values.

A bulk load (``RecordService.bulk_create`` / ``bulk_create_columns``, imports) writes one
*batch* entry instead of one snapshot per record: action ``bulk_create``, ``record_id`` the
first new id, and ``new_value`` = ``{"count", "ranges": [[first, last], …], "source"}``.
``record_history`` shows every record of the batch a "create" entry of that batch (same
actor, time and change set), and undo deletes the whole batch (tessera/records.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import models as m
from tessera.bulkwrite import insert_many
from tessera.fields.sqltypes import utcnow
from tessera.schema.catalog import Bind, F, transaction

__all__ = ["HistoryEntry", "HistoryRow", "new_change_set", "write_history", "record_history",
           "change_set_rows", "write_batch", "batch_ids", "id_ranges", "BATCH_ACTION"]

BATCH_ACTION = "bulk_create"

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


def id_ranges(ids: Sequence[int]) -> list[list[int]]:
    """Sorted ids as [[first, last], …] runs of consecutive ids."""
    if isinstance(ids, range) and ids.step == 1:
        return [[ids[0], ids[-1]]] if ids else []   # a bulk insert's new ids, in O(1)
    if ids and ids[-1] - ids[0] + 1 == len(ids) and list(ids) == list(range(ids[0], ids[-1] + 1)):
        return [[ids[0], ids[-1]]]   # a bulk insert's ids: one run (checked at C speed)
    ranges: list[list[int]] = []
    for rid in sorted(ids):
        if ranges and rid == ranges[-1][1] + 1:
            ranges[-1][1] = rid
        else:
            ranges.append([rid, rid])
    return ranges


def write_batch(conn: Connection, change_set_id: int, table_id: int, actor: str | None,
                ids: Sequence[int], source: str | None = None) -> None:
    """One history entry for records created together (see the module docstring)."""
    if not ids:
        return
    ranges = id_ranges(ids)
    batch = {"count": len(ids), "ranges": ranges, "source": source or actor}
    conn.execute(sa.insert(H).values(change_set_id=change_set_id, table_id=table_id,
                                     record_id=ranges[0][0], field_id=None, action=BATCH_ACTION,
                                     old_value=None, new_value=batch, actor=actor,
                                     created_at=utcnow()))


def batch_ids(entry: HistoryEntry) -> list[int]:
    """The record ids a history entry is about (a batch entry: all of its records)."""
    if entry.action != BATCH_ACTION:
        return [entry.record_id]
    return [rid for first, last in (entry.new_value or {}).get("ranges", [])
            for rid in range(first, last + 1)]


def _covers(value: Any, record_id: int) -> bool:
    return any(first <= record_id <= last for first, last in (value or {}).get("ranges", []))


_COLUMNS = ("change_set_id", "table_id", "record_id", "field_id", "action", "old_value",
            "new_value", "actor", "created_at")


def _entries(conn: Connection, query: sa.Select[Any]) -> list[HistoryEntry]:
    names = dict(conn.execute(sa.select(F.c.id, F.c.name)).all())
    return [HistoryEntry(r.id, r.change_set_id, r.record_id, r.field_id,
                         names.get(r.field_id) if r.field_id else None, r.action, r.old_value,
                         r.new_value, r.actor, r.created_at)
            for r in conn.execute(query).all()]


def record_history(bind: Bind, table_id: int, record_id: int) -> list[HistoryEntry]:
    """Everything that happened to one record, newest first; the batch that created it shows
    as its "create" entry."""
    with transaction(bind) as conn:
        entries = _entries(conn, sa.select(H).where(H.c.table_id == table_id,
                                                    H.c.record_id == record_id))
        if not any(e.action == "create" for e in entries):
            # created in a batch: the nearest batch entry at or below the id (ranges of one
            # batch never interleave with another's), found walking the (table, record) index
            # back from this record
            entries += _entries(conn, sa.select(H).where(
                H.c.table_id == table_id, H.c.record_id < record_id,
                H.c.action == BATCH_ACTION).order_by(H.c.record_id.desc()).limit(1))
    entries.sort(key=lambda e: e.id, reverse=True)
    result = []
    for e in entries:
        if e.action != BATCH_ACTION:
            result.append(e)
        elif _covers(e.new_value, record_id):
            batch = {k: v for k, v in (e.new_value or {}).items() if k != "ranges"}
            result.append(replace(e, record_id=record_id, action="create",
                                  new_value={"batch": batch}))
    return result


def change_set_rows(conn: Connection, change_set_id: int) -> list[HistoryEntry]:
    """The entries of one change set, oldest first."""
    return _entries(conn, sa.select(H).where(H.c.change_set_id == change_set_id)
                    .order_by(H.c.id))
