"""Set-based update of the rows an import matched by key (upsert).

The rows of a chunk that match existing records arrive per column, like the new rows
(``bulk_create_columns``). Instead of one ``RecordService`` update per row, the chunk is:

- parsed column by column with the field types' ``parse_column`` (the create path's parse
  step, ``tessera.bulkcreate.parse_columns``): the same stored values and the same error
  messages as one record at a time; bad rows are left out and reported (they become rejects);
- checked against the importing principal's access (hidden/read-only fields, row rules),
  as ``RecordService.bulk_update`` does;
- written in one statement per chunk (``tessera.bulkwrite.update_columns``: SQLite
  executemany ``UPDATE … WHERE id = ?``, PostgreSQL COPY into a temporary table and one
  ``UPDATE … FROM``); link cells replace the record's links, an empty link cell leaves them;
- recorded in history exactly as a single update records it: one change set for the chunk
  and one ``update`` entry (old value, new value) per changed field of each record, read
  before the write with ``_field_snapshots``, so the record's history shows the import and
  ``RecordService.undo`` restores the old values;
- announced with one ``update`` notification (formula recompute) for the chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import history as hist
from tessera.bulkcreate import BulkOutcome, parse_columns
from tessera.bulkwrite import Constant, update_columns
from tessera.errors import NotFoundError
from tessera.fields.sqltypes import utcnow
from tessera.records import RecordChange, RecordService, _Parsed, read_links
from tessera.schema.catalog import TableInfo, sa_table

__all__ = ["update_records"]


def update_records(service: RecordService, conn: Connection, table: TableInfo,
                   ids: Sequence[int], columns: Mapping[int, Sequence[Any]],
                   actor: str | None, *, keep_empty_links: bool = True) -> BulkOutcome:
    """Update record ``ids[k]`` with row k of ``columns`` ({field id: [value per row]});
    returns a ``BulkOutcome`` whose ``rows`` are the rows written (``ids`` holds their
    record ids) and ``errors`` the bad values of the others (``error.row`` = input row).
    ``keep_empty_links``: a None link cell leaves the record's links as they are."""
    n = len(ids)
    scope = service._scope(conn, table, "records.write")
    scope.check_fields(columns)
    links_given = {fid: {k for k, v in enumerate(values) if v is not None}
                   for fid, values in columns.items()
                   if keep_empty_links and table.field(fid).type == "link"}
    parsed, errors = parse_columns(conn, table, columns, n, links_given)
    outcome = BulkOutcome(errors=[e for _, _, e in errors])
    bad = {row for row, _, _ in errors}
    keep = [k for k in range(n) if k not in bad]
    outcome.rows = keep
    if not keep:
        return outcome
    kept_ids = [ids[k] for k in keep] if bad else list(ids)
    scope.check_visible(conn, kept_ids)
    if bad:
        for column in parsed:
            column.stored = [column.stored[k] for k in keep]
    actor = service._actor(actor)
    plain = [c for c in parsed if c.field.type != "link" and c.field.column
             and not c.field.read_only]
    links = [c for c in parsed if c.field.type == "link"]
    before = _stored(conn, table, kept_ids, plain)
    missing = [rid for rid in kept_ids if rid not in before]
    if missing:
        raise NotFoundError("record", missing[0] if len(missing) == 1 else missing)
    links_before = service._field_snapshots(conn, table, kept_ids,
                                            {c.field.id for c in links}) if links else {}
    if links:  # listeners may need the links as they were (dependents through links)
        service._notify(conn, RecordChange("before_update", table.id, tuple(kept_ids),
                                           tuple(sorted(c.field.id for c in links))))
    update_columns(conn, sa_table(table), kept_ids,
                   ["updated_at", *[c.field.column or "" for c in plain]],
                   [Constant(utcnow()), *[c.stored for c in plain]])
    moved = _write_links(service, conn, table, kept_ids, keep, links, links_given)
    rows = _changes(table, kept_ids, before, plain)
    for column in links:   # links read back: another record may have taken a single link
        key, now = str(column.field.id), read_links(conn, column.field, kept_ids)
        rows.extend(hist.HistoryRow(rid, column.field.id, "update", links_before[rid].get(key),
                                    now[rid])
                    for rid in kept_ids if links_before[rid].get(key) != now[rid])
    changed = {r.field_id for r in rows if r.field_id is not None}
    if rows:
        rows.sort(key=lambda r: r.record_id)   # a record's changes together, as one update
        cs = hist.new_change_set(conn, table.id, actor, "update")
        service.last_change_set_id = outcome.change_set_id = cs
        hist.write_history(conn, cs, table.id, actor, rows)
    service._notify(conn, RecordChange("update", table.id, tuple(kept_ids),
                                       tuple(sorted(changed))))
    service._notify_moved(conn, table, moved)
    scope.check_still_visible(conn, kept_ids)
    outcome.ids = kept_ids
    return outcome


def _write_links(service: RecordService, conn: Connection, table: TableInfo,
                 ids: list[int], keep: list[int], links: list[Any],
                 given: Mapping[int, set[int]]) -> dict[int, list[int]]:
    if not links:
        return {}
    rows = [_Parsed({}, {}, []) for _ in ids]
    for column in links:
        present = given.get(column.field.id)
        for p, k, targets in zip(rows, keep, column.stored, strict=True):
            if present is None or k in present:
                p.links[column.field.id] = targets or []
    return service._write_links(conn, table, ids, rows, replace=True)


_ID_BATCH = {"sqlite": 30_000}   # ids per IN list (SQLite allows 32,766 variables)


def _stored(conn: Connection, table: TableInfo, ids: list[int], plain: list[Any]
            ) -> dict[int, tuple[Any, ...]]:
    """The records' current stored values of the ``plain`` columns, by record id."""
    t = sa_table(table)
    columns = [t.c.id, *[t.c[c.field.column] for c in plain]]
    size = _ID_BATCH.get(conn.dialect.name, 900)
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), size):
        for row in conn.execute(sa.select(*columns).where(t.c.id.in_(ids[start:start + size]))
                                ).all():
            found[row[0]] = tuple(row[1:])
    return found


def _changes(table: TableInfo, ids: list[int], before: Mapping[int, tuple[Any, ...]],
             plain: list[Any]) -> list[hist.HistoryRow]:
    """History rows for the plain fields whose API value changed, as ``_update`` writes them
    (old and new through the field type's ``to_json``). Stored values are compared first, so
    ``to_json`` runs only for the cells that differ."""
    rows: list[hist.HistoryRow] = []
    for position, column in enumerate(plain):
        f = column.field
        to_json = f.field_type.to_json
        for rid, new in zip(ids, column.stored, strict=True):
            old = before[rid][position]
            if old != new or old.__class__ is not new.__class__:
                old_json, new_json = to_json(old, f), to_json(new, f)
                if old_json != new_json:
                    rows.append(hist.HistoryRow(rid, f.id, "update", old_json, new_json))
    return rows
