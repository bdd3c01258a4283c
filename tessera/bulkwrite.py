"""Many-row INSERTs at the driver's speed.

SQLAlchemy's executemany builds a parameter dict per row and runs every type's bind processor
through its generic machinery: for a 100k-row import that is most of the time (profile:
``construct_params`` and ``_init_compiled`` cost more than SQLite's own insert). Here the bind
processors are looked up once per column and applied in one tight loop, and the rows go to the
DBAPI cursor as tuples — the same values SQLAlchemy would send, only without the per-row
overhead. PostgreSQL callers with a lot of rows use COPY instead (tessera/records.py).

``insert_columns`` / ``copy_columns`` take the values per column (the bulk create path,
tessera/bulkcreate.py): each column is converted once, with a per-distinct-value memo for the
columns whose bind processor does real work (dates, timestamps, JSON), a constant column is
converted once for all rows, and the rows go to multi-row ``INSERT … VALUES (…), (…), …``
statements (SQLite: a statement's fixed costs, AUTOINCREMENT's bookkeeping among them, once
per few hundred rows) or COPY ``write_row`` (PostgreSQL) without building a dict per row.
"""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.fields.sqltypes import UtcDateTime, format_utc

__all__ = ["insert_many", "insert_columns", "copy_columns", "update_columns", "Constant"]


def _processors(conn: Connection, table: sa.Table, columns: Sequence[str]
                ) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def insert_many(conn: Connection, table: sa.Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order, Python values as the column types take
    them) into ``table`` in one executemany on the connection's own transaction."""
    processors = _processors(conn, table, columns)
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if active:
        # Bulk rows repeat values (one timestamp for the whole batch, the same actor): convert
        # a value again only when it is not the very object converted last in that column.
        last_in: list[Any] = [object()] * len(processors)
        last_out: list[Any] = [None] * len(processors)

        def convert(row: Sequence[Any]) -> tuple[Any, ...]:
            values = list(row)
            for i, process in active:
                value = values[i]
                if value is not last_in[i]:
                    last_in[i], last_out[i] = value, process(value)
                values[i] = last_out[i]
            return tuple(values)
        params: Iterable[Sequence[Any]] = (convert(r) for r in rows)
    else:
        params = rows
    _executemany(conn, table, columns, list(params))


def _executemany(conn: Connection, table: sa.Table, columns: Sequence[str],
                 params: Iterable[Sequence[Any]]) -> None:
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join(marker for _ in columns)})")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


@dataclass(frozen=True)
class Constant:
    """The same value in every row of a column (a batch's timestamp)."""

    value: Any


_FLOATS = frozenset({float, type(None)})
_BOOLS = frozenset({bool, type(None)})
_DATES = frozenset({date, type(None)})
_DATETIMES = frozenset({datetime, type(None)})


def _native(dialect: str, sql_type: Any, values: Sequence[Any]) -> Callable[[Any], Any] | None | bool:
    """A cheaper conversion for a column whose values are already the driver's types: True
    (pass the values as they are), a converter, or None (use the bind processor)."""
    kinds = set(map(type, values))
    if isinstance(sql_type, sa.Float) and kinds <= _FLOATS:
        return True            # the processor is float(), the identity on floats
    if dialect == "sqlite" and isinstance(sql_type, sa.Boolean) and kinds <= _BOOLS:
        return True            # sqlite3 stores bools as 1/0, as the processor's int() does
    if dialect == "sqlite" and type(sql_type) is sa.Date and kinds <= _DATES:
        return date.isoformat  # the processor's '%04d-%02d-%02d'
    if dialect == "sqlite" and isinstance(sql_type, UtcDateTime) and kinds <= _DATETIMES:
        return _utc_text
    return None


def _utc_text(value: datetime) -> str:
    """UtcDateTime's SQLite text ('YYYY-MM-DDTHH:MM:SSZ'); isoformat is 3× faster than its
    strftime for what the field types store (UTC, whole seconds, 4-digit years)."""
    if value.tzinfo is UTC and not value.microsecond and value.year >= 1000:
        return value.isoformat()[:19] + "Z"
    return format_utc(value.astimezone(UTC) if value.tzinfo else value)


_MICROSECOND = operator.attrgetter("microsecond")
_TZINFO = operator.attrgetter("tzinfo")


def _utc_texts(values: Sequence[Any]) -> list[Any] | None:
    """``_utc_text`` for a whole column of UTC datetimes to the second (what the field types
    store), in C-level passes: the isoformat texts joined, '+00:00' → 'Z', split. None when a
    value needs ``_utc_text``'s other branch."""
    present = [v for v in values if v is not None]
    if (not present or set(map(_TZINFO, present)) != {UTC} or any(map(_MICROSECOND, present))
            or min(present).year < 1000):
        return None
    texts = "\x1f".join(map(datetime.isoformat, present)).replace("+00:00", "Z").split("\x1f")
    if len(present) == len(values):
        return texts
    it = iter(texts)
    return [None if v is None else next(it) for v in values]


