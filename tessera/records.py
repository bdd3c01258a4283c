"""Records service: create, read, update, delete (single and bulk) in transactions, with
history and undo. Input is keyed by field name, field id or 'f_<id>'.

Bulk create uses executemany on SQLite and COPY on PostgreSQL. Bad input anywhere in a call
raises RecordValidationError listing every bad row/field/value, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import history as hist
from tessera.auth.principal import Principal
from tessera.bulkwrite import insert_many
from tessera.errors import FieldValueError, NotFoundError, RecordValidationError
from tessera.fields.sqltypes import utcnow
from tessera.fields.user import user_directory
from tessera.record_json import conversion_plan, rows_to_records
from tessera.schema.catalog import (
    Bind,
    FieldInfo,
    TableInfo,
    get_table,
    junction_table,
    sa_table,
    transaction,
)
from tessera.schema.hooks import load_plugins
from tessera.schema.naming import table_name

__all__ = ["RecordService", "RecordChange", "AfterChange", "read_links", "record_to_dict",
           "records_to_dicts"]


@dataclass(frozen=True)
class RecordChange:
    """What a write touched: kind is create, update, before_update (links about to change;
    field_ids are those link fields), before_delete or delete."""

    kind: str
    table_id: int
    record_ids: tuple[int, ...]
    field_ids: tuple[int, ...]


AfterChange = Callable[[Connection, RecordChange], None]


@dataclass
class _Parsed:
    columns: dict[str, Any]
    links: dict[int, list[int]]          # link field id → target ids
    field_ids: list[int]


def read_links(conn: Connection, field: FieldInfo, record_ids: Sequence[int]) -> dict[int, list[int]]:
    """Linked record ids per record for one link field."""
    junction, own, other = junction_table(field)
    result: dict[int, list[int]] = {rid: [] for rid in record_ids}
    ids = list(record_ids)
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        rows = conn.execute(sa.select(junction.c[own], junction.c[other])
                            .where(junction.c[own].in_(chunk))
                            .order_by(junction.c[own], junction.c[other])).all()
        for own_id, other_id in rows:
            result[own_id].append(other_id)
    return result


def record_to_dict(table: TableInfo, row: Any, links: Mapping[int, Mapping[int, list[int]]],
                   *, key: str = "name", fields: Sequence[FieldInfo] | None = None) -> dict[str, Any]:
    """A row (with id, created_at, updated_at, f_*) → {"id", "created_at", "updated_at", "fields"}."""
    return records_to_dicts(table, [row], links, key=key, fields=fields)[0]


def records_to_dicts(table: TableInfo, rows: Sequence[Any],
                     links: Mapping[int, Mapping[int, list[int]]], *, key: str = "name",
                     fields: Sequence[FieldInfo] | None = None) -> list[dict[str, Any]]:
    """``record_to_dict`` for many rows, through the fields' conversion plan
    (tessera.record_json: compiled once per schema, not per page)."""
    plan = conversion_plan(fields if fields is not None else table.fields, key)
    return rows_to_records(plan, rows, links)


class RecordService:
    """Record writes and reads for any table. ``after_change`` callbacks (class-wide list, plus
    ``self.local_after_change``) run inside the write's transaction.

    Every call acts as ``principal`` (default: the acting principal of the request, SYSTEM
    outside requests): its role, field permissions and row rules (tessera.access) decide which
    records and fields it reads and may write."""

    after_change: ClassVar[list[AfterChange]] = []

    def __init__(self, bind: Bind, *, locale: str = "en",
                 principal: Principal | None = None) -> None:
        from tessera.access.context import resolve

        load_plugins()  # built-in after_change listeners (formula recompute) register on import
        self.bind = bind
        self.locale = locale
        self.principal = resolve(principal)
        self.local_after_change: list[AfterChange] = []
        self.last_change_set_id: int | None = None

    def _scope(self, conn: Connection, table: TableInfo, action: str) -> Any:
        from tessera.access.scope import table_scope

        return table_scope(conn, self.principal, table, action)

    def _actor(self, actor: str | None) -> str | None:
        return actor if actor is not None or self.principal.is_system else self.principal.username

    # --- reads ---------------------------------------------------------------------------
    def get(self, table_id: int, record_id: int, *, key: str = "name") -> dict[str, Any]:
        with transaction(self.bind) as conn:
            scope = self._scope(conn, get_table(conn, table_id), "records.read")
            scope.check_visible(conn, [record_id])
            return self._get(conn, scope.table, record_id, key=key)

    def _get(self, conn: Connection, table: TableInfo, record_id: int, *,
             key: str = "name") -> dict[str, Any]:
        from tessera.access.scope import filter_links

        t = sa_table(table)
        row = conn.execute(sa.select(t).where(t.c.id == record_id)).first()
        if row is None:
            raise NotFoundError("record", record_id)
        links = {f.id: filter_links(conn, self.principal, f, read_links(conn, f, [record_id]))
                 for f in table.fields if f.type == "link"}
        return record_to_dict(table, row, links, key=key)

    def history(self, table_id: int, record_id: int) -> list[hist.HistoryEntry]:
        entries = hist.record_history(self.bind, table_id, record_id)
        if self.principal.is_system:
            return entries
        with transaction(self.bind) as conn:
            scope = self._scope(conn, get_table(conn, table_id), "records.read")
            if not entries:
                return entries
            scope.check_visible(conn, [record_id])
            hidden = {str(i) for i in scope.hidden}
            return [_without(e, hidden) for e in entries
                    if e.field_id is None or str(e.field_id) not in hidden]

    # --- parsing -------------------------------------------------------------------------
    def _parse(self, conn: Connection, table: TableInfo, values: Mapping[Any, Any],
               row: int | None, errors: list[FieldValueError],
               resolved: dict[Any, tuple[FieldInfo, Any, str]] | None = None) -> _Parsed:
        """``resolved`` caches field lookups (ref → field, type, column) across the rows of a call."""
        parsed = _Parsed({}, {}, [])
        resolved = {} if resolved is None else resolved
        for ref, raw in values.items():
            hit = resolved.get(ref)
            if hit is None:
                try:
                    field = table.field(ref)
                except NotFoundError:
                    errors.append(FieldValueError(str(ref), raw,
                                                  "the name or id of an existing field",
                                                  "已存在字段的名称或编号", row=row))
                    continue
                hit = resolved[ref] = (field, field.field_type, field.column or "")
            field, field_type, column = hit
            try:
                stored = field_type.parse(raw, field)
            except FieldValueError as exc:
                errors.append(exc.at_row(row) if row is not None else exc)
                continue
            parsed.field_ids.append(field.id)
            if field.type == "link":
                parsed.links[field.id] = stored or []
            else:
                parsed.columns[column] = stored
        return parsed

    def _check_links(self, conn: Connection, table: TableInfo, parsed: list[_Parsed],
                     rows: Sequence[Mapping[Any, Any]], errors: list[FieldValueError],
                     bulk: bool) -> None:
        for f in table.fields:
            if f.type != "link":
                continue
            wanted = {i for p in parsed for i in p.links.get(f.id, [])}
            if not wanted:
                continue
            target = sa.table(table_name(f.options["target_table_id"]), sa.column("id"))
            found: set[int] = set()
            ids = list(wanted)
            for start in range(0, len(ids), 900):
                found |= set(conn.execute(sa.select(target.c.id).where(
                    target.c.id.in_(ids[start:start + 900]))).scalars())
            for index, p in enumerate(parsed):
                missing = [i for i in p.links.get(f.id, []) if i not in found]
                if missing:
                    errors.append(FieldValueError(
                        f.name, missing, "ids of existing records in the linked table",
                        "被关联表中已存在的记录编号", row=index if bulk else None))

    def _parse_all(self, conn: Connection, table: TableInfo, rows: Sequence[Mapping[Any, Any]],
                   bulk: bool) -> list[_Parsed]:
        errors: list[FieldValueError] = []
        resolved: dict[Any, tuple[FieldInfo, Any, str]] = {}
        with user_directory(conn):  # `user` fields accept usernames
            parsed = [self._parse(conn, table, r, i if bulk else None, errors, resolved)
                      for i, r in enumerate(rows)]
        self._check_links(conn, table, parsed, rows, errors, bulk)
        if errors:
            raise RecordValidationError(errors)
        return parsed

    # --- writes --------------------------------------------------------------------------
    def create(self, table_id: int, values: Mapping[Any, Any], *,
               actor: str | None = None) -> dict[str, Any]:
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            scope = self._scope(conn, table, "records.write")
            scope.check_fields(values)
            [record_id] = self._create(conn, table, [values], self._actor(actor), bulk=False)
            scope.check_still_visible(conn, [record_id])
            return self._get(conn, scope.table, record_id)

    def bulk_create(self, table_id: int, rows: Sequence[Mapping[Any, Any]], *,
                    actor: str | None = None) -> list[int]:
        """Create many records (all or nothing) through the column path
        (tessera/bulkcreate.py): one history entry for the batch, one recompute."""
        from tessera.bulkcreate import rows_to_columns

        columns, present = rows_to_columns(rows)
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            scope = self._scope(conn, table, "records.write")
            try:
                scope.check_fields(columns)
            except RecordValidationError:  # name the rows, as a row-by-row check does
                for index, row in enumerate(rows):
                    scope.check_fields(row, row=index)
                raise
            return self._bulk(conn, scope, table, columns, actor, present=present,
                              count=len(rows)).ids

    def bulk_create_columns(self, table_id: int, columns: Mapping[Any, Sequence[Any]], *,
                            actor: str | None = None, skip_invalid: bool = False,
                            source: str | None = None) -> Any:
        """Create one record per row of ``columns`` ({field name/id: [value per row]}), the
        fast path for imports and loads. Returns a ``tessera.bulkcreate.BulkOutcome``: new
        ids and the input rows they came from. Bad values raise RecordValidationError with
        nothing written, or with ``skip_invalid`` leave their rows out (``outcome.errors``)."""
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            scope = self._scope(conn, table, "records.write")
            scope.check_fields(columns)
            return self._bulk(conn, scope, table, columns, actor, skip_invalid=skip_invalid,
                              source=source)

    def _bulk(self, conn: Connection, scope: Any, table: TableInfo,
              columns: Mapping[Any, Sequence[Any]], actor: str | None, *,
              present: Mapping[Any, set[int]] | None = None, skip_invalid: bool = False,
              source: str | None = None, count: int | None = None) -> Any:
        from tessera.bulkcreate import create_columns

        outcome = create_columns(self, conn, table, columns, self._actor(actor),
                                 present=present, skip_invalid=skip_invalid, source=source,
                                 count=count)
        if not skip_invalid:
            outcome.raise_errors()
        scope.check_still_visible(conn, outcome.ids)
        return outcome

    def _create(self, conn: Connection, table: TableInfo, rows: Sequence[Mapping[Any, Any]],
                actor: str | None, *, bulk: bool, change_set_id: int | None = None,
                fixed: Sequence[Mapping[str, Any]] | None = None) -> list[int]:
        parsed = self._parse_all(conn, table, rows, bulk)
        if not parsed:
            return []
        t = sa_table(table)
        now = utcnow()
        data_columns = [c.name for c in t.columns if c.name.startswith("f_")]
        payload = []
        for index, p in enumerate(parsed):
            row = {"created_at": now, "updated_at": now, **{c: None for c in data_columns}}
            row.update(p.columns)
            if fixed is not None:
                row.update(fixed[index])
            payload.append(row)
        ids = self._insert_rows(conn, t, payload, data_columns, with_ids=fixed is not None)
        moved = self._write_links(conn, table, ids, parsed, replace=False)
        cs = change_set_id or hist.new_change_set(conn, table.id, actor, "create")
        self.last_change_set_id = cs
        # A new record's snapshot is what was just written: no need to read it back.
        snapshots = self._created_snapshots(table, ids, payload, parsed)
        hist.write_history(conn, cs, table.id, actor, [
            hist.HistoryRow(rid, None, "create", None, snapshots[rid]) for rid in ids])
        self._notify(conn, RecordChange("create", table.id, tuple(ids),
                                        tuple(f.id for f in table.fields)))
        self._notify_moved(conn, table, moved)
        return ids

    def _insert_rows(self, conn: Connection, t: sa.Table, payload: list[dict[str, Any]],
                     data_columns: list[str], *, with_ids: bool) -> list[int]:
        if with_ids:
            conn.execute(sa.insert(t), payload)
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.setval(
                    sa.func.pg_get_serial_sequence(t.name, "id"),
                    sa.select(sa.func.max(t.c.id)).scalar_subquery())))
            return [row["id"] for row in payload]
        if conn.dialect.name != "postgresql":
            # One executemany (RETURNING with parameter order runs one INSERT per row). The
            # transaction holds SQLite's single write lock and the table is AUTOINCREMENT, so
            # the new ids are the consecutive run ending at last_insert_rowid().
            columns = ["created_at", "updated_at", *data_columns]
            insert_many(conn, t, columns, ([row[c] for c in columns] for row in payload))
            last = conn.execute(sa.select(sa.func.last_insert_rowid())).scalar_one()
            return list(range(last - len(payload) + 1, last + 1))
        ids = list(conn.execute(sa.select(sa.func.nextval(
            sa.func.pg_get_serial_sequence(t.name, "id"))).select_from(
            sa.func.generate_series(1, len(payload)))).scalars())
        columns = ["id", "created_at", "updated_at", *data_columns]
        types = {c.name: c.type for c in t.columns}
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {t.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for rid, row in zip(ids, payload, strict=True):
                    copy.write_row([rid] + [_copy_value(row[c], types[c])
                                            for c in columns[1:]])
        return ids

    def _write_links(self, conn: Connection, table: TableInfo, ids: Sequence[int],
                     parsed: Sequence[_Parsed], *, replace: bool) -> dict[int, list[int]]:
        """Write the junction rows; returns, per link field, the other records of this table
        that lost a link because its target can hold one link only (they changed too)."""
        moved: dict[int, list[int]] = {}
        for f in table.fields:
            if f.type != "link":
                continue
            touched = [(rid, p.links[f.id]) for rid, p in zip(ids, parsed, strict=True)
                       if f.id in p.links]
            if not touched:
                continue
            junction, own, other = junction_table(f)
            if replace:
                conn.execute(sa.delete(junction).where(
                    junction.c[own].in_([rid for rid, _ in touched])))
            pairs = [{own: rid, other: target} for rid, targets in touched for target in targets]
            if pairs and self._counterpart_is_single(conn, f):
                # the other side holds one link: linking here moves the target's link
                targets = [p[other] for p in pairs]
                losers = conn.execute(sa.select(junction.c[own]).distinct().where(
                    junction.c[other].in_(targets), junction.c[own].not_in(ids))).scalars().all()
                if losers:
                    moved[f.id] = sorted(losers)
                conn.execute(sa.delete(junction).where(junction.c[other].in_(targets)))
            if pairs:
                conn.execute(sa.insert(junction), pairs)
        return moved

    @staticmethod
    def _counterpart_is_single(conn: Connection, field: FieldInfo) -> bool:
        """Whether the opposite side of this link (if it exists) allows one link only."""
        from tessera.schema.catalog import get_field

        if field.options.get("side", "src") == "src":
            other_id = field.options.get("inverse_field_id")
        else:
            other_id = field.options.get("owner_field_id")
        if not other_id:
            return False
        return not get_field(conn, other_id).options.get("many", True)

    def update(self, table_id: int, record_id: int, values: Mapping[Any, Any], *,
               actor: str | None = None) -> dict[str, Any]:
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            scope = self._scope(conn, table, "records.update")  # editable fields (access)
            scope.check_fields(values)
            scope.check_visible(conn, [record_id])
            self._update(conn, table, [(record_id, values)], self._actor(actor), bulk=False)
            scope.check_still_visible(conn, [record_id])
            return self._get(conn, scope.table, record_id)

    def bulk_update(self, table_id: int, updates: Sequence[tuple[int, Mapping[Any, Any]]], *,
                    actor: str | None = None) -> None:
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            scope = self._scope(conn, table, "records.update")
            for index, (_rid, values) in enumerate(updates):
                scope.check_fields(values, row=index)
            scope.check_visible(conn, [rid for rid, _ in updates])
            self._update(conn, table, updates, self._actor(actor), bulk=True)
            scope.check_still_visible(conn, [rid for rid, _ in updates])

    def _update(self, conn: Connection, table: TableInfo,
                updates: Sequence[tuple[int, Mapping[Any, Any]]], actor: str | None, *,
                bulk: bool, kind: str = "update", change_set_id: int | None = None) -> None:
        ids = [rid for rid, _ in updates]
        parsed = self._parse_all(conn, table, [v for _, v in updates], bulk)
        # History compares the written fields only: read (before and after) just those.
        written = {fid for p in parsed for fid in p.field_ids}
        before = self._field_snapshots(conn, table, ids, written)
        missing = [rid for rid in ids if rid not in before]
        if missing:
            raise NotFoundError("record", missing[0] if len(missing) == 1 else missing)
        t = sa_table(table)
        now = utcnow()
        link_ids = sorted({fid for p in parsed for fid in p.links})
        if link_ids:  # listeners may need the links as they were (dependents through links)
            self._notify(conn, RecordChange("before_update", table.id, tuple(ids),
                                            tuple(link_ids)))
        if len(ids) == 1 and not link_ids:
            # one statement: the UPDATE returns the new values history needs
            after = self._update_returning(conn, table, ids[0], parsed[0], written, now)
            moved: dict[int, list[int]] = {}
        else:
            for rid, p in zip(ids, parsed, strict=True):
                conn.execute(sa.update(t).where(t.c.id == rid)
                             .values(updated_at=now, **p.columns))
            moved = self._write_links(conn, table, ids, parsed, replace=True)
            after = self._field_snapshots(conn, table, ids, written)
        rows: list[hist.HistoryRow] = []
        changed_fields: set[int] = set()
        for rid, p in zip(ids, parsed, strict=True):
            for fid in p.field_ids:
                old, new = before[rid].get(str(fid)), after[rid].get(str(fid))
                if old != new:
                    rows.append(hist.HistoryRow(rid, fid, kind, old, new))
                    changed_fields.add(fid)
        if rows:
            cs = change_set_id or hist.new_change_set(conn, table.id, actor, kind)
            self.last_change_set_id = cs
            hist.write_history(conn, cs, table.id, actor, rows)
        self._notify(conn, RecordChange("update", table.id, tuple(ids),
                                        tuple(sorted(changed_fields))))
        self._notify_moved(conn, table, moved)

    def _notify_moved(self, conn: Connection, table: TableInfo,
                      moved: Mapping[int, list[int]]) -> None:
        """Records whose link moved to another record changed as well."""
        for field_id, record_ids in moved.items():
            self._notify(conn, RecordChange("update", table.id, tuple(record_ids), (field_id,)))

    def delete(self, table_id: int, record_id: int, *, actor: str | None = None) -> None:
        self.bulk_delete(table_id, [record_id], actor=actor)

    def bulk_delete(self, table_id: int, record_ids: Sequence[int], *,
                    actor: str | None = None) -> None:
        with transaction(self.bind, write=True) as conn:
            table = get_table(conn, table_id)
            self._scope(conn, table, "records.write").check_visible(conn, record_ids)
            self._delete(conn, table, list(record_ids), self._actor(actor))

    def _delete(self, conn: Connection, table: TableInfo, ids: list[int], actor: str | None,
                change_set_id: int | None = None) -> None:
        snapshots = self._snapshots(conn, table, ids)
        missing = [rid for rid in ids if rid not in snapshots]
        if missing:
            raise NotFoundError("record", missing[0] if len(missing) == 1 else missing)
        all_fields = tuple(f.id for f in table.fields)
        self._notify(conn, RecordChange("before_delete", table.id, tuple(ids), all_fields))
        t = sa_table(table)
        for start in range(0, len(ids), 900):
            conn.execute(sa.delete(t).where(t.c.id.in_(ids[start:start + 900])))
        cs = change_set_id or hist.new_change_set(conn, table.id, actor, "delete")
        self.last_change_set_id = cs
        hist.write_history(conn, cs, table.id, actor, [
            hist.HistoryRow(rid, None, "delete", snapshots[rid], None) for rid in ids])
        self._notify(conn, RecordChange("delete", table.id, tuple(ids), all_fields))

    # --- undo ----------------------------------------------------------------------------
    def undo(self, change_set_id: int, *, actor: str | None = None) -> int:
        """Apply the old values of a change set back; the undo is itself a change set."""
        with transaction(self.bind, write=True) as conn:
            entries = hist.change_set_rows(conn, change_set_id)
            if not entries:
                raise NotFoundError("change set", change_set_id)
            table_id = conn.execute(sa.select(hist.CS.c.table_id).where(
                hist.CS.c.id == change_set_id)).scalar_one()
            table = get_table(conn, table_id)
            actor = self._actor(actor)
            # undoing field changes is an update (a commenter's own edit of an editable field)
            updates_only = all(e.field_id is not None and e.action in ("update", "undo")
                               for e in entries)
            scope = self._scope(conn, table, "records.update" if updates_only else "records.write")
            touched = sorted({rid for e in entries for rid in hist.batch_ids(e)})
            scope.check_fields({e.field_id for e in entries if e.field_id is not None})
            scope.check_visible(conn, self._snapshots(conn, table, touched))
            cs = hist.new_change_set(conn, table.id, actor, "undo", undo_of=change_set_id)
            known = {str(f.id) for f in table.fields if not f.read_only}
            for entry in reversed(entries):
                if entry.action == hist.BATCH_ACTION:  # a bulk load: delete what is left of it
                    alive = sorted(self._snapshots(conn, table, hist.batch_ids(entry)))
                    if alive:
                        self._delete(conn, table, alive, actor, cs)
                elif entry.action == "create":
                    if self._snapshots(conn, table, [entry.record_id]):
                        self._delete(conn, table, [entry.record_id], actor, cs)
                elif entry.action == "delete":
                    snap = entry.old_value or {}
                    values = {int(k): v for k, v in snap.items() if k in known}
                    self._create(conn, table, [values], actor, bulk=False, change_set_id=cs,
                                 fixed=[{"id": entry.record_id}])
                elif entry.field_id is not None and str(entry.field_id) in known:
                    if self._snapshots(conn, table, [entry.record_id]):
                        self._update(conn, table, [(entry.record_id,
                                                    {entry.field_id: entry.old_value})],
                                     actor, bulk=False, kind="undo", change_set_id=cs)
            scope.check_still_visible(conn, self._snapshots(conn, table, touched))
            self.last_change_set_id = cs
            return cs

    # --- helpers -------------------------------------------------------------------------
    @staticmethod
    def _created_snapshots(table: TableInfo, ids: Sequence[int], payload: Sequence[Mapping[str, Any]],
                           parsed: Sequence[_Parsed]) -> dict[int, dict[str, Any]]:
        """The snapshots :meth:`_snapshots` would read back right after an insert."""
        writable = [f for f in table.fields if not f.read_only]
        plain = [(str(f.id), f.column, f.field_type.to_json, f) for f in writable
                 if f.type != "link"]
        links = [(str(f.id), f.id) for f in writable if f.type == "link"]
        snapshots: dict[int, dict[str, Any]] = {}
        for rid, row, p in zip(ids, payload, parsed, strict=True):
            snap = {key: to_json(row[column], f) for key, column, to_json, f in plain}
            for key, field_id in links:
                snap[key] = sorted(set(p.links.get(field_id) or []))
            snapshots[rid] = snap
        return snapshots

    @staticmethod
    def _snapshot_plan(table: TableInfo, field_ids: set[int]
                       ) -> tuple[list[tuple[str, str, Any, FieldInfo]], list[FieldInfo]]:
        """(plain fields as (key, column, to_json, field), link fields) among ``field_ids``."""
        chosen = [f for f in table.fields if f.id in field_ids and not f.read_only]
        plain = [(str(f.id), f.column or "", f.field_type.to_json, f) for f in chosen
                 if f.type != "link"]
        return plain, [f for f in chosen if f.type == "link"]

    def _field_snapshots(self, conn: Connection, table: TableInfo, ids: Sequence[int],
                         field_ids: set[int]) -> dict[int, dict[str, Any]]:
        """Like :meth:`_snapshots`, for the fields ``field_ids`` only (an entry per existing
        record, empty when no field is asked for)."""
        t = sa_table(table)
        plain, links = self._snapshot_plan(table, field_ids)
        columns = [t.c.id, *[t.c[column] for _, column, _, _ in plain]]
        id_list = list(ids)
        rows: dict[int, dict[str, Any]] = {}
        for start in range(0, len(id_list), 900):
            chunk = id_list[start:start + 900]
            where = t.c.id == chunk[0] if len(chunk) == 1 else t.c.id.in_(chunk)
            for row in conn.execute(sa.select(*columns).where(where)):
                rows[row[0]] = {key: to_json(row[i], f)
                                for i, (key, _, to_json, f) in enumerate(plain, 1)}
        for f in links:
            if rows:
                for rid, linked in read_links(conn, f, list(rows)).items():
                    rows[rid][str(f.id)] = linked
        return rows

    def _update_returning(self, conn: Connection, table: TableInfo, record_id: int,
                          parsed: _Parsed, field_ids: set[int], now: Any
                          ) -> dict[int, dict[str, Any]]:
        """UPDATE one record (no link field written) and return its new snapshot of
        ``field_ids`` from the statement itself (RETURNING: SQLite ≥ 3.35, PostgreSQL)."""
        t = sa_table(table)
        plain, _ = self._snapshot_plan(table, field_ids)
        row = conn.execute(sa.update(t).where(t.c.id == record_id)
                           .values(updated_at=now, **parsed.columns)
                           .returning(t.c.id, *[t.c[column] for _, column, _, _ in plain])
                           ).first()
        if row is None:
            return {}
        return {record_id: {key: to_json(row[i], f)
                            for i, (key, _, to_json, f) in enumerate(plain, 1)}}

    def _snapshots(self, conn: Connection, table: TableInfo,
                   ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Current API values of the writable fields, keyed by str(field id), per record."""
        t = sa_table(table)
        writable = [f for f in table.fields if not f.read_only]
        rows: dict[int, dict[str, Any]] = {}
        id_list = list(ids)
        plain = [(str(f.id), f.column, f.field_type.to_json, f) for f in writable
                 if f.type != "link"]
        for start in range(0, len(id_list), 900):
            for row in conn.execute(sa.select(t).where(t.c.id.in_(id_list[start:start + 900]))):
                m = row._mapping
                rows[m["id"]] = {key: to_json(m[column], f) for key, column, to_json, f in plain}
        for f in writable:
            if f.type == "link" and rows:
                for rid, linked in read_links(conn, f, list(rows)).items():
                    rows[rid][str(f.id)] = linked
        return rows

    def _notify(self, conn: Connection, change: RecordChange) -> None:
        for callback in [*type(self).after_change, *self.local_after_change]:
            callback(conn, change)


def _without(entry: hist.HistoryEntry, hidden: set[str]) -> hist.HistoryEntry:
    """A history entry without the values of hidden fields (whole-record snapshots)."""
    from dataclasses import replace

    def clean(value: Any) -> Any:
        if isinstance(value, dict) and hidden:
            return {k: v for k, v in value.items() if k not in hidden}
        return value

    return replace(entry, old_value=clean(entry.old_value), new_value=clean(entry.new_value))


def _copy_value(value: Any, sql_type: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


