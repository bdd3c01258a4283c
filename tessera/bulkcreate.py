"""The column-oriented bulk create path behind ``RecordService.bulk_create`` and
``bulk_create_columns`` (and so behind imports).

Values arrive per column (``{field ref: [value per row]}``). Each field type parses its whole
column at once (``FieldType.parse_column``: fast paths for values already in stored form, the
type's own parser for the rest, so errors are worded exactly as for one record). Link values
are checked against the target table in one query per field. Then, in the caller's
transaction:

- the rows go to the table in multi-row INSERTs (SQLite) or COPY (PostgreSQL), per column,
  without a dict per row (tessera/bulkwrite.py);
- junction rows for link values;
- one change set and **one** history entry for the batch (who, when, source, id ranges,
  count; tessera/history.py) instead of a JSON snapshot per record;
- one ``create`` notification for all the new ids, so the formula recompute runs set-based once
  for the batch.

Bad values: with ``skip_invalid`` the bad rows are left out and reported (imports write the
good rows); otherwise nothing is written and the caller raises RecordValidationError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera import history as hist
from tessera.bulkwrite import Constant, copy_columns, insert_columns
from tessera.errors import FieldValueError, NotFoundError, RecordValidationError, SchemaError
from tessera.fields.sqltypes import utcnow
from tessera.fields.user import user_directory
from tessera.schema.catalog import FieldInfo, TableInfo, sa_table
from tessera.schema.naming import table_name

__all__ = ["BulkOutcome", "create_columns", "rows_to_columns", "parse_columns", "ParsedColumn"]

_UNKNOWN = ("the name or id of an existing field", "已存在字段的名称或编号")
_LINK_MISSING = ("ids of existing records in the linked table", "被关联表中已存在的记录编号")


@dataclass
class BulkOutcome:
    """``ids[k]`` is the new record of input row ``rows[k]``; ``errors`` carry their input row."""

    ids: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[FieldValueError] = field(default_factory=list)
    change_set_id: int | None = None

    def raise_errors(self) -> None:
        if self.errors:
            raise RecordValidationError(self.errors)


def rows_to_columns(rows: Sequence[Mapping[Any, Any]]
                    ) -> tuple[dict[Any, list[Any]], dict[Any, set[int]]]:
    """Row dicts → columns (None where a row lacks the key) and, for keys some rows lack, the
    rows that have them (a read-only or unknown field is an error only where it was given)."""
    refs: dict[Any, None] = {}
    for row in rows:
        for ref in row:
            refs.setdefault(ref)
    columns = {ref: [row.get(ref) for row in rows] for ref in refs}
    present: dict[Any, set[int]] = {}
    for ref in refs:
        having = {i for i, row in enumerate(rows) if ref in row}
        if len(having) != len(rows):
            present[ref] = having
    return columns, present


@dataclass
class _Column:
    field: FieldInfo
    stored: list[Any]


def _parse(conn: Connection, table: TableInfo, columns: Mapping[Any, Sequence[Any]], n: int,
           present: Mapping[Any, set[int]]) -> tuple[list[_Column], list[tuple[int, int, FieldValueError]]]:
    parsed: dict[int, _Column] = {}
    errors: list[tuple[int, int, FieldValueError]] = []   # (row, column position, error)
    with user_directory(conn):  # `user` fields accept usernames
        for position, (ref, values) in enumerate(columns.items()):
            if len(values) != n:
                raise SchemaError(
                    f"Column {ref!r} has {len(values)} values but the first column has {n}; "
                    "give every column one value per row.",
                    f"列 {ref!r} 有 {len(values)} 个值，而第一列有 {n} 个；每列的值个数须等于行数。")
            having = present.get(ref)
            try:
                f = table.field(ref)
            except NotFoundError:
                errors.extend((i, position, FieldValueError(str(ref), values[i], *_UNKNOWN, row=i))
                              for i in (sorted(having) if having is not None else range(n)))
                continue
            stored, bad = f.field_type.parse_column(values, f)
            errors.extend((i, position, e.at_row(i)) for i, e in bad
                          if having is None or i in having)
            parsed[f.id] = _Column(f, stored)
    for position, column in enumerate(parsed.values()):
        if column.field.type == "link":
            errors.extend((i, len(columns) + position, e) for i, e in _missing_links(conn, column))
    errors.sort(key=lambda e: (e[0], e[1]))
    return list(parsed.values()), errors


# the parse step, shared with the set-based update of imports (tessera/io/upsert.py)
parse_columns = _parse
ParsedColumn = _Column


def _missing_links(conn: Connection, column: _Column) -> list[tuple[int, FieldValueError]]:
    f = column.field
    wanted = sorted({i for ids in column.stored if ids for i in ids})
    if not wanted:
        return []
    target = sa.table(table_name(f.options["target_table_id"]), sa.column("id"))
    found: set[int] = set()
    for start in range(0, len(wanted), 900):
        found |= set(conn.execute(sa.select(target.c.id).where(
            target.c.id.in_(wanted[start:start + 900]))).scalars())
    result = []
    for index, ids in enumerate(column.stored):
        missing = [i for i in ids or [] if i not in found]
        if missing:
            result.append((index, FieldValueError(f.name, missing, *_LINK_MISSING, row=index)))
    return result


def _new_ids(conn: Connection, t: sa.Table, columns: list[str],
             values: list[Sequence[Any] | Constant], n: int) -> range:
    if conn.dialect.name != "postgresql":
        # The transaction holds SQLite's single write lock and the table is AUTOINCREMENT, so
        # the new ids are the consecutive run ending at last_insert_rowid().
        insert_columns(conn, t, columns, values, n)
        last = conn.execute(sa.select(sa.func.last_insert_rowid())).scalar_one()
        return range(last - n + 1, last + 1)
    ids = _reserve_ids(conn, t, n)
    copy_columns(conn, t, ["id", *columns], [ids, *values], n)
    return ids


def _reserve_ids(conn: Connection, t: sa.Table, n: int) -> range:
    """n consecutive ids from the table's sequence in O(1) (not one nextval per row). ALTER
    SEQUENCE takes the sequence's lock, which blocks every other nextval/setval on it until
    this transaction ends (PostgreSQL documents this), so nobody can draw an id from the
    reserved run; other writers of this table wait for the bulk load, as on SQLite."""
    sequence = conn.execute(sa.select(sa.func.pg_get_serial_sequence(t.name, "id"))).scalar_one()
    conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
    last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
    first = last + 1 if called else last
    conn.execute(sa.select(sa.func.setval(sequence, first + n - 1)))
    return range(first, first + n)


def create_columns(service: Any, conn: Connection, table: TableInfo,
                   columns: Mapping[Any, Sequence[Any]], actor: str | None, *,
                   present: Mapping[Any, set[int]] | None = None, skip_invalid: bool = False,
                   source: str | None = None, count: int | None = None) -> BulkOutcome:
    """Create one record per row of ``columns`` (see the module docstring; ``count``: the
    number of rows when there may be no column, e.g. empty row dicts). ``service`` is the
    calling RecordService (its change listeners run once for the batch)."""
    from tessera.records import RecordChange, _Parsed

    n = count if count is not None else len(next(iter(columns.values()))) if columns else 0
    parsed, errors = _parse(conn, table, columns, n, present or {})
    outcome = BulkOutcome(errors=[e for _, _, e in errors])
    if errors and not skip_invalid:
        return outcome
    keep = list(range(n))
    if errors:
        bad = {row for row, _, _ in errors}
        keep = [i for i in keep if i not in bad]
        for column in parsed:
            column.stored = [column.stored[i] for i in keep]
    outcome.rows = keep
    if not keep:
        return outcome
    m = len(keep)
    plain = [c for c in parsed if c.field.type != "link" and c.field.column
             and not c.field.read_only]
    links = [c for c in parsed if c.field.type == "link"]
    now = utcnow()
    names = ["created_at", "updated_at", *[c.field.column or "" for c in plain]]
    values: list[Sequence[Any] | Constant] = [Constant(now), Constant(now),
                                              *[c.stored for c in plain]]
    new = _new_ids(conn, sa_table(table), names, values, m)
    ids = list(new)
    moved: dict[int, list[int]] = {}
    if links:
        rows = [_Parsed({}, {}, []) for _ in ids]
        for column in links:
            for p, targets in zip(rows, column.stored, strict=True):
                if targets:
                    p.links[column.field.id] = targets
        moved = service._write_links(conn, table, ids, rows, replace=False)
    cs = hist.new_change_set(conn, table.id, actor, "create")
    hist.write_batch(conn, cs, table.id, actor, new, source)
    service.last_change_set_id = outcome.change_set_id = cs
    service._notify(conn, RecordChange("create", table.id, tuple(ids),
                                       tuple(f.id for f in table.fields)))
    service._notify_moved(conn, table, moved)
    outcome.ids = ids
    return outcome