def _convert_column(values: Sequence[Any] | Constant, process: Callable[[Any], Any] | None,
                    rows: int, native: Callable[[Any], Any] | None | bool = None) -> Iterable[Any]:
    if isinstance(values, Constant):
        value = values.value if process is None or values.value is None else process(values.value)
        return itertools.repeat(value, rows)
    if native is True or process is None:
        return values
    if native is _utc_text:
        texts = _utc_texts(values)
        if texts is not None:
            return texts
    if native is not None:
        process = native
    try:
        distinct = set(values)
    except TypeError:  # unhashable values (lists for JSON columns)
        return _convert_lists(values, process)
    if len(distinct) * 2 > len(values):
        return [None if v is None else process(v) for v in values]
    memo = {v: (None if v is None else process(v)) for v in distinct}
    return list(map(memo.__getitem__, values))


def _convert_lists(values: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    """Lists (multi-select labels) repeat too: convert each distinct list once. Parsed
    columns repeat the very same list object for a repeated cell text, so the values are
    first told apart by identity (C-level passes); the distinct objects are then keyed by
    their items and the items' types, so [1] and [1.0] and [True] stay apart."""
    objects = dict(zip(map(id, values), values, strict=True))
    memo: dict[Any, Any] = {}
    converted: dict[int, Any] = {}
    for ident, v in objects.items():
        if v is None:
            converted[ident] = None
            continue
        try:
            key = (tuple(v), tuple(map(type, v))) if v.__class__ is list else v
            hit = memo.get(key, _MISSING)
        except TypeError:   # nested or dict values
            converted[ident] = process(v)
            continue
        if hit is _MISSING:
            hit = memo[key] = process(v)
        converted[ident] = hit
    return list(map(converted.__getitem__, map(id, values)))


_MISSING = object()


def insert_columns(conn: Connection, table: sa.Table, columns: Sequence[str],
                   values: Sequence[Sequence[Any] | Constant], rows: int) -> None:
    """INSERT ``rows`` rows given per column (``values[i]`` holds column ``columns[i]``'s
    values, or a :class:`Constant`) on the connection's transaction: on SQLite in multi-row
    statements (:func:`_insert_multirow`), elsewhere in one executemany."""
    if not rows:
        return
    converted = _converted(conn, table, columns, values, rows)
    if conn.dialect.name == "sqlite":
        _insert_multirow(conn, table, columns, values, converted, rows)
        return
    _executemany(conn, table, columns, zip(*converted, strict=False))  # constants repeat


# Rows per multi-row INSERT on SQLite. A 1M-row bulk create measured (CPU s, same run) 3.0 at
# 100 rows, 2.8 at 250, 2.7 at 500, 3.0 at 1,000: past a few hundred the statement's own size
# (its VM program grows with the rows) stops paying back.
MULTIROW_ROWS = 500


def _insert_multirow(conn: Connection, table: sa.Table, columns: Sequence[str],
                     values: Sequence[Sequence[Any] | Constant],
                     converted: Sequence[Iterable[Any]], rows: int) -> None:
    """``INSERT … VALUES (…), (…), …`` with up to MULTIROW_ROWS rows a statement.

    executemany runs the one-row statement once per row, and SQLite pays a statement's fixed
    costs per execution: the VM reset and, on an AUTOINCREMENT table (every user table),
    reading and rewriting the table's ``sqlite_sequence`` row. A multi-row statement pays them
    once per few hundred rows; the rows, their order and so their ids are the same (the
    caller's transaction holds the write lock; last_insert_rowid() is the last row's id). A
    constant column is bound once per statement (parameter ?1, ?2, …), the other columns are
    interleaved into the parameter list by C-level slice assignments."""
    constant = [i for i, v in enumerate(values) if isinstance(v, Constant)]
    varying = [i for i, v in enumerate(values) if not isinstance(v, Constant)]
    fixed = [next(iter(converted[i])) for i in constant]
    data = [_sliceable(converted[i]) for i in varying]
    width = len(varying)
    driver = conn.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
    per = max(1, min(MULTIROW_ROWS, (limit - len(fixed)) // max(width, 1)))
    quote = conn.dialect.identifier_preparer.quote
    head = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            "VALUES ")
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        sql, params, built = "", fixed, 0
        for start in range(0, rows, per):
            count = min(per, rows - start)
            if count != built:   # the first statement and a shorter last one
                sql = head + _value_rows(constant, varying, count)
                params, built = [*fixed, *[None] * (count * width)], count
            for j, column in enumerate(data):
                params[len(fixed) + j::width] = column[start:start + count]
            cursor.execute(sql, params)
    finally:
        cursor.close()


def _value_rows(constant: Sequence[int], varying: Sequence[int], count: int) -> str:
    """``(?3, ?1, ?4), (?5, ?1, ?6)…``: numbered parameters, constants first, so a row may list
    its columns in any order."""
    marks: list[str] = [""] * (len(constant) + len(varying))
    for number, i in enumerate(constant, 1):
        marks[i] = f"?{number}"
    first = len(constant) + 1
    width = len(varying)
    out = []
    for row in range(count):
        for j, i in enumerate(varying):
            marks[i] = f"?{first + row * width + j}"
        out.append(f"({', '.join(marks)})")
    return ", ".join(out)


def _sliceable(values: Iterable[Any]) -> Sequence[Any]:
    return values if isinstance(values, list | tuple | range) else list(values)


def _converted(conn: Connection, table: sa.Table, columns: Sequence[str],
               values: Sequence[Sequence[Any] | Constant], rows: int) -> list[Iterable[Any]]:
    processors = _processors(conn, table, columns)
    dialect = conn.dialect.name
    return [_convert_column(v, p, rows, None if isinstance(v, Constant) or p is None
                            else _native(dialect, table.c[c].type, v))
            for c, v, p in zip(columns, values, processors, strict=True)]


def update_columns(conn: Connection, table: sa.Table, ids: Sequence[int],
                   columns: Sequence[str], values: Sequence[Sequence[Any] | Constant]) -> None:
    """UPDATE the records ``ids`` (distinct) with values given per column, set-based: on
    SQLite one executemany of ``UPDATE … WHERE id = ?`` (converted as ``insert_columns``
    does); on PostgreSQL the rows are COPied into a temporary table and applied with one
    ``UPDATE … FROM`` it."""
    rows = len(ids)
    if not rows or not columns:
        return
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        temp = quote(f"_update_{table.name}")
        names = ["id", *columns]
        listed = ", ".join(quote(c) for c in names)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {temp} AS SELECT {listed} FROM "
                             f"{quote(table.name)} WITH NO DATA")
        shadow = sa.Table(f"_update_{table.name}", sa.MetaData(),
                          *[sa.Column(c, table.c[c].type) for c in names])
        copy_columns(conn, shadow, names, [ids, *values], rows)
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
        conn.exec_driver_sql(f"UPDATE {quote(table.name)} AS t SET {assignments} "
                             f"FROM {temp} AS s WHERE t.id = s.id")
        conn.exec_driver_sql(f"DROP TABLE {temp}")
        return
    converted = _converted(conn, table, columns, values, rows)
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{quote(c)} = {marker}" for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(f"UPDATE {quote(table.name)} SET {assignments} WHERE id = {marker}",
                           zip(*converted, ids, strict=False))  # constants repeat
    finally:
        cursor.close()


# PostgreSQL column type (as SQLAlchemy compiles it) → the psycopg type whose binary form the
# server expects for that column.
_PG_BINARY = {"integer": "int4", "bigint": "int8", "smallint": "int2", "text": "text",
              "varchar": "varchar", "double precision": "float8", "float": "float8",
              "real": "float4", "boolean": "bool", "date": "date",
              "timestamp with time zone": "timestamptz", "jsonb": "jsonb", "json": "json"}


def _binary_types(conn: Connection, table: sa.Table, columns: Sequence[str]) -> list[str] | None:
    names = []
    for c in columns:
        compiled = table.c[c].type.compile(dialect=conn.dialect).lower().split("(")[0].strip()
        if compiled not in _PG_BINARY:
            return None
        names.append(_PG_BINARY[compiled])
    return names


def _copy_json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False)


def copy_columns(conn: Connection, table: sa.Table, columns: Sequence[str],
                 values: Sequence[Sequence[Any] | Constant], rows: int) -> None:
    """The same as :func:`insert_columns` through PostgreSQL COPY (psycopg ``write_row``).

    With every column type known, COPY runs in binary format with declared types: psycopg
    packs floats, dates, timestamps and bools without formatting text and the server without
    parsing it — 6–10× faster than text COPY here (bench/RESULTS.md). JSON values are given
    as Python objects (psycopg's jsonb dumper encodes them). Otherwise: text COPY, JSON dumped
    to text first."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    types = _binary_types(conn, table, columns)
    if types is not None:
        sql += " (FORMAT BINARY)"
        converted = [_convert_column(v, None, rows) for v in values]
    else:
        json_columns = {c for c in columns if isinstance(table.c[c].type, sa.JSON)}
        converted = [_convert_column(v, _copy_json if c in json_columns else None, rows)
                     for c, v in zip(columns, values, strict=True)]
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(sql) as copy:
            if types is not None:
                copy.set_types(types)
            write = copy.write_row
            for row in zip(*converted, strict=False):  # constants repeat endlessly
                write(row)
